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
//!
//! ## Layout
//! Each phase lives in its own module: `shard` (a shard and how it is built), `rows` (the
//! compressed rows of a projection and the delivery of a spike into a ring), `ring` (the delay
//! ring buffer), `stdp` (phases A and C), `dynamics` (synapse dynamics), `step` (the step loop, one body for 1 and N shards),
//! `sync` (the outbox, the barrier and how threads meet), `recording` (observers and the
//! recording buffers) and `checkpoint` (the layout-independent state).

mod checkpoint;
mod dynamics;
mod pages;
pub mod ranks;
mod recording;
mod ring;
mod rows;
mod shard;
mod stdp;
mod step;
mod sync;

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::graded::{self, GradedOutbox};
use crate::model::ModelError;
use crate::network::{Network, Population};
use crate::time::{Step, TimeGrid};

pub use checkpoint::{
    decode_bounded, Checkpoint, CheckpointError, DynamicState, PlasticState, CHECKPOINT_FORMAT,
};
pub use ranks::RankTimes;
pub use recording::{MemoryObserver, NullObserver, Observer};

use shard::{build_shards, Shard};
use sync::Outbox;

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

crate::error_codes! { RunError {
    Model => "E0501",
    Io => "E0502",
} }

/// Totals of a run so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    pub spikes: u64,
    pub synaptic_events: u64,
}

/// Population-level facts every shard needs.
struct PopInfo {
    name: String,
    size: u32,
    record_spikes: bool,
    vars: Vec<usize>,
    interval: Step,
}

impl PopInfo {
    fn new(p: &Population) -> Self {
        Self {
            name: p.name.clone(),
            size: p.size,
            record_spikes: p.record.spikes,
            vars: if p.record.neurons.is_empty() {
                Vec::new()
            } else {
                p.record.vars.clone()
            },
            interval: p.record.interval.max(1),
        }
    }
}

