//! `engram export spinnaker`: map a model file (or the CA3 memory of a CAM experiment file)
//! onto a SpiNNaker machine and write routing tables, placements, machine, load images, the
//! resource report and a PyNN script into a directory.
//!
//! Which kind of file it is follows from its top-level keys: a model file has `populations`,
//! a CAM experiment file (`engram cam`) gives the memory's size (`cues`/`n`, `content_bits`/`m`)
//! and has no `populations`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, Subcommand};
use hw_export::export::{write_export, ExportInput};
use hw_export::formats::report::summary_text;
use hw_export::keys::KeyLayout;
use hw_export::machine::Machine;
use hw_export::{map_network, MapOptions};
use networks::ca3;
use sim_core::Network;

use super::{CliError, CommandError};

#[derive(Args)]
pub struct ExportArgs {
    #[command(subcommand)]
    pub target: ExportTarget,
}

#[derive(Subcommand)]
pub enum ExportTarget {
    /// Map onto a SpiNNaker machine and write everything needed to load it.
    Spinnaker(SpinnakerArgs),
    /// Write a model file as a NIR graph (.nir, HDF5).
    Nir(super::nir::NirExportArgs),
}

#[derive(Args)]
pub struct SpinnakerArgs {
    /// A model file, or a CAM experiment file (exports its CA3 memory).
    pub model: PathBuf,
    /// spinn5 (one 48-chip board), spinn3 (2x2) or WxH chips (W, H multiples of 12: boards in
    /// triads, toroidal).
    #[arg(long, default_value = "spinn5")]
    pub machine: String,
    /// The output directory.
    #[arg(long)]
    pub out: PathBuf,
    /// Model-file overrides `key.path=value` (as for `engram run`).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
    /// Largest number of neurons per core for neuron models.
    #[arg(long, default_value_t = 256)]
    pub neurons_per_core: u32,
    /// Keep --neurons-per-core where a core misses the real-time budget (as sPyNNaker does; the
    /// report lists those cores and by how much). Without it, slices are halved until every
    /// core's estimate fits.
    #[arg(long)]
    pub fixed_neurons_per_core: bool,
    /// sPyNNaker's time_scale_factor (default: sPyNNaker's, 1 for dt <= 10 ms).
    #[arg(long)]
    pub time_scale_factor: Option<u32>,
    /// Firing rate assumed for the real-time load estimate (Hz).
    #[arg(long, default_value_t = 10.0)]
    pub rate: f64,
    /// Use PACMAN's global zoned key layout instead of the flexible one.
    #[arg(long)]
    pub global_keys: bool,
    /// A dead chip `x,y` (repeatable).
    #[arg(long = "dead-chip", value_name = "X,Y")]
    pub dead_chips: Vec<String>,
}

/// A network ready to export, with its names and length.
struct Loaded {
    net: Network,
    pop_names: Vec<String>,
    proj_names: Vec<String>,
    duration_ms: f64,
    origin: String,
}

fn bad_machine(value: &str) -> CliError {
    CliError::input(CommandError::OptionValue {
        option: "--machine",
        value: value.to_string(),
        allowed: "expected spinn5, spinn3 or WxH chips with W and H multiples of 12 (e.g. 24x24) \
                  or 8x8"
            .into(),
    })
}

fn parse_machine(value: &str) -> Result<Machine, CliError> {
    match value.to_ascii_lowercase().as_str() {
        "spinn5" => Ok(Machine::spinn5()),
        "spinn3" => Ok(Machine::spinn3()),
        v => {
            let (w, h) = v.split_once('x').ok_or_else(|| bad_machine(value))?;
            let (w, h) = (
                w.trim().parse::<u32>().map_err(|_| bad_machine(value))?,
                h.trim().parse::<u32>().map_err(|_| bad_machine(value))?,
            );
            if w > 4096 || h > 4096 {
                return Err(bad_machine(value));
            }
            Machine::multi_board(w, h).map_err(|_| bad_machine(value))
        }
    }
}

fn parse_chip(value: &str, machine: &Machine) -> Result<(u32, u32), CliError> {
    let bad = || {
        CliError::input(CommandError::OptionValue {
            option: "--dead-chip",
            value: value.to_string(),
            allowed: format!(
                "expected x,y of a chip of the machine ({}x{})",
                machine.width, machine.height
            ),
        })
    };
    let (x, y) = value.split_once(',').ok_or_else(bad)?;
    let c = (
        x.trim().parse().map_err(|_| bad())?,
        y.trim().parse().map_err(|_| bad())?,
    );
    machine.chip(c).ok_or_else(bad)?;
    Ok(c)
}

/// Is this a CAM experiment file? (the memory's size at top level, `cues`/`n` or
/// `content_bits`/`m`, and no `populations`)
fn is_experiment(path: &Path) -> Result<bool, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| {
        CliError::input(CommandError::Read {
            path: path.display().to_string(),
            source,
        })
    })?;
    let Ok(table) = text.parse::<toml::Table>() else {
        return Ok(false); // the model-file loader reports the TOML error with its location
    };
    let sized = ["cues", "n", "content_bits", "m"]
        .iter()
        .any(|k| table.contains_key(*k));
    Ok(sized && !table.contains_key("populations"))
}

