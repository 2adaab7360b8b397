//! Models and plasticity rules describe themselves as plain data: what the exporter, the
//! SpiNNaker board and the documentation read instead of asking which concrete type a model is.

use serde::Serialize;

use crate::time::Step;

/// A named parameter value in its PyNN unit (`""` when it has none).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quantity {
    pub name: &'static str,
    pub unit: &'static str,
    pub value: f64,
}

/// A recordable state variable and its unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Variable {
    pub name: &'static str,
    pub unit: &'static str,
}

impl Variable {
    pub const fn new(name: &'static str, unit: &'static str) -> Self {
        Self { name, unit }
    }
}

/// Which spike source a population is, with what a replay of it needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum SourceKind {
    /// Independent Poisson trains.
    Poisson {
        rate_hz: f64,
        start_ms: f64,
        duration_ms: f64,
        /// The chance of a spike in one step (`rate·dt`), as the kernel draws it.
        probability_per_step: f64,
    },
    /// Given spike steps, one sorted list per neuron (or one shared list).
    Array { spike_steps: Vec<Vec<Step>> },
    /// Independent renewal trains (gamma or dead-time Poisson intervals) of this mean rate.
    Renewal { rate_hz: f64 },
}

/// What kind of population a model makes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ModelKind {
    /// Integrates the input of its receptors and spikes.
    Neuron,
    /// Spikes without input.
    SpikeSource(SourceKind),
    /// Sends continuous values through graded projections and no spikes (an astrocyte), in
    /// this unit.
    Graded { unit: &'static str },
}

/// A population model as plain data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelDescription {
    /// PyNN / NEST name of the cell type, e.g. `IF_curr_exp`.
    pub name: &'static str,
    /// Whether `name` is a PyNN standard cell type, which a PyNN script for sPyNNaker can
    /// create with these parameters.
    pub pynn_standard: bool,
    pub kind: ModelKind,
    /// Parameters under their PyNN names, in the model's order.
    pub parameters: Vec<Quantity>,
    /// Recordable state variables besides spikes, in the order recordings index them.
    pub state: Vec<Variable>,
    /// Receptor names, e.g. `["excitatory", "inhibitory"]`; sources have none.
    pub receptors: Vec<&'static str>,
    /// Choices besides parameters, as (option, value), e.g. `("integration", "nest")`.
    pub options: Vec<(&'static str, &'static str)>,
}

impl ModelDescription {
    /// A neuron with no parameters, state, receptors or options yet.
    pub fn neuron(name: &'static str) -> Self {
        Self {
            name,
            pynn_standard: false,
            kind: ModelKind::Neuron,
            parameters: Vec::new(),
            state: Vec::new(),
            receptors: Vec::new(),
            options: Vec::new(),
        }
    }

    /// The value of parameter `name`.
    pub fn parameter(&self, name: &str) -> Option<f64> {
        self.parameters
            .iter()
            .find(|q| q.name == name)
            .map(|q| q.value)
    }

    /// The value of option `name`.
    pub fn option(&self, name: &str) -> Option<&'static str> {
        self.options
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
    }

    pub fn is_spike_source(&self) -> bool {
        matches!(self.kind, ModelKind::SpikeSource(_))
    }
}

/// How a pair rule's weight change depends on the weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum WeightDependenceKind {
    /// Δw does not depend on w (PyNN `AdditiveWeightDependence`).
    Additive,
    /// Δw+ ∝ (w_max − w), Δw− ∝ (w − w_min) (PyNN `MultiplicativeWeightDependence`).
    Multiplicative,
}

/// A pair-based STDP rule as plain data (PyNN `SpikePairRule` timing).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleDescription {
    /// Pre- and post-trace time constants (ms).
    pub tau_plus: f64,
    pub tau_minus: f64,
    /// Amplitudes as the model file gives them.
    pub a_plus: f64,
    pub a_minus: f64,
    pub weight_dependence: WeightDependenceKind,
    pub w_min: f64,
    pub w_max: f64,
    /// Whether additive amplitudes are fractions of w_max (NEST's reading) rather than
    /// weights (sPyNNaker's).
    pub additive_amplitudes_scaled_by_w_max: bool,
    /// Whether a post arrival in the step of a pre spike depresses (sPyNNaker) or not (NEST).
    pub depress_at_zero_lag: bool,
}

impl RuleDescription {
    /// The factor that turns the amplitudes into absolute weight changes of an additive rule
    /// (PyNN's sPyNNaker reading): w_max where they are fractions of it, else 1.
    pub fn additive_amplitude_scale(&self) -> f64 {
        match (
            self.weight_dependence,
            self.additive_amplitudes_scaled_by_w_max,
        ) {
            (WeightDependenceKind::Additive, true) => self.w_max,
            _ => 1.0,
        }
    }
}
