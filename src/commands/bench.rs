//! `engram bench`: build and run a benchmark network and print one JSON line with the build and
//! simulate wall times and throughput, in the same fields as the peer scripts in `bench/peers/`
//! (so NEST, Brian2 and engram can be compared side by side). By default every spike is recorded
//! in memory during the timed loop, as NEST's `spike_recorder` and Brian2's `SpikeMonitor` do in
//! the peer scripts, so that the three do the same work.

use std::path::PathBuf;
use std::time::Instant;

use backends::cpu::CpuBackend;
use clap::Args;
use models::neurons::Precision;
use networks::benchmarks::{build_with, Benchmark, BenchmarkConfig, BuildOptions, Connectivity};
use serde_json::json;
use sim_core::engine::{MemoryObserver, NullObserver, Observer};

use super::{CliError, CommandError};

#[derive(Args)]
pub struct BenchArgs {
    /// `cuba`, `coba`, or a model file.
    #[arg(required_unless_present = "plot")]
    pub network: Option<String>,
    /// Number of neurons (benchmarks only).
    #[arg(long, default_value_t = 4000)]
    pub neurons: u32,
    /// Connection probability (benchmarks only).
    #[arg(long, conflicts_with = "fanout")]
    pub p: Option<f64>,
    /// Inputs per neuron instead of a probability (benchmarks only).
    #[arg(long)]
    pub fanout: Option<u32>,
    /// Biological time to simulate (s).
    #[arg(long, default_value_t = 1.0)]
    pub seconds: f64,
    /// Threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Time step (ms).
    #[arg(long, default_value_t = 0.1)]
    pub dt: f64,
    /// Synaptic delay (ms; benchmarks only; default dt).
    #[arg(long)]
    pub delay: Option<f64>,
    /// What the timed loop records: every spike (step and neuron) in memory, as the peer
    /// scripts' NEST `spike_recorder` and Brian2 `SpikeMonitor`, or nothing.
    #[arg(long, value_enum, default_value = "spikes")]
    pub record: RecordArg,
    #[arg(long, default_value_t = 1234)]
    pub seed: u64,
    /// State precision of CUBA's IF_curr_exp kernel: f64 (NEST's arithmetic) or f32
    /// (benchmarks only; a model file sets `precision` per population).
    #[arg(long, value_enum, default_value = "f64")]
    pub precision: PrecisionArg,
    /// Simulate this much first (ms), untimed and unrecorded, then time the rest (the
    /// microcircuit's 500 ms presimulation); --seconds (benchmarks) or the file's duration is
    /// the time after it.
    #[arg(long, value_name = "MS", default_value_t = 0.0)]
    pub presim: f64,
    /// Model-file overrides `key.path=value` (as for `engram run`; model files only).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
    /// Print only the JSON line (otherwise a short human summary follows on stderr).
    #[arg(long)]
    pub json: bool,
    /// Instead of timing: draw the results in FILE... (JSON lines of `engram bench --json` and
    /// the peer scripts, or `bench/peers` Markdown reports) as a figure, to --out (PNG, and SVG
    /// beside it).
    #[arg(long, value_name = "FILE", num_args = 1.., requires = "out", conflicts_with = "network")]
    pub plot: Vec<PathBuf>,
    /// The figure `--plot` writes (a .png path).
    #[arg(long, value_name = "FIG.png", requires = "plot")]
    pub out: Option<PathBuf>,
}

