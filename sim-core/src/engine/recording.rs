//! Recording: what each shard keeps of its spikes and sampled variables during a chunk of
//! steps, and how the chunk reaches the [`Observer`] merged into one order, the same for any
//! shard layout.

use super::shard::ShardPopulation;
use super::{Counters, PopInfo, RunError, Simulation};
use crate::model::ModelError;
use crate::time::Step;

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

/// What one shard recorded since the last flush.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct ShardRecording {
    /// Per population: (step, global neuron) of each recorded spike.
    spikes: Vec<Vec<(Step, u32)>>,
    /// Per population, per recorded variable: rows of local recorded neurons.
    samples: Vec<Vec<Vec<f64>>>,
    /// Per population: the steps of those rows.
    sample_steps: Vec<Vec<Step>>,
}

impl ShardRecording {
    pub(super) fn new(pops: &[PopInfo]) -> Self {
        Self {
            spikes: vec![Vec::new(); pops.len()],
            samples: pops
                .iter()
                .map(|pi| vec![Vec::new(); pi.vars.len()])
                .collect(),
            sample_steps: vec![Vec::new(); pops.len()],
        }
    }

    /// Records step `t` of population `p` (`info`), whose slice `sp` has just emitted `spikes`
    /// (global indices): the spikes if they are recorded, the variables at a sampling step.
    #[inline]
    pub(super) fn record(
        &mut self,
        p: usize,
        info: &PopInfo,
        t: Step,
        spikes: &[u32],
        sp: &ShardPopulation,
    ) {
        if info.record_spikes {
            self.spikes[p].extend(spikes.iter().map(|&i| (t, i)));
        }
        if !info.vars.is_empty() && t.is_multiple_of(info.interval) {
            self.sample_steps[p].push(t);
            for (v, &var) in info.vars.iter().enumerate() {
                let buf = &mut self.samples[p][v];
                for &i in &sp.sample_neurons {
                    buf.push(sp.kernel.read(var, i));
                }
            }
        }
    }
}

/// What the shards of a process recorded in a chunk, in global shard order: what a rank sends
/// the others at a flush.
#[derive(serde::Serialize, serde::Deserialize)]
struct ChunkRecords {
    recordings: Vec<ShardRecording>,
    /// Per shard, per population: the number of recorded (sampled) neurons it holds.
    widths: Vec<Vec<usize>>,
    counters: Vec<Counters>,
    errors: Vec<Option<(usize, ModelError)>>,
}

impl Simulation {
    /// This process's recordings of the chunk, joined with every other rank's in a
    /// distributed run.
    fn take_records(&mut self) -> ChunkRecords {
        let mut mine = ChunkRecords {
            recordings: Vec::new(),
            widths: Vec::new(),
            counters: Vec::new(),
            errors: Vec::new(),
        };
        for sh in &mut self.shards {
            let fresh = ShardRecording::new(&self.pops);
            mine.recordings
                .push(std::mem::replace(&mut sh.recording, fresh));
            mine.widths
                .push(sh.pops.iter().map(|sp| sp.sample_neurons.len()).collect());
            mine.counters.push(Counters {
                spikes: sh.spikes,
                synaptic_events: sh.events,
            });
            mine.errors.push(sh.error.take());
        }
        let Some(placement) = &self.placement else {
            return mine;
        };
        let bytes = bincode::serde::encode_to_vec(&mine, bincode::config::standard())
            .expect("records encode");
        let mut all = ChunkRecords {
            recordings: Vec::new(),
            widths: Vec::new(),
            counters: Vec::new(),
            errors: Vec::new(),
        };
        for buf in placement.ranks.all_gather(&bytes) {
            let (part, _): (ChunkRecords, _) =
                bincode::serde::decode_from_slice(&buf, bincode::config::standard())
                    .expect("a rank's records decode");
            all.recordings.extend(part.recordings);
            all.widths.extend(part.widths);
            all.counters.extend(part.counters);
            all.errors.extend(part.errors);
        }
        all
    }

    /// Hands the chunk's recordings to the observer (in a distributed run, rank 0's: the
    /// others' observers get nothing); returns the first model error, if any.
    pub(super) fn flush(
        &mut self,
        observer: &mut dyn Observer,
    ) -> Result<Option<(usize, ModelError, Step)>, RunError> {
        let mut records = self.take_records();
        let observe = self.placement.as_ref().is_none_or(|p| p.ranks.rank() == 0);
        // A failed step is only partly recorded, in a way that depends on which shard failed:
        // nothing of it is kept, for any thread count.
        let stop = if records.errors.iter().any(Option::is_some) {
            self.step
        } else {
            Step::MAX
        };
        for p in 0..self.pops.len() {
            if self.pops[p].record_spikes {
                // Shards hold ascending neuron ranges: a stable merge by step keeps neuron order.
                let mut all: Vec<(Step, u32)> = Vec::new();
                for rec in &mut records.recordings {
                    all.append(&mut rec.spikes[p]);
                }
                all.retain(|&(t, _)| t < stop);
                all.sort_by_key(|&(t, _)| t);
                let steps: Vec<Step> = all.iter().map(|x| x.0).collect();
                let neurons: Vec<u32> = all.iter().map(|x| x.1).collect();
                if observe {
                    observer.spikes(p, &steps, &neurons)?;
                }
            }
            let mut steps: Vec<Step> = std::mem::take(&mut records.recordings[0].sample_steps[p]);
            steps.retain(|&t| t < stop);
            for v in 0..self.pops[p].vars.len() {
                let rows: Vec<Vec<f64>> = (records.recordings.iter_mut())
                    .map(|rec| std::mem::take(&mut rec.samples[p][v]))
                    .collect();
                let widths: Vec<usize> = records.widths.iter().map(|w| w[p]).collect();
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
                if observe {
                    observer.samples(p, self.pops[p].vars[v], &steps, &values)?;
                }
            }
        }
        let mut counters = Counters::default();
        for c in &records.counters {
            counters.spikes += c.spikes;
            counters.synaptic_events += c.synaptic_events;
        }
        self.counters = counters;
        // The first error in (population, neuron) order, for a deterministic report.
        let mut first: Option<(usize, ModelError)> = None;
        for (p, e) in records.errors.into_iter().flatten() {
            let better = match &first {
                None => true,
                Some((fp, fe)) => (p, e.neuron) < (*fp, fe.neuron),
            };
            if better {
                first = Some((p, e));
            }
        }
        Ok(first.map(|(p, e)| (p, e, self.step)))
    }
}
