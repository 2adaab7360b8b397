//! Synapse models: static synapses need nothing beyond the engine's weights; plastic ones are
//! pair-STDP rules; synapses with dynamics (short-term plasticity, unreliable transmission)
//! scale each spike's weight.

pub mod per_synapse;
pub mod simple_stochastic;
pub mod stdp;
pub mod tsodyks_markram;

pub use per_synapse::PerSynapse;
pub use simple_stochastic::SimpleStochastic;
pub use stdp::{Semantics, SpikePairRule, Stdp, WeightDependence};
pub use tsodyks_markram::TsodyksMarkram;
