//! The engine loop: one loop, run by one thread per shard.
//!
//! The network is split into shards by *target* neuron: shard `s` owns a contiguous slice of every
//! population, the input ring buffers of that slice, and every synapse whose target lies in it
//! (compressed rows by pre neuron). A step is:
//!
//! 1. plasticity phase A (post spikes back-propagated to this step), per shard;
//! 2. every kernel reads its input slot for this step, integrates, fires; the spikes go to the
//!    shard's outbox;
//! 3. barrier (all shards' spikes of this step are known);
//! 4. every shard walks all spikes in a fixed global order (pre population, projection, pre
//!    neuron) and, for the rows it owns, runs plasticity phase C and adds each weight into the
//!    target's ring slot `t + delay`.
//!
//! Every target therefore receives its inputs in the same order whatever the number of shards,
//! so 1 and N threads give bit-identical results. No locks or atomics are touched per synapse
//! or per spike: the barrier is the only synchronisation (see [`Outbox`]).

use std::cell::UnsafeCell;
use std::collections::VecDeque;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::graded::{self, GradedOutbox, GradedShard};
use crate::model::{KernelState, ModelError, NeuronKernel, StateArray, StepContext};
use crate::network::Network;
use crate::plasticity::PairRule;
use crate::time::{Step, TimeGrid};

/// Receives what the engine records, in deterministic order, once per chunk of steps.
pub trait Observer {
    /// Spikes of population `pop`: parallel arrays of emission steps and neuron indices, sorted
    /// by step, then neuron.
    fn spikes(&mut self, pop: usize, steps: &[Step], neurons: &[u32]) -> std::io::Result<()>;
    /// Samples of state variable `var` of population `pop`: one row per entry of `steps`, one
    /// column per recorded neuron (row-major).
    fn samples(
        &mut self,
        pop: usize,
        var: usize,
        steps: &[Step],
        values: &[f64],
    ) -> std::io::Result<()>;
    /// Called after each chunk, with the next step to simulate.
    fn chunk_done(&mut self, _next_step: Step) -> std::io::Result<()> {
        Ok(())
    }
}

/// An observer that keeps nothing.
pub struct NullObserver;
impl Observer for NullObserver {
    fn spikes(&mut self, _: usize, _: &[Step], _: &[u32]) -> std::io::Result<()> {
        Ok(())
    }
    fn samples(&mut self, _: usize, _: usize, _: &[Step], _: &[f64]) -> std::io::Result<()> {
        Ok(())
    }
}

/// An observer that keeps every recorded spike and sample in memory (tests, small runs).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct MemoryObserver {
    /// Per population: (step, neuron).
    pub spikes: Vec<Vec<(Step, u32)>>,
    /// Per (population, var): steps and row-major values.
    pub samples: std::collections::BTreeMap<(usize, usize), (Vec<Step>, Vec<f64>)>,
}

impl Observer for MemoryObserver {
    fn spikes(&mut self, pop: usize, steps: &[Step], neurons: &[u32]) -> std::io::Result<()> {
        if self.spikes.len() <= pop {
            self.spikes.resize(pop + 1, Vec::new());
        }
        self.spikes[pop].extend(steps.iter().copied().zip(neurons.iter().copied()));
        Ok(())
    }
    fn samples(
        &mut self,
        pop: usize,
        var: usize,
        steps: &[Step],
        values: &[f64],
    ) -> std::io::Result<()> {
        let e = self.samples.entry((pop, var)).or_default();
        e.0.extend_from_slice(steps);
        e.1.extend_from_slice(values);
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("population '{population}', {source} (at t = {time_ms} ms)")]
    Model {
        population: String,
        time_ms: f64,
        source: ModelError,
    },
    #[error("recording: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("checkpoint does not match this network: {0}; resume with the model the run was started with, or start a new run")]
    Mismatch(String),
    #[error("checkpoint is unreadable: {0}; the file is damaged or from another engram version: start a new run")]
    Decode(String),
}

crate::error_codes! { RunError {
    Model => "E0501",
    Io => "E0502",
} }

crate::error_codes! { CheckpointError {
    Mismatch => "E0401",
    Decode => "E0402",
} }

/// Totals of a run so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    pub spikes: u64,
    pub synaptic_events: u64,
}

/// Delay ring buffer of one population slice: `slots × receptors × n` inputs.
struct Ring {
    slots: usize,
    n_rec: usize,
    n: usize,
    data: Vec<f64>,
    /// For a kernel with sparse input: per slot and receptor (`slot * n_rec + r`), the neurons
    /// whose entry may be nonzero. Empty otherwise.
    touched: Vec<Vec<u32>>,
}

impl Ring {
    fn new(slots: usize, n_rec: usize, n: usize, sparse: bool) -> Self {
        Self {
            slots,
            n_rec,
            n,
            data: vec![0.0; slots * n_rec * n],
            touched: if sparse {
                vec![Vec::new(); slots * n_rec]
            } else {
                Vec::new()
            },
        }
    }
    fn sparse(&self) -> bool {
        !self.touched.is_empty()
    }
    #[inline]
    fn slot_index(&self, step: Step) -> usize {
        (step % self.slots as u64) as usize
    }
    #[inline]
    fn slot_base(&self, step: Step) -> usize {
        self.slot_index(step) * self.n_rec * self.n
    }
    /// Slot `step`'s inputs and (sparse rings) its touched lists, one per receptor.
    fn slot(&mut self, step: Step) -> (&mut [f64], &mut [Vec<u32>]) {
        let b = self.slot_base(step);
        let len = self.n_rec * self.n;
        let touched = if self.sparse() {
            let k = self.slot_index(step) * self.n_rec;
            &mut self.touched[k..k + self.n_rec]
        } else {
            &mut []
        };
        (&mut self.data[b..b + len], touched)
    }
    /// Rebuilds the touched lists from the contents (after a restore).
    fn retouch(&mut self) {
        let n = self.n;
        for (list, block) in self.touched.iter_mut().zip(self.data.chunks(n.max(1))) {
            list.clear();
            list.extend((0..n as u32).filter(|&j| block[j as usize] != 0.0));
        }
    }
}

/// Adds one row's weights into a ring slot (`slot` is the receptor's block of the slot). With
/// a touched list, a target whose entry was 0 is appended to it.
#[inline]
fn add_row<T: Copy + Into<u32>>(
    slot: &mut [f64],
    targets: &[T],
    weights: RowWeights,
    touched: Option<&mut Vec<u32>>,
) {
    match weights {
        RowWeights::Each(w) => add_row_with(slot, targets, |k| w[k], touched),
        RowWeights::Same(w) => add_row_with(slot, targets, |_| w, touched),
    }
}

