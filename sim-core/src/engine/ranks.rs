//! Processes (MPI ranks) as one more level of shards.
//!
//! A distributed run is the run of one process with `ranks × threads` shards: the global layout
//! is the one that process would use, rank `r` holds shards `r·T .. (r+1)·T` (one thread each)
//! and builds only their neurons and the synapses that target them. The ranks exchange spikes
//! once per interval of `D` steps, `D` the shortest delay ([`exchange_interval`]): the rank's
//! threads update the interval's steps (meeting after each), then one thread per rank (the one
//! that called the run, as MPI wants) gathers every rank's spikes of those steps into the
//! outboxes of the shards it does not hold; after a second barrier every shard delivers the
//! interval's steps one after the other, each from all outboxes in global order, exactly as one
//! process does. So the output is bit-identical to one process for any ranks × threads.
//!
//! sim-core knows no MPI: the process group is a [`Ranks`] installed once per process (the
//! CLI's `mpi` feature installs one over `MPI_COMM_WORLD`).

use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::sync::{Exchanged, Outbox, Rendezvous, Together};
use crate::network::Network;
use crate::time::Step;

/// The processes of a run, as the engine needs them. Every method is collective: all ranks
/// call it in the same order. Only one thread of a process calls it at a time.
pub trait Ranks: Send + Sync {
    /// This process's index, `0..size()`.
    fn rank(&self) -> usize;
    /// The number of processes.
    fn size(&self) -> usize;
    /// Every rank's `mine`, in rank order (an all-gather of varying length).
    fn all_gather(&self, mine: &[u8]) -> Vec<Vec<u8>>;
}

static INSTALLED: OnceLock<Arc<dyn Ranks>> = OnceLock::new();

/// Makes this process one rank of `ranks` for every simulation it builds from now on; a
/// second call is ignored (a process is one rank once).
pub fn install(ranks: Arc<dyn Ranks>) {
    let _ = INSTALLED.set(ranks);
}

/// The process group this process belongs to, if it is one rank of several.
pub fn installed() -> Option<Arc<dyn Ranks>> {
    INSTALLED.get().filter(|r| r.size() > 1).cloned()
}

/// This process's rank (0 when it runs alone).
pub fn this_rank() -> usize {
    installed().map_or(0, |r| r.rank())
}

/// Where one rank's time went and what it sent, over the steps run so far (measured by the
/// thread that exchanges, i.e. its first shard).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct RankTimes {
    /// Kernel updates and phase A.
    pub update_s: f64,
    /// Spike delivery and phase C.
    pub delivery_s: f64,
    /// Packing, the all-gather and unpacking.
    pub exchange_s: f64,
    /// Waiting at the local barriers for this rank's other threads.
    pub waiting_s: f64,
    /// Bytes this rank sent (its spike records, once per exchange).
    pub bytes_sent: u64,
    /// Bytes it received from the other ranks.
    pub bytes_received: u64,
    /// Steps simulated.
    pub steps: u64,
    /// Exchanges (all-gathers of spikes): one per exchange interval.
    #[serde(default)]
    pub exchanges: u64,
    /// Steps per exchange interval (the shortest delay of a static network, else 1).
    #[serde(default)]
    pub interval_steps: u64,
    /// Synapses this rank holds (those whose target it owns).
    #[serde(default)]
    pub synapses: u64,
    /// Columns of generated projections this process drew ([`crate::network::columns_drawn`]):
    /// twice each column it owns, nothing else.
    #[serde(default)]
    pub columns_drawn: u64,
}

/// A simulation's place in a distributed run.
pub(super) struct Placement {
    pub(super) ranks: Arc<dyn Ranks>,
    /// Shards per rank (threads of each process).
    pub(super) per_rank: usize,
    /// Steps per exchange (see [`exchange_interval`]).
    pub(super) interval: Step,
    pub(super) times: RankTimes,
}

impl Placement {
    /// Global index of this rank's first shard.
    pub(super) fn first_shard(&self) -> usize {
        self.ranks.rank() * self.per_rank
    }
}

