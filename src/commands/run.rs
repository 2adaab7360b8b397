//! `engram run`: simulate a model file into a run directory, optionally checkpointing so that an
//! interrupted run can be finished with `engram run --resume DIR`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use engram::rundir::{draw_raster, ModelInfo, Recorder, RecorderPositions, RunDir, RunInfo};
use serde::{Deserialize, Serialize};
use sim_core::engine::CheckpointError;
use sim_core::{Checkpoint, Step};

use super::backend::{backend_error, finish_report, BackendArgs};
use super::{CliError, CommandError};

#[derive(Args)]
pub struct RunArgs {
    /// The model file (TOML).
    #[arg(required_unless_present = "resume")]
    pub model: Option<PathBuf>,
    /// The run directory to write (required, except for a model file with an `[experiment]`,
    /// whose default is runs/<file stem>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Overrides the model file's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub backend: BackendArgs,
    /// Overrides a model-file value, e.g. `--set populations.exc.params.tau_m=15`.
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    pub set: Vec<String>,
    /// Writes DIR/checkpoint.bin every this many ms of simulated time.
    #[arg(long, value_name = "MS")]
    pub checkpoint_every: Option<f64>,
    /// Finishes an interrupted run from DIR/checkpoint.bin; the output equals an uninterrupted run.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["model", "out", "seed", "set", "checkpoint_every"])]
    pub resume: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// For a `.nir` model: the time grid it runs on.
    #[command(flatten)]
    pub nir: super::nir::NirTimeArgs,
}

/// What DIR/checkpoint.bin holds: the engine's state plus what is needed to rebuild the same
/// network and continue the same files.
#[derive(Serialize, Deserialize)]
struct RunCheckpoint {
    model_file: String,
    model_sha256: String,
    overrides: Vec<String>,
    seed: u64,
    threads: usize,
    checkpoint_every_steps: Step,
    positions: RecorderPositions,
    engine: Checkpoint,
}

const CHECKPOINT: &str = "checkpoint.bin";

fn write_checkpoint(dir: &Path, cp: &RunCheckpoint) -> Result<(), CliError> {
    let bytes = bincode::serde::encode_to_vec(cp, bincode::config::standard())
        .map_err(|e| CliError::runtime(CommandError::Output(std::io::Error::other(e))))?;
    let tmp = dir.join("checkpoint.bin.tmp");
    std::fs::write(&tmp, bytes)?;
    // Atomic: a kill during the write leaves the previous checkpoint intact.
    std::fs::rename(tmp, dir.join(CHECKPOINT))?;
    Ok(())
}

fn read_checkpoint(dir: &Path) -> Result<RunCheckpoint, CliError> {
    let path = dir.join(CHECKPOINT);
    let bytes = std::fs::read(&path).map_err(|source| {
        CliError::input(CommandError::NoCheckpoint {
            path: path.display().to_string(),
            source,
        })
    })?;
    sim_core::engine::decode_bounded(&bytes)
        .map_err(|e| CliError::input_in(path.display(), CheckpointError::Decode(e.to_string())))
}

