//! `engram._engram`: the Rust side of the engram Python package.
//!
//! A network crosses the boundary once, as the model-file text the PyNN objects translate
//! into (populations, connectors, synapses, recording); it is parsed and built here in bulk by
//! `networks::modelfile`, exactly as `engram run` builds a model file, so a network built
//! through PyNN and through its model file is the same network and gives the same spikes.
//! Recordings and connections come back as numpy arrays that own the Rust buffers (no copy).
//!
//! Errors arrive as `engram.EngramError(message, code)`, code being engram's stable error code
//! (docs/ERRORS.md); a panic is caught before it reaches Python and raised as `EngramError`
//! with code `None` (a panic is a defect, never an answer to bad input).

use std::panic::{catch_unwind, AssertUnwindSafe};

use backends::cpu::CpuBackend;
use backends::{Backend, BackendChoice};
use networks::modelfile::{self, ModelSpec};
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use sim_core::errors::Coded;
use sim_core::{MemoryObserver, Step};

mod wrappers;

create_exception!(_engram, EngramError, PyException);

/// A numpy array owning a Rust buffer.
type Array<'py, T> = Bound<'py, PyArray1<T>>;
/// Synapses as parallel arrays: pre, post, weight, delay in steps.
type SynapseArrays<'py> = (
    Array<'py, u32>,
    Array<'py, u32>,
    Array<'py, f64>,
    Array<'py, u16>,
);
/// Samples: the steps, and one row per step of the sampled neurons' values.
type SampleArrays<'py> = (Array<'py, Step>, Bound<'py, PyArray2<f64>>);

/// An `EngramError` carrying engram's code for `e`.
fn coded(e: &(impl Coded + std::fmt::Display)) -> PyErr {
    EngramError::new_err((format!("error[{}]: {e}", e.code()), e.code()))
}

/// Runs `f`, turning a panic into an `EngramError` without a code.
fn guarded<T>(f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            Err(EngramError::new_err((
                format!("internal error (a defect in engram, please report it): {what}"),
                Option::<String>::None,
            )))
        }
    }
}

/// The backend named by `backend` (`cpu` or `spinnaker`, the emulated 48-chip board).
fn backend_choice(backend: &str, threads: usize) -> PyResult<BackendChoice> {
    match backend {
        "cpu" => Ok(BackendChoice::Cpu(CpuBackend::new(threads))),
        "spinnaker" => Ok(BackendChoice::Spinnaker(backends::BoardOptions {
            machine: hw_export::machine::Machine::spinn5(),
            machine_name: "spinn-5".into(),
            routing_tables: None,
        })),
        other => Err(EngramError::new_err((
            format!("error[E0002]: backend = \"{other}\": unknown backend; use \"cpu\" or \"spinnaker\""),
            "E0002",
        ))),
    }
}

/// A network loaded on a backend: run it in chunks, read its recordings and connections.
#[pyclass(unsendable, module = "engram._engram")]
struct Model {
    spec: ModelSpec,
    choice: BackendChoice,
    backend: Box<dyn Backend>,
    recorded: MemoryObserver,
    /// Per population, the state arrays as loaded (before step 0), where the backend can
    /// capture them: PyNN's recordings start with the value at t = 0.
    initial: Vec<sim_core::model::KernelState>,
}

impl Model {
    fn load(spec: ModelSpec, backend: &str, threads: usize) -> PyResult<Self> {
        let choice = backend_choice(backend, threads)?;
        let loaded = choice.load(&spec.network).map_err(|e| coded(&e))?;
        Ok(Self {
            initial: initial_state(loaded.as_ref()),
            spec,
            choice,
            backend: loaded,
            recorded: MemoryObserver::default(),
        })
    }

    fn population(&self, pop: usize) -> PyResult<&sim_core::network::Population> {
        self.spec
            .network
            .populations
            .get(pop)
            .ok_or_else(|| pyo3::exceptions::PyIndexError::new_err(format!("no population {pop}")))
    }
}

#[pymethods]
impl Model {
    /// Parses and builds model-file `text` (`name` is used in errors) and loads it on
    /// `backend` with `threads` threads.
    #[new]
    #[pyo3(signature = (text, name = "<pyNN.engram>", backend = "cpu", threads = 1))]
    fn new(text: &str, name: &str, backend: &str, threads: usize) -> PyResult<Self> {
        guarded(|| {
            let spec = modelfile::parse_str(name, text, &[], None).map_err(|e| coded(&e))?;
            Self::load(spec, backend, threads)
        })
    }

    /// Loads the model file at `path`, as `engram run` does.
    #[staticmethod]
    #[pyo3(signature = (path, backend = "cpu", threads = 1))]
    fn from_file(path: &str, backend: &str, threads: usize) -> PyResult<Self> {
        guarded(|| {
            let spec =
                modelfile::load(std::path::Path::new(path), &[], None).map_err(|e| coded(&e))?;
            Self::load(spec, backend, threads)
        })
    }

