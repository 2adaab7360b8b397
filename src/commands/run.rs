//! `engram run`: simulate a model file into a run directory.

use std::path::PathBuf;
use std::time::Instant;

use backends::cpu::CpuBackend;
use backends::BackendKind;
use clap::Args;
use engram::rundir::{draw_raster, ModelInfo, RunDir, RunInfo};

use super::CliError;

#[derive(Args)]
pub struct RunArgs {
    /// The model file (TOML).
    pub model: PathBuf,
    /// The run directory to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Overrides the model file's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Where to run: cpu.
    #[arg(long, default_value = "cpu")]
    pub backend: String,
    /// Overrides a model-file value, e.g. `--set populations.exc.params.tau_m=15`.
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    pub set: Vec<String>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(a: RunArgs) -> Result<(), CliError> {
    let backend: BackendKind = a.backend.parse().map_err(CliError::Input)?;
    if backend != BackendKind::Cpu {
        return Err(CliError::Input(format!(
            "--backend {}: not available in this build; expected cpu",
            a.backend
        )));
    }
    let threads = a
        .threads
        .unwrap_or_else(CpuBackend::available_threads)
        .max(1);
    let t_build = Instant::now();
    let spec = models::modelfile::load(&a.model, &a.set, a.seed)
        .map_err(|e| CliError::Input(e.to_string()))?;
    let net = &spec.network;
    let mut sim = CpuBackend::new(threads).instantiate(net);
    let build_s = t_build.elapsed().as_secs_f64();

    let model = ModelInfo {
        file: a.model.display().to_string(),
        sha256: spec.sha256.clone(),
        overrides: a.set.clone(),
    };
    let mut info = RunInfo::new("run", model, &a.backend, net);
    info.threads = threads;
    info.duration_ms = spec.duration_steps as f64 * net.grid.dt_ms();
    info.build_s = build_s;
    let mut dir = RunDir::create(&a.out, info)
        .map_err(|e| CliError::Runtime(format!("{}: {e}", a.out.display())))?;
    dir.write_file("model.toml", spec.source.as_bytes())?;

    let mut rec = dir.recorder(net, spec.duration_steps, a.quiet)?;
    let t_sim = Instant::now();
    let outcome = sim.run_until(spec.duration_steps, &mut rec);
    rec.finish()?;
    let simulate_s = t_sim.elapsed().as_secs_f64();

    let c = sim.counters();
    let info = &mut dir.info;
    info.simulate_s = simulate_s;
    info.steps_done = sim.step();
    info.spikes = c.spikes;
    info.synaptic_events = c.synaptic_events;
    info.spikes_per_s = c.spikes as f64 / simulate_s.max(1e-12);
    info.synaptic_events_per_s = c.synaptic_events as f64 / simulate_s.max(1e-12);
    for (p, n) in info.populations.iter_mut().zip(&rec.spike_counts) {
        if p.spikes.is_some() {
            p.spikes = Some(*n);
        }
    }
    let t_stop = sim.step() as f64 * net.grid.dt_ms();
    let raster = draw_raster(dir.path(), net, t_stop, &[]);
    match outcome {
        Ok(()) => {
            dir.finish(None)?;
            raster.map_err(|e| CliError::Runtime(format!("raster.png: {e}")))?;
            if !a.quiet {
                eprintln!(
                    "{}: {} spikes in {:.3} s simulated ({:.3} s wall); wrote {}",
                    a.model.display(),
                    c.spikes,
                    t_stop / 1000.0,
                    simulate_s,
                    a.out.display()
                );
            }
            Ok(())
        }
        Err(e) => {
            let msg = format!("{}: {e}", a.model.display());
            dir.finish(Some(msg.clone()))?;
            Err(CliError::Runtime(msg))
        }
    }
}
