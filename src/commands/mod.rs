//! One module per subcommand.

pub mod bench;
pub mod cam;
pub mod compress;
pub mod experiment;
pub mod export;
pub mod run;
pub mod spinnaker;

use std::fmt;

/// A command's failure: bad user input (exit code 2) or a failure while running (exit code 1).
#[derive(Debug)]
pub enum CliError {
    /// The user's input is wrong: model file, experiment, table file, arguments.
    Input(String),
    /// The run itself failed (numerical instability, I/O).
    Runtime(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Input(_) => 2,
            CliError::Runtime(_) => 1,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            CliError::Input(s) | CliError::Runtime(s) => f.write_str(s),
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::Runtime(e.to_string())
    }
}
