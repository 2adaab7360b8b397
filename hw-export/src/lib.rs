//! hw-export: SpiNNaker machine model, routing tables, exchange/load formats,
//! table compression, equivalence checking and on-machine route verification.
//!
//! The mapping pipeline is one module per stage, each a pure function of the previous stage's
//! output: `partition` -> `place` -> `keys` -> `route` -> `tables` -> `compress` -> `verify`;
//! [`map_network`] runs them all and returns a [`Mapping`].

pub mod check;
pub mod compress;
pub mod delays;
pub mod error;
pub mod export;
pub mod formats;
pub mod keys;
pub mod machine;
pub mod mapping;
pub mod partition;
pub mod place;
pub mod quantise;
pub mod route;
pub mod table;
pub mod tables;
pub mod verify;

pub use error::{HwError, Result};
pub use mapping::{map_network, CoreLocation, MapOptions, Mapping, Slice};
pub use table::{RoutingEntry, RoutingTable};

use std::path::Path;
use std::time::{Duration, Instant};

/// Load routing tables, choosing the reader from the file name: PACMAN JSON
/// (`.json`, `.json.gz`) or the Ordered-Covering paper's binary (`.bin`, `.bin.gz`).
pub fn load_tables(path: impl AsRef<Path>) -> Result<Vec<RoutingTable>> {
    let path = path.as_ref();
    let name = path.to_string_lossy().to_ascii_lowercase();
    let stem = name.strip_suffix(".gz").unwrap_or(&name);
    if stem.ends_with(".json") {
        formats::pacman_json::read_pacman_json(path)
    } else if stem.ends_with(".bin") {
        formats::bin::read_bin(path)
    } else {
        Err(HwError::UnknownFormat {
            file: path.display().to_string(),
        })
    }
}

/// Save tables as PACMAN JSON (gzipped if the name ends in `.gz`).
pub fn save_tables(path: impl AsRef<Path>, tables: &[RoutingTable]) -> Result<()> {
    formats::pacman_json::write_pacman_json(path.as_ref(), tables)
}

/// One table's compression outcome.
#[derive(Clone, Debug)]
pub struct TableReport {
    pub x: u32,
    pub y: u32,
    pub original: usize,
    pub compressed: usize,
    pub method: &'static str,
    pub time: Duration,
    /// The result passed the exact equivalence check.
    pub checked: bool,
    /// `compressed <= target_len`.
    pub fits: bool,
}

impl TableReport {
    /// CSV header matching [`TableReport::csv_row`].
    pub const CSV_HEADER: &'static str = "x,y,original,compressed,method,micros,checked,fits";

    pub fn csv_row(&self) -> String {
        format!(
            "{},{},{},{},{},{},{},{}",
            self.x,
            self.y,
            self.original,
            self.compressed,
            self.method,
            self.time.as_micros(),
            self.checked,
            self.fits
        )
    }
}

/// Compress every table (best checked result per table) with a per-table report.
pub fn compress_tables(
    tables: &[RoutingTable],
    target_len: usize,
) -> (Vec<RoutingTable>, Vec<TableReport>) {
    let mut out = Vec::with_capacity(tables.len());
    let mut reports = Vec::with_capacity(tables.len());
    for t in tables {
        let start = Instant::now();
        let c = compress::compress(t, target_len);
        let time = start.elapsed();
        reports.push(TableReport {
            x: t.x,
            y: t.y,
            original: t.len(),
            compressed: c.table.len(),
            method: c.method.name(),
            time,
            checked: c.checked,
            fits: c.table.len() <= target_len,
        });
        out.push(c.table);
    }
    (out, reports)
}