/// The weights of one row: one per synapse, or one for the whole projection.
#[derive(Clone, Copy)]
enum RowWeights<'a> {
    Each(&'a [f64]),
    Same(f64),
}

#[inline(always)]
fn add_row_with<T: Copy + Into<u32>>(
    slot: &mut [f64],
    targets: &[T],
    weight: impl Fn(usize) -> f64,
    touched: Option<&mut Vec<u32>>,
) {
    match touched {
        None => {
            for (k, &j) in targets.iter().enumerate() {
                let j = j.into() as usize;
                debug_assert!(j < slot.len());
                // SAFETY: targets are local indices < n, checked when the rows are built
                // (`build_shard_projection` keeps only targets in the shard's range and
                // subtracts its start), and the block has n entries.
                unsafe { *slot.get_unchecked_mut(j) += weight(k) };
            }
        }
        Some(list) => {
            // Branch-free append: every target is written, the length advances only for a
            // first arrival.
            list.reserve(targets.len());
            let start = list.len();
            let out = list.spare_capacity_mut().as_mut_ptr();
            let mut added = 0usize;
            for (k, &j) in targets.iter().enumerate() {
                let j = j.into();
                debug_assert!((j as usize) < slot.len());
                // SAFETY: as above for `slot`; `out` has room for targets.len() entries and
                // `added` counts the entries kept so far (<= k).
                unsafe {
                    let cell = slot.get_unchecked_mut(j as usize);
                    (*out.add(added)).write(j);
                    added += (*cell == 0.0) as usize;
                    *cell += weight(k);
                }
            }
            // SAFETY: the `added` entries after `start` were initialised above.
            unsafe { list.set_len(start + added) };
        }
    }
}

/// Pair-STDP state of a plastic projection inside one shard.
struct Stdp {
    rule: Arc<dyn PairRule>,
    delay: Step,
    /// Pre traces, one per pre neuron (replicated in every shard: same inputs, same values).
    x: Vec<f64>,
    tx: Vec<i64>,
    /// Post traces for local targets: value after the last arrival, value just before it.
    y: Vec<f64>,
    y_before: Vec<f64>,
    ty: Vec<i64>,
    /// Column index: for local target j, its synapses `col_syn[col_ptr[j]..col_ptr[j+1]]`.
    col_ptr: Vec<usize>,
    col_syn: Vec<usize>,
    /// Pre neuron of each `col_syn` entry.
    col_pre: Vec<u32>,
    /// Canonical (network-wide) index of each local synapse, for checkpoints.
    canonical: Vec<usize>,
}

/// One projection's synapses whose targets are in a shard, as compressed rows by pre neuron.
struct ShardProjection {
    post: usize,
    receptor: usize,
    row_ptr: Vec<usize>,
    /// Local target index; empty when `target16` holds them (static rows of slices of at most
    /// 65 536 neurons: half the bytes per synapse, and delivery is bound by reading rows).
    target: Vec<u32>,
    target16: Vec<u16>,
    /// Weight per synapse; empty when `uniform_weight` is set (static projections whose
    /// synapses in this shard all have one weight).
    weight: Vec<f64>,
    uniform_weight: Option<f64>,
    /// Delay per synapse; empty when `uniform_delay` is set.
    delay: Vec<u16>,
    /// The delay when every synapse has the same one (the common case: one ring slot per row).
    uniform_delay: Option<u16>,
    stdp: Option<Stdp>,
}

struct ShardPopulation {
    range: Range<u32>,
    kernel: Box<dyn NeuronKernel>,
    ring: Ring,
    /// Local spikes of the last `history` steps (needed by phase A), newest last.
    post_history: VecDeque<(Step, Vec<u32>)>,
    history: Step,
    /// Local recorded neurons (for sampling).
    sample_neurons: Vec<usize>,
}

struct Shard {
    pops: Vec<ShardPopulation>,
    projs: Vec<ShardProjection>,
    /// Projections by pre population.
    by_pre: Vec<Vec<usize>>,
    /// Projections by post population that are plastic.
    plastic_by_post: Vec<Vec<usize>>,
    spike_buf: Vec<u32>,
    rec_spikes: Vec<Vec<(Step, u32)>>,
    /// Per population, per recorded variable: rows of local recorded neurons.
    rec_samples: Vec<Vec<Vec<f64>>>,
    /// Per population: the steps of those rows.
    rec_sample_steps: Vec<Vec<Step>>,
    events: u64,
    spikes: u64,
    error: Option<(usize, ModelError)>,
    /// Continuous couplings (graded.rs): input rings and rows of this shard.
    graded: GradedShard,
}

/// Population-level facts every shard needs.
struct PopInfo {
    name: String,
    size: u32,
    record_spikes: bool,
    vars: Vec<usize>,
    interval: Step,
}

/// Spikes of one step, per population, global indices; double-buffered by step parity.
///
/// Shard `s` writes `outbox[s][t % 2]` in its update of step `t` and every shard reads it in
/// its delivery of step `t`, after the barrier of step `t`. The next write to that half is the
/// update of `t + 2`, which shard `s` starts only after the barrier of `t + 1` — which no
/// shard reaches before it has finished delivering `t`. So the barrier orders every access
/// (its release/acquire pair makes the writes visible), and no lock is needed.
struct Outbox([UnsafeCell<Vec<Vec<u32>>>; 2]);

// SAFETY: accesses follow the protocol above, ordered by the barrier.
unsafe impl Sync for Outbox {}

impl Outbox {
    fn new(n_pops: usize) -> Self {
        Self([
            UnsafeCell::new(vec![Vec::new(); n_pops]),
            UnsafeCell::new(vec![Vec::new(); n_pops]),
        ])
    }

    /// The half step `t` writes.
    ///
    /// # Safety
    /// Only the owning shard, in its update of step `t` (see [`Outbox`]).
    #[allow(clippy::mut_from_ref)]
    unsafe fn write(&self, t: Step) -> &mut Vec<Vec<u32>> {
        &mut *self.0[(t % 2) as usize].get()
    }

    /// The half step `t` wrote.
    ///
    /// # Safety
    /// Only in a delivery of step `t`, after the barrier of step `t` (see [`Outbox`]).
    unsafe fn read(&self, t: Step) -> &Vec<Vec<u32>> {
        &*self.0[(t % 2) as usize].get()
    }
}

/// A network instantiated for running, split into shards.
pub struct Simulation {
    grid: TimeGrid,
    pops: Vec<PopInfo>,
    proj_len: Vec<usize>,
    shards: Vec<Shard>,
    outboxes: Vec<Outbox>,
    /// Per shard: graded outputs of the current step (graded.rs).
    graded_outboxes: Vec<GradedOutbox>,
    step: Step,
    counters: Counters,
    /// Steps per chunk between observer calls.
    chunk_steps: Step,
}

