//! Point-neuron models and spike sources, one file each, with PyNN names, defaults and units
//! (ms, mV, nA, nF, µS, Hz).

pub mod eif_cond_alpha_isfa_ista;
pub mod eif_cond_exp_isfa_ista;
pub mod hh_cond_exp;
pub mod if_cond_alpha;
pub mod if_cond_exp;
pub mod if_curr_alpha;
pub mod if_curr_delta;
pub mod if_curr_exp;
pub mod izhikevich;
mod renewal;
pub mod spike_source_array;
pub mod spike_source_gamma;
pub mod spike_source_poisson;
pub mod spike_source_poisson_refractory;

use std::ops::Range;

use sim_core::rng::{self, Domain};

use crate::dist::Value;
use crate::params::{finite, non_negative, positive, ParamError};

pub use eif_cond_alpha_isfa_ista::EifCond;
pub use hh_cond_exp::HhCondExp;
pub use if_cond_alpha::IfCondAlpha;
pub use if_cond_exp::IfCondExp;
pub use if_curr_alpha::IfCurrAlpha;
pub use if_curr_delta::IfCurrDelta;
pub use if_curr_exp::{IfCurrExp, Integration, Precision};
pub use izhikevich::Izhikevich;
pub use spike_source_array::SpikeSourceArray;
pub use spike_source_gamma::SpikeSourceGamma;
pub use spike_source_poisson::SpikeSourcePoisson;
pub use spike_source_poisson_refractory::SpikeSourcePoissonRefractory;

/// Draws one initial value per neuron of `range` from streams keyed by (seed, pop, neuron), so a
/// neuron's initial value does not depend on how the population is sliced. `salt` separates
/// several initial variables of one population.
pub(crate) fn initial_values(
    value: &Value,
    seed: u64,
    pop: usize,
    salt: u64,
    range: &Range<u32>,
) -> Vec<f64> {
    range
        .clone()
        .map(|i| match value {
            Value::Constant(v) => *v,
            _ => {
                let mut r = rng::stream(seed, Domain::Init, ((pop as u64) << 8) | salt, i as u64);
                value.sample(&mut r)
            }
        })
        .collect()
}

/// The NaN/inf guard every kernel applies to its membrane potential.
pub(crate) fn non_finite(neuron: usize, variable: &str, value: f64) -> sim_core::ModelError {
    sim_core::ModelError {
        neuron: neuron as u32,
        variable: variable.to_string(),
        value,
        reason: "became non-finite; check parameters, weights and dt".to_string(),
    }
}

/// How a PyNN standard neuron with excitatory and inhibitory receptors describes itself.
pub(crate) fn pynn_neuron(
    name: &'static str,
    parameters: Vec<sim_core::describe::Quantity>,
    state: Vec<sim_core::describe::Variable>,
) -> sim_core::describe::ModelDescription {
    sim_core::describe::ModelDescription {
        parameters,
        state,
        receptors: vec!["excitatory", "inhibitory"],
        pynn_standard: true,
        ..sim_core::describe::ModelDescription::neuron(name)
    }
}

/// The [`LifCore`] of a parameter struct with PyNN's integrate-and-fire fields.
macro_rules! lif_core {
    ($p:expr) => {
        $crate::neurons::LifCore {
            cm: $p.cm,
            tau_m: $p.tau_m,
            tau_refrac: $p.tau_refrac,
            tau_syn_e: $p.tau_syn_e,
            tau_syn_i: $p.tau_syn_i,
            v_rest: $p.v_rest,
            v_reset: $p.v_reset,
            v_thresh: $p.v_thresh,
            i_offset: $p.i_offset,
        }
    };
}
pub(crate) use lif_core;

/// The parameters every PyNN integrate-and-fire type shares (PyNN's names and units), checked
/// together.
pub(crate) struct LifCore {
    pub cm: f64,
    pub tau_m: f64,
    pub tau_refrac: f64,
    pub tau_syn_e: f64,
    pub tau_syn_i: f64,
    pub v_rest: f64,
    pub v_reset: f64,
    pub v_thresh: f64,
    pub i_offset: f64,
}

impl LifCore {
    /// Positive capacitance and time constants, finite potentials and offset, v_reset below
    /// v_thresh; returns the refractory period in steps of `grid`, rounded up as NEST does
    /// ([`sim_core::TimeGrid::steps_at_least`]).
    pub(crate) fn check(&self, grid: &sim_core::TimeGrid) -> Result<sim_core::Step, ParamError> {
        positive("cm", self.cm, "nF")?;
        positive("tau_m", self.tau_m, "ms")?;
        positive("tau_syn_E", self.tau_syn_e, "ms")?;
        positive("tau_syn_I", self.tau_syn_i, "ms")?;
        non_negative("tau_refrac", self.tau_refrac, "ms")?;
        for (k, v) in [
            ("v_rest", self.v_rest),
            ("v_reset", self.v_reset),
            ("v_thresh", self.v_thresh),
        ] {
            finite(k, v, "mV")?;
        }
        finite("i_offset", self.i_offset, "nA")?;
        if self.v_reset >= self.v_thresh {
            return Err(ParamError::new(
                "v_reset",
                self.v_reset,
                format!("must be below v_thresh = {} (mV)", self.v_thresh),
            ));
        }
        grid.steps_at_least(self.tau_refrac)
            .map_err(|e| ParamError::new("tau_refrac", self.tau_refrac, e.to_string()))
    }
}
