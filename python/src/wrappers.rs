//! Thin wrappers over the library parts the `engram` command is made of: the CA3 memory
//! (`engram.cam`), the benchmark builders (`engram.bench`), the SpiNNaker export
//! (`engram.spinnaker`) and the NIR import (`engram.nir`). Each hands back JSON text that the Python side turns into dicts.

use std::path::Path;
use std::time::Instant;

use backends::cpu::CpuBackend;
use backends::BackendChoice;
use hw_export::export::{write_export, ExportInput};
use hw_export::{map_network, MapOptions};
use networks::benchmarks::{build_with, Benchmark, BenchmarkConfig, BuildOptions, Connectivity};
use networks::ca3;
use networks::modelfile;
use pyo3::prelude::*;
use sim_core::engine::NullObserver;
use sim_core::{MemoryObserver, Observer, Step};

use crate::{backend_choice, coded, guarded, EngramError};

fn input_error(code: &'static str, message: String) -> PyErr {
    EngramError::new_err((format!("error[{code}]: {message}"), code))
}

/// A CAM experiment file's text (`name` in errors) as `engram cam` reads it.
fn parse_experiment(text: &str, name: &str) -> PyResult<ca3::Experiment> {
    ca3::parse_experiment(text).map_err(|message| experiment_error(name, message))
}

fn experiment_error(file: &str, message: String) -> PyErr {
    coded(&ca3::CamError::Experiment {
        file: file.to_string(),
        message,
    })
}

/// Runs a CAM experiment file's text (`name` in errors) and returns the recall table and
/// spike counts as JSON: `{"table": [...], "steps": n, "spikes": {population: count}}`.
#[pyfunction]
#[pyo3(signature = (text, name = "<experiment>", backend = "cpu", threads = 1))]
fn cam_run(text: &str, name: &str, backend: &str, threads: usize) -> PyResult<String> {
    guarded(|| {
        let experiment = parse_experiment(text, name)?;
        let (memory, steps) = ca3::prepare(
            experiment.size,
            &experiment.schedule,
            experiment.min_steps,
            experiment.seed,
        )
        .map_err(|e| coded(&e))?;
        let choice = backend_choice(backend, threads)?;
        let mut loaded = choice.load(&memory.network).map_err(|e| coded(&e))?;
        let run = ca3::run_loaded(memory, &experiment.schedule, steps, loaded.as_mut())
            .map_err(|e| coded(&e))?;
        let spikes: serde_json::Map<String, serde_json::Value> = run
            .spikes
            .iter()
            .enumerate()
            .map(|(p, s)| (ca3::POPULATIONS[p].to_string(), s.len().into()))
            .collect();
        Ok(serde_json::json!({
            "table": run.table,
            "steps": run.steps,
            "dt_ms": ca3::DT_MS,
            "spikes": spikes,
        })
        .to_string())
    })
}

fn cam_size(cues: u32, content_bits: u32) -> PyResult<ca3::Ca3Size> {
    let size = ca3::Ca3Size { cues, content_bits };
    size.check().map_err(|e| coded(&e))?;
    Ok(size)
}

/// A schedule handed over from Python as JSON (`[{"t0": step, "op": {"op": "learn", ...}}]`),
/// validated against the protocol.
fn cam_schedule(size: ca3::Ca3Size, schedule: &str) -> PyResult<Vec<ca3::Scheduled>> {
    let schedule: Vec<ca3::Scheduled> = serde_json::from_str(schedule)
        .map_err(|e| experiment_error("<schedule>", e.to_string()))?;
    ca3::validate(size, &schedule).map_err(|e| coded(&e))?;
    Ok(schedule)
}

/// The CA3 memory of `cues` × `content_bits` as data (JSON), the network `engram cam` builds:
/// `dt_ms`, `populations` (name, size, `cell`: the sPyNNaker `IF_curr_exp` parameters, or null
/// for the IN layer's spike source), `projections` (pre, post, connector, weight, delay in
/// steps, receptor, plastic) and the plastic projections' `learning_rule`.
#[pyfunction]
fn cam_layout(cues: u32, content_bits: u32) -> PyResult<String> {
    guarded(|| {
        let size = cam_size(cues, content_bits)?;
        let sizes = ca3::population_sizes(size);
        let populations: Vec<_> = ca3::POPULATIONS
            .iter()
            .enumerate()
            .map(|(k, name)| {
                serde_json::json!({
                    "name": name,
                    "size": sizes[k],
                    "cell": ca3::population_cell(k),
                })
            })
            .collect();
        Ok(serde_json::json!({
            "dt_ms": ca3::DT_MS,
            "populations": populations,
            "projections": ca3::projections(size),
            "learning_rule": ca3::learning_rule(),
        })
        .to_string())
    })
}