/// Splits `n` neurons into `k` contiguous near-equal ranges.
pub fn split_even(n: u32, k: usize) -> Vec<Range<u32>> {
    let k = k.max(1) as u64;
    (0..k)
        .map(|s| {
            let a = (n as u64 * s / k) as u32;
            let b = (n as u64 * (s + 1) / k) as u32;
            a..b
        })
        .collect()
}

impl Simulation {
    /// Instantiates `net` split into `shards` shards (one thread each when run). `ranges[s][p]`
    /// is shard `s`'s slice of population `p`; [`split_even`] gives the usual choice.
    pub fn new(net: &Network, ranges: Vec<Vec<Range<u32>>>) -> Self {
        let n_pops = net.populations.len();
        let n_shards = ranges.len().max(1);
        let pops: Vec<PopInfo> = net
            .populations
            .iter()
            .map(|p| PopInfo {
                name: p.name.clone(),
                size: p.size,
                record_spikes: p.record.spikes,
                vars: if p.record.neurons.is_empty() {
                    Vec::new()
                } else {
                    p.record.vars.clone()
                },
                interval: p.record.interval.max(1),
            })
            .collect();

        // Ring length per population: its longest incoming delay; history: longest plastic delay.
        let mut slots = vec![1usize; n_pops];
        let mut history = vec![0 as Step; n_pops];
        for proj in &net.projections {
            slots[proj.post] = slots[proj.post].max(proj.synapses.max_delay() as usize);
            if proj.plasticity.is_some() {
                let d = proj.synapses.first_delay().unwrap_or(1) as Step;
                history[proj.post] = history[proj.post].max(d);
            }
        }

        let build = |shard_index: usize, shard_ranges: &Vec<Range<u32>>| {
            let spops: Vec<ShardPopulation> = net
                .populations
                .iter()
                .enumerate()
                .map(|(p, pop)| {
                    let r = shard_ranges[p].clone();
                    let n = (r.end - r.start) as usize;
                    let sample_neurons = pop
                        .record
                        .neurons
                        .iter()
                        .filter(|&&i| r.contains(&i))
                        .map(|&i| (i - r.start) as usize)
                        .collect();
                    let kernel = pop.model.instantiate(p, r.clone(), &net.grid, net.seed);
                    ShardPopulation {
                        ring: Ring::new(
                            slots[p],
                            pop.model.receptors().len().max(1),
                            n,
                            kernel.sparse_input(),
                        ),
                        kernel,
                        post_history: VecDeque::new(),
                        history: history[p],
                        sample_neurons,
                        range: r,
                    }
                })
                .collect();
            let projs = net
                .projections
                .iter()
                .map(|proj| build_shard_projection(net, proj, &shard_ranges[proj.post]))
                .collect();
            let mut by_pre = vec![Vec::new(); n_pops];
            let mut plastic_by_post = vec![Vec::new(); n_pops];
            for (k, proj) in net.projections.iter().enumerate() {
                by_pre[proj.pre].push(k);
                if proj.plasticity.is_some() {
                    plastic_by_post[proj.post].push(k);
                }
            }
            Shard {
                rec_samples: pops
                    .iter()
                    .map(|pi| vec![Vec::new(); pi.vars.len()])
                    .collect(),
                pops: spops,
                projs,
                by_pre,
                plastic_by_post,
                spike_buf: Vec::new(),
                rec_spikes: vec![Vec::new(); n_pops],
                rec_sample_steps: vec![Vec::new(); n_pops],
                events: 0,
                spikes: 0,
                error: None,
                graded: GradedShard::new(net, &ranges, shard_index),
            }
        };
        // Shards are built in parallel, one thread each (connectivity generators make this
        // most of the build time); each shard's contents depend only on its ranges.
        let shards: Vec<Shard> = if ranges.len() <= 1 {
            ranges
                .iter()
                .enumerate()
                .map(|(i, r)| build(i, r))
                .collect()
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = ranges
                    .iter()
                    .enumerate()
                    .map(|(i, r)| scope.spawn(move || build(i, r)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("shard build"))
                    .collect()
            })
        };
        let proj_len = (0..net.projections.len())
            .map(|k| shards.iter().map(|sh| sh.projs[k].len()).sum())
            .collect();

        let outboxes = (0..n_shards).map(|_| Outbox::new(n_pops)).collect();

