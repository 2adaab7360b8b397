//! Pair-based spike-timing-dependent plasticity with exponential traces.
//!
//! The engine runs the online form of pair STDP (all-to-all pairing through traces). A synapse
//! `i -> j` with delay `d` sees pre spikes undelayed and post spikes back-propagated by the whole
//! delay (arriving at `t_post + d`), as NEST's `stdp_synapse` (dendritic delay = delay) and
//! sPyNNaker (`backprop_delay = True`) both do. At step `t`:
//!
//! * phase A, before neurons update: for every post neuron `j` whose back-propagated spike arrives
//!   at `t`, every synapse whose pre neuron spiked before `t` is potentiated with the pre trace
//!   decayed to `t`; then `j`'s post trace is incremented;
//! * phase C, after neurons update: for every pre neuron `i` that spiked at `t`, every synapse is
//!   depressed with the post trace at `t`, then the (updated) weight is scheduled for delivery,
//!   then `i`'s pre trace is incremented.
//!
//! A [`PairRule`] (in `models`) supplies the time constants, the weight dependence, and whether a
//! post arrival at the very step of a pre spike (Δt = 0) depresses (sPyNNaker) or not (NEST).

use std::fmt::Debug;

use crate::describe::RuleDescription;

/// A pair-based STDP rule: timing constants plus weight dependence.
pub trait PairRule: Send + Sync + Debug {
    /// Pre-trace time constant (ms).
    fn tau_plus(&self) -> f64;
    /// Post-trace time constant (ms).
    fn tau_minus(&self) -> f64;
    /// Whether a post arrival in the same step as a pre spike takes part in that pre spike's
    /// depression (sPyNNaker: yes, with factor e^0 = 1; NEST: no).
    fn depress_at_zero_lag(&self) -> bool;
    /// The weight after potentiation by a pre trace value `x` (already decayed), clamped.
    fn potentiate(&self, w: f64, x: f64) -> f64;
    /// The weight after depression by a post trace value `y` (already decayed), clamped.
    fn depress(&self, w: f64, y: f64) -> f64;
    /// The rule as plain data, for exporters and backends that run it in their own
    /// arithmetic.
    fn describe(&self) -> RuleDescription;
}
