//! How the shards of a run meet: the spike outbox each shard writes and all read, the barrier
//! between a step's update and its delivery, and the two ways of running the step loop (one
//! shard alone, or N shards on N threads).

use std::cell::UnsafeCell;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use crate::time::Step;

/// Spikes of one step, per population, global indices; a ring of `depth` steps (a power of
/// two), 2 in one process.
///
/// Shard `s` writes `outbox[s][t % depth]` in its update of step `t` and every shard reads it
/// in its delivery of step `t`, after the barrier of step `t`. In one process the next write to
/// that entry is the update of `t + 2`, which shard `s` starts only after the barrier of
/// `t + 1` — which no shard reaches before it has finished delivering `t`. A distributed run
/// delivers the steps of an exchange interval of up to `D` steps together (ranks.rs): a shard
/// that has delivered one interval writes the next (at most `D` more steps) while others may
/// still read the last, so `depth >= 2D` keeps them apart, and the exchange's barrier keeps it
/// from getting further ahead. So the barrier orders every access (its release/acquire pair
/// makes the writes visible), and no lock is needed.
pub(super) struct Outbox {
    steps: Box<[UnsafeCell<Vec<Vec<u32>>>]>,
    /// `depth - 1`.
    mask: u64,
}

// SAFETY: accesses follow the protocol above, ordered by the barrier.
unsafe impl Sync for Outbox {}

impl Outbox {
    /// An outbox for `n_pops` populations holding at least `depth` steps.
    pub(super) fn new(n_pops: usize, depth: usize) -> Self {
        let depth = depth.max(2).next_power_of_two();
        Self {
            steps: (0..depth)
                .map(|_| UnsafeCell::new(vec![Vec::new(); n_pops]))
                .collect(),
            mask: depth as u64 - 1,
        }
    }

    /// The entry step `t` writes.
    ///
    /// # Safety
    /// Only the owning shard, in its update of step `t`, or a rank's exchanging thread for a
    /// remote shard's entry before the exchange's second barrier (see [`Outbox`]).
    #[allow(clippy::mut_from_ref)]
    pub(super) unsafe fn write(&self, t: Step) -> &mut Vec<Vec<u32>> {
        &mut *self.steps[(t & self.mask) as usize].get()
    }

    /// The entry step `t` wrote.
    ///
    /// # Safety
    /// Only in a delivery of step `t`, after the barrier of step `t` (see [`Outbox`]).
    pub(super) unsafe fn read(&self, t: Step) -> &Vec<Vec<u32>> {
        &*self.steps[(t & self.mask) as usize].get()
    }
}

/// What a shard does after the rendezvous of step `t`: deliver the steps `deliver` (in order;
/// `t..t + 1` in one process, an exchange interval or nothing in a distributed run), then stop
/// if `stop` (some shard failed).
pub(super) struct Exchanged {
    pub(super) deliver: Range<Step>,
    pub(super) stop: bool,
}

impl Exchanged {
    /// Step `t` delivered now (`go`), or nothing and stop.
    #[inline(always)]
    fn this_step(t: Step, go: bool) -> Self {
        Self {
            deliver: if go { t..t + 1 } else { t..t },
            stop: !go,
        }
    }
}

/// How a shard's thread meets the others in a step: after its update, and between the update
/// and the delivery. The step loop is generic over it, so the single-shard loop compiles to no
/// barrier and no atomics.
pub(super) trait Rendezvous {
    /// Called once by shard `me`'s thread before its first step.
    fn enter(&self, me: usize);
    /// After shard `me`'s update of step `t` (`failed`: the update failed). `false`: stop now.
    fn updated(&self, me: usize, t: Step, failed: bool) -> bool;
    /// Waits until every shard has updated `t` (or, in a distributed run, until the steps to
    /// deliver now are known). Says which steps to deliver and whether to stop after them: a
    /// shard that failed at step `f` stops every shard, and no step from `f` on is delivered.
    fn exchange(&self, me: usize, t: Step) -> Exchanged;
    /// After shard `me`'s delivery of a step (ranks.rs times the phases there).
    #[inline(always)]
    fn delivered(&self, _me: usize) {}
}

/// One shard, on the calling thread: nothing to wait for.
pub(super) struct Alone;

impl Rendezvous for Alone {
    #[inline(always)]
    fn enter(&self, _me: usize) {}
    #[inline(always)]
    fn updated(&self, _me: usize, _t: Step, failed: bool) -> bool {
        !failed
    }
    #[inline(always)]
    fn exchange(&self, _me: usize, t: Step) -> Exchanged {
        Exchanged::this_step(t, true)
    }
}

/// N shards on N threads, meeting at a barrier every step.
pub(super) struct Together {
    barrier: SpinBarrier,
    /// The earliest step at which a shard failed. Every shard stops after the barrier of that
    /// step: a flag without the step would also stop a slow shard still reading it after the
    /// previous barrier, while the failed one waits at the next (a deadlock).
    failed_at: AtomicU64,
}

impl Together {
    pub(super) fn new(shards: usize) -> Self {
        Self {
            barrier: SpinBarrier::new(shards),
            failed_at: AtomicU64::new(Step::MAX),
        }
    }

    /// The earliest step at which a shard failed (`Step::MAX`: none).
    pub(super) fn failed_at(&self) -> Step {
        self.failed_at.load(Ordering::SeqCst)
    }

    /// Records a failure at step `t` elsewhere (another rank).
    pub(super) fn fail_at(&self, t: Step) {
        self.failed_at.fetch_min(t, Ordering::SeqCst);
    }

    /// Waits at the barrier (thread `me`).
    pub(super) fn wait(&self, me: usize) {
        self.barrier.wait(me);
    }
}

impl Rendezvous for Together {
    fn enter(&self, me: usize) {
        self.barrier.register(me);
    }
    #[inline]
    fn updated(&self, _me: usize, t: Step, failed: bool) -> bool {
        if failed {
            self.failed_at.fetch_min(t, Ordering::SeqCst);
        }
        // Publish and reach the barrier anyway: the others wait for this shard there.
        true
    }
    #[inline]
    fn exchange(&self, me: usize, t: Step) -> Exchanged {
        self.barrier.wait(me);
        Exchanged::this_step(t, self.failed_at.load(Ordering::SeqCst) > t)
    }
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