        Self {
            grid: net.grid,
            pops,
            proj_len,
            shards,
            outboxes,
            graded_outboxes: (0..n_shards).map(|_| graded::outbox(n_pops)).collect(),
            step: 0,
            counters: Counters::default(),
            chunk_steps: 1000,
        }
    }

    /// One shard holding everything (single-threaded).
    pub fn single(net: &Network) -> Self {
        Self::with_threads(net, 1)
    }

    /// Every population split evenly over `threads` shards.
    pub fn with_threads(net: &Network, threads: usize) -> Self {
        let threads = threads.max(1);
        let per_pop: Vec<Vec<Range<u32>>> = net
            .populations
            .iter()
            .map(|p| split_even(p.size, threads))
            .collect();
        let ranges = (0..threads)
            .map(|s| per_pop.iter().map(|r| r[s].clone()).collect())
            .collect();
        Self::new(net, ranges)
    }

    pub fn grid(&self) -> TimeGrid {
        self.grid
    }

    /// The next step to be simulated.
    pub fn step(&self) -> Step {
        self.step
    }

    pub fn counters(&self) -> Counters {
        self.counters
    }

    pub fn threads(&self) -> usize {
        self.shards.len()
    }

    /// Synapses held by the engine (without generating a generated projection again).
    pub fn n_synapses(&self) -> u64 {
        self.proj_len.iter().map(|&n| n as u64).sum()
    }

    /// Steps between observer calls (and between progress updates).
    pub fn set_chunk_steps(&mut self, steps: Step) {
        self.chunk_steps = steps.max(1);
    }

    /// Simulates up to (not including) step `until`, calling `observer` after every chunk.
    pub fn run_until(&mut self, until: Step, observer: &mut dyn Observer) -> Result<(), RunError> {
        while self.step < until {
            let end = until.min(self.step + self.chunk_steps);
            self.run_chunk(self.step, end);
            let failed = self.flush(observer)?;
            if let Some((pop, err, at)) = failed {
                return Err(RunError::Model {
                    population: self.pops[pop].name.clone(),
                    time_ms: self.grid.ms(at),
                    source: err,
                });
            }
            observer.chunk_done(self.step)?;
        }
        Ok(())
    }

    fn run_chunk(&mut self, start: Step, end: Step) {
        let dt = self.grid.dt_ms();
        let pops = &self.pops;
        let outboxes = &self.outboxes;
        let graded_outboxes = &self.graded_outboxes;
        if self.shards.len() == 1 {
            let shard = &mut self.shards[0];
            for t in start..end {
                // Graded coupling (graded.rs): inputs in before the update, outputs out after.
                shard
                    .graded
                    .feed(t, shard.pops.iter_mut().map(|sp| &mut sp.kernel));
                shard.update(pops, t, dt, &outboxes[0]);
                if shard.error.is_some() {
                    self.step = t;
                    return;
                }
                let kernels = shard.pops.iter().map(|sp| &sp.kernel);
                shard.graded.publish(t, kernels, &graded_outboxes[0]);
                shard.deliver(t, dt, outboxes);
                shard.graded.deliver(t, graded_outboxes);
            }
            self.step = end;
            return;
        }
        let barrier = SpinBarrier::new(self.shards.len());
        // The earliest step at which a shard failed. Every shard stops after the barrier of
        // that step: a flag without the step would also stop a slow shard still reading it
        // after the previous barrier, while the failed one waits at the next (a deadlock).
        let failed_at = AtomicU64::new(Step::MAX);
        std::thread::scope(|scope| {
            for (s, shard) in self.shards.iter_mut().enumerate() {
                let barrier = &barrier;
                let failed_at = &failed_at;
                scope.spawn(move || {
                    barrier.register(s);
                    for t in start..end {
                        // Graded coupling (graded.rs): feed, update, publish | barrier | deliver.
                        shard
                            .graded
                            .feed(t, shard.pops.iter_mut().map(|sp| &mut sp.kernel));
                        shard.update(pops, t, dt, &outboxes[s]);
                        if shard.error.is_some() {
                            failed_at.fetch_min(t, Ordering::SeqCst);
                        }
                        let kernels = shard.pops.iter().map(|sp| &sp.kernel);
                        shard.graded.publish(t, kernels, &graded_outboxes[s]);
                        barrier.wait(s);
                        if failed_at.load(Ordering::SeqCst) <= t {
                            return;
                        }
                        shard.deliver(t, dt, outboxes);
                        shard.graded.deliver(t, graded_outboxes);
                    }
                });
            }
        });
        self.step = end.min(failed_at.load(Ordering::SeqCst));
    }

    /// Hands the chunk's recordings to the observer; returns the first model error, if any.
    fn flush(
        &mut self,
        observer: &mut dyn Observer,
    ) -> Result<Option<(usize, ModelError, Step)>, RunError> {
        // A failed step is only partly recorded, in a way that depends on which shard failed:
        // nothing of it is kept, for any thread count.
        let stop = if self.shards.iter().any(|sh| sh.error.is_some()) {
            self.step
        } else {
            Step::MAX
        };
        for p in 0..self.pops.len() {
            if self.pops[p].record_spikes {
                // Shards hold ascending neuron ranges: a stable merge by step keeps neuron order.
                let mut all: Vec<(Step, u32)> = Vec::new();
                for sh in &mut self.shards {
                    all.append(&mut sh.rec_spikes[p]);
                }
                all.retain(|&(t, _)| t < stop);
                all.sort_by_key(|&(t, _)| t);
                let steps: Vec<Step> = all.iter().map(|x| x.0).collect();
                let neurons: Vec<u32> = all.iter().map(|x| x.1).collect();
                observer.spikes(p, &steps, &neurons)?;
            }
            let mut steps: Vec<Step> = std::mem::take(&mut self.shards[0].rec_sample_steps[p]);
            steps.retain(|&t| t < stop);
            for sh in &mut self.shards[1..] {
                sh.rec_sample_steps[p].clear();
            }
            for v in 0..self.pops[p].vars.len() {
                let rows: Vec<Vec<f64>> = self
                    .shards
                    .iter_mut()
                    .map(|sh| std::mem::take(&mut sh.rec_samples[p][v]))
                    .collect();
                let widths: Vec<usize> = self
                    .shards
                    .iter()
                    .map(|sh| sh.pops[p].sample_neurons.len())
                    .collect();
                let n_rows = steps.len();
                if n_rows == 0 {
                    continue;
                }
                let mut values = Vec::with_capacity(n_rows * widths.iter().sum::<usize>());
                for r in 0..n_rows {
                    for (sh, &w) in rows.iter().zip(&widths) {
                        values.extend_from_slice(&sh[r * w..(r + 1) * w]);
                    }
                }
                observer.samples(p, self.pops[p].vars[v], &steps, &values)?;
            }
        }
        let mut counters = Counters::default();
        for sh in &self.shards {
            counters.spikes += sh.spikes;
            counters.synaptic_events += sh.events;
        }
        self.counters = counters;
        // The first error in (population, neuron) order, for a deterministic report.
        let mut first: Option<(usize, ModelError)> = None;
        for sh in &mut self.shards {
            if let Some((p, e)) = sh.error.take() {
                let better = match &first {
                    None => true,
                    Some((fp, fe)) => (p, e.neuron) < (*fp, fe.neuron),
                };
                if better {
                    first = Some((p, e));
                }
            }
        }
        Ok(first.map(|(p, e)| (p, e, self.step)))
    }

    /// The value of state variable `var` of neuron `i` of population `pop`.
    pub fn read(&self, pop: usize, var: usize, i: u32) -> f64 {
        for sh in &self.shards {
            let sp = &sh.pops[pop];
            if sp.range.contains(&i) {
                return sp.kernel.read(var, (i - sp.range.start) as usize);
            }
        }
        f64::NAN
    }

    /// Current weights of projection `proj` in the network's synapse order.
    pub fn weights(&self, proj: usize) -> Vec<f64> {
        let mut w = vec![0.0; self.proj_len[proj]];
        for sh in &self.shards {
            let sp = &sh.projs[proj];
            match &sp.stdp {
                Some(st) => {
                    for (k, &c) in st.canonical.iter().enumerate() {
                        w[c] = sp.weight[k];
                    }
                }
                None => return Vec::new(),
            }
        }
        w
    }

    /// The complete dynamic state, independent of the shard layout.
    pub fn checkpoint(&self) -> Checkpoint {
        let n_pops = self.pops.len();
        let mut kernels = Vec::with_capacity(n_pops);
        let mut rings = Vec::with_capacity(n_pops);
        let mut post_history = Vec::with_capacity(n_pops);
        for p in 0..n_pops {
            let mut merged: KernelState = Vec::new();
            for sh in &self.shards {
                let st = sh.pops[p].kernel.save();
                if merged.is_empty() {
                    merged = st;
                } else {
                    for ((_, acc), (_, part)) in merged.iter_mut().zip(st) {
                        match (acc, part) {
                            (
                                StateArray::F64 { values: a, .. },
                                StateArray::F64 { values: b, .. },
                            ) => a.extend(b),
                            (
                                StateArray::U64 { values: a, .. },
                                StateArray::U64 { values: b, .. },
                            ) => a.extend(b),
                            _ => {}
                        }
                    }
                }
            }
            kernels.push(merged);
            // Rings normalised to "slot k holds input for step (now + k)", layout [k][r][i].
            let r0 = &self.shards[0].pops[p].ring;
            let (slots, n_rec) = (r0.slots, r0.n_rec);
            let mut ring = Vec::with_capacity(slots * n_rec * self.pops[p].size as usize);
            for k in 0..slots as u64 {
                for r in 0..n_rec {
                    for sh in &self.shards {
                        let rg = &sh.pops[p].ring;
                        let b = rg.slot_base(self.step + k) + r * rg.n;
                        ring.extend_from_slice(&rg.data[b..b + rg.n]);
                    }
                }
            }
            rings.push(ring);
            // Post history, global indices, merged per step.
            let mut hist: Vec<(Step, Vec<u32>)> = Vec::new();
            for sh in &self.shards {
                let sp = &sh.pops[p];
                for (k, (t, local)) in sp.post_history.iter().enumerate() {
                    if hist.len() <= k {
                        hist.push((*t, Vec::new()));
                    }
                    hist[k].1.extend(local.iter().map(|&i| i + sp.range.start));
                }
            }
            post_history.push(hist);
        }
        let plastic = (0..self.proj_len.len())
            .map(|k| {
                let st0 = self.shards[0].projs[k].stdp.as_ref()?;
                let mut ps = PlasticState {
                    weights: self.weights(k),
                    x: st0.x.clone(),
                    tx: st0.tx.clone(),
                    ..Default::default()
                };
                for sh in &self.shards {
                    let st = sh.projs[k].stdp.as_ref()?;
                    ps.y.extend_from_slice(&st.y);
                    ps.y_before.extend_from_slice(&st.y_before);
                    ps.ty.extend_from_slice(&st.ty);
                }
                Some(ps)
            })
            .collect();
        Checkpoint {
            format: CHECKPOINT_FORMAT,
            step: self.step,
            dt_ms: self.grid.dt_ms(),
            sizes: self.pops.iter().map(|p| p.size).collect(),
            synapses: self.proj_len.clone(),
            kernels,
            rings,
            post_history,
            plastic,
            counters: self.counters,
            graded: graded::save(
                &self.shards.iter().map(|sh| &sh.graded).collect::<Vec<_>>(),
                self.step,
            ),
        }
    }

    /// Restores a [`Checkpoint`] taken from a simulation of the same network (any shard layout).
    pub fn restore(&mut self, cp: &Checkpoint) -> Result<(), CheckpointError> {
        let mism = |s: String| CheckpointError::Mismatch(s);
        if cp.format != CHECKPOINT_FORMAT {
            return Err(mism(format!(
                "format {} (expected {CHECKPOINT_FORMAT})",
                cp.format
            )));
        }
        if cp.dt_ms != self.grid.dt_ms() {
            return Err(mism(format!(
                "dt {} ms vs {} ms",
                cp.dt_ms,
                self.grid.dt_ms()
            )));
        }
        let sizes: Vec<u32> = self.pops.iter().map(|p| p.size).collect();
        if cp.sizes != sizes || cp.synapses != self.proj_len {
            return Err(mism("population sizes or synapse counts differ".into()));
        }
        if cp.kernels.len() != sizes.len()
            || cp.rings.len() != sizes.len()
            || cp.post_history.len() != sizes.len()
            || cp.plastic.len() != self.proj_len.len()
        {
            return Err(mism("section lengths differ".into()));
        }
        // Check every section against the network before touching any state.
        for (p, hist) in cp.post_history.iter().enumerate() {
            let history = self.shards[0].pops[p].history;
            for (t, neurons) in hist {
                if *t >= cp.step || cp.step - *t > history || neurons.iter().any(|&i| i >= sizes[p])
                {
                    return Err(mism(format!(
                        "recent spikes of '{}' are inconsistent with step {}",
                        self.pops[p].name, cp.step
                    )));
                }
            }
        }
        for (k, ps) in cp.plastic.iter().enumerate() {
            let sh0 = &self.shards[0].projs[k];
            match (ps, &sh0.stdp) {
                (None, None) => {}
                (Some(ps), Some(st)) => {
                    let n_post = sizes[sh0.post] as usize;
                    let n_pre = st.x.len();
                    if ps.weights.len() != self.proj_len[k]
                        || ps.x.len() != n_pre
                        || ps.tx.len() != n_pre
                        || ps.y.len() != n_post
                        || ps.y_before.len() != n_post
                        || ps.ty.len() != n_post
                        || ps.weights.iter().any(|w| !w.is_finite())
                    {
                        return Err(mism(format!("plastic state of projection {k}")));
                    }
                }
                _ => return Err(mism(format!("plasticity of projection {k}"))),
            }
        }
        graded::check(&self.shards[0].graded, &cp.graded, &sizes).map_err(mism)?;
        self.step = cp.step;
        self.counters = cp.counters;
        for sh in &mut self.shards {
            sh.graded.load(&cp.graded, cp.step, &sizes);
        }
        for (p, info) in self.pops.iter().enumerate() {
            let size = info.size as usize;
            for sh in &mut self.shards {
                let sp = &mut sh.pops[p];
                let (a, b) = (sp.range.start as usize, sp.range.end as usize);
                let part: KernelState = cp.kernels[p]
                    .iter()
                    .map(|(name, arr)| {
                        let sliced = match arr {
                            StateArray::F64 { width, values } => StateArray::F64 {
                                width: *width,
                                values: values
                                    .get(a * width..b * width)
                                    .map(|v| v.to_vec())
                                    .unwrap_or_default(),
                            },
                            StateArray::U64 { width, values } => StateArray::U64 {
                                width: *width,
                                values: values
                                    .get(a * width..b * width)
                                    .map(|v| v.to_vec())
                                    .unwrap_or_default(),
                            },
                        };
                        (name.clone(), sliced)
                    })
                    .collect();
                sp.kernel
                    .load(&part)
                    .map_err(|e| mism(format!("population '{}': {e}", info.name)))?;
                let rg = &mut sp.ring;
                if cp.rings[p].len() != rg.slots * rg.n_rec * size {
                    return Err(mism(format!("ring buffer of '{}'", info.name)));
                }
                for k in 0..rg.slots as u64 {
                    for r in 0..rg.n_rec {
                        let src = (k as usize * rg.n_rec + r) * size + a;
                        let dst = rg.slot_base(cp.step + k) + r * rg.n;
                        let n = rg.n;
                        rg.data[dst..dst + n].copy_from_slice(&cp.rings[p][src..src + n]);
                    }
                }
                rg.retouch();
                sp.post_history = cp.post_history[p]
                    .iter()
                    .map(|(t, g)| {
                        let local = g
                            .iter()
                            .filter(|&&i| sp.range.contains(&i))
                            .map(|&i| i - sp.range.start)
                            .collect();
                        (*t, local)
                    })
                    .collect();
            }
        }
        for (k, ps) in cp.plastic.iter().enumerate() {
            for sh in &mut self.shards {
                let post = sh.projs[k].post;
                let range = sh.pops[post].range.clone();
                let sp = &mut sh.projs[k];
                match (ps, sp.stdp.as_mut()) {
                    (None, None) => {}
                    (Some(ps), Some(st)) => {
                        if ps.weights.len() != self.proj_len[k] || ps.x.len() != st.x.len() {
                            return Err(mism(format!("plastic state of projection {k}")));
                        }
                        for (l, &c) in st.canonical.iter().enumerate() {
                            sp.weight[l] = ps.weights[c];
                        }
                        st.x.clone_from(&ps.x);
                        st.tx.clone_from(&ps.tx);
                        let (a, b) = (range.start as usize, range.end as usize);
                        st.y = ps.y[a..b].to_vec();
                        st.y_before = ps.y_before[a..b].to_vec();
                        st.ty = ps.ty[a..b].to_vec();
                    }
                    _ => return Err(mism(format!("plasticity of projection {k}"))),
                }
            }
        }
        let mut per_shard = vec![Counters::default(); self.shards.len()];
        per_shard[0] = cp.counters;
        for (sh, c) in self.shards.iter_mut().zip(per_shard) {
            sh.spikes = c.spikes;
            sh.events = c.synaptic_events;
        }
        Ok(())
    }
}

