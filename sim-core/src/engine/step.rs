//! The step loop. One body, [`run_shard`], runs a shard through a chunk of steps, whether it
//! is the only shard (on the calling thread) or one of N (one thread each): only the
//! [`Rendezvous`] between its phases differs, and the single-shard one compiles to nothing.

use std::ops::Range;

use super::ranks::Distributed;
use super::shard::Shard;
use super::sync::{Alone, Outbox, Rendezvous, Together};
use super::{PopInfo, Simulation};
use crate::graded::GradedOutbox;
use crate::model::{ModelError, StepContext};
use crate::time::Step;

/// What every shard's thread reads during a chunk.
#[derive(Clone, Copy)]
struct StepEnv<'a> {
    pops: &'a [PopInfo],
    dt: f64,
    outboxes: &'a [Outbox],
    graded_outboxes: &'a [GradedOutbox],
    /// Global index of the first shard of this process (0 unless it is one rank of several).
    first_shard: usize,
}

/// Runs shard `me` through `steps`; returns the step at which the run stopped on a model error
/// (its own or, with N shards, another's), or `None`.
#[inline(always)]
fn run_shard<R: Rendezvous>(
    shard: &mut Shard,
    me: usize,
    steps: Range<Step>,
    env: StepEnv<'_>,
    sync: &R,
) -> Option<Step> {
    sync.enter(me);
    for t in steps {
        // Graded coupling (graded.rs): feed, update, publish | barrier | deliver.
        shard
            .graded
            .feed(t, shard.pops.iter_mut().map(|sp| &mut sp.kernel));
        let global = env.first_shard + me;
        shard.update(env.pops, t, env.dt, &env.outboxes[global]);
        if !sync.updated(me, t, shard.error.is_some()) {
            return Some(t);
        }
        let kernels = shard.pops.iter().map(|sp| &sp.kernel);
        shard
            .graded
            .publish(t, kernels, &env.graded_outboxes[global]);
        let exchanged = sync.exchange(me, t);
        for s in exchanged.deliver {
            shard.deliver(s, env.dt, env.outboxes);
            shard.graded.deliver(s, env.graded_outboxes);
        }
        if exchanged.stop {
            return Some(t);
        }
        sync.delivered(me);
    }
    None
}

impl Simulation {
    /// Simulates steps `start..end` (fewer if a model fails; `self.step` says where it stopped).
    pub(super) fn run_chunk(&mut self, start: Step, end: Step) {
        let env = StepEnv {
            pops: &self.pops,
            dt: self.grid.dt_ms(),
            outboxes: &self.outboxes,
            graded_outboxes: &self.graded_outboxes,
            first_shard: self.placement.as_ref().map_or(0, |p| p.first_shard()),
        };
        if let Some(placement) = &mut self.placement {
            let ranks = Distributed::new(self.shards.len(), placement, &self.outboxes, start..end);
            let (first, rest) = self.shards.split_first_mut().expect("a rank has a shard");
            std::thread::scope(|scope| {
                let workers: Vec<_> = (rest.iter_mut().enumerate())
                    .map(|(s, shard)| {
                        let ranks = &ranks;
                        scope.spawn(move || run_shard(shard, s + 1, start..end, env, ranks))
                    })
                    .collect();
                // The first shard runs on the calling thread: it is the one that exchanges,
                // and MPI is called from the thread that initialised it.
                run_shard(first, 0, start..end, env, &ranks);
                for worker in workers {
                    if let Err(panic) = worker.join() {
                        std::panic::resume_unwind(panic);
                    }
                }
            });
            let failed_at = ranks.together.failed_at();
            let times = ranks.times.into_inner().expect("times");
            super::ranks::add_times(&mut placement.times, &times);
            self.step = end.min(failed_at);
            return;
        }
        if let [shard] = self.shards.as_mut_slice() {
            self.step = run_shard(shard, 0, start..end, env, &Alone).unwrap_or(end);
            return;
        }
        let together = Together::new(self.shards.len());
        std::thread::scope(|scope| {
            let workers: Vec<_> = (self.shards.iter_mut().enumerate())
                .map(|(s, shard)| {
                    let together = &together;
                    scope.spawn(move || run_shard(shard, s, start..end, env, together))
                })
                .collect();
            // Joined explicitly rather than by the end of the scope: a join is a pthread_join,
            // which a thread sanitizer sees, so the recording read after the chunk is ordered
            // after the shards' writes in its model too.
            for worker in workers {
                if let Err(panic) = worker.join() {
                    std::panic::resume_unwind(panic);
                }
            }
        });
        self.step = end.min(together.failed_at());
    }
}

impl Shard {
    /// Phases A and B: post spikes back-propagated to `t`, then every kernel's update; the
    /// spikes go to this shard's outbox.
    fn update(&mut self, pops: &[PopInfo], t: Step, dt: f64, outbox: &Outbox) {
        self.potentiate_arrivals(t, dt);

        let ctx = StepContext { step: t, dt_ms: dt };
        // SAFETY: this is shard's own outbox, in its update of step t.
        let out = unsafe { outbox.write(t) };
        for (p, sp) in self.pops.iter_mut().enumerate() {
            self.spike_buf.clear();
            for &k in &self.pulled_by_post[p] {
                self.projs[k].pull(t, &mut sp.ring);
            }
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
            sp.remember_spikes(t, &self.spike_buf);
            self.recording.record(p, &pops[p], t, o, sp);
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
                    self.events += sp.deliver(spikes, t, dt, ring);
                }
            }
        }
    }
}
