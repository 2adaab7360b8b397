//! Synapse models: static synapses need nothing beyond the engine's weights; plastic ones are
//! pair-STDP rules.

pub mod stdp;

pub use stdp::{Semantics, SpikePairRule, Stdp, WeightDependence};
