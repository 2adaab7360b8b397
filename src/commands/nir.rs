//! NIR: `engram import nir FILE.nir --out MODEL.toml`, `engram export nir MODEL.toml --out
//! FILE.nir`, and the `.nir` input of `engram run` (docs/NIR.md).

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use networks::nir::{self, ImportOptions};

use super::{CliError, CommandError};

#[derive(Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub source: ImportSource,
}

#[derive(Subcommand)]
pub enum ImportSource {
    /// A NIR graph (.nir, HDF5) -> a model file.
    Nir(NirImportArgs),
}

#[derive(Args)]
pub struct NirImportArgs {
    /// The NIR file.
    pub file: PathBuf,
    /// The model file to write.
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub time: NirTimeArgs,
}

/// The time grid a NIR graph (continuous time) runs on in engram, and what a spike is.
#[derive(Args, Clone, Copy)]
pub struct NirTimeArgs {
    /// Time step (ms) of the imported model.
    #[arg(long, default_value_t = 0.1)]
    pub dt: f64,
    /// Simulated time (ms) of the imported model.
    #[arg(long, default_value_t = 100.0)]
    pub duration: f64,
    /// A spike is a current pulse of height 1 lasting this many seconds (NIR time), the
    /// convention of discrete-time trainers: 1e-4 for a graph snnTorch exported, Norse's dt for
    /// Norse. Default: NIR's unit-area Dirac pulse.
    #[arg(long)]
    pub spike_width: Option<f64>,
}

impl NirTimeArgs {
    fn options(&self) -> Result<ImportOptions, CliError> {
        let width = self.spike_width.map(|w| ("--spike-width", w, "s"));
        for (option, v, unit) in [("--dt", self.dt, "ms"), ("--duration", self.duration, "ms")]
            .into_iter()
            .chain(width)
        {
            if !(v.is_finite() && v > 0.0) {
                return Err(CliError::input(CommandError::OptionValue {
                    option,
                    value: v.to_string(),
                    allowed: format!("must be a positive number of {unit}"),
                }));
            }
        }
        Ok(ImportOptions {
            dt_ms: self.dt,
            duration_ms: self.duration,
            spike_width_s: self.spike_width,
            ..ImportOptions::default()
        })
    }
}

/// The model-file text of a `.nir` file.
pub fn model_text(path: &Path, time: &NirTimeArgs) -> Result<String, CliError> {
    let opts = time.options()?;
    let (_version, graph) = nir::hdf5::read(path).map_err(CliError::input)?;
    nir::import(&graph, &path.display().to_string(), &opts).map_err(CliError::input)
}

pub fn import(a: ImportArgs) -> Result<(), CliError> {
    let ImportSource::Nir(a) = a.source;
    let text = model_text(&a.file, &a.time)?;
    // The written file must load as a model file.
    networks::modelfile::parse_str(&a.out.display().to_string(), &text, &[], None)
        .map_err(CliError::input)?;
    std::fs::write(&a.out, text)
        .map_err(|e| CliError::runtime_in(a.out.display(), CommandError::Output(e)))?;
    Ok(())
}

#[derive(Args)]
pub struct NirExportArgs {
    /// The model file.
    pub model: PathBuf,
    /// The NIR file to write.
    #[arg(long)]
    pub out: PathBuf,
}

pub fn export(a: NirExportArgs) -> Result<(), CliError> {
    let name = a.model.display().to_string();
    let text = std::fs::read_to_string(&a.model).map_err(|source| {
        CliError::input(CommandError::Read {
            path: name.clone(),
            source,
        })
    })?;
    networks::modelfile::parse_str(&name, &text, &[], None).map_err(CliError::input)?;
    let exported = nir::export(&text, &name).map_err(CliError::input)?;
    for w in &exported.warnings {
        eprintln!("warning: {w}");
    }
    nir::hdf5::write(&a.out, &exported.graph, nir::NIR_VERSION).map_err(CliError::runtime)
}
