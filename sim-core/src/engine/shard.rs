//! A shard: one thread's part of the network. Shard `s` owns a contiguous slice of every
//! population (its kernels and input ring buffers) and every synapse whose target lies in it.

use std::collections::VecDeque;
use std::ops::Range;

use super::recording::ShardRecording;
use super::ring::Ring;
use super::rows::{always_pulled, build_shard_projection, ShardProjection};
use super::PopInfo;
use crate::graded::GradedShard;
use crate::model::{ModelError, NeuronKernel};
use crate::network::Network;
use crate::time::Step;

/// One population's slice in a shard.
pub(super) struct ShardPopulation {
    pub(super) range: Range<u32>,
    pub(super) kernel: Box<dyn NeuronKernel>,
    pub(super) ring: Ring,
    /// Local spikes of the last `history` steps (needed by phase A), newest last.
    pub(super) post_history: VecDeque<(Step, Vec<u32>)>,
    pub(super) history: Step,
    /// Local recorded neurons (for sampling).
    pub(super) sample_neurons: Vec<usize>,
}

pub(super) struct Shard {
    pub(super) pops: Vec<ShardPopulation>,
    pub(super) projs: Vec<ShardProjection>,
    /// Projections by pre population.
    pub(super) by_pre: Vec<Vec<usize>>,
    /// Projections by post population that are plastic.
    pub(super) plastic_by_post: Vec<Vec<usize>>,
    /// Projections by post population whose spikes are pulled before the update.
    pub(super) pulled_by_post: Vec<Vec<usize>>,
    pub(super) spike_buf: Vec<u32>,
    pub(super) recording: ShardRecording,
    pub(super) events: u64,
    pub(super) spikes: u64,
    pub(super) error: Option<(usize, ModelError)>,
    /// Continuous couplings (graded.rs): input rings and rows of this shard.
    pub(super) graded: GradedShard,
}

/// Builds shards `local` of `net` (all of them in one process; a rank's own in a distributed
/// run); `ranges[s][p]` is shard `s`'s slice of population `p`.
pub(super) fn build_shards(
    net: &Network,
    ranges: &[Vec<Range<u32>>],
    local: Range<usize>,
    pops: &[PopInfo],
) -> Vec<Shard> {
    let n_pops = net.populations.len();
    // Ring length per population: its longest pushed delay (pulled rows add into the current
    // slot only); history: longest plastic delay.
    let mut slots = vec![1usize; n_pops];
    let mut history = vec![0 as Step; n_pops];
    for proj in &net.projections {
        if !always_pulled(net, proj) {
            slots[proj.post] = slots[proj.post].max(proj.synapses.max_delay() as usize);
        }
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
                        // Touched lists spare the update a scan of a slot filled over many
                        // steps and long evicted from cache; a ring of one slot, filled by
                        // pulls just before the update, is still in cache, and scanning it
                        // costs less than listing every first arrival.
                        kernel.sparse_input() && slots[p] > 1,
                    ),
                    kernel,
                    post_history: VecDeque::new(),
                    history: history[p],
                    sample_neurons,
                    range: r,
                }
            })
            .collect();
        let projs: Vec<ShardProjection> = net
            .projections
            .iter()
            .map(|proj| build_shard_projection(net, proj, &shard_ranges[proj.post]))
            .collect();
        let mut by_pre = vec![Vec::new(); n_pops];
        let mut plastic_by_post = vec![Vec::new(); n_pops];
        let mut pulled_by_post = vec![Vec::new(); n_pops];
        for (k, proj) in net.projections.iter().enumerate() {
            by_pre[proj.pre].push(k);
            if proj.plasticity.is_some() {
                plastic_by_post[proj.post].push(k);
            }
            if projs[k].is_pulled() {
                pulled_by_post[proj.post].push(k);
            }
        }
        Shard {
            pops: spops,
            projs,
            by_pre,
            plastic_by_post,
            pulled_by_post,
            spike_buf: Vec::new(),
            recording: ShardRecording::new(pops),
            events: 0,
            spikes: 0,
            error: None,
            graded: GradedShard::new(net, ranges, shard_index),
        }
    };
    // Shards are built in parallel, one thread each (connectivity generators make this most of
    // the build time); each shard's contents depend only on its ranges.
    let mine = ranges[local.clone()].iter().zip(local.clone());
    if local.len() <= 1 {
        mine.map(|(r, i)| build(i, r)).collect()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = mine
                .map(|(r, i)| scope.spawn(move || build(i, r)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("shard build"))
                .collect()
        })
    }
}
