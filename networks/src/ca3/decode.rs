//! Reading the answers off the OUT layer, the ideal content-addressable memory they are
//! compared with, and the recall table of a finished run.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sim_core::Step;

use super::{population_sizes, Ca3Network, Ca3Size, Operation, Scheduled, OUT, POPULATIONS};

/// What the OUT layer answered for one operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// Cues on OUT at the operation's cue-output step (t0+5 for learn and recall by cue,
    /// t0+6 for recall by content).
    pub cues: BTreeSet<u32>,
    /// Content bits on OUT at the content-output step (t0+5 for learn and recall by content,
    /// t0+6 for recall by cue).
    pub content: BTreeSet<u32>,
    /// Learn only: content bits on OUT at t0+6 (the forgotten part of the old content).
    pub forgotten: BTreeSet<u32>,
}

/// The steps (cue output, content output) of an operation.
fn output_steps(op: &Operation, t0: Step) -> (Step, Step) {
    match op {
        Operation::Learn { .. } => (t0 + 5, t0 + 5),
        Operation::RecallByCue { .. } => (t0 + 5, t0 + 6),
        Operation::RecallByContent { .. } => (t0 + 6, t0 + 5),
    }
}

/// Reads the answers off the OUT layer's spikes `(step, neuron)`.
pub fn decode(size: Ca3Size, ops: &[Scheduled], out_spikes: &[(Step, u32)]) -> Vec<Answer> {
    let n = size.cues;
    let at = |t: Step, cue: bool| -> BTreeSet<u32> {
        out_spikes
            .iter()
            .filter(|&&(s, i)| s == t && (i < n) == cue)
            .map(|&(_, i)| if cue { i } else { i - n })
            .collect()
    };
    ops.iter()
        .map(|s| {
            let (tc, tk) = output_steps(&s.op, s.t0);
            Answer {
                cues: at(tc, true),
                content: at(tk, false),
                forgotten: match s.op {
                    Operation::Learn { .. } => at(s.t0 + 6, false),
                    _ => BTreeSet::new(),
                },
            }
        })
        .collect()
}

/// An ideal content-addressable memory: what the network should answer.
#[derive(Debug, Clone)]
pub struct Oracle {
    memory: Vec<BTreeSet<u32>>,
}

impl Oracle {
    pub fn new(size: Ca3Size) -> Self {
        Self {
            memory: vec![BTreeSet::new(); size.cues as usize],
        }
    }

    /// Applies an operation and returns the ideal answer.
    pub fn apply(&mut self, op: &Operation) -> Answer {
        match op {
            Operation::Learn { cue, content } => {
                let new: BTreeSet<u32> = content.iter().copied().collect();
                let old = std::mem::replace(&mut self.memory[*cue as usize], new.clone());
                Answer {
                    cues: [*cue].into(),
                    forgotten: old.difference(&new).copied().collect(),
                    content: new,
                }
            }
            Operation::RecallByCue { cue } => Answer {
                cues: [*cue].into(),
                content: self.memory[*cue as usize].clone(),
                forgotten: BTreeSet::new(),
            },
            Operation::RecallByContent { content } => {
                let query: BTreeSet<u32> = content.iter().copied().collect();
                Answer {
                    cues: (0..self.memory.len() as u32)
                        .filter(|&c| !self.memory[c as usize].is_disjoint(&query))
                        .collect(),
                    content: query,
                    forgotten: BTreeSet::new(),
                }
            }
        }
    }
}

/// One row of a recall table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecallRow {
    pub index: usize,
    pub t0: Step,
    pub operation: Operation,
    pub expected: Answer,
    pub answered: Answer,
    pub matches: bool,
}

/// Everything a CAM run produces: the network, every population's spikes, the recall table
/// and the final weights (what `engram cam` writes to its run directory).
pub struct CamRun {
    pub memory: Ca3Network,
    pub schedule: Vec<Scheduled>,
    /// Population names (the code names of the paper's model), in network order =
    /// [`POPULATIONS`].
    pub population_names: Vec<String>,
    /// Population sizes, in the same order.
    pub population_sizes: Vec<u32>,
    /// Spikes `(step, neuron)` per population, in [`POPULATIONS`] order.
    pub spikes: Vec<Vec<(Step, u32)>>,
    pub table: Vec<RecallRow>,
    /// Final weights: cue→content as n×m (row = cue), content→cue as m×n (row = bit).
    pub cue_to_content: Vec<f64>,
    pub content_to_cue: Vec<f64>,
    pub steps: Step,
}

/// The recall table of a run: each operation of `schedule` with the ideal CAM's answer and
/// the answer read off the OUT layer's spikes `(step, neuron)`.
pub fn recall_table(
    size: Ca3Size,
    schedule: &[Scheduled],
    out_spikes: &[(Step, u32)],
) -> Vec<RecallRow> {
    let answered = decode(size, schedule, out_spikes);
    let mut oracle = Oracle::new(size);
    schedule
        .iter()
        .zip(answered)
        .enumerate()
        .map(|(index, (s, answered))| {
            let expected = oracle.apply(&s.op);
            RecallRow {
                index,
                t0: s.t0,
                operation: s.op.clone(),
                matches: expected == answered,
                expected,
                answered,
            }
        })
        .collect()
}

/// A finished run of [`prepare`]'s memory as a [`CamRun`]: the spikes per population, the final
/// weights of the two plastic projections (in synapse order), decoded and compared with the
/// ideal CAM.
pub fn assemble(
    memory: Ca3Network,
    schedule: &[Scheduled],
    steps: Step,
    mut spikes: Vec<Vec<(Step, u32)>>,
    cue_to_content: Vec<f64>,
    content_to_cue: Vec<f64>,
) -> CamRun {
    let size = memory.size;
    spikes.resize(POPULATIONS.len(), Vec::new());
    let table = recall_table(size, schedule, &spikes[OUT]);
    CamRun {
        memory,
        schedule: schedule.to_vec(),
        population_names: POPULATIONS.iter().map(|s| s.to_string()).collect(),
        population_sizes: population_sizes(size).to_vec(),
        spikes,
        table,
        cue_to_content,
        content_to_cue,
        steps,
    }
}
