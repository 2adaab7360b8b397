//! `engram run` on a model file with an `[experiment]` section: the protocol's trials instead of
//! one plain run. Writes the result table (CSV and JSON), a PNG plot and `run.json` into the run
//! directory, and prints the table.

use std::path::{Path, PathBuf};
use std::time::Instant;

use backends::BackendChoice;
use engram::rundir::{ModelInfo, RunDir, RunInfo};
use networks::experiment::{
    check_conditions, recall_csv, run_delayed_recall, ExperimentError, RecallRow,
};
use networks::modelfile::ModelSpec;

use super::{CliError, CommandError};

/// The run directory when `--out` is not given: `runs/<file stem>`.
pub fn default_out(model: &Path) -> PathBuf {
    let stem = model
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "experiment".into());
    PathBuf::from("runs").join(stem)
}

fn table(rows: &[RecallRow]) -> String {
    let mut s = format!(
        "{:<16} {:>9} {:>7} {:>9} {:>7} {:>7} {:>11} {:>11}\n",
        "condition", "delay_ms", "trials", "accuracy", "±se", "chance", "cued_spk", "other_spk"
    );
    for r in rows {
        s.push_str(&format!(
            "{:<16} {:>9} {:>7} {:>9.3} {:>7.3} {:>7.3} {:>11.2} {:>11.2}\n",
            r.condition,
            r.delay_ms,
            r.trials,
            r.accuracy,
            r.stderr,
            r.chance,
            r.cued_spikes,
            r.other_spikes
        ));
    }
    s
}

pub fn run(
    spec: &ModelSpec,
    model_file: &str,
    out: &Path,
    backend: &BackendChoice,
    quiet: bool,
) -> Result<(), CliError> {
    let exp = spec.experiment.as_ref().expect("called for experiments");
    // In an MPI run every rank runs the protocol; rank 0 writes the run directory.
    let root = engram::ranks::writes_output();
    let quiet = quiet || !root;
    engram::ranks::watch_dir(out);
    let out = &engram::ranks::output_dir(out);
    let _scratch = engram::ranks::Scratch::for_dir(out);
    // Bad conditions, and a network the backend cannot run, are bad input: report them before
    // a run directory exists.
    check_conditions(spec).map_err(input_error)?;
    let net = &spec.network;
    super::backend::check(backend, net, model_file)?;
    let model = ModelInfo {
        file: model_file.to_string(),
        sha256: spec.sha256.clone(),
        overrides: spec.overrides.clone(),
    };
    let mut info = RunInfo::new("run", model, backend.name(), net, None);
    info.threads = backend.threads();
    info.extra
        .insert("experiment".into(), "delayed_recall".into());
    let mut dir = RunDir::create(out, info)
        .map_err(|e| CliError::runtime_in(out.display(), CommandError::Output(e)))?;
    dir.write_file("model.toml", spec.source.as_bytes())?;
    if !quiet {
        eprintln!(
            "{model_file}: delayed recall, {} conditions x {} delays x {} trials",
            exp.conditions.len(),
            exp.delays.len(),
            exp.trials
        );
    }
    let t0 = Instant::now();
    let rows = match run_delayed_recall(spec, backend) {
        Ok(rows) => rows,
        Err(e @ ExperimentError::Input(_)) => return Err(input_error(e)),
        Err(e) => {
            dir.finish(Some(format!("{model_file}: {e}")))?;
            return Err(CliError::runtime_in(model_file, e));
        }
    };
    dir.info.simulate_s = t0.elapsed().as_secs_f64();
    dir.write_file("recall.csv", recall_csv(&rows).as_bytes())?;
    let json = serde_json::to_string_pretty(&rows).map_err(std::io::Error::other)?;
    dir.write_file("recall.json", (json + "\n").as_bytes())?;
    let png = dir.path().join("recall.png");
    engram::plot::recall_curve(&png, exp, &rows)
        .map_err(|e| CliError::runtime(CommandError::Plot(e.to_string())))?;
    dir.info.extra.insert(
        "recall".into(),
        serde_json::to_value(&rows).map_err(std::io::Error::other)?,
    );
    dir.finish(None)?;
    if !root {
        return Ok(());
    }
    print!("{}", table(&rows));
    if !quiet {
        eprintln!(
            "wrote {} (recall.csv, recall.json, recall.png, recall.svg) in {:.1} s",
            out.display(),
            dir.info.simulate_s
        );
    }
    Ok(())
}

/// Bad conditions report the model-file error behind them, with its code.
fn input_error(e: ExperimentError) -> CliError {
    match e {
        ExperimentError::Input(m) => CliError::input(m),
        e => CliError::input(e),
    }
}
