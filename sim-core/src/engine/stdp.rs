//! Pair STDP inside a shard (the rule's semantics are in [`crate::plasticity`]): phase A
//! potentiates at back-propagated post arrivals before the kernels update, phase C depresses at
//! pre spikes during delivery. Both read and bump exponential traces through [`trace_at`] and
//! [`bump`], so every decay is computed by one expression.

use std::ops::Range;
use std::sync::Arc;

use super::shard::{Shard, ShardPopulation};
use crate::plasticity::PairRule;
use crate::time::Step;

/// Pair-STDP state of a plastic projection inside one shard.
pub(super) struct Stdp {
    pub(super) rule: Arc<dyn PairRule>,
    pub(super) delay: Step,
    /// Pre traces, one per pre neuron (replicated in every shard: same inputs, same values).
    pub(super) x: Vec<f64>,
    pub(super) tx: Vec<i64>,
    /// Post traces for local targets: value after the last arrival, value just before it.
    pub(super) y: Vec<f64>,
    pub(super) y_before: Vec<f64>,
    pub(super) ty: Vec<i64>,
    /// Column index: for local target j, its synapses `col_syn[col_ptr[j]..col_ptr[j+1]]`.
    col_ptr: Vec<usize>,
    col_syn: Vec<usize>,
    /// Pre neuron of each `col_syn` entry.
    col_pre: Vec<u32>,
    /// Canonical (network-wide) index of each local synapse, for checkpoints.
    pub(super) canonical: Vec<usize>,
}

/// The value of a trace last bumped at step `last` (-1: never, then `None`), decayed to `t`.
#[inline]
fn trace_at(value: f64, last: i64, t: Step, dt: f64, tau: f64) -> Option<f64> {
    (last >= 0).then(|| value * (-((t as i64 - last) as f64 * dt) / tau).exp())
}

/// Decays a trace to `t` and adds one spike to it; returns the decayed value before the spike.
#[inline]
fn bump(value: &mut f64, last: &mut i64, t: Step, dt: f64, tau: f64) -> f64 {
    let before = trace_at(*value, *last, t, dt, tau).unwrap_or(0.0);
    *value = before + 1.0;
    *last = t as i64;
    before
}

impl Stdp {
    /// Fresh traces for the rows `row_ptr`/`target` of a projection (`n_pre` rows, `n_local`
    /// targets) and the column index phase A walks.
    pub(super) fn new(
        rule: Arc<dyn PairRule>,
        delay: Step,
        n_local: usize,
        row_ptr: &[usize],
        target: &[u32],
        canonical: Vec<usize>,
    ) -> Self {
        let n_pre = row_ptr.len() - 1;
        let nnz = target.len();
        let mut col_ptr = vec![0usize; n_local + 1];
        for &j in target {
            col_ptr[j as usize + 1] += 1;
        }
        for j in 0..n_local {
            col_ptr[j + 1] += col_ptr[j];
        }
        let mut fillc = col_ptr.clone();
        let mut col_syn = vec![0usize; nnz];
        let mut col_pre = vec![0u32; nnz];
        for i in 0..n_pre {
            for (k, &j) in target
                .iter()
                .enumerate()
                .take(row_ptr[i + 1])
                .skip(row_ptr[i])
            {
                col_syn[fillc[j as usize]] = k;
                col_pre[fillc[j as usize]] = i as u32;
                fillc[j as usize] += 1;
            }
        }
        Self {
            rule,
            delay,
            x: vec![0.0; n_pre],
            tx: vec![-1; n_pre],
            y: vec![0.0; n_local],
            y_before: vec![0.0; n_local],
            ty: vec![-1; n_local],
            col_ptr,
            col_syn,
            col_pre,
            canonical,
        }
    }

    /// Phase A for the local targets `arrived` whose back-propagated spikes arrive at `t`:
    /// every synapse onto them whose pre neuron has spiked is potentiated with the pre trace at
    /// `t`, then their post traces are bumped.
    fn potentiate(&mut self, weight: &mut [f64], arrived: &[u32], t: Step, dt: f64) {
        let tau_p = self.rule.tau_plus();
        let tau_m = self.rule.tau_minus();
        for &j in arrived {
            let j = j as usize;
            for c in self.col_ptr[j]..self.col_ptr[j + 1] {
                let syn = self.col_syn[c];
                let i = self.col_pre[c] as usize;
                if let Some(x) = trace_at(self.x[i], self.tx[i], t, dt, tau_p) {
                    weight[syn] = self.rule.potentiate(weight[syn], x);
                }
            }
            self.y_before[j] = bump(&mut self.y[j], &mut self.ty[j], t, dt, tau_m);
        }
    }

    /// Phase C for a spike of pre neuron `i` at `t` (its synapses `row`): every synapse is
    /// depressed with its target's post trace at `t`, then `i`'s pre trace is bumped. The
    /// caller schedules the updated weights.
    #[inline]
    pub(super) fn pre_spike(
        &mut self,
        i: usize,
        row: Range<usize>,
        target: &[u32],
        weight: &mut [f64],
        t: Step,
        dt: f64,
    ) {
        let tau_m = self.rule.tau_minus();
        for syn in row {
            let j = target[syn] as usize;
            let y = if self.ty[j] == t as i64 {
                // A post arrival in this very step: the rule says whether it pairs.
                Some(if self.rule.depress_at_zero_lag() {
                    self.y[j]
                } else {
                    self.y_before[j]
                })
            } else {
                trace_at(self.y[j], self.ty[j], t, dt, tau_m)
            };
            if let Some(y) = y {
                weight[syn] = self.rule.depress(weight[syn], y);
            }
        }
        bump(&mut self.x[i], &mut self.tx[i], t, dt, self.rule.tau_plus());
    }
}

impl Shard {
    /// Phase A: potentiation at the post spikes back-propagated to `t`.
    pub(super) fn potentiate_arrivals(&mut self, t: Step, dt: f64) {
        for q in 0..self.pops.len() {
            for &k in &self.plastic_by_post[q] {
                let sp = &mut self.projs[k];
                let st = sp.stdp.as_mut().expect("plastic projection");
                if t < st.delay {
                    continue;
                }
                let arrival_of = t - st.delay;
                let Some((_, local)) = self.pops[q]
                    .post_history
                    .iter()
                    .find(|(s, _)| *s == arrival_of)
                else {
                    continue;
                };
                st.potentiate(&mut sp.weight, local, t, dt);
            }
        }
    }
}

impl ShardPopulation {
    /// Keeps the local spikes of step `t` for as long as phase A may still need them.
    pub(super) fn remember_spikes(&mut self, t: Step, spikes: &[u32]) {
        if self.history > 0 {
            if self.post_history.len() as Step >= self.history {
                self.post_history.pop_front();
            }
            self.post_history.push_back((t, spikes.to_vec()));
        }
    }
}
