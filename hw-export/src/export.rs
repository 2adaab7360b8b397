//! Everything `engram export spinnaker` writes into its output directory.

use crate::error::{HwError, Result};
use crate::formats::images::{fec_compressor_image, spinnman_load_image, FecSource};
use crate::formats::machine_json::machine_json;
use crate::formats::pacman_json::write_pacman_json;
use crate::formats::placements_json::{placements_json, slice_label};
use crate::formats::pynn::{write_pynn, ScriptInput};
use crate::formats::report::{build_report, report_text, Report};
use crate::mapping::{MapOptions, Mapping};
use serde::Serialize;
use sim_core::Network;
use std::path::{Path, PathBuf};

/// File names inside the output directory.
pub const ROUTING_TABLES: &str = "routing_tables.json";
pub const ROUTING_TABLES_COMPRESSED: &str = "routing_tables_compressed.json";
pub const PLACEMENTS: &str = "placements.json";
pub const MACHINE: &str = "machine.json";
pub const KEYS: &str = "keys.json";
pub const REPORT_JSON: &str = "report.json";
pub const REPORT_TEXT: &str = "report.txt";
pub const ROUTER_IMAGES: &str = "router_images";

/// The app id written into the on-chip compressor images (sPyNNaker's first application id).
pub const APP_ID: u32 = 16;

/// What the exporter needs to know about the network besides the network itself.
pub struct ExportInput<'a> {
    pub net: &'a Network,
    pub pop_names: &'a [String],
    pub proj_names: &'a [String],
    pub duration_ms: f64,
    /// Name of the machine as given (`spinn5`, `spinn3`, `WxH`).
    pub machine_name: &'a str,
    /// Where the network came from (model file or experiment), for the script.
    pub origin: &'a str,
}

/// One vertex's keys: a slice's neurons `first..=last` send `key | (n - first)`; a delay
/// slice's (`stages` > 0) send `key | (stage - 1) * (last - first + 1) + (n - first)`.
#[derive(Serialize)]
struct KeyRow {
    label: String,
    population: String,
    first: u32,
    last: u32,
    stages: u32,
    x: u32,
    y: u32,
    p: u8,
    key: u32,
    mask: u32,
}

fn write(path: &Path, data: impl AsRef<[u8]>) -> Result<()> {
    std::fs::write(path, data).map_err(|source| HwError::Io {
        file: path.display().to_string(),
        source,
    })
}

/// Write every export file for `mapping` into `dir` (created if needed); returns the files
/// written and the report.
pub fn write_export(
    dir: &Path,
    input: &ExportInput,
    mapping: &Mapping,
    opts: &MapOptions,
) -> Result<(Vec<PathBuf>, Report)> {
    let io = |source| HwError::Io {
        file: dir.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir.join(ROUTER_IMAGES)).map_err(io)?;
    let mut files = Vec::new();
    let mut out = |name: &str| {
        let p = dir.join(name);
        files.push(p.clone());
        p
    };
    write_pacman_json(&out(ROUTING_TABLES), &mapping.tables)?;
    write_pacman_json(&out(ROUTING_TABLES_COMPRESSED), &mapping.compressed)?;
    write(&out(PLACEMENTS), placements_json(input.pop_names, mapping))?;
    write(&out(MACHINE), machine_json(&mapping.machine))?;
    let keys: Vec<KeyRow> = (0..mapping.n_vertices())
        .map(|s| {
            let sl = &mapping.slices[mapping.delay_slice(s).map_or(s, |d| d.source)];
            let c = mapping.placements[s];
            KeyRow {
                label: slice_label(input.pop_names, mapping, s),
                population: input.pop_names[sl.pop].clone(),
                first: sl.neurons.start,
                last: sl.neurons.end - 1,
                stages: mapping.delay_slice(s).map_or(0, |d| d.stages),
                x: c.x,
                y: c.y,
                p: c.p,
                key: mapping.keys[s].0,
                mask: mapping.keys[s].1,
            }
        })
        .collect();
    write(
        &out(KEYS),
        serde_json::to_string_pretty(&keys).expect("plain data"),
    )?;
    for (t, c) in mapping.tables.iter().zip(&mapping.compressed) {
        let stem = format!("{ROUTER_IMAGES}/{}_{}", t.x, t.y);
        write(
            &out(&format!("{stem}.spinnman.bin")),
            spinnman_load_image(c),
        )?;
        write(
            &out(&format!("{stem}.fec_compressor.bin")),
            fec_compressor_image(t, APP_ID, false, FecSource::LinkId),
        )?;
    }
    let report = build_report(
        input.net,
        input.pop_names,
        input.proj_names,
        mapping,
        opts,
        input.machine_name,
    );
    write(
        &out(REPORT_JSON),
        serde_json::to_string_pretty(&report).expect("plain data"),
    )?;
    write(&out(REPORT_TEXT), report_text(&report))?;
    let script = write_pynn(
        dir,
        &ScriptInput {
            net: input.net,
            pop_names: input.pop_names,
            proj_names: input.proj_names,
            mapping,
            duration_ms: input.duration_ms,
            time_scale_factor: opts.partition.time_scale_factor(input.net.grid.dt_ms()),
            origin: input.origin,
        },
    )?;
    files.push(script);
    Ok((files, report))
}
