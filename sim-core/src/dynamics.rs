//! Synapse dynamics: what a synapse does to its weight at each of its pre spikes, from its own
//! state and parameters (short-term depression and facilitation, unreliable transmission).
//!
//! A projection with dynamics delivers, at a spike of pre neuron `i` at step `t`, every synapse
//! `i -> j` of its row with the weight `w · factor`, where the factor comes from
//! [`SynapseDynamics::transmit`] for that synapse (a factor of exactly 0 delivers nothing). The
//! engine keeps each synapse's state (`state_len` numbers and the step of its previous spike)
//! beside its row, and in checkpoints in the network's synapse order; the rule (in `models`)
//! keeps the parameters, indexed by the synapse's position in the projection's
//! [`crate::network::SynapseList`], so that the state and the draws of a synapse do not depend
//! on the shard layout.

use std::fmt::Debug;

use crate::time::Step;

pub trait SynapseDynamics: Send + Sync + Debug {
    /// The rule's name (PyNN's synapse type), for reports.
    fn name(&self) -> &str;
    /// Numbers of state per synapse (0 for a stateless rule).
    fn state_len(&self) -> usize;
    /// Writes the initial state of synapse `syn` into `state` (`state_len` numbers).
    fn init(&self, syn: usize, state: &mut [f64]);
    /// A pre spike of synapse `syn` at step `t`, its previous one at `last` (`None`: the
    /// first): updates `state` and returns the factor on the synapse's weight.
    fn transmit(&self, syn: usize, state: &mut [f64], t: Step, last: Option<Step>) -> f64;
    /// The per-synapse value of parameter `name` for the `n` synapses of the projection
    /// (`None`: no such parameter), for readers such as the Python package.
    fn parameter(&self, name: &str, n: usize) -> Option<Vec<f64>>;
}
