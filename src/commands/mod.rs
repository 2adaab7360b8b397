//! One module per subcommand.

pub mod backend;
pub mod bench;
pub mod cam;
pub mod compress;
pub mod experiment;
pub mod export;
pub mod models;
pub mod nir;
pub mod run;

use std::fmt;

pub use engram::errors::CommandError;
use sim_core::errors::Coded;

/// A command's failure: bad user input (exit code 2) or a failure while running (exit code 1),
/// with the catalogue code of the error behind it (docs/ERRORS.md).
#[derive(Debug)]
pub enum CliError {
    /// Bad input without a code. Kept so that commands written against the earlier API
    /// compile; `tests/error_catalogue.rs` rejects its use: give the error a code instead.
    #[allow(dead_code)]
    Input(String),
    /// A failure while running, without a code (rejected like [`CliError::Input`]).
    #[allow(dead_code)]
    Runtime(String),
    /// An error with its code.
    Coded {
        code: &'static str,
        exit_code: u8,
        message: String,
    },
}

/// Exit code of bad input (model file, experiment, table file, arguments).
const INPUT: u8 = 2;
/// Exit code of a failure while running (numerical instability, I/O).
const RUNTIME: u8 = 1;

impl CliError {
    /// Bad input, reported as `e` says.
    pub fn input(e: impl Coded) -> Self {
        Self::coded(INPUT, "", e)
    }
    /// Bad input, reported as `context: e` (e.g. the file it is in).
    pub fn input_in(context: impl fmt::Display, e: impl Coded) -> Self {
        Self::coded(INPUT, &format!("{context}: "), e)
    }
    /// A failure while running.
    pub fn runtime(e: impl Coded) -> Self {
        Self::coded(RUNTIME, "", e)
    }
    /// A failure while running, reported as `context: e`.
    pub fn runtime_in(context: impl fmt::Display, e: impl Coded) -> Self {
        Self::coded(RUNTIME, &format!("{context}: "), e)
    }

    fn coded(exit_code: u8, prefix: &str, e: impl Coded) -> Self {
        Self::Coded {
            code: e.code(),
            exit_code,
            message: format!("{prefix}{e}"),
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Input(_) => INPUT,
            CliError::Runtime(_) => RUNTIME,
            CliError::Coded { exit_code, .. } => *exit_code,
        }
    }

    /// The catalogue code; errors without one print as plain `error:`.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            CliError::Coded { code, .. } => Some(code),
            CliError::Input(_) | CliError::Runtime(_) => None,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            CliError::Input(s) | CliError::Runtime(s) => f.write_str(s),
            CliError::Coded { message, .. } => f.write_str(message),
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::runtime(CommandError::Output(e))
    }
}