/// A CAM experiment file's text (`name` in errors), parsed as `engram cam` reads it (JSON):
/// `cues`, `content_bits`, `seed`, `min_steps`, `schedule` (operations with their start step).
#[pyfunction]
#[pyo3(signature = (text, name = "<experiment>"))]
fn cam_experiment(text: &str, name: &str) -> PyResult<String> {
    guarded(|| {
        let experiment = parse_experiment(text, name)?;
        Ok(serde_json::json!({
            "cues": experiment.size.cues,
            "content_bits": experiment.size.content_bits,
            "seed": experiment.seed,
            "min_steps": experiment.min_steps,
            "schedule": experiment.schedule,
        })
        .to_string())
    })
}

/// The IN layer's spike steps (one list per IN neuron) that carry a schedule (JSON), after
/// checking it against the protocol, and the steps its run takes (at least `min_steps` and
/// until every operation's output is out).
#[pyfunction]
#[pyo3(signature = (cues, content_bits, schedule, min_steps = 0))]
fn cam_protocol(
    cues: u32,
    content_bits: u32,
    schedule: &str,
    min_steps: Step,
) -> PyResult<(Vec<Vec<Step>>, Step)> {
    guarded(|| {
        let size = cam_size(cues, content_bits)?;
        let schedule = cam_schedule(size, schedule)?;
        Ok((
            ca3::input_spikes(size, &schedule),
            ca3::run_steps(&schedule, min_steps),
        ))
    })
}

/// The recall table (JSON) of a schedule given the OUT layer's spikes (`steps[k]`,
/// `neurons[k]`), as `engram cam` computes it.
#[pyfunction]
fn cam_recall_table(
    cues: u32,
    content_bits: u32,
    schedule: &str,
    steps: Vec<Step>,
    neurons: Vec<u32>,
) -> PyResult<String> {
    guarded(|| {
        let size = cam_size(cues, content_bits)?;
        let schedule = cam_schedule(size, schedule)?;
        if steps.len() != neurons.len() {
            return Err(input_error(
                "E0003",
                format!(
                    "OUT spikes: {} steps but {} neurons; they must pair up",
                    steps.len(),
                    neurons.len()
                ),
            ));
        }
        let out: Vec<(Step, u32)> = steps.into_iter().zip(neurons).collect();
        serde_json::to_string(&ca3::recall_table(size, &schedule, &out))
            .map_err(|e| EngramError::new_err((e.to_string(), Option::<String>::None)))
    })
}

/// Builds and runs the CUBA or COBA benchmark as `engram bench` does and returns its record
/// (JSON): sizes, build and simulation times, spikes, events.
#[pyfunction]
#[pyo3(signature = (network = "cuba", neurons = 4000, p = 0.02, seconds = 1.0, dt = 0.1,
                    delay = None, seed = 1234, threads = 1, record = true))]
#[allow(clippy::too_many_arguments)]
fn bench_run(
    network: &str,
    neurons: u32,
    p: f64,
    seconds: f64,
    dt: f64,
    delay: Option<f64>,
    seed: u64,
    threads: usize,
    record: bool,
) -> PyResult<String> {
    guarded(|| {
        let kind = match network {
            "cuba" => Benchmark::Cuba,
            "coba" => Benchmark::Coba,
            other => {
                return Err(input_error(
                    "E0003",
                    format!("network = \"{other}\": the benchmarks are \"cuba\" and \"coba\""),
                ))
            }
        };
        let cfg = BenchmarkConfig {
            neurons,
            connectivity: Connectivity::Probability(p),
            dt_ms: dt,
            delay_ms: delay.unwrap_or(dt),
            seed,
            record_spikes: record,
        };
        let opts = BuildOptions {
            generated: true,
            ..BuildOptions::default()
        };
        let t_build = Instant::now();
        let net = build_with(kind, &cfg, &opts).map_err(|e| coded(&e))?;
        let steps = net
            .grid
            .steps(seconds * 1000.0)
            .map_err(|e| input_error("E0003", format!("seconds = {seconds}: {e}")))?;
        let mut sim = CpuBackend::new(threads).instantiate(&net);
        let build_s = t_build.elapsed().as_secs_f64();
        let t_sim = Instant::now();
        let mut memory = MemoryObserver::default();
        let observer: &mut dyn Observer = if record {
            &mut memory
        } else {
            &mut NullObserver
        };
        sim.run_until(steps, observer).map_err(|e| coded(&e))?;
        let simulate_s = t_sim.elapsed().as_secs_f64();
        let c = sim.counters();
        Ok(serde_json::json!({
            "simulator": "engram",
            "interface": "python",
            "model": network,
            "neurons": net.n_neurons(),
            "synapses": sim.n_synapses(),
            "build_s": build_s,
            "simulate_s": simulate_s,
            "spikes": c.spikes,
            "synaptic_events": c.synaptic_events,
            "mean_rate_hz": c.spikes as f64 / net.n_neurons() as f64 / seconds,
            "threads": threads,
            "dt_ms": dt,
            "delay_ms": cfg.delay_ms,
        })
        .to_string())
    })
}