fn build_shard_projection(
    net: &Network,
    proj: &crate::network::Projection,
    range: &Range<u32>,
) -> ShardProjection {
    let n_pre = net.populations[proj.pre].size as usize;
    let n_local = (range.end - range.start) as usize;
    if let Some(g) = proj.synapses.generator() {
        return generated_shard_projection(proj, g.as_ref(), n_pre, range);
    }
    let s = &proj.synapses;
    // Counting sort by pre neuron keeps the generation order within a row (stable), which the
    // determinism argument relies on.
    let mut row_ptr = vec![0usize; n_pre + 1];
    for k in 0..s.len() {
        if range.contains(&s.post[k]) {
            row_ptr[s.pre[k] as usize + 1] += 1;
        }
    }
    for i in 0..n_pre {
        row_ptr[i + 1] += row_ptr[i];
    }
    let nnz = row_ptr[n_pre];
    let mut fill = row_ptr.clone();
    let mut target = vec![0u32; nnz];
    let mut weight = vec![0f64; nnz];
    let mut delay = vec![0u16; nnz];
    let mut canonical = if proj.plasticity.is_some() {
        vec![0usize; nnz]
    } else {
        Vec::new()
    };
    for k in 0..s.len() {
        if range.contains(&s.post[k]) {
            let slot = &mut fill[s.pre[k] as usize];
            target[*slot] = s.post[k] - range.start;
            weight[*slot] = s.weight[k];
            delay[*slot] = s.delay[k];
            if !canonical.is_empty() {
                canonical[*slot] = k;
            }
            *slot += 1;
        }
    }
    let stdp = proj.plasticity.as_ref().map(|rule| {
        let mut col_ptr = vec![0usize; n_local + 1];
        for &j in &target {
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
        Stdp {
            rule: rule.clone(),
            delay: s.delay.first().copied().unwrap_or(1) as Step,
            x: vec![0.0; n_pre],
            tx: vec![-1; n_pre],
            y: vec![0.0; n_local],
            y_before: vec![0.0; n_local],
            ty: vec![-1; n_local],
            col_ptr,
            col_syn,
            col_pre,
            canonical: std::mem::take(&mut canonical),
        }
    });
    let uniform_delay = match s.delay.first() {
        Some(&d0) if s.delay.iter().all(|&d| d == d0) => Some(d0),
        _ => None,
    };
    ShardProjection::compact(ShardProjection {
        post: proj.post,
        receptor: proj.receptor,
        row_ptr,
        target,
        target16: Vec::new(),
        weight,
        uniform_weight: None,
        delay,
        uniform_delay,
        stdp,
    })
}

/// The rows of a generated projection for the targets in `range`, in two passes over its
/// columns (count, then fill), so that nothing but the rows is ever held: one target index per
/// synapse, u16 where the slice allows.
fn generated_shard_projection(
    proj: &crate::network::Projection,
    g: &dyn crate::network::SynapseGenerator,
    n_pre: usize,
    range: &Range<u32>,
) -> ShardProjection {
    let mut row_ptr = vec![0usize; n_pre + 1];
    let mut col = Vec::new();
    for j in range.clone() {
        col.clear();
        g.column(j, &mut col);
        for &i in &col {
            row_ptr[i as usize + 1] += 1;
        }
    }
    for i in 0..n_pre {
        row_ptr[i + 1] += row_ptr[i];
    }
    let nnz = row_ptr[n_pre];
    let narrow = range.end - range.start <= u16::MAX as u32 + 1;
    let mut target16 = vec![0u16; if narrow { nnz } else { 0 }];
    let mut target = vec![0u32; if narrow { 0 } else { nnz }];
    let mut fill = row_ptr.clone();
    // Columns in ascending order: within a row, synapses keep the generation order, as the
    // counting sort of a held list does.
    for j in range.clone() {
        col.clear();
        g.column(j, &mut col);
        let local = j - range.start;
        for &i in &col {
            let slot = &mut fill[i as usize];
            if narrow {
                target16[*slot] = local as u16;
            } else {
                target[*slot] = local;
            }
            *slot += 1;
        }
    }
    ShardProjection {
        post: proj.post,
        receptor: proj.receptor,
        row_ptr,
        target,
        target16,
        weight: Vec::new(),
        uniform_weight: Some(g.weight()),
        delay: Vec::new(),
        uniform_delay: Some(g.delay()),
        stdp: None,
    }
}

impl ShardProjection {
    /// Synapses in this shard.
    fn len(&self) -> usize {
        self.row_ptr.last().copied().unwrap_or(0)
    }

    /// Drops the per-synapse columns a static projection does not need: one weight or one
    /// delay for all, targets as u16 where they fit.
    fn compact(mut self) -> Self {
        if self.uniform_delay.is_some() {
            self.delay = Vec::new();
        }
        if self.stdp.is_some() {
            return self;
        }
        if let Some(&w0) = self.weight.first() {
            if self.weight.iter().all(|w| w.to_bits() == w0.to_bits()) {
                self.uniform_weight = Some(w0);
                self.weight = Vec::new();
            }
        }
        if self.target.iter().all(|&j| j <= u16::MAX as u32) {
            self.target16 = self.target.iter().map(|&j| j as u16).collect();
            self.target = Vec::new();
        }
        self
    }

    fn row_weights(&self, row: Range<usize>) -> RowWeights<'_> {
        match self.uniform_weight {
            Some(w) => RowWeights::Same(w),
            None => RowWeights::Each(&self.weight[row]),
        }
    }

    fn target_at(&self, syn: usize) -> usize {
        if self.target.is_empty() {
            self.target16[syn] as usize
        } else {
            self.target[syn] as usize
        }
    }

    fn weight_at(&self, syn: usize) -> f64 {
        self.uniform_weight.unwrap_or_else(|| self.weight[syn])
    }
}

