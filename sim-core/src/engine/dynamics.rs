//! Synapse dynamics inside a shard (the rule's semantics are in [`crate::dynamics`]): each
//! synapse's state beside its row, and the delivery of a spike's row with the factors the rule
//! computes. Static rows are delivered by `rows.rs` and never come here.

use std::ops::Range;
use std::sync::Arc;

use super::ring::Ring;
use crate::dynamics::SynapseDynamics;
use crate::time::Step;

/// The dynamics of one projection's synapses in a shard, in row order.
pub(super) struct ShardDynamics {
    pub(super) rule: Arc<dyn SynapseDynamics>,
    /// `rule.state_len()` numbers per synapse.
    pub(super) state: Vec<f64>,
    /// Step of each synapse's previous spike (-1: none yet).
    pub(super) last: Vec<i64>,
    /// Index of each synapse in the projection's list (network order).
    pub(super) canonical: Vec<usize>,
}

impl ShardDynamics {
    pub(super) fn new(rule: Arc<dyn SynapseDynamics>, canonical: Vec<usize>) -> Self {
        let len = rule.state_len();
        let mut state = vec![0.0; canonical.len() * len];
        for (l, &c) in canonical.iter().enumerate() {
            rule.init(c, &mut state[l * len..(l + 1) * len]);
        }
        Self {
            last: vec![-1; canonical.len()],
            rule,
            state,
            canonical,
        }
    }

    /// Delivers the synapses `row` of a spike at step `t`: synapse `syn` adds
    /// `weight(syn) · factor` into ring slot `t + delay(syn)` of `target(syn)`, receptor `rec`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn deliver_row(
        &mut self,
        row: Range<usize>,
        t: Step,
        rec: usize,
        ring: &mut Ring,
        target: impl Fn(usize) -> usize,
        weight: impl Fn(usize) -> f64,
        delay: impl Fn(usize) -> u16,
    ) {
        let len = self.rule.state_len();
        let (n, slots, n_rec) = (ring.n, ring.slots, ring.n_rec);
        let now = (t % slots as u64) as usize;
        let sparse = ring.sparse();
        for syn in row {
            let last = (self.last[syn] >= 0).then_some(self.last[syn] as Step);
            let state = &mut self.state[syn * len..(syn + 1) * len];
            let factor = self.rule.transmit(self.canonical[syn], state, t, last);
            self.last[syn] = t as i64;
            if factor == 0.0 {
                continue;
            }
            let mut slot = now + delay(syn) as usize;
            if slot >= slots {
                slot -= slots;
            }
            let j = target(syn);
            let idx = (slot * n_rec + rec) * n + j;
            if sparse && ring.data[idx] == 0.0 {
                ring.touched[slot * n_rec + rec].push(j as u32);
            }
            ring.data[idx] += weight(syn) * factor;
        }
    }
}
