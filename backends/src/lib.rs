//! Where a network runs. `cpu` executes the sim-core engine on threads; a `spinnaker` backend
//! (the mapped network on an emulated board) reads the same network and writes the same
//! recordings.

pub mod cpu;
pub mod spinnaker;

/// The backends a user can name on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Cpu,
    Spinnaker,
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
