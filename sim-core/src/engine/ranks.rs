//! Processes (MPI ranks) as one more level of shards.
//!
//! A distributed run is the run of one process with `ranks × threads` shards: the global layout
//! is the one that process would use, rank `r` holds shards `r·T .. (r+1)·T` (one thread each)
//! and builds only their neurons and the synapses that target them. Each step, after the local
//! barrier, one thread per rank (the one that called the run, as MPI wants) gathers every
//! rank's spikes of the step into the outboxes of the shards it does not hold; after a second
//! barrier every shard delivers from all outboxes in global order, exactly as one process does.
//! So the output is bit-identical to one process for any ranks × threads.
//!
//! sim-core knows no MPI: the process group is a [`Ranks`] installed once per process (the
//! CLI's `mpi` feature installs one over `MPI_COMM_WORLD`).

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::sync::{Outbox, Rendezvous, Together};
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
    /// Bytes this rank sent (its spike records, once per step).
    pub bytes_sent: u64,
    /// Bytes it received from the other ranks.
    pub bytes_received: u64,
    pub steps: u64,
}

/// A simulation's place in a distributed run.
pub(super) struct Placement {
    pub(super) ranks: Arc<dyn Ranks>,
    /// Shards per rank (threads of each process).
    pub(super) per_rank: usize,
    pub(super) times: RankTimes,
}

impl Placement {
    /// Global index of this rank's first shard.
    pub(super) fn first_shard(&self) -> usize {
        self.ranks.rank() * self.per_rank
    }
}

/// The rendezvous of a rank's threads: [`Together`] locally, and one all-gather per step.
pub(super) struct Distributed<'a> {
    pub(super) together: Together,
    pub(super) placement: &'a Placement,
    /// Every shard's outbox, global order.
    pub(super) outboxes: &'a [Outbox],
    pub(super) times: Mutex<RankTimes>,
    /// When the exchanging thread last finished a phase.
    mark: Mutex<Instant>,
}

impl<'a> Distributed<'a> {
    pub(super) fn new(local: usize, placement: &'a Placement, outboxes: &'a [Outbox]) -> Self {
        Self {
            together: Together::new(local),
            placement,
            outboxes,
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

    /// The all-gather of step `t`: sends this rank's spikes (and whether it failed), writes the
    /// others' into their outboxes. Returns whether some rank failed at `t`.
    fn exchange_spikes(&self, t: Step, failed_here: bool) -> (bool, usize, usize) {
        let p = self.placement;
        let (me, per_rank) = (p.ranks.rank(), p.per_rank);
        // Words: failed flag, the number of populations that spiked on this rank, and for
        // each its index, its count and the neurons of all the rank's shards in shard order
        // (ascending neurons). A step costs a rank 8 bytes plus 8 per spiking population and
        // 4 per spike, however many threads and populations there are.
        let local = &self.outboxes[me * per_rank..(me + 1) * per_rank];
        // SAFETY: after the local barrier of step t, every local shard has written it.
        let local: Vec<&Vec<Vec<u32>>> = local.iter().map(|ob| unsafe { ob.read(t) }).collect();
        let n_pops = local.first().map_or(0, |pops| pops.len());
        let count = |p: usize| local.iter().map(|pops| pops[p].len()).sum::<usize>();
        let spiking: Vec<usize> = (0..n_pops).filter(|&p| count(p) > 0).collect();
        let mut words: Vec<u32> = vec![failed_here as u32, spiking.len() as u32];
        for &p in &spiking {
            words.extend([p as u32, count(p) as u32]);
            for pops in &local {
                words.extend_from_slice(&pops[p]);
            }
        }
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        let all = p.ranks.all_gather(&bytes);
        let mut failed = false;
        let mut received = 0;
        for (r, buf) in all.iter().enumerate() {
            let mut words = buf
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
            failed |= words.next() == Some(1);
            if r == me {
                continue;
            }
            received += buf.len();
            // A rank's spikes all go to the outbox of its first shard: delivery walks the
            // outboxes in shard order, so the concatenation reaches every target in the
            // same order as the rank's shards one by one.
            let remote = &self.outboxes[r * per_rank..(r + 1) * per_rank];
            for ob in remote {
                // SAFETY: only this thread writes remote outboxes, between the two local
                // barriers of step t; every shard reads them after the second (see `Outbox`).
                unsafe { ob.write(t) }.iter_mut().for_each(Vec::clear);
            }
            // SAFETY: as above.
            let first = unsafe { remote[0].write(t) };
            for _ in 0..words.next().unwrap_or(0) {
                let p = words.next().unwrap_or(0) as usize;
                let n = words.next().unwrap_or(0) as usize;
                first[p].extend(words.by_ref().take(n));
            }
        }
        (failed, bytes.len(), received)
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

    fn exchange(&self, me: usize, t: Step) -> bool {
        self.together.wait(me);
        if me == 0 {
            let waited = self.lap();
            let failed_here = self.together.failed_at() <= t;
            let (failed, sent, received) = self.exchange_spikes(t, failed_here);
            if failed {
                self.together.fail_at(t);
            }
            let exchanged = self.lap();
            let mut times = self.times.lock().expect("times");
            times.waiting_s += waited;
            times.exchange_s += exchanged;
            times.bytes_sent += sent as u64;
            times.bytes_received += received as u64;
            times.steps += 1;
        }
        self.together.wait(me);
        if me == 0 {
            let s = self.lap();
            self.times.lock().expect("times").waiting_s += s;
        }
        self.together.failed_at() > t
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
}