/// `engram bench --plot FILE... --out FIG.png`.
fn plot(inputs: &[PathBuf], out: &std::path::Path) -> Result<(), CliError> {
    use engram::plot::bench::{bench_plot, read_results};
    let mut records = Vec::new();
    for input in inputs {
        records.extend(
            read_results(input).map_err(|e| CliError::input(CommandError::BenchResults(e)))?,
        );
    }
    bench_plot(out, records).map_err(|e| CliError::runtime(CommandError::Plot(e.to_string())))?;
    eprintln!(
        "wrote {} and {}",
        out.display(),
        out.with_extension("svg").display()
    );
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RecordArg {
    Spikes,
    None,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PrecisionArg {
    F64,
    F32,
}

pub fn bench(a: BenchArgs) -> Result<(), CliError> {
    if let Some(out) = &a.out {
        return plot(&a.plot, out);
    }
    let network = a.network.clone().expect("required by clap");
    let threads = a
        .threads
        .unwrap_or_else(CpuBackend::available_threads)
        .max(1);
    let rss_before = engram::sysinfo::rss_mb().unwrap_or(0.0);
    let t_build = Instant::now();
    let (net, model_name, duration_steps, delay_ms) = match network.as_str() {
        "cuba" | "coba" => {
            if let Some(o) = a.overrides.first() {
                return Err(CliError::input(CommandError::OptionValue {
                    option: "--set",
                    value: o.clone(),
                    allowed: "applies to model files; the benchmarks take --neurons, --p, --fanout, --dt, --delay, --seed".into(),
                }));
            }
            let kind = if network == "cuba" {
                Benchmark::Cuba
            } else {
                Benchmark::Coba
            };
            let connectivity = match (a.p, a.fanout) {
                (_, Some(k)) => Connectivity::FanIn(k),
                (Some(p), None) => Connectivity::Probability(p),
                (None, None) => Connectivity::Probability(0.02),
            };
            let cfg = BenchmarkConfig {
                neurons: a.neurons,
                connectivity,
                dt_ms: a.dt,
                delay_ms: a.delay.unwrap_or(a.dt),
                seed: a.seed,
                record_spikes: a.record == RecordArg::Spikes,
            };
            let opts = BuildOptions {
                precision: match a.precision {
                    PrecisionArg::F64 => Precision::F64,
                    PrecisionArg::F32 => Precision::F32,
                },
                generated: true,
            };
            let net = build_with(kind, &cfg, &opts).map_err(|e| CliError::input_in("bench", e))?;
            let steps = net.grid.steps(a.seconds * 1000.0).map_err(|e| {
                CliError::input(CommandError::OptionValue {
                    option: "--seconds",
                    value: a.seconds.to_string(),
                    allowed: e.to_string(),
                })
            })?;
            (net, network.clone(), steps, Some(cfg.delay_ms))
        }
        path => {
            if let Some(d) = a.delay {
                return Err(CliError::input(CommandError::OptionValue {
                    option: "--delay",
                    value: d.to_string(),
                    allowed: format!("applies to the benchmarks; {path} sets its own delays"),
                }));
            }
            if a.precision != PrecisionArg::F64 {
                return Err(CliError::input(CommandError::OptionValue {
                    option: "--precision",
                    value: "f32".into(),
                    allowed: format!(
                        "applies to the cuba benchmark; {path} sets `precision` per population"
                    ),
                }));
            }
            let spec = networks::modelfile::load(&PathBuf::from(path), &a.overrides, Some(a.seed))
                .map_err(CliError::input)?;
            let steps = spec.duration_steps;
            let mut net = spec.network;
            for pop in &mut net.populations {
                pop.record.spikes = a.record == RecordArg::Spikes;
            }
            (net, path.to_string(), steps, None)
        }
    };
    let mut sim = CpuBackend::new(threads).instantiate(&net);
    let build_s = t_build.elapsed().as_secs_f64();
    let presim_steps = net.grid.steps(a.presim).map_err(|e| {
        CliError::input(CommandError::OptionValue {
            option: "--presim",
            value: a.presim.to_string(),
            allowed: e.to_string(),
        })
    })?;
    sim.run_until(presim_steps, &mut NullObserver)
        .map_err(CliError::runtime)?;
    // The per-rank split covers the timed steps only.
    sim.reset_rank_times();
    let before = sim.counters();
    let duration_steps = presim_steps + duration_steps;

    let cpu_before = engram::sysinfo::cpu_time_s();
    let t_sim = Instant::now();
    sim.set_chunk_steps(10_000);
    let mut memory = MemoryObserver::default();
    let observer: &mut dyn Observer = match a.record {
        RecordArg::Spikes => &mut memory,
        RecordArg::None => &mut NullObserver,
    };
    sim.run_until(duration_steps, observer)
        .map_err(CliError::runtime)?;
    let simulate_s = t_sim.elapsed().as_secs_f64();
    let recorded_spikes: usize = memory.spikes.iter().map(Vec::len).sum();
    let simulate_cpu_s = engram::sysinfo::cpu_time_s()
        .zip(cpu_before)
        .map(|(b, a)| b - a);

    // Per rank of an MPI run: where the time went and what was exchanged (collective).
    let rank_times = sim.rank_times();
    if !engram::ranks::writes_output() {
        return Ok(());
    }
    let mut c = sim.counters();
    c.spikes -= before.spikes;
    c.synaptic_events -= before.synaptic_events;
    let neurons = net.n_neurons();
    let synapses = sim.n_synapses();
    let bio_s = (duration_steps - presim_steps) as f64 * net.grid.dt_ms() / 1000.0;
    let peak = engram::sysinfo::peak_rss_mb().unwrap_or(0.0);
    // Everything the network and the engine ever held at once (peak RSS minus the process
    // before building), over the synapses.
    let bytes_per_synapse = if synapses > 0 {
        (peak - rss_before) * 1024.0 * 1024.0 / synapses as f64
    } else {
        0.0
    };
    let line = json!({
        "simulator": "engram",
        "version": env!("CARGO_PKG_VERSION"),
        "model": model_name,
        "neurons": neurons,
        "synapses": synapses,
        "build_s": build_s,
        "simulate_s": simulate_s,
        "simulate_cpu_s": simulate_cpu_s,
        "spikes": c.spikes,
        "synaptic_events": c.synaptic_events,
        "events_per_s": c.synaptic_events as f64 / simulate_s,
        "neuron_steps_per_s": neurons as f64 * (duration_steps - presim_steps) as f64 / simulate_s,
        "realtime_factor": bio_s / simulate_s,
        "peak_rss_mb": peak,
        "bytes_per_synapse": bytes_per_synapse,
        "mean_rate_hz": c.spikes as f64 / neurons as f64 / bio_s,
        "threads": threads,
        "ranks": sim.ranks(),
        "per_rank": rank_times,
        "exchange_bytes_per_step": exchange_bytes_per_step(&rank_times),
        "precision": match a.precision { PrecisionArg::F64 => "f64", PrecisionArg::F32 => "f32" },
        "dt_ms": net.grid.dt_ms(),
        "delay_ms": delay_ms,
        "record": match a.record { RecordArg::Spikes => "spikes", RecordArg::None => "none" },
        "recorded_spikes": recorded_spikes,
        "seed": a.seed,
        "seconds": bio_s,
        "presim_ms": a.presim,
        "machine": { "cpu_model": engram::sysinfo::cpu_model(), "cores": engram::sysinfo::cores() },
    });
    println!("{line}");
    if !a.json {
        eprintln!(
            "{model_name}: {neurons} neurons, {synapses} synapses, {bio_s} s simulated in {simulate_s:.3} s \
             (build {build_s:.3} s), {:.2} Hz, {:.3e} synaptic events/s",
            c.spikes as f64 / neurons as f64 / bio_s,
            c.synaptic_events as f64 / simulate_s
        );
    }
    Ok(())
}

/// Bytes all ranks together put into the all-gathers, per simulated step (each rank's spike
/// records, exchanged once per interval of the shortest delay; every rank receives all of
/// them), or null in one process.
fn exchange_bytes_per_step(times: &[sim_core::engine::RankTimes]) -> Option<f64> {
    let steps = times.first()?.steps.max(1);
    Some(times.iter().map(|t| t.bytes_sent).sum::<u64>() as f64 / steps as f64)
}
