//! The backend options `run` and `cam` share, the backend they choose, and what every backend
//! adds to a run directory (threads, its own report, why the run must fail).

use std::fmt;
use std::path::PathBuf;

use backends::backend::{Backend, BackendChoice, BackendError, BoardOptions};
use backends::cpu::CpuBackend;
use backends::spinnaker::machine_by_name;
use backends::BackendKind;
use engram::rundir::RunDir;

use super::{CliError, CommandError};

#[derive(clap::Args, Clone, Debug)]
pub struct BackendArgs {
    /// Where to run: cpu, or spinnaker (the mapped network on an emulated board; dt a whole
    /// number of microseconds, e.g. 1 ms or 0.1 ms).
    #[arg(long, default_value = "cpu")]
    pub backend: String,
    /// With --backend spinnaker: the machine, spinn5 (one 48-chip board), spinn3, or WxH.
    #[arg(long, default_value = "spinn5")]
    pub machine: String,
    /// With --backend spinnaker: load these routing tables (PACMAN JSON, one per chip, in
    /// priority order) into the routers instead of the compressed tables of the mapping.
    #[arg(long, value_name = "FILE")]
    pub routing_tables: Option<PathBuf>,
}

impl BackendArgs {
    /// The backend the options name.
    pub fn kind(&self) -> Result<BackendKind, CliError> {
        self.backend
            .parse::<BackendKind>()
            .map_err(|_| CliError::input(CommandError::Backend(self.backend.clone())))
    }

    /// The backend the options name, running each network on `threads` threads where it has
    /// any (`None`: all cores).
    pub fn choose(&self, threads: Option<usize>) -> Result<BackendChoice, CliError> {
        Ok(match self.kind()? {
            BackendKind::Cpu => BackendChoice::Cpu(CpuBackend::new(
                threads.unwrap_or_else(CpuBackend::available_threads),
            )),
            BackendKind::Spinnaker => {
                let machine = machine_by_name(&self.machine).map_err(|allowed| {
                    CliError::input(CommandError::OptionValue {
                        option: "--machine",
                        value: self.machine.clone(),
                        allowed,
                    })
                })?;
                let routing_tables = self
                    .routing_tables
                    .as_ref()
                    .map(hw_export::load_tables)
                    .transpose()
                    .map_err(|e| CliError::input_in("--routing-tables", e))?;
                BackendChoice::Spinnaker(BoardOptions {
                    machine,
                    machine_name: self.machine.clone(),
                    routing_tables,
                })
            }
        })
    }
}

/// A backend's refusal (bad input: a network it cannot run, a checkpoint that does not fit) or
/// failure while running, reported against `context`.
pub fn backend_error(context: impl fmt::Display, e: BackendError) -> CliError {
    if e.is_input() {
        CliError::input_in(context, e)
    } else {
        CliError::runtime_in(context, e)
    }
}

/// Loads `net` on `choice`; a network the backend refuses is reported against `file`.
pub fn load(
    choice: &BackendChoice,
    net: &sim_core::Network,
    file: &str,
) -> Result<Box<dyn Backend>, CliError> {
    check_ranks(net, file)?;
    choice.load(net).map_err(|e| refused(choice, file, e))
}

/// Says whether `choice` can run `net` (as [`load`] would), without keeping it.
pub fn check(choice: &BackendChoice, net: &sim_core::Network, file: &str) -> Result<(), CliError> {
    check_ranks(net, file)?;
    choice.check(net).map_err(|e| refused(choice, file, e))
}

/// In an MPI run: refuses a network the ranks cannot share (E0014).
fn check_ranks(net: &sim_core::Network, file: &str) -> Result<(), CliError> {
    let Some(ranks) = sim_core::engine::ranks::installed() else {
        return Ok(());
    };
    CpuBackend::distributable(net).map_err(|why| {
        CliError::input(CommandError::NotDistributable(
            file.into(),
            ranks.size(),
            why,
        ))
    })
}

fn refused(choice: &BackendChoice, file: &str, e: BackendError) -> CliError {
    backend_error(format!("{file}: --backend {}", choice.name()), e)
}

/// Records what `backend` reports in the run directory: its threads, its own report (written
/// next to the other files, with its facts in `run.json` and its summary on stderr). Returns
/// why the run must fail although every step ran.
pub fn finish_report(
    dir: &mut RunDir,
    backend: &dyn Backend,
    quiet: bool,
) -> Result<Option<String>, CliError> {
    let report = backend.report();
    dir.info.threads = report.threads;
    if report.ranks > 1 {
        // Threads are then per rank: the run used ranks × threads shards.
        dir.info.extra.insert("ranks".into(), report.ranks.into());
    }
    let Some(details) = report.details else {
        return Ok(None);
    };
    dir.write_file(details.file, details.contents.as_bytes())?;
    engram::plot::board::report_figures(dir.path(), details.file, &details.contents)
        .map_err(|e| CliError::runtime(CommandError::Plot(e.to_string())))?;
    dir.info.extra.extend(details.facts);
    if !quiet || details.failure.is_some() {
        eprint!("{}", details.summary);
    }
    Ok(details
        .failure
        .map(|failure| format!("{failure}; see {}", dir.path().join(details.file).display())))
}