/// A network instantiated for running, split into shards.
pub struct Simulation {
    grid: TimeGrid,
    pops: Vec<PopInfo>,
    proj_len: Vec<usize>,
    /// Pre population of each projection.
    proj_pre: Vec<usize>,
    shards: Vec<Shard>,
    outboxes: Vec<Outbox>,
    /// Per shard: graded outputs of the current step (graded.rs).
    graded_outboxes: Vec<GradedOutbox>,
    step: Step,
    counters: Counters,
    /// Steps per chunk between observer calls.
    chunk_steps: Step,
    /// This process's part of a distributed run (ranks.rs); `None` in one process.
    placement: Option<ranks::Placement>,
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
        let all = 0..ranges.len();
        Self::build(net, ranges, all, None)
    }

    /// Instantiates this rank's part of `net` in a run over `ranks` processes of
    /// `ranges.len() / ranks.size()` shards each: `ranges` is the global layout (the one a
    /// single process with as many shards would use), rank `r` builds shards `r·T..(r+1)·T`
    /// only. Collective: every rank calls it. A network with graded projections is refused
    /// (their outputs are not exchanged between ranks yet).
    pub fn distributed(
        net: &Network,
        ranges: Vec<Vec<Range<u32>>>,
        ranks: std::sync::Arc<dyn ranks::Ranks>,
    ) -> Result<Self, String> {
        if !net.graded.is_empty() {
            return Err("graded projections are not exchanged between ranks".into());
        }
        let per_rank = ranges.len() / ranks.size();
        if per_rank == 0 || per_rank * ranks.size() != ranges.len() {
            return Err(format!(
                "{} shards do not split evenly over {} ranks",
                ranges.len(),
                ranks.size()
            ));
        }
        let first = ranks.rank() * per_rank;
        let interval = ranks::exchange_interval(net);
        let placement = ranks::Placement {
            ranks,
            per_rank,
            interval,
            times: RankTimes::default(),
        };
        Ok(Self::build(
            net,
            ranges,
            first..first + per_rank,
            Some(placement),
        ))
    }

    fn build(
        net: &Network,
        ranges: Vec<Vec<Range<u32>>>,
        local: Range<usize>,
        placement: Option<ranks::Placement>,
    ) -> Self {
        let n_pops = net.populations.len();
        let n_shards = ranges.len().max(1);
        let pops: Vec<PopInfo> = net.populations.iter().map(PopInfo::new).collect();
        let shards = build_shards(net, &ranges, local, &pops);
        let mut proj_len: Vec<usize> = (0..net.projections.len())
            .map(|k| shards.iter().map(|sh| sh.projs[k].len()).sum())
            .collect();
        if let Some(p) = &placement {
            let mine: Vec<u8> = proj_len
                .iter()
                .flat_map(|&n| (n as u64).to_le_bytes())
                .collect();
            let all = p.ranks.all_gather(&mine);
            for (k, len) in proj_len.iter_mut().enumerate() {
                *len = all
                    .iter()
                    .map(|b| {
                        u64::from_le_bytes(b[k * 8..k * 8 + 8].try_into().expect("8")) as usize
                    })
                    .sum();
            }
        }

        // Steps an outbox holds: two exchange intervals (see `Outbox`).
        let depth = placement.as_ref().map_or(2, |p| 2 * p.interval as usize);
        let outboxes = (0..n_shards).map(|_| Outbox::new(n_pops, depth)).collect();

        Self {
            grid: net.grid,
            pops,
            proj_len,
            proj_pre: net.projections.iter().map(|p| p.pre).collect(),
            shards,
            outboxes,
            graded_outboxes: (0..n_shards).map(|_| graded::outbox(n_pops)).collect(),
            step: 0,
            counters: Counters::default(),
            chunk_steps: 1000,
            placement,
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

    /// Threads of this process (shards it holds).
    pub fn threads(&self) -> usize {
        self.shards.len()
    }

    /// The number of processes the run is spread over (1: this one alone).
    pub fn ranks(&self) -> usize {
        self.placement.as_ref().map_or(1, |p| p.ranks.size())
    }

    /// Starts [`Simulation::rank_times`] afresh (e.g. after an untimed presimulation).
    pub fn reset_rank_times(&mut self) {
        if let Some(p) = &mut self.placement {
            p.times = RankTimes::default();
        }
    }

    /// Where each rank's time went, in rank order (empty in one process). Collective.
    pub fn rank_times(&self) -> Vec<RankTimes> {
        let Some(p) = &self.placement else {
            return Vec::new();
        };
        let times = RankTimes {
            synapses: (self.shards.iter())
                .flat_map(|sh| sh.projs.iter().map(|sp| sp.len() as u64))
                .sum(),
            columns_drawn: crate::network::columns_drawn(),
            ..p.times
        };
        let mine = bincode::serde::encode_to_vec(times, bincode::config::standard())
            .expect("times encode");
        (p.ranks.all_gather(&mine).iter())
            .map(|b| {
                bincode::serde::decode_from_slice(b, bincode::config::standard())
                    .expect("a rank's times decode")
                    .0
            })
            .collect()
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

    /// Current weights of projection `proj` in the network's synapse order (empty for a static
    /// projection). Collective in a distributed run.
    pub fn weights(&self, proj: usize) -> Vec<f64> {
        // (synapse index in network order, weight) of the synapses this process holds.
        let mut mine: Vec<(u64, f64)> = Vec::new();
        for sh in &self.shards {
            let sp = &sh.projs[proj];
            match &sp.stdp {
                Some(st) => {
                    mine.extend((st.canonical.iter().zip(&sp.weight)).map(|(&c, &w)| (c as u64, w)))
                }
                None => return Vec::new(),
            }
        }
        if let Some(p) = &self.placement {
            let bytes: Vec<u8> = mine
                .iter()
                .flat_map(|&(c, w)| c.to_le_bytes().into_iter().chain(w.to_le_bytes()))
                .collect();
            mine = (p.ranks.all_gather(&bytes).iter())
                .flat_map(|b| {
                    b.chunks_exact(16).map(|c| {
                        let c0: [u8; 8] = c[..8].try_into().expect("8");
                        let c1: [u8; 8] = c[8..].try_into().expect("8");
                        (u64::from_le_bytes(c0), f64::from_le_bytes(c1))
                    })
                })
                .collect();
        }
        let mut w = vec![0.0; self.proj_len[proj]];
        for (c, x) in mine {
            w[c as usize] = x;
        }
        w
    }
}