/// Writes the files a SpiNNaker board needs for model-file `text` (`name` in errors) into
/// `out` (routing tables, placements, keys, load images, the report and a PyNN script) on
/// `machine` ("spinn5" or "spinn3"); returns the report as JSON.
#[pyfunction]
#[pyo3(signature = (text, out, name = "<pyNN.engram>", machine = "spinn5"))]
fn spinnaker_export(text: &str, out: &str, name: &str, machine: &str) -> PyResult<String> {
    guarded(|| {
        let spec = modelfile::parse_str(name, text, &[], None).map_err(|e| coded(&e))?;
        let hardware = match machine {
            "spinn5" => hw_export::machine::Machine::spinn5(),
            "spinn3" => hw_export::machine::Machine::spinn3(),
            other => {
                return Err(input_error(
                    "E0003",
                    format!("machine = \"{other}\": use \"spinn5\" or \"spinn3\""),
                ))
            }
        };
        let mut opts = MapOptions::default();
        opts.partition.duration_ms = spec.duration_ms();
        let mapping = map_network(&spec.network, &hardware, &opts).map_err(|e| coded(&e))?;
        let (_, report) = write_export(
            Path::new(out),
            &ExportInput {
                net: &spec.network,
                pop_names: &spec.population_names,
                proj_names: &spec.projection_names,
                duration_ms: spec.duration_ms(),
                machine_name: machine,
                origin: name,
            },
            &mapping,
            &opts,
        )
        .map_err(|e| coded(&e))?;
        serde_json::to_string(&report)
            .map_err(|e| EngramError::new_err((e.to_string(), Option::<String>::None)))
    })
}

/// Whether `backend` can run the network of model-file `text` (the board refuses, when it
/// loads a network, what it cannot run).
#[pyfunction]
fn check_backend(text: &str, backend: &str) -> PyResult<()> {
    guarded(|| {
        let spec = modelfile::parse_str("<pyNN.engram>", text, &[], None).map_err(|e| coded(&e))?;
        let choice: BackendChoice = backend_choice(backend, 1)?;
        choice.check(&spec.network).map_err(|e| coded(&e))
    })
}

/// The model-file text of the NIR file at `path`, as `engram import nir` writes it: time step
/// and duration in ms, `spike_width` in seconds (NIR time) or `None` for NIR's Dirac spikes.
#[pyfunction]
#[pyo3(signature = (path, dt = 0.1, duration = 100.0, spike_width = None))]
fn nir_model_text(
    path: &str,
    dt: f64,
    duration: f64,
    spike_width: Option<f64>,
) -> PyResult<String> {
    guarded(|| {
        for (name, value) in [
            ("dt", Some(dt)),
            ("duration", Some(duration)),
            ("spike_width", spike_width),
        ] {
            if let Some(v) = value.filter(|v| !(v.is_finite() && *v > 0.0)) {
                return Err(input_error(
                    "E0003",
                    format!("{name} = {v}: must be a positive number"),
                ));
            }
        }
        let (_version, graph) =
            networks::nir::hdf5::read(Path::new(path)).map_err(|e| coded(&e))?;
        let opts = networks::nir::ImportOptions {
            dt_ms: dt,
            duration_ms: duration,
            spike_width_s: spike_width,
            ..Default::default()
        };
        networks::nir::import(&graph, path, &opts).map_err(|e| coded(&e))
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(nir_model_text, m)?)?;
    m.add_function(wrap_pyfunction!(cam_run, m)?)?;
    m.add_function(wrap_pyfunction!(cam_layout, m)?)?;
    m.add_function(wrap_pyfunction!(cam_experiment, m)?)?;
    m.add_function(wrap_pyfunction!(cam_protocol, m)?)?;
    m.add_function(wrap_pyfunction!(cam_recall_table, m)?)?;
    m.add_function(wrap_pyfunction!(bench_run, m)?)?;
    m.add_function(wrap_pyfunction!(spinnaker_export, m)?)?;
    m.add_function(wrap_pyfunction!(check_backend, m)?)?;
    Ok(())
}
