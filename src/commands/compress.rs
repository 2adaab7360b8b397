//! `engram compress`: compress SpiNNaker routing tables (PACMAN JSON or the ordered-covering
//! paper's `.bin`, optionally gzipped), check every result for exact equivalence with its input,
//! and report per-table sizes and times.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use hw_export::{compress_tables, load_tables, save_tables, TableReport};

use super::{CliError, CommandError};

#[derive(Args)]
pub struct CompressArgs {
    /// Routing tables: PACMAN JSON (.json, .json.gz) or the OC paper's .bin (.bin, .bin.gz).
    pub tables: PathBuf,
    /// Write the compressed tables (PACMAN JSON, entries in hardware order).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write per-table sizes and times as CSV.
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Router entries available per chip.
    #[arg(long, default_value_t = 1023)]
    pub target: usize,
    /// Print only the summary line.
    #[arg(long)]
    pub quiet: bool,
}

pub fn compress(a: CompressArgs) -> Result<(), CliError> {
    let tables = load_tables(&a.tables).map_err(CliError::input)?;
    let t = Instant::now();
    let (compressed, reports) = compress_tables(&tables, a.target);
    let wall = t.elapsed().as_secs_f64();
    if !a.quiet {
        println!(
            "{:>4} {:>4} {:>9} {:>11} {:<20} {:>9} {:>8} {:>5}",
            "x", "y", "original", "compressed", "method", "ms", "checked", "fits"
        );
        for r in &reports {
            println!(
                "{:>4} {:>4} {:>9} {:>11} {:<20} {:>9.2} {:>8} {:>5}",
                r.x,
                r.y,
                r.original,
                r.compressed,
                r.method,
                r.time.as_secs_f64() * 1e3,
                r.checked,
                r.fits
            );
        }
    }
    if let Some(path) = &a.csv {
        let mut text = String::from(TableReport::CSV_HEADER);
        text.push('\n');
        for r in &reports {
            text.push_str(&r.csv_row());
            text.push('\n');
        }
        std::fs::write(path, text)
            .map_err(|e| CliError::runtime_in(path.display(), CommandError::Output(e)))?;
    }
    if let Some(path) = &a.out {
        save_tables(path, &compressed).map_err(CliError::runtime)?;
    }
    let original: usize = reports.iter().map(|r| r.original).sum();
    let total: usize = reports.iter().map(|r| r.compressed).sum();
    let over = reports.iter().filter(|r| !r.fits).count();
    let unchecked = reports.iter().filter(|r| !r.checked).count();
    println!(
        "{}: {} tables, {original} -> {total} entries, largest {}, {over} over {} entries, {unchecked} unchecked; {wall:.2} s",
        a.tables.display(),
        reports.len(),
        reports.iter().map(|r| r.compressed).max().unwrap_or(0),
        a.target
    );
    if unchecked > 0 {
        return Err(CliError::runtime(CommandError::Unchecked(unchecked)));
    }
    Ok(())
}
