//! Point-neuron models and spike sources, one file each, with PyNN names, defaults and units
//! (ms, mV, nA, nF, µS, Hz).

pub mod if_cond_exp;
pub mod if_curr_delta;
pub mod if_curr_exp;
pub mod izhikevich;
pub mod spike_source_array;
pub mod spike_source_poisson;

use std::ops::Range;

use sim_core::rng::{self, Domain};

use crate::dist::Value;

pub use if_cond_exp::IfCondExp;
pub use if_curr_delta::IfCurrDelta;
pub use if_curr_exp::{IfCurrExp, Integration, Precision};
pub use izhikevich::Izhikevich;
pub use spike_source_array::SpikeSourceArray;
pub use spike_source_poisson::SpikeSourcePoisson;

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