fn load(a: &SpinnakerArgs) -> Result<Loaded, CliError> {
    let origin = a.model.file_name().map_or_else(
        || a.model.display().to_string(),
        |n| n.to_string_lossy().into(),
    );
    if is_experiment(&a.model)? {
        if !a.overrides.is_empty() {
            return Err(CliError::input(CommandError::OptionValue {
                option: "--set",
                value: a.overrides.join(" "),
                allowed: format!(
                    "applies to model files; {} is a CAM experiment file",
                    a.model.display()
                ),
            }));
        }
        let exp = ca3::load_experiment(&a.model).map_err(CliError::input)?;
        let input = ca3::input_spikes(exp.size, &exp.schedule);
        let memory = ca3::build_seeded(exp.size, input, exp.seed)
            .map_err(|e| CliError::input_in(a.model.display(), e))?;
        let last = exp.schedule.last().map_or(0, |s| s.t0 + 8);
        let steps = exp.min_steps.max(last);
        let net = memory.network;
        return Ok(Loaded {
            pop_names: net.populations.iter().map(|p| p.name.clone()).collect(),
            proj_names: net.projections.iter().map(|p| p.name.clone()).collect(),
            duration_ms: steps as f64 * ca3::DT_MS,
            net,
            origin: format!("the CA3 memory of {origin}"),
        });
    }
    let spec = networks::modelfile::load(&a.model, &a.overrides, None).map_err(CliError::input)?;
    Ok(Loaded {
        duration_ms: spec.duration_ms(),
        pop_names: spec.population_names,
        proj_names: spec.projection_names,
        net: spec.network,
        origin,
    })
}

pub fn export(a: ExportArgs) -> Result<(), CliError> {
    let a = match a.target {
        ExportTarget::Spinnaker(a) => a,
        ExportTarget::Nir(a) => return super::nir::export(a),
    };
    let mut machine = parse_machine(&a.machine)?;
    let dead: Vec<(u32, u32)> = a
        .dead_chips
        .iter()
        .map(|c| parse_chip(c, &machine))
        .collect::<Result<_, _>>()?;
    machine = machine.with_dead_chips(&dead);
    if a.neurons_per_core == 0 || a.neurons_per_core > 4096 {
        return Err(option_value(
            "--neurons-per-core",
            a.neurons_per_core,
            "must be 1..=4096",
        ));
    }
    if a.time_scale_factor == Some(0) {
        return Err(option_value("--time-scale-factor", 0, "must be >= 1"));
    }
    if !(a.rate.is_finite() && a.rate >= 0.0) {
        return Err(option_value(
            "--rate",
            a.rate,
            "must be a finite rate >= 0 (Hz)",
        ));
    }
    let loaded = load(&a)?;
    let mut opts = MapOptions::default();
    opts.partition.neurons_per_core = a.neurons_per_core;
    opts.partition.split_for_real_time = !a.fixed_neurons_per_core;
    opts.partition.time_scale_factor = a.time_scale_factor;
    opts.partition.assumed_rate_hz = a.rate;
    opts.partition.duration_ms = loaded.duration_ms;
    if a.global_keys {
        opts.key_layout = KeyLayout::Global;
    }
    let start = Instant::now();
    let mapping = map_network(&loaded.net, &machine, &opts)
        .map_err(|e| CliError::runtime_in(a.model.display(), e))?;
    let map_secs = start.elapsed().as_secs_f64();
    let (files, report) = write_export(
        &a.out,
        &ExportInput {
            net: &loaded.net,
            pop_names: &loaded.pop_names,
            proj_names: &loaded.proj_names,
            duration_ms: loaded.duration_ms,
            machine_name: &a.machine,
            origin: &loaded.origin,
        },
        &mapping,
        &opts,
    )
    .map_err(CliError::runtime)?;
    engram::plot::board::export_figures(&a.out, &a.machine, &mapping, &report, a.rate)
        .map_err(|e| CliError::runtime(CommandError::Plot(e.to_string())))?;
    print!("{}", summary_text(&report));
    println!(
        "mapped {} neurons, {} synapses in {map_secs:.2} s; {} files in {}",
        loaded.net.n_neurons(),
        loaded.net.n_synapses(),
        files.len(),
        a.out.display()
    );
    for p in report.problems.iter().filter(|p| p.severity != "info") {
        println!(
            "[{}] {} at {}: {}",
            p.severity, p.kind, p.location, p.detail
        );
    }
    if !mapping.ok() {
        return Err(CliError::runtime(CommandError::Unmappable(
            a.out.display().to_string(),
        )));
    }
    Ok(())
}

fn option_value(option: &'static str, value: impl ToString, allowed: &str) -> CliError {
    CliError::input(CommandError::OptionValue {
        option,
        value: value.to_string(),
        allowed: allowed.into(),
    })
}
