//! The interface between the engine and concrete neuron models.
//!
//! A [`PopulationModel`] describes a homogeneous population (one cell type, its parameters and
//! initial values). The engine asks it for one [`NeuronKernel`] per contiguous slice of neurons
//! (one slice per thread); a kernel owns the struct-of-arrays state of its slice and advances it
//! one step at a time.
//!
//! ## Step order
//! The engine's order for step `t` is fixed: (1) plasticity sees post spikes arriving at `t`,
//! (2) every kernel receives the input that arrives at `t` and integrates, thresholds, resets and
//! emits, (3) the emitted spikes update plasticity and are scheduled for delivery at `t + delay`.
//! Inside (2) a kernel decides where the arriving input enters its own update — before the
//! integration (sPyNNaker) or after it (NEST) — which is the hook for models whose reference
//! simulator orders a step differently.

use std::fmt::Debug;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::describe::ModelDescription;
use crate::time::{Step, TimeGrid};

/// Index of a population in a [`crate::network::Network`].
pub type PopulationId = usize;

/// What a kernel sees of the current step.
#[derive(Debug, Clone, Copy)]
pub struct StepContext {
    pub step: Step,
    pub dt_ms: f64,
}

/// A model's failure during a run (a NaN, an instability condition). The engine adds the
/// population and stops the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("neuron {neuron}: {variable} = {value}: {reason}")]
pub struct ModelError {
    /// Neuron index within the population.
    pub neuron: u32,
    pub variable: String,
    pub value: f64,
    pub reason: String,
}

/// One named per-neuron state array of a kernel, for checkpoints. `width` values per neuron,
/// neuron-major, so slices of several kernels concatenate into the population's array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StateArray {
    F64 { width: usize, values: Vec<f64> },
    U64 { width: usize, values: Vec<u64> },
}

impl StateArray {
    pub fn len_neurons(&self) -> usize {
        match self {
            StateArray::F64 { width, values } => values.len() / (*width).max(1),
            StateArray::U64 { width, values } => values.len() / (*width).max(1),
        }
    }
}

/// The full dynamic state of a kernel: named per-neuron arrays.
pub type KernelState = Vec<(String, StateArray)>;

/// The state of one slice of a population, advanced step by step.
pub trait NeuronKernel: Send {
    /// Advances every neuron of the slice by one step. `input` holds the summed weights arriving
    /// at this step, receptor-major: `input[r * n + i]` for receptor `r` and local neuron `i`.
    /// The kernel consumes it: on return every entry must be 0 (reading and clearing in the
    /// same pass saves the engine a second sweep over the buffer every step).
    /// Local indices of the neurons that spike are pushed to `spikes`, in ascending order.
    fn update(
        &mut self,
        ctx: &StepContext,
        input: &mut [f64],
        spikes: &mut Vec<u32>,
    ) -> Result<(), ModelError>;

    /// Whether the kernel takes its input through [`NeuronKernel::update_sparse`]. Then the
    /// engine keeps, next to the ring buffer, the list of neurons each step's input reached, and
    /// the kernel touches only those entries instead of sweeping (and clearing) the whole buffer
    /// every step — in a typical network a small fraction of neurons receives input in a step.
    fn sparse_input(&self) -> bool {
        false
    }

    /// [`NeuronKernel::update`] for kernels that say [`NeuronKernel::sparse_input`]: entries of
    /// `input` outside `touched` are 0. `touched[r]` lists the local neurons whose receptor-`r`
    /// entry may be nonzero (in delivery order, possibly with repeats); the kernel must leave
    /// every listed entry 0.
    fn update_sparse(
        &mut self,
        ctx: &StepContext,
        input: &mut [f64],
        touched: &[Vec<u32>],
        spikes: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        let _ = touched;
        self.update(ctx, input, spikes)
    }

    /// The value of state variable `var` (an index into [`PopulationModel::state_vars`]) of local
    /// neuron `i`, in PyNN units.
    fn read(&self, var: usize, i: usize) -> f64;

    /// The complete dynamic state, for checkpoints.
    fn save(&self) -> KernelState;

    /// Restores what [`NeuronKernel::save`] produced for a slice of the same length.
    fn load(&mut self, state: &KernelState) -> Result<(), String>;

    /// Graded input `port` (an index into [`PopulationModel::graded_inputs`]) arriving at this
    /// step: per local neuron, the sum of weight × value over its graded projections (see
    /// [`crate::graded`]). Called every step before [`NeuronKernel::update`], with zeros when
    /// nothing arrives; where the value enters the update is the kernel's choice.
    fn graded_input(&mut self, _port: usize, _values: &[f64]) {}

    /// Writes graded output `port` (an index into [`PopulationModel::graded_outputs`]) of every
    /// local neuron, as it stands after this step's [`NeuronKernel::update`].
    fn graded_output(&self, _port: usize, _out: &mut [f64]) {}
}

/// A homogeneous population's cell type, parameters and initial values.
pub trait PopulationModel: Send + Sync + Debug {
    /// The model as plain data: name, parameters, state variables, receptors, options and
    /// kind. Exporters and backends read this, never the concrete type.
    fn describe(&self) -> ModelDescription;

    /// PyNN / NEST name of the cell type, e.g. `IF_curr_exp`.
    fn type_name(&self) -> &str {
        self.describe().name
    }

    /// Receptor names, e.g. `["excitatory", "inhibitory"]`; sources have none.
    fn receptors(&self) -> Vec<&'static str> {
        self.describe().receptors
    }

    /// Recordable state variables besides spikes, e.g. `["v"]`.
    fn state_vars(&self) -> Vec<&'static str> {
        self.describe().state.iter().map(|v| v.name).collect()
    }

    /// Offset, in steps, between the step in which a spike is emitted and its time stamp:
    /// 0 stamps at the start of the step (sPyNNaker), 1 at its end (NEST grid models).
    fn spike_stamp_offset(&self) -> Step {
        0
    }

    /// Names of the continuous values each neuron sends every step through graded projections,
    /// e.g. `["SIC"]` for an astrocyte; most models have none.
    fn graded_outputs(&self) -> &[&'static str] {
        &[]
    }

    /// Names of the continuous inputs each neuron receives through graded projections, e.g.
    /// `["SIC"]` for a neuron with a slow inward current; most models have none.
    fn graded_inputs(&self) -> &[&'static str] {
        &[]
    }

    /// Builds the kernel for neurons `range` of population `pop`. Per-neuron randomness must be
    /// drawn from streams keyed by (seed, pop, neuron) (see [`crate::rng`]) so that the result
    /// does not depend on how the population is sliced.
    fn instantiate(
        &self,
        pop: PopulationId,
        range: Range<u32>,
        grid: &TimeGrid,
        seed: u64,
    ) -> Box<dyn NeuronKernel>;
}
