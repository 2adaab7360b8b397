//! Experiments declared in a model file's `[experiment]` section, run over the model.
//!
//! `delayed_recall`: the readout population is split into `items` equal, contiguous groups. A
//! trial lets the network settle, drives the cued item's neurons with Poisson input (the cue),
//! waits `delay` ms with no cue or probe, then drives every readout neuron with the same Poisson
//! input (the probe). The recalled item is the group that fires most during the probe (and one
//! step after it, the input's latency); a tie between k groups that includes the cued one
//! counts 1/k. Trial k cues item `k % items` and uses seed `seed + k` for the whole network
//! (connectivity, noise, cue and probe trains), so every condition and delay sees the same
//! networks and inputs: the comparison between conditions is paired.
//!
//! A condition is a list of `--set` overrides applied to the model file, e.g. astrocyte gains
//! set to 0. Trials run on the backend given (each on one thread; the backend's threads run
//! trials side by side), so results do not depend on the number of threads.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use backends::BackendChoice;
use rand::RngExt;
use serde::Serialize;
use sim_core::rng::{self, Domain};
use sim_core::{Network, Observer, Projection, RecordSpec, Step, SynapseList};

use crate::modelfile::{parse_str, Drive, ExperimentEntry, ModelFileError, ModelSpec};
use models::neurons::SpikeSourceArray;

/// One row of the result table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecallRow {
    pub condition: String,
    pub delay_ms: f64,
    pub trials: u64,
    /// Fraction of trials in which the cued item was recalled (ties shared).
    pub accuracy: f64,
    /// Binomial standard error of `accuracy`.
    pub stderr: f64,
    /// 1 / items.
    pub chance: f64,
    /// Mean spikes per trial of the cued item's group during the probe.
    pub cued_spikes: f64,
    /// Mean spikes per trial of one other group during the probe.
    pub other_spikes: f64,
}

/// Why an experiment could not run.
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    /// A condition's overrides do not fit the model file.
    #[error("{0}")]
    Input(ModelFileError),
    /// A trial failed while running.
    #[error("condition '{condition}', delay {delay_ms} ms, trial {trial}: {message}")]
    Run {
        condition: String,
        delay_ms: f64,
        trial: u64,
        message: String,
    },
}

sim_core::error_codes! { ExperimentError {
    Input => "E0801",
    Run => "E0802",
} }

/// Spike counts per item during the probe.
#[derive(Default)]
struct ProbeCounter {
    pop: usize,
    from: Step,
    group: u32,
    counts: Vec<u64>,
}

impl Observer for ProbeCounter {
    fn spikes(&mut self, pop: usize, steps: &[Step], neurons: &[u32]) -> std::io::Result<()> {
        if pop == self.pop {
            for (&t, &i) in steps.iter().zip(neurons) {
                if t >= self.from {
                    self.counts[(i / self.group) as usize] += 1;
                }
            }
        }
        Ok(())
    }
    fn samples(&mut self, _: usize, _: usize, _: &[Step], _: &[f64]) -> std::io::Result<()> {
        Ok(())
    }
}

#[allow(clippy::too_many_arguments)]
/// Poisson spike steps of `neurons` in `[start, start + duration)`, one Bernoulli draw per step
/// from the neuron's own stream.
fn poisson_steps(
    seed: u64,
    salt: u64,
    drive: &Drive,
    start: Step,
    steps: Step,
    dt_ms: f64,
    n: u32,
    neurons: std::ops::Range<u32>,
) -> Vec<Vec<Step>> {
    let p = (drive.rate * dt_ms / 1000.0).min(1.0);
    (0..n)
        .map(|i| {
            if !neurons.contains(&i) || p <= 0.0 {
                return Vec::new();
            }
            let mut r = rng::stream(seed, Domain::Other, salt, i as u64);
            (start..start + steps)
                .filter(|_| r.random::<f64>() < p)
                .collect()
        })
        .collect()
}

/// Adds a spike-array source driving `readout` one-to-one with `weight`, delay one step.
fn add_drive(net: &mut Network, name: &str, readout: usize, steps: Vec<Vec<Step>>, weight: f64) {
    let n = net.populations[readout].size;
    let src = net
        .add_population(name, n, Arc::new(SpikeSourceArray::from_steps(steps)))
        .expect("experiment source names are reserved");
    let mut syn = SynapseList::default();
    for i in 0..n {
        syn.push(i, i, weight, 1);
    }
    net.add_projection(Projection {
        name: name.to_string(),
        pre: src,
        post: readout,
        receptor: 0,
        synapses: syn,
        plasticity: None,
    })
    .expect("one-to-one onto the readout's excitatory receptor");
}

/// Probe spike counts per item, or why the trial failed.
type TrialResult = Result<Vec<u64>, String>;

struct Trial {
    condition: usize,
    delay: usize,
    trial: u64,
}

/// Checks that the model loads under every condition's overrides (before any trial runs).
pub fn check_conditions(spec: &ModelSpec) -> Result<(), ExperimentError> {
    let exp = spec
        .experiment
        .as_ref()
        .expect("a model with an experiment");
    for (name, sets) in &exp.conditions {
        let all: Vec<String> = spec.overrides.iter().chain(sets).cloned().collect();
        parse_str(&spec.file, &spec.source, &all, Some(spec.seed)).map_err(|e| {
            ExperimentError::Input(ModelFileError {
                message: format!("experiment.conditions.{name}: {}", e.message),
                ..e
            })
        })?;
    }
    Ok(())
}