impl Shard {
    /// Phases 1–2: post spikes back-propagated to `t`, then every kernel's update.
    fn update(&mut self, pops: &[PopInfo], t: Step, dt: f64, outbox: &Outbox) {
        // Phase A: potentiation at back-propagated post arrivals.
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
                let tau_p = st.rule.tau_plus();
                let tau_m = st.rule.tau_minus();
                for &j in local {
                    let j = j as usize;
                    for c in st.col_ptr[j]..st.col_ptr[j + 1] {
                        let syn = st.col_syn[c];
                        let i = st.col_pre[c] as usize;
                        if st.tx[i] >= 0 {
                            let lag = (t as i64 - st.tx[i]) as f64 * dt;
                            let x = st.x[i] * (-lag / tau_p).exp();
                            sp.weight[syn] = st.rule.potentiate(sp.weight[syn], x);
                        }
                    }
                    let before = if st.ty[j] >= 0 {
                        st.y[j] * (-((t as i64 - st.ty[j]) as f64 * dt) / tau_m).exp()
                    } else {
                        0.0
                    };
                    st.y_before[j] = before;
                    st.y[j] = before + 1.0;
                    st.ty[j] = t as i64;
                }
            }
        }

        // Phase B: neuron updates.
        let ctx = StepContext { step: t, dt_ms: dt };
        // SAFETY: this is shard's own outbox, in its update of step t.
        let out = unsafe { outbox.write(t) };
        for (p, sp) in self.pops.iter_mut().enumerate() {
            self.spike_buf.clear();
            let (input, touched) = sp.ring.slot(t);
            let res = if touched.is_empty() {
                sp.kernel.update(&ctx, input, &mut self.spike_buf)
            } else {
                let res = sp
                    .kernel
                    .update_sparse(&ctx, input, touched, &mut self.spike_buf);
                touched.iter_mut().for_each(Vec::clear);
                res
            };
            if let Err(e) = res {
                let e = ModelError {
                    neuron: e.neuron + sp.range.start,
                    ..e
                };
                self.error = Some((p, e));
                return;
            }
            let start = sp.range.start;
            let o = &mut out[p];
            o.clear();
            o.extend(self.spike_buf.iter().map(|&i| i + start));
            self.spikes += self.spike_buf.len() as u64;
            if pops[p].record_spikes {
                self.rec_spikes[p].extend(o.iter().map(|&i| (t, i)));
            }
            if sp.history > 0 {
                if sp.post_history.len() as Step >= sp.history {
                    sp.post_history.pop_front();
                }
                sp.post_history.push_back((t, self.spike_buf.clone()));
            }
            let info = &pops[p];
            if !info.vars.is_empty() && t.is_multiple_of(info.interval) {
                self.rec_sample_steps[p].push(t);
                for (v, &var) in info.vars.iter().enumerate() {
                    let buf = &mut self.rec_samples[p][v];
                    for &i in &sp.sample_neurons {
                        buf.push(sp.kernel.read(var, i));
                    }
                }
            }
        }
    }

    /// Phase C and delivery: all spikes of step `t`, in global order, into this shard's rows.
    fn deliver(&mut self, t: Step, dt: f64, outboxes: &[Outbox]) {
        for p in 0..self.by_pre.len() {
            if self.by_pre[p].is_empty() {
                continue;
            }
            // Projection, then shard, then neuron: each target then receives its inputs in the
            // same order (projection, pre neuron) whatever the number of shards.
            for &k in &self.by_pre[p] {
                for ob in outboxes {
                    // SAFETY: delivery of step t, after its barrier.
                    let out = unsafe { ob.read(t) };
                    let spikes = &out[p];
                    if spikes.is_empty() {
                        continue;
                    }
                    let sp = &mut self.projs[k];
                    let ring = &mut self.pops[sp.post].ring;
                    let (n, slots, n_rec) = (ring.n, ring.slots as u64, ring.n_rec);
                    let sparse = ring.sparse();
                    let rec = sp.receptor;
                    let rec_off = rec * n;
                    let slot_len = ring.n_rec * n;
                    for &i in spikes {
                        let i = i as usize;
                        let row = sp.row_ptr[i]..sp.row_ptr[i + 1];
                        self.events += row.len() as u64;
                        if let Some(st) = sp.stdp.as_mut() {
                            let tau_m = st.rule.tau_minus();
                            for syn in row.clone() {
                                let j = sp.target[syn] as usize;
                                if st.ty[j] >= 0 {
                                    let y = if st.ty[j] == t as i64 {
                                        if st.rule.depress_at_zero_lag() {
                                            st.y[j]
                                        } else {
                                            st.y_before[j]
                                        }
                                    } else {
                                        st.y[j]
                                            * (-((t as i64 - st.ty[j]) as f64 * dt) / tau_m).exp()
                                    };
                                    sp.weight[syn] = st.rule.depress(sp.weight[syn], y);
                                }
                            }
                            let x = if st.tx[i] >= 0 {
                                st.x[i]
                                    * (-((t as i64 - st.tx[i]) as f64 * dt) / st.rule.tau_plus())
                                        .exp()
                            } else {
                                0.0
                            };
                            st.x[i] = x + 1.0;
                            st.tx[i] = t as i64;
                        }
                        if let Some(d) = sp.uniform_delay {
                            let slot = ((t + d as u64) % slots) as usize;
                            let base = slot * slot_len + rec_off;
                            let block = &mut ring.data[base..base + n];
                            let touched = sparse.then(|| &mut ring.touched[slot * n_rec + rec]);
                            let weights = sp.row_weights(row.clone());
                            if sp.target.is_empty() {
                                add_row(block, &sp.target16[row], weights, touched);
                            } else {
                                add_row(block, &sp.target[row], weights, touched);
                            }
                        } else {
                            let now = (t % slots) as usize;
                            for syn in row {
                                let mut slot = now + sp.delay[syn] as usize;
                                if slot >= slots as usize {
                                    slot -= slots as usize;
                                }
                                let j = sp.target_at(syn);
                                let idx = slot * slot_len + rec_off + j;
                                if sparse && ring.data[idx] == 0.0 {
                                    ring.touched[slot * n_rec + rec].push(j as u32);
                                }
                                ring.data[idx] += sp.weight_at(syn);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// 2: graded inputs in flight were added.
pub const CHECKPOINT_FORMAT: u32 = 2;

/// Plastic-projection state in a checkpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlasticState {
    /// In the network's synapse order.
    pub weights: Vec<f64>,
    pub x: Vec<f64>,
    pub tx: Vec<i64>,
    pub y: Vec<f64>,
    pub y_before: Vec<f64>,
    pub ty: Vec<i64>,
}

/// The full dynamic state of a simulation, independent of its thread count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub format: u32,
    /// Next step to simulate.
    pub step: Step,
    pub dt_ms: f64,
    pub sizes: Vec<u32>,
    pub synapses: Vec<usize>,
    pub kernels: Vec<KernelState>,
    /// Per population, inputs in flight: `[k][receptor][neuron]` for step `step + k`.
    pub rings: Vec<Vec<f64>>,
    /// Per population, recent spikes (global indices) still to be back-propagated.
    pub post_history: Vec<Vec<(Step, Vec<u32>)>>,
    pub plastic: Vec<Option<PlasticState>>,
    pub counters: Counters,
    /// Per population, graded inputs in flight: `[k][port][neuron]` for step `step + k`.
    pub graded: Vec<Vec<f64>>,
}

impl Checkpoint {
    pub fn to_bytes(&self) -> Vec<u8> {
        bincode::serde::encode_to_vec(self, bincode::config::standard())
            .expect("checkpoint encodes")
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CheckpointError> {
        decode_bounded(bytes).map_err(|e| CheckpointError::Decode(e.to_string()))
    }
}

/// Decodes bincode (standard configuration) with allocations bounded by the input's size, so
/// that a corrupt length (a string said to be 4 GiB long in a 3 kB file) is an error, not an
/// allocation. Decoded values take at most a few times their encoded size (a varint of one
/// byte becomes an 8-byte integer), so the bound is 64 times the input, rounded up to a power
/// of two (bincode's limit is a constant), and at least 1 MiB.
pub fn decode_bounded<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
) -> Result<T, bincode::error::DecodeError> {
    fn with<const LIMIT: usize, T: serde::de::DeserializeOwned>(
        bytes: &[u8],
    ) -> Result<T, bincode::error::DecodeError> {
        let cfg = bincode::config::standard().with_limit::<LIMIT>();
        bincode::serde::decode_from_slice(bytes, cfg).map(|(v, _)| v)
    }
    let bound = bytes.len().saturating_mul(64).max(1 << 20);
    macro_rules! by_power {
        ($($p:literal)*) => {
            match bound.next_power_of_two().trailing_zeros() {
                $($p => with::<{ 1usize << $p }, T>(bytes),)*
                _ => with::<{ 1usize << 44 }, T>(bytes),
            }
        };
    }
    by_power!(20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43)
}

/// A barrier that spins briefly, then sleeps until the last thread wakes it: steps are
/// microseconds long, so a condition variable on every step would dominate, but a thread that
/// kept spinning (or yielding) while its partner waits for a core — more threads than free
/// cores, e.g. on a shared machine — would take that core from it for whole time slices.
struct SpinBarrier {
    n: usize,
    count: AtomicUsize,
    generation: AtomicUsize,
    /// Per thread: its handle (set by [`SpinBarrier::register`]), whether it sleeps, and
    /// whether its last wait ended in a sleep (read and written by that thread only).
    threads: Vec<(
        std::sync::OnceLock<std::thread::Thread>,
        AtomicBool,
        AtomicBool,
    )>,
}

/// How long a thread spins before it sleeps. Long while waits end within it: on an idle
/// machine the shards finish a step within tens of microseconds of each other, and a sleep and
/// wake-up costs more than that (CUBA-40k on 2 threads: 1.76x one thread with the long budget,
/// 1.3x with the short one). Short after a wait that had to sleep anyway: the partner has
/// lost its core (a shared machine), and spinning would only keep it from getting one back.
/// Both are far below a time slice. (One `pause` takes ~70 ns on the machine of BENCHMARKS.md.)
const BARRIER_SPIN_LONG: std::time::Duration = std::time::Duration::from_micros(50);
const BARRIER_SPIN_SHORT: std::time::Duration = std::time::Duration::from_micros(5);

impl SpinBarrier {
    fn new(n: usize) -> Self {
        Self {
            n,
            count: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
            threads: (0..n)
                .map(|_| {
                    (
                        std::sync::OnceLock::new(),
                        AtomicBool::new(false),
                        AtomicBool::new(false),
                    )
                })
                .collect(),
        }
    }

    /// Called once by thread `me` before its first [`SpinBarrier::wait`].
    fn register(&self, me: usize) {
        let _ = self.threads[me].0.set(std::thread::current());
    }

    fn wait(&self, me: usize) {
        let gen = self.generation.load(Ordering::Acquire);
        if self.count.fetch_add(1, Ordering::AcqRel) + 1 == self.n {
            self.count.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::SeqCst);
            for (i, (thread, sleeping, _)) in self.threads.iter().enumerate() {
                if i != me && sleeping.swap(false, Ordering::SeqCst) {
                    if let Some(t) = thread.get() {
                        t.unpark();
                    }
                }
            }
            return;
        }
        let slept_last = &self.threads[me].2;
        let budget = if slept_last.load(Ordering::Relaxed) {
            BARRIER_SPIN_SHORT
        } else {
            BARRIER_SPIN_LONG
        };
        let mut slept = false;
        let mut spins = 0u32;
        let mut since: Option<std::time::Instant> = None;
        while self.generation.load(Ordering::Acquire) == gen {
            spins += 1;
            if !spins.is_multiple_of(8) {
                std::hint::spin_loop();
                continue;
            }
            let started = *since.get_or_insert_with(std::time::Instant::now);
            if started.elapsed() < budget {
                continue;
            }
            slept = true;
            // Announce the sleep, then re-check: either the last thread sees the flag and
            // unparks us, or we see its new generation (both SeqCst).
            let sleeping = &self.threads[me].1;
            sleeping.store(true, Ordering::SeqCst);
            if self.generation.load(Ordering::SeqCst) == gen {
                std::thread::park_timeout(std::time::Duration::from_millis(1));
            }
            sleeping.store(false, Ordering::SeqCst);
        }
        slept_last.store(slept, Ordering::Relaxed);
    }
}