pub fn run(mut a: RunArgs) -> Result<(), CliError> {
    let t_build = Instant::now();
    // In an MPI run every rank runs this command; rank 0 writes the run directory.
    let root = engram::ranks::writes_output();
    a.quiet |= !root;
    // A fresh run, or the pieces of an interrupted one.
    let (model_path, out, overrides, seed, resume) = match &a.resume {
        Some(dir) => {
            let cp = read_checkpoint(dir)?;
            (
                dir.join("model.toml"),
                dir.clone(),
                cp.overrides.clone(),
                Some(cp.seed),
                Some(cp),
            )
        }
        None => (
            a.model.clone().expect("required by clap"),
            a.out.clone().unwrap_or_default(),
            a.set.clone(),
            a.seed,
            None,
        ),
    };
    let choice = a
        .backend
        .choose(a.threads.or(resume.as_ref().map(|c| c.threads)))?;
    if (resume.is_some() || a.checkpoint_every.is_some()) && !choice.checkpoints() {
        return Err(CliError::input(CommandError::OptionValue {
            option: "--backend",
            value: choice.name().into(),
            allowed: "--checkpoint-every and --resume are CPU-backend features; use --backend cpu"
                .into(),
        }));
    }
    // A NIR graph runs as the model file `engram import nir` would write.
    let spec = if resume.is_none() && model_path.extension().is_some_and(|e| e == "nir") {
        let text = super::nir::model_text(&model_path, &a.nir)?;
        networks::modelfile::parse_str(&model_path.display().to_string(), &text, &overrides, seed)
    } else {
        networks::modelfile::load(&model_path, &overrides, seed)
    }
    .map_err(CliError::input)?;
    // A model file with an [experiment] runs its protocol (commands/experiment.rs).
    if spec.experiment.is_some() && resume.is_none() {
        if a.checkpoint_every.is_some() {
            return Err(CliError::input(CommandError::OptionValue {
                option: "--checkpoint-every",
                value: model_path.display().to_string(),
                allowed: "applies to plain runs, not to an [experiment] (its trials are short)"
                    .into(),
            }));
        }
        let out = a
            .out
            .clone()
            .unwrap_or_else(|| super::experiment::default_out(&model_path));
        let file = model_path.display().to_string();
        return super::experiment::run(&spec, &file, &out, &choice, a.quiet);
    }
    if out.as_os_str().is_empty() {
        return Err(CliError::input(CommandError::Usage(
            "the following required arguments were not provided: --out <OUT>".into(),
        )));
    }
    if let Some(cp) = &resume {
        if cp.model_sha256 != spec.sha256 {
            return Err(CliError::input(CommandError::ModelChanged {
                path: model_path.display().to_string(),
            }));
        }
    }
    let net = &spec.network;
    let model_file = match &resume {
        Some(cp) => cp.model_file.clone(),
        None => model_path.display().to_string(),
    };
    let mut backend = super::backend::load(&choice, net, &model_file)?;
    if let Some(cp) = &resume {
        backend
            .restore(&cp.engine)
            .map_err(|e| backend_error(out.join(CHECKPOINT).display(), e))?;
    }
    let every: Option<Step> = match (&resume, a.checkpoint_every) {
        (Some(cp), _) => Some(cp.checkpoint_every_steps),
        (None, Some(ms)) => Some(net.grid.steps(ms).ok().filter(|&s| s > 0).ok_or_else(|| {
            CliError::input(CommandError::OptionValue {
                option: "--checkpoint-every",
                value: ms.to_string(),
                allowed: format!(
                    "must be a positive multiple of dt = {} ms",
                    net.grid.dt_ms()
                ),
            })
        })?),
        (None, None) => None,
    };
    let build_s = t_build.elapsed().as_secs_f64();

    let model = ModelInfo {
        file: model_file.clone(),
        sha256: spec.sha256.clone(),
        overrides: overrides.clone(),
    };
    let mut info = RunInfo::new("run", model, choice.name(), net, backend.synapses());
    info.threads = choice.threads();
    info.duration_ms = spec.duration_steps as f64 * net.grid.dt_ms();
    info.build_s = build_s;
    if resume.is_some() {
        info.extra
            .insert("resumed_at_step".into(), backend.step().into());
    }
    engram::ranks::watch_dir(&out);
    let written = engram::ranks::output_dir(&out);
    let _scratch = engram::ranks::Scratch::for_dir(&written);
    let mut dir = RunDir::create(&written, info)
        .map_err(|e| CliError::runtime_in(out.display(), CommandError::Output(e)))?;
    let mut rec = match &resume {
        Some(cp) if root => {
            Recorder::resume(&out, net, spec.duration_steps, a.quiet, &cp.positions)?
        }
        _ => {
            dir.write_file("model.toml", spec.source.as_bytes())?;
            dir.recorder(net, spec.duration_steps, a.quiet)?
        }
    };
    if backend.stamps_at_emission() {
        rec.stamp_at_emission();
    }

    let t_sim = Instant::now();
    let end = spec.duration_steps;
    let mut outcome = Ok(());
    while backend.step() < end {
        let next = match every {
            Some(k) => end.min((backend.step() / k + 1) * k),
            None => end,
        };
        outcome = backend.run_until(next, &mut rec);
        if outcome.is_err() {
            break;
        }
        if let (Some(k), true) = (every, backend.step() < end) {
            // Collective in an MPI run: every rank gives its part, rank 0 writes the whole.
            let engine = backend
                .checkpoint()
                .expect("checked above: the backend keeps checkpoints");
            if !root {
                continue;
            }
            write_checkpoint(
                &out,
                &RunCheckpoint {
                    model_file: model_file.clone(),
                    model_sha256: spec.sha256.clone(),
                    overrides: overrides.clone(),
                    seed: net.seed,
                    threads: choice.threads(),
                    checkpoint_every_steps: k,
                    positions: rec.positions(),
                    engine,
                },
            )?;
        }
    }
    rec.finish()?;
    let simulate_s = t_sim.elapsed().as_secs_f64();

    let c = backend.counters();
    let info = &mut dir.info;
    info.simulate_s = simulate_s;
    info.steps_done = backend.step();
    info.spikes = c.spikes;
    info.synaptic_events = c.synaptic_events;
    info.spikes_per_s = c.spikes as f64 / simulate_s.max(1e-12);
    info.synaptic_events_per_s = c.synaptic_events as f64 / simulate_s.max(1e-12);
    for (p, n) in info.populations.iter_mut().zip(&rec.spike_counts) {
        if p.spikes.is_some() {
            p.spikes = Some(*n);
        }
    }
    let failure = finish_report(&mut dir, backend.as_ref(), a.quiet)?;
    let t_stop = backend.step() as f64 * net.grid.dt_ms();
    let raster = draw_raster(dir.path(), net, t_stop, &[]);
    let error = match (outcome, failure) {
        (Err(e), _) => Some(backend_error(&model_file, e)),
        (Ok(()), Some(f)) => Some(CliError::runtime_in(&model_file, CommandError::BoardRun(f))),
        (Ok(()), None) => None,
    };
    dir.finish(error.as_ref().map(|e| e.to_string()))?;
    if let Some(e) = error {
        return Err(e);
    }
    raster.map_err(|e| CliError::runtime(CommandError::Plot(e)))?;
    if !a.quiet {
        eprintln!(
            "{model_file}: {} spikes in {:.3} s simulated on {} ({simulate_s:.3} s wall); wrote {}",
            c.spikes,
            t_stop / 1000.0,
            choice.name(),
            out.display()
        );
    }
    Ok(())
}