/// Runs the `[experiment]` of `spec` (which must have one) on `backend`.
pub fn run_delayed_recall(
    spec: &ModelSpec,
    backend: &BackendChoice,
) -> Result<Vec<RecallRow>, ExperimentError> {
    let side_by_side = backend.threads();
    let trial_backend = backend.with_threads(1);
    let exp: &ExperimentEntry = spec
        .experiment
        .as_ref()
        .expect("a model with an experiment");
    let dt = spec.dt_ms;
    let steps = |ms: f64| (ms / dt).round() as Step;
    check_conditions(spec)?;
    let trials: Vec<Trial> = (0..exp.conditions.len())
        .flat_map(|c| {
            (0..exp.delays.len()).flat_map(move |d| (0..exp.trials).map(move |k| (c, d, k)))
        })
        .map(|(condition, delay, trial)| Trial {
            condition,
            delay,
            trial,
        })
        .collect();
    let results: Mutex<Vec<Option<TrialResult>>> =
        Mutex::new((0..trials.len()).map(|_| None).collect());
    let next = AtomicUsize::new(0);
    let one = |tr: &Trial| -> TrialResult {
        let (_, sets) = &exp.conditions[tr.condition];
        let all: Vec<String> = spec.overrides.iter().chain(sets).cloned().collect();
        let seed = spec.seed.wrapping_add(tr.trial);
        let mut trial_spec =
            parse_str(&spec.file, &spec.source, &all, Some(seed)).map_err(|e| e.to_string())?;
        let net = &mut trial_spec.network;
        for p in 0..net.populations.len() {
            net.populations[p].record = RecordSpec {
                interval: 1,
                ..Default::default()
            };
        }
        let readout = net.population_id(&exp.readout).expect("checked at load");
        let n = net.populations[readout].size;
        let group = n / exp.items as u32;
        let item = (tr.trial % exp.items) as u32;
        let cue_start = steps(exp.settle);
        let cue_steps = steps(exp.cue.duration);
        let probe_start = cue_start + cue_steps + steps(exp.delays[tr.delay]);
        let probe_steps = steps(exp.probe.duration);
        let cue = poisson_steps(
            seed,
            0xC0E,
            &exp.cue,
            cue_start,
            cue_steps,
            dt,
            n,
            item * group..(item + 1) * group,
        );
        let probe = poisson_steps(
            seed,
            0xB0BE,
            &exp.probe,
            probe_start,
            probe_steps,
            dt,
            n,
            0..n,
        );
        add_drive(net, "experiment_cue", readout, cue, exp.cue.weight);
        add_drive(net, "experiment_probe", readout, probe, exp.probe.weight);
        net.populations[readout].record.spikes = true;
        let mut sim = trial_backend.load(net).map_err(|e| e.to_string())?;
        let mut counter = ProbeCounter {
            pop: readout,
            from: probe_start,
            group,
            counts: vec![0; exp.items as usize],
        };
        sim.run_until(probe_start + probe_steps + 1, &mut counter)
            .map_err(|e| e.to_string())?;
        // A trial whose spikes were lost on the way (on the board) counts nothing.
        if let Some(failure) = sim.report().details.and_then(|d| d.failure) {
            return Err(failure);
        }
        Ok(counter.counts)
    };
    std::thread::scope(|scope| {
        for _ in 0..side_by_side.max(1).min(trials.len()) {
            scope.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(tr) = trials.get(k) else { break };
                let r = one(tr);
                results.lock().expect("results")[k] = Some(r);
            });
        }
    });
    let results = results.into_inner().expect("results");

    let mut rows = Vec::new();
    for (c, (name, _)) in exp.conditions.iter().enumerate() {
        for (d, &delay_ms) in exp.delays.iter().enumerate() {
            let (mut score, mut cued, mut other) = (0.0, 0.0, 0.0);
            for (tr, res) in trials.iter().zip(&results) {
                if tr.condition != c || tr.delay != d {
                    continue;
                }
                let counts = match res.as_ref().expect("every trial ran") {
                    Ok(counts) => counts,
                    Err(message) => {
                        return Err(ExperimentError::Run {
                            condition: name.clone(),
                            delay_ms,
                            trial: tr.trial,
                            message: message.clone(),
                        })
                    }
                };
                let item = (tr.trial % exp.items) as usize;
                let best = *counts.iter().max().expect("items >= 2");
                let tied = counts.iter().filter(|&&x| x == best).count();
                if counts[item] == best {
                    score += 1.0 / tied as f64;
                }
                cued += counts[item] as f64;
                other +=
                    (counts.iter().sum::<u64>() - counts[item]) as f64 / (exp.items - 1) as f64;
            }
            let k = exp.trials as f64;
            let accuracy = score / k;
            rows.push(RecallRow {
                condition: name.clone(),
                delay_ms,
                trials: exp.trials,
                accuracy,
                stderr: (accuracy * (1.0 - accuracy) / k).sqrt(),
                chance: 1.0 / exp.items as f64,
                cued_spikes: cued / k,
                other_spikes: other / k,
            });
        }
    }
    Ok(rows)
}

/// The table as CSV (header and one line per row).
pub fn recall_csv(rows: &[RecallRow]) -> String {
    let mut s =
        String::from("condition,delay_ms,trials,accuracy,stderr,chance,cued_spikes,other_spikes\n");
    for r in rows {
        s.push_str(&format!(
            "{},{},{},{:.4},{:.4},{:.4},{:.3},{:.3}\n",
            r.condition,
            r.delay_ms,
            r.trials,
            r.accuracy,
            r.stderr,
            r.chance,
            r.cued_spikes,
            r.other_spikes
        ));
    }
    s
}