/// Steps whose spikes the ranks exchange at once: the shortest delay of any projection, since a
/// spike of step `t` reaches no ring slot before `t + delay`, so the steps `t0 .. t0 + D` can all
/// be updated before any of them is delivered, and delivering them then, one step after the
/// other in the single process's order, adds every input in the same order. 1 when a projection
/// is plastic: phase C (at delivery) and phase A (at the next updates) of pair-STDP read and
/// write the same traces and weights step by step, so their interleaving is the single
/// process's only if each step is delivered before the next is updated. (Graded projections
/// would need the same, and are not distributed.) At most [`MAX_EXCHANGE_INTERVAL`], which
/// also serves a network without synapses.
pub(super) fn exchange_interval(net: &Network) -> Step {
    if net.projections.iter().any(|p| p.plasticity.is_some()) {
        return 1;
    }
    (net.projections.iter())
        .filter_map(|p| p.synapses.min_delay())
        .min()
        .map_or(MAX_EXCHANGE_INTERVAL, |d| Step::from(d.max(1)))
        .min(MAX_EXCHANGE_INTERVAL)
}

/// The longest exchange interval: each shard's outbox holds two intervals of steps, and beyond
/// some tens of steps the latency an exchange saves is negligible against the steps' work.
pub(super) const MAX_EXCHANGE_INTERVAL: Step = 64;

/// The rendezvous of a rank's threads: [`Together`] locally every step, and one all-gather per
/// exchange interval, after which the interval's steps are delivered.
pub(super) struct Distributed<'a> {
    pub(super) together: Together,
    pub(super) placement: &'a Placement,
    /// Every shard's outbox, global order.
    pub(super) outboxes: &'a [Outbox],
    /// The chunk's steps: intervals run from its start, the last one ends with it.
    chunk: Range<Step>,
    pub(super) times: Mutex<RankTimes>,
    /// When the exchanging thread last finished a phase.
    mark: Mutex<Instant>,
}

/// What the exchange of an interval tells every rank.
struct Gathered {
    /// The first step at which some rank failed (`Step::MAX`: none).
    failed_at: Step,
    sent: usize,
    received: usize,
}

impl<'a> Distributed<'a> {
    pub(super) fn new(
        local: usize,
        placement: &'a Placement,
        outboxes: &'a [Outbox],
        chunk: Range<Step>,
    ) -> Self {
        Self {
            together: Together::new(local),
            placement,
            outboxes,
            chunk,
            times: Mutex::new(RankTimes::default()),
            mark: Mutex::new(Instant::now()),
        }
    }

    /// Seconds since the last mark; sets a new mark.
    fn lap(&self) -> f64 {
        let mut mark = self.mark.lock().expect("mark");
        let now = Instant::now();
        let s = now.duration_since(*mark).as_secs_f64();
        *mark = now;
        s
    }

    /// The exchange interval step `t` belongs to (every rank computes the same ones).
    fn interval_of(&self, t: Step) -> Range<Step> {
        let d = self.placement.interval.max(1);
        let start = self.chunk.start + (t - self.chunk.start) / d * d;
        start..(start + d).min(self.chunk.end)
    }

