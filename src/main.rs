//! The `engram` command.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// engram: spiking neural networks on the CPU and on SpiNNaker.
#[derive(Parser)]
#[command(name = "engram", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a model file and write a run directory.
    Run(commands::run::RunArgs),
    /// Run an experiment on the CA3 content-addressable memory.
    Cam(commands::cam::CamArgs),
    /// Compress SpiNNaker routing tables, checking each result against its input.
    Compress(commands::compress::CompressArgs),
    /// Time a benchmark network (or a model file) and print one JSON line.
    Bench(commands::bench::BenchArgs),
    /// Import a network from another format (NIR) as a model file.
    Import(commands::nir::ImportArgs),
    /// Export a network to hardware (SpiNNaker) or to NIR.
    Export(commands::export::ExportArgs),
    /// List the cell types model files can use, with parameters, defaults and units.
    Models(commands::models::ModelsArgs),
}

fn main() -> ExitCode {
    // One rank of an MPI run: the universe finalises MPI when main returns.
    #[cfg(feature = "mpi")]
    let _universe = {
        if engram::ranks::launched_among().is_some() {
            engram::ranks::mpi::watch_termination();
        }
        engram::ranks::mpi::init()
    };
    #[cfg(not(feature = "mpi"))]
    if let Some(n) = engram::ranks::launched_among() {
        let e = commands::CommandError::NoMpi(n);
        eprintln!("error[{}]: {e}", e.code());
        return ExitCode::from(2);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            let text = e.render().to_string();
            let code = commands::CommandError::Usage(String::new()).code();
            eprint!(
                "error[{code}]{}",
                text.strip_prefix("error").unwrap_or(&text)
            );
            return ExitCode::from(2);
        }
        Err(e) => e.exit(), // --help, --version
    };
    let result = match cli.command {
        Command::Run(a) => commands::run::run(a),
        Command::Cam(a) => commands::cam::cam(a),
        Command::Compress(a) => commands::compress::compress(a),
        Command::Bench(a) => commands::bench::bench(a),
        Command::Import(a) => commands::nir::import(a),
        Command::Export(a) => commands::export::export(a),
        Command::Models(a) => commands::models::models(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            match e.code() {
                Some(code) => eprintln!("error[{code}]: {e}"),
                None => eprintln!("error: {e}"),
            }
            ExitCode::from(e.exit_code())
        }
    }
}
