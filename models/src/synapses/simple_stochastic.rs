//! PyNN's `SimpleStochasticSynapse` (NEST's `bernoulli_synapse`): each spike crosses the
//! synapse with probability `p`, independently. Whether the spike of step `t` crosses synapse
//! `k` of projection `q` is the draw `t` of the key (seed, transmission, `q`, `k`)
//! (`sim_core::rng::uniform_at`), so it depends on neither the thread count nor the order of
//! delivery.

use sim_core::dynamics::SynapseDynamics;
use sim_core::rng::{uniform_at, Domain};
use sim_core::time::Step;

use super::per_synapse::PerSynapse;
use crate::params::ParamError;

/// The name model files and PyNN give this synapse type.
pub const NAME: &str = "SimpleStochasticSynapse";

#[derive(Debug, Clone)]
pub struct SimpleStochastic {
    /// Transmission probability (0..=1).
    pub p: PerSynapse,
    seed: u64,
    projection: u64,
}

impl SimpleStochastic {
    /// A rule for the `n` synapses of projection `projection` of a network with `seed`.
    pub fn new(p: PerSynapse, n: usize, seed: u64, projection: u64) -> Result<Self, ParamError> {
        p.validate("p", n, |p| {
            if (0.0..=1.0).contains(&p) {
                Ok(())
            } else {
                Err(ParamError::new("p", p, "must be a probability in [0, 1]"))
            }
        })?;
        Ok(Self {
            p,
            seed,
            projection,
        })
    }
}

impl SynapseDynamics for SimpleStochastic {
    fn name(&self) -> &str {
        NAME
    }

    fn state_len(&self) -> usize {
        0
    }

    fn init(&self, _syn: usize, _state: &mut [f64]) {}

    fn transmit(&self, syn: usize, _state: &mut [f64], t: Step, _last: Option<Step>) -> f64 {
        let draw = uniform_at(
            self.seed,
            Domain::Transmission,
            self.projection,
            syn as u64,
            t,
        );
        if draw < self.p.at(syn) {
            1.0
        } else {
            0.0
        }
    }

    fn parameter(&self, name: &str, n: usize) -> Option<Vec<f64>> {
        (name == "p").then(|| self.p.values(n))
    }
}