    /// The all-gather of the steps `steps` (an interval, or its beginning up to a local
    /// failure): sends this rank's spikes of those steps and the step at which it failed, if
    /// it did; writes the others' spikes into their outboxes.
    fn exchange_spikes(&self, steps: Range<Step>, failed_here: Step) -> Gathered {
        let p = self.placement;
        let (me, per_rank) = (p.ranks.rank(), p.per_rank);
        // Words: the failed step's offset in the interval plus one (0: none), the number of
        // steps, and per step the number of populations that spiked on this rank, and for each
        // its index, its count and the neurons of all the rank's shards in shard order
        // (ascending neurons). An interval costs a rank 8 bytes, each step 4 more plus 8 per
        // spiking population and 4 per spike, however many threads there are.
        let local = &self.outboxes[me * per_rank..(me + 1) * per_rank];
        let failed_word = if failed_here < steps.end {
            (failed_here - steps.start + 1) as u32
        } else {
            0
        };
        let mut words: Vec<u32> = vec![failed_word, (steps.end - steps.start) as u32];
        for t in steps.clone() {
            // SAFETY: after the local barrier of step t, every local shard has written it, and
            // none writes it again before the exchange's second barrier.
            let local: Vec<&Vec<Vec<u32>>> = local.iter().map(|ob| unsafe { ob.read(t) }).collect();
            let n_pops = local.first().map_or(0, |pops| pops.len());
            let count = |p: usize| local.iter().map(|pops| pops[p].len()).sum::<usize>();
            let spiking: Vec<usize> = (0..n_pops).filter(|&p| count(p) > 0).collect();
            words.push(spiking.len() as u32);
            for &p in &spiking {
                words.extend([p as u32, count(p) as u32]);
                for pops in &local {
                    words.extend_from_slice(&pops[p]);
                }
            }
        }
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        let all = p.ranks.all_gather(&bytes);
        let mut failed_at = Step::MAX;
        let mut received = 0;
        for (r, buf) in all.iter().enumerate() {
            let mut words = buf
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
            let failed = words.next().unwrap_or(0);
            if failed > 0 {
                failed_at = failed_at.min(steps.start + Step::from(failed) - 1);
            }
            if r == me {
                continue;
            }
            received += buf.len();
            // A rank that failed sent only the steps up to its failure; later ones are not
            // delivered by anyone.
            let n_steps = Step::from(words.next().unwrap_or(0));
            let remote = &self.outboxes[r * per_rank..(r + 1) * per_rank];
            for t in steps.start..steps.start + n_steps {
                for ob in remote {
                    // SAFETY: only this thread writes remote outboxes, between the two local
                    // barriers of an exchange; every shard reads them after the second (see
                    // `Outbox`).
                    unsafe { ob.write(t) }.iter_mut().for_each(Vec::clear);
                }
                // A rank's spikes all go to the outbox of its first shard: delivery walks the
                // outboxes in shard order, so the concatenation reaches every target in the
                // same order as the rank's shards one by one.
                // SAFETY: as above.
                let first = unsafe { remote[0].write(t) };
                for _ in 0..words.next().unwrap_or(0) {
                    let p = words.next().unwrap_or(0) as usize;
                    let n = words.next().unwrap_or(0) as usize;
                    first[p].extend(words.by_ref().take(n));
                }
            }
        }
        Gathered {
            failed_at,
            sent: bytes.len(),
            received,
        }
    }
}

impl Rendezvous for Distributed<'_> {
    fn enter(&self, me: usize) {
        self.together.enter(me);
        if me == 0 {
            self.lap();
        }
    }

    fn updated(&self, me: usize, t: Step, failed: bool) -> bool {
        if me == 0 {
            let s = self.lap();
            self.times.lock().expect("times").update_s += s;
        }
        self.together.updated(me, t, failed)
    }

    fn exchange(&self, me: usize, t: Step) -> Exchanged {
        // Every step: the rank's threads meet, so a local failure stops them all at once.
        self.together.wait(me);
        let interval = self.interval_of(t);
        let failed_here = self.together.failed_at();
        if t + 1 < interval.end && failed_here > t {
            // Mid-interval: update the next step; nothing to deliver yet.
            return Exchanged {
                deliver: t..t,
                stop: false,
            };
        }
        // The interval's last step, or a local failure: exchange what was updated. The other
        // ranks exchange the same interval (the same collective), perhaps later.
        let steps = interval.start..t + 1;
        if me == 0 {
            let waited = self.lap();
            let gathered = self.exchange_spikes(steps.clone(), failed_here);
            self.together.fail_at(gathered.failed_at);
            let exchanged = self.lap();
            let mut times = self.times.lock().expect("times");
            times.waiting_s += waited;
            times.exchange_s += exchanged;
            times.bytes_sent += gathered.sent as u64;
            times.bytes_received += gathered.received as u64;
            times.steps += steps.end - steps.start;
            times.exchanges += 1;
            times.interval_steps = self.placement.interval;
        }
        self.together.wait(me);
        if me == 0 {
            let s = self.lap();
            self.times.lock().expect("times").waiting_s += s;
        }
        let failed_at = self.together.failed_at();
        Exchanged {
            deliver: steps.start..steps.end.min(failed_at),
            stop: failed_at <= t,
        }
    }

    fn delivered(&self, me: usize) {
        if me == 0 {
            let s = self.lap();
            self.times.lock().expect("times").delivery_s += s;
        }
    }
}

/// Adds `b` to `a`.
pub(super) fn add_times(a: &mut RankTimes, b: &RankTimes) {
    a.update_s += b.update_s;
    a.delivery_s += b.delivery_s;
    a.exchange_s += b.exchange_s;
    a.waiting_s += b.waiting_s;
    a.bytes_sent += b.bytes_sent;
    a.bytes_received += b.bytes_received;
    a.steps += b.steps;
    a.exchanges += b.exchanges;
    a.interval_steps = a.interval_steps.max(b.interval_steps);
}
