//! Structured errors for reading, writing and checking routing tables.

use thiserror::Error;

/// Every error names the file (or table) and what was expected.
#[derive(Debug, Error)]
pub enum HwError {
    #[error("{file}: I/O error: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: invalid PACMAN routing-table JSON: {msg}")]
    Json { file: String, msg: String },
    #[error("{file}: byte offset {offset}: {what}")]
    Format {
        file: String,
        offset: usize,
        what: String,
    },
    #[error("{file}: table {index} at chip ({x},{y}), entry {entry}: {what}")]
    Entry {
        file: String,
        index: usize,
        x: u32,
        y: u32,
        entry: usize,
        what: String,
    },
    #[error("{file}: unknown table format (expected .json, .json.gz, .bin or .bin.gz)")]
    UnknownFormat { file: String },
    #[error("machine: {what}")]
    Machine { what: String },
    /// The network does not map onto the machine (too few cores, SDRAM, key bits, routes).
    #[error("mapping: {what}")]
    Map { what: String },
}

sim_core::error_codes! { HwError {
    Io => "E0301",
    Json => "E0302",
    Format => "E0303",
    Entry => "E0304",
    UnknownFormat => "E0305",
    Machine => "E0306",
    Map => "E0307",
} }

pub type Result<T> = std::result::Result<T, HwError>;