    /// Time step (ms).
    #[getter]
    fn dt(&self) -> f64 {
        self.spec.dt_ms
    }

    /// The next step to run.
    #[getter]
    fn step(&self) -> Step {
        self.backend.step()
    }

    /// The model file's duration, in steps.
    #[getter]
    fn duration_steps(&self) -> Step {
        self.spec.duration_steps
    }

    #[getter]
    fn population_names(&self) -> Vec<String> {
        self.spec.population_names.clone()
    }

    #[getter]
    fn projection_names(&self) -> Vec<String> {
        self.spec.projection_names.clone()
    }

    /// Recordable state variables of population `pop`.
    fn state_variables(&self, pop: usize) -> PyResult<Vec<&'static str>> {
        Ok(self.population(pop)?.model.state_vars())
    }

    /// Steps between a spike's emission and its time stamp for population `pop`.
    fn spike_stamp_offset(&self, pop: usize) -> PyResult<Step> {
        if self.backend.stamps_at_emission() {
            return Ok(0);
        }
        Ok(self.population(pop)?.model.spike_stamp_offset())
    }

    /// Runs up to (not including) step `end`, `chunk` steps at a time; between chunks Python's
    /// signal handlers run (Ctrl-C raises `KeyboardInterrupt` with every completed chunk
    /// recorded) and `progress(step)` is called when given.
    #[pyo3(signature = (end, chunk = 1000, progress = None))]
    fn run_until(
        &mut self,
        py: Python<'_>,
        end: Step,
        chunk: Step,
        progress: Option<PyObject>,
    ) -> PyResult<()> {
        let chunk = chunk.max(1);
        while self.backend.step() < end {
            let next = (self.backend.step() + chunk).min(end);
            guarded(|| {
                self.backend
                    .run_until(next, &mut self.recorded)
                    .map_err(|e| coded(&e))
            })?;
            if let Some(p) = &progress {
                p.call1(py, (self.backend.step(),))?;
            }
            py.check_signals()?;
        }
        Ok(())
    }

    /// Continues the run on the network of model-file `text` (the same populations and
    /// synapses, other parameters): the state so far is carried over through a checkpoint,
    /// recordings go on. Backends that keep no checkpoints cannot do it.
    fn rebuild(&mut self, text: &str) -> PyResult<()> {
        guarded(|| {
            let spec =
                modelfile::parse_str("<pyNN.engram>", text, &[], None).map_err(|e| coded(&e))?;
            let Some(state) = self.backend.checkpoint() else {
                return Err(EngramError::new_err((
                    format!(
                        "the {} backend keeps no checkpoints, so the network cannot change in the middle of a run; call reset() first",
                        self.choice.name()
                    ),
                    Option::<String>::None,
                )));
            };
            let mut loaded = self.choice.load(&spec.network).map_err(|e| coded(&e))?;
            loaded.restore(&state).map_err(|e| coded(&e))?;
            self.spec = spec;
            self.backend = loaded;
            Ok(())
        })
    }

    /// Starts again at step 0 with the network as built (recordings are kept until `clear`).
    fn reset(&mut self) -> PyResult<()> {
        guarded(|| {
            self.backend = self
                .choice
                .load(&self.spec.network)
                .map_err(|e| coded(&e))?;
            Ok(())
        })
    }

    /// Forgets the recordings made so far: of population `pop`, or of every population.
    #[pyo3(signature = (pop = None))]
    fn clear(&mut self, pop: Option<usize>) {
        match pop {
            None => self.recorded = MemoryObserver::default(),
            Some(p) => {
                if let Some(s) = self.recorded.spikes.get_mut(p) {
                    s.clear();
                }
                self.recorded.samples.retain(|(q, _), _| *q != p);
            }
        }
    }

    /// Recorded spikes of population `pop`: (emission steps, neuron indices), sorted by step.
    fn spikes<'py>(
        &self,
        py: Python<'py>,
        pop: usize,
    ) -> PyResult<(Array<'py, Step>, Array<'py, u32>)> {
        self.population(pop)?;
        let spikes = self.recorded.spikes.get(pop).map_or(&[][..], |s| &s[..]);
        let steps: Vec<Step> = spikes.iter().map(|s| s.0).collect();
        let neurons: Vec<u32> = spikes.iter().map(|s| s.1).collect();
        Ok((steps.into_pyarray(py), neurons.into_pyarray(py)))
    }

    /// The values of state array `var` of population `pop` before step 0 (one per neuron),
    /// where the backend keeps checkpoints and the model holds `var` as an array.
    fn initial_values<'py>(
        &self,
        py: Python<'py>,
        pop: usize,
        var: &str,
    ) -> PyResult<Option<Array<'py, f64>>> {
        self.population(pop)?;
        let found = self.initial.get(pop).and_then(|k| {
            k.iter().find_map(|(name, array)| match array {
                sim_core::model::StateArray::F64 { width: 1, values } if name == var => {
                    Some(values.clone())
                }
                _ => None,
            })
        });
        Ok(found.map(|v| v.into_pyarray(py)))
    }

    /// Neurons of population `pop` whose state variables are sampled.
    fn sampled_neurons(&self, pop: usize) -> PyResult<Vec<u32>> {
        Ok(self.population(pop)?.record.neurons.clone())
    }

    /// Samples of variable `var` of population `pop`: (steps, rows x sampled neurons), or
    /// `None` when it is not recorded.
    fn samples<'py>(
        &self,
        py: Python<'py>,
        pop: usize,
        var: &str,
    ) -> PyResult<Option<SampleArrays<'py>>> {
        let p = self.population(pop)?;
        let Some(index) = p.model.state_vars().iter().position(|v| *v == var) else {
            return Ok(None);
        };
        let columns = p.record.neurons.len().max(1);
        let (steps, values) = match self.recorded.samples.get(&(pop, index)) {
            Some((s, v)) => (s.clone(), v.clone()),
            None if p.record.vars.contains(&index) => (Vec::new(), Vec::new()),
            None => return Ok(None),
        };
        let rows = values.len() / columns;
        let values = numpy::ndarray::Array2::from_shape_vec((rows, columns), values)
            .map_err(|e| EngramError::new_err((e.to_string(), Option::<String>::None)))?;
        Ok(Some((steps.into_pyarray(py), values.into_pyarray(py))))
    }

    /// Synapses of projection `proj` in the engine's order: (pre, post, weight, delay in
    /// steps); the weights of a plastic projection as they are now.
    fn connections<'py>(&self, py: Python<'py>, proj: usize) -> PyResult<SynapseArrays<'py>> {
        let p = self.spec.network.projections.get(proj).ok_or_else(|| {
            pyo3::exceptions::PyIndexError::new_err(format!("no projection {proj}"))
        })?;
        let n = p.synapses.len();
        let (mut pre, mut post, mut weight, mut delay) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for (i, j, w, d) in p.synapses.iter() {
            pre.push(i);
            post.push(j);
            weight.push(w);
            delay.push(d);
        }
        if let Some(now) = self.backend.plastic_weights(proj) {
            if now.len() == weight.len() {
                weight = now;
            }
        }
        Ok((
            pre.into_pyarray(py),
            post.into_pyarray(py),
            weight.into_pyarray(py),
            delay.into_pyarray(py),
        ))
    }

    /// Synapses of the network.
    #[getter]
    fn n_synapses(&self) -> u64 {
        self.spec.network.n_synapses()
    }

    /// Spikes emitted and synaptic events processed so far.
    fn counters(&self) -> (u64, u64) {
        let c = self.backend.counters();
        (c.spikes, c.synaptic_events)
    }

    /// The backend that runs the network (`cpu` or `spinnaker`).
    #[getter]
    fn backend(&self) -> &'static str {
        self.choice.name()
    }
}

