//! The engram error catalogue: every code the `engram` command can print, collected from the
//! crates that own the errors (docs/ERRORS.md documents each).

/// Errors of the command layer itself; the crates' errors carry their own codes.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// Rejected by the argument parser (clap prints the usage).
    #[error("{0}")]
    Usage(String),
    #[error("--backend {0}: unknown backend; use cpu or spinnaker")]
    Backend(String),
    #[error("{option} {value}: {allowed}")]
    OptionValue {
        option: &'static str,
        value: String,
        allowed: String,
    },
    #[error("{path}: {source}; only runs started with --checkpoint-every can be resumed")]
    NoCheckpoint {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: the model file changed since the checkpoint was written; restore it, or start a new run")]
    ModelChanged { path: String },
    #[error(
        "writing the output: {0}; check that the directory is writable and the disk has space"
    )]
    Output(std::io::Error),
    #[error("{0}; check that the directory is writable and the disk has space")]
    Plot(String),
    #[error("{0} tables failed the equivalence check; this is a bug in the compressor: please report it with the table file")]
    Unchecked(usize),
    /// The emulated SpiNNaker board ran, but packets were lost or a core missed its input.
    #[error("{0}")]
    BoardRun(String),
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    /// A benchmark results file `engram bench --plot` cannot read.
    #[error("{0}")]
    BenchResults(crate::plot::bench::BenchFileError),
    #[error("the mapping does not fit or does not verify (see {0}/report.txt for each problem and its fix)")]
    Unmappable(String),
    /// Started by an MPI launcher as one of several processes, but built without MPI.
    #[error("started as one of {0} MPI processes, but this engram was built without MPI: every process would run the whole network alone; rebuild with `cargo build --release --features mpi` (docs/DISTRIBUTED.md), or run one process")]
    NoMpi(usize),
    /// A network the ranks of an MPI run cannot share.
    #[error("{0}: cannot run over {1} MPI ranks: {2}; run it in one process")]
    NotDistributable(String, usize, String),
}

sim_core::error_codes! { CommandError {
    Usage => "E0001",
    Backend => "E0002",
    OptionValue => "E0003",
    NoCheckpoint => "E0004",
    ModelChanged => "E0005",
    Output => "E0006",
    Plot => "E0007",
    Unchecked => "E0008",
    BoardRun => "E0009",
    Read => "E0010",
    Unmappable => "E0011",
    BenchResults => "E0012",
    NoMpi => "E0013",
    NotDistributable => "E0014",
} }

/// (code, error type::variant) of every error the `engram` command reports. A new error enum
/// that reaches the command line is added here.
pub fn catalogue() -> Vec<(&'static str, &'static str)> {
    [
        CommandError::CODES,
        networks::modelfile::ModelFileErrorKind::CODES,
        networks::ca3::CamError::CODES,
        hw_export::HwError::CODES,
        sim_core::engine::CheckpointError::CODES,
        sim_core::RunError::CODES,
        networks::benchmarks::BuildError::CODES,
        backends::spinnaker::SpinnakerError::CODES,
        networks::experiment::ExperimentError::CODES,
        networks::nir::NirError::CODES,
    ]
    .concat()
}
