//! Where a network runs. `cpu` executes the sim-core engine on threads; a `spinnaker` backend
//! (the mapped network on an emulated board) reads the same network and writes the same
//! recordings. Both implement [`Backend`]; a [`BackendChoice`] loads networks into one.

pub mod backend;
pub mod cpu;
pub mod spinnaker;

pub use backend::{Backend, BackendChoice, BackendError, BackendReport, BoardOptions};

/// The backends a user can name on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Cpu,
    Spinnaker,
}

impl BackendKind {
    /// The name on the command line and in `run.json`.
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Cpu => "cpu",
            BackendKind::Spinnaker => "spinnaker",
        }
    }
}

impl std::str::FromStr for BackendKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "cpu" => Ok(Self::Cpu),
            "spinnaker" => Ok(Self::Spinnaker),
            other => Err(format!(
                "unknown backend '{other}'; expected cpu or spinnaker"
            )),
        }
    }
}