/// The state arrays of every population as `backend` holds them now (none where it keeps
/// no checkpoints).
fn initial_state(backend: &dyn Backend) -> Vec<sim_core::model::KernelState> {
    backend.checkpoint().map(|c| c.kernels).unwrap_or_default()
}

/// A cell type's name, initial-value variables and options (name, allowed values).
type CellTypeFacts = (
    &'static str,
    Vec<&'static str>,
    Vec<(&'static str, Vec<&'static str>)>,
);

/// The cell types of the standard catalogue: name -> (variables a model may give initial
/// values, options with their allowed values, the first being the default).
#[pyfunction]
fn cell_types() -> Vec<CellTypeFacts> {
    models::catalogue::Catalogue::standard()
        .entries()
        .iter()
        .map(|c| {
            (
                c.name,
                c.initial_values.iter().map(|v| v.name).collect(),
                c.options
                    .iter()
                    .map(|o| (o.name, o.values.to_vec()))
                    .collect(),
            )
        })
        .collect()
}

/// Panics inside the boundary guard: tests check that a panic arrives as `EngramError`.
#[pyfunction]
fn _panic_for_tests() -> PyResult<()> {
    guarded(|| panic!("a deliberate panic, to test the boundary"))
}

#[pymodule]
fn _engram(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("EngramError", m.py().get_type::<EngramError>())?;
    m.add_class::<Model>()?;
    m.add_function(wrap_pyfunction!(cell_types, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_for_tests, m)?)?;
    wrappers::register(m)?;
    Ok(())
}
