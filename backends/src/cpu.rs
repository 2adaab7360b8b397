//! The CPU backend: the sim-core engine on N threads.
//!
//! It decides how the engine is executed — how many shards (one thread each) and which slice
//! of every population each shard owns — and nothing else; the step loop is sim-core's. Output
//! is bit-identical for any thread count (the engine's delivery order does not depend on the
//! split), so the split is chosen for speed only: slices are balanced by the synapses that
//! target them, since delivery dominates large networks, with neurons as the tie-breaker.

use std::ops::Range;

use sim_core::{Checkpoint, Counters, Network, Observer, Simulation, Step};

use crate::backend::{Backend, BackendError, BackendReport};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuBackend {
    pub threads: usize,
}

impl CpuBackend {
    pub fn new(threads: usize) -> Self {
        Self {
            threads: threads.max(1),
        }
    }

    /// The number of threads when the user gives none: all available cores.
    pub fn available_threads() -> usize {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    }

    /// Instantiates `net` for this backend. In a process that is one rank of several
    /// (`sim_core::engine::ranks::install`), this rank's part of the layout one process would
    /// use with `threads × ranks` shards; a network the ranks cannot share runs whole in every
    /// rank (commands refuse it first: [`CpuBackend::distributable`]).
    pub fn instantiate(&self, net: &Network) -> Simulation {
        if let Some(ranks) = sim_core::engine::ranks::installed() {
            let global = CpuBackend::new(self.threads * ranks.size());
            if let Ok(sim) = Simulation::distributed(net, global.partition(net), ranks) {
                return sim;
            }
        }
        Simulation::new(net, self.partition(net))
    }

    /// Why the ranks of an MPI run cannot share `net`, if they cannot.
    pub fn distributable(net: &Network) -> Result<(), String> {
        if net.graded.is_empty() {
            Ok(())
        } else {
            Err("graded projections (astrocytes) are not exchanged between ranks yet".into())
        }
    }

    /// Per shard, per population, the slice of neurons it owns: the network's neurons, the
    /// populations one after another, cut into `threads` contiguous pieces of equal work. A
    /// shard thus holds few populations whole rather than a slice of each: a spike's row is
    /// then split over fewer shards, each of which visits it (with pulled rows, at every step
    /// one of its runs arrives). The layout decides speed only, never a result.
    pub fn partition(&self, net: &Network) -> Vec<Vec<Range<u32>>> {
        let k = self.threads;
        let mut work: Vec<u64> = Vec::new();
        let mut first = Vec::with_capacity(net.populations.len());
        for (p, pop) in net.populations.iter().enumerate() {
            first.push(work.len() as u32);
            let base = work.len();
            work.extend(std::iter::repeat_n(NEURON_WORK, pop.size as usize));
            let work = &mut work[base..];
            for proj in net.projections.iter().filter(|q| q.post == p) {
                match proj.synapses.generator() {
                    // A generated projection is balanced by its expected in-degrees
                    // (generating it here would cost as much as building it).
                    Some(g) => {
                        for (j, w) in work.iter_mut().enumerate() {
                            *w += g.expected_column_len(j as u32).round() as u64;
                        }
                    }
                    None => {
                        for (_, j, _, _) in proj.synapses.iter() {
                            work[j as usize] += 1;
                        }
                    }
                }
            }
        }
        split_by_work(&work, k)
            .into_iter()
            .map(|line| {
                let pops = net.populations.iter().zip(&first);
                pops.map(|(pop, &a)| {
                    let clip = |x: u32| x.clamp(a, a + pop.size) - a;
                    clip(line.start)..clip(line.end)
                })
                .collect()
            })
            .collect()
    }
}

/// The work of a neuron's update per step, in synapses: about what delivering to 400 synapses
/// costs at the few spikes per second of a cortical network (in the microcircuit's profile the
/// updates take about a tenth of the time, the delivery the rest).
const NEURON_WORK: u64 = 400;

/// The engine, loaded by [`CpuBackend::instantiate`], is the CPU backend.
impl Backend for Simulation {
    fn step(&self) -> Step {
        Simulation::step(self)
    }

    fn run_until(&mut self, end: Step, observer: &mut dyn Observer) -> Result<(), BackendError> {
        Ok(Simulation::run_until(self, end, observer)?)
    }

    fn counters(&self) -> Counters {
        Simulation::counters(self)
    }

    fn plastic_weights(&self, projection: usize) -> Option<Vec<f64>> {
        // The engine gives a static projection no weights to read back.
        let w = self.weights(projection);
        (!w.is_empty()).then_some(w)
    }

    fn checkpoint(&self) -> Option<Checkpoint> {
        Some(Simulation::checkpoint(self))
    }

    fn restore(&mut self, checkpoint: &Checkpoint) -> Result<(), BackendError> {
        Ok(Simulation::restore(self, checkpoint)?)
    }

    fn stamps_at_emission(&self) -> bool {
        false
    }

    fn synapses(&self) -> Option<u64> {
        Some(self.n_synapses())
    }

    fn report(&self) -> BackendReport {
        BackendReport {
            backend: "cpu",
            threads: self.threads(),
            ranks: self.ranks(),
            machine: None,
            details: None,
        }
    }
}

/// Splits indices 0..work.len() into k contiguous ranges of near-equal total work.
fn split_by_work(work: &[u64], k: usize) -> Vec<Range<u32>> {
    let total: u64 = work.iter().sum();
    let mut ranges = Vec::with_capacity(k);
    let mut start = 0usize;
    let mut acc = 0u64;
    let mut i = 0usize;
    for s in 1..=k {
        let goal = total * s as u64 / k as u64;
        while i < work.len() && (acc + work[i] <= goal || s == k) {
            acc += work[i];
            i += 1;
        }
        ranges.push(start as u32..i as u32);
        start = i;
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_covers_everything_in_order() {
        let work = vec![1, 5, 1, 1, 1, 1, 9, 1];
        for k in 1..6 {
            let r = split_by_work(&work, k);
            assert_eq!(r.len(), k);
            assert_eq!(r[0].start, 0);
            assert_eq!(r[k - 1].end as usize, work.len());
            for w in r.windows(2) {
                assert_eq!(w[0].end, w[1].start);
            }
        }
    }
}
