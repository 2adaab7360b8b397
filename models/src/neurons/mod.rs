//! Point-neuron models and spike sources, one file each, with PyNN names, defaults and units
//! (ms, mV, nA, nF, µS, Hz).

pub mod if_cond_exp;
pub mod if_curr_exp;
pub mod izhikevich;
pub mod spike_source_array;
pub mod spike_source_poisson;

use std::ops::Range;

use sim_core::model::{KernelState, StateArray};
use sim_core::rng::{self, Domain};

use crate::dist::Value;

pub use if_cond_exp::IfCondExp;
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

/// Finds a named array in a checkpointed kernel state.
pub(crate) fn take_f64(state: &KernelState, name: &str, n: usize) -> Result<Vec<f64>, String> {
    match state.iter().find(|(k, _)| k == name) {
        Some((_, StateArray::F64 { values, .. })) if values.len() == n => Ok(values.clone()),
        Some(_) => Err(format!("state array '{name}' has the wrong type or length")),
        None => Err(format!("state array '{name}' is missing")),
    }
}

pub(crate) fn take_u64(state: &KernelState, name: &str, n: usize) -> Result<Vec<u64>, String> {
    match state.iter().find(|(k, _)| k == name) {
        Some((_, StateArray::U64 { values, .. })) if values.len() == n => Ok(values.clone()),
        Some(_) => Err(format!("state array '{name}' has the wrong type or length")),
        None => Err(format!("state array '{name}' is missing")),
    }
}

pub(crate) fn f64_array(name: &str, values: &[f64]) -> (String, StateArray) {
    (
        name.to_string(),
        StateArray::F64 {
            width: 1,
            values: values.to_vec(),
        },
    )
}

pub(crate) fn u64_array(name: &str, values: &[u64]) -> (String, StateArray) {
    (
        name.to_string(),
        StateArray::U64 {
            width: 1,
            values: values.to_vec(),
        },
    )
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
