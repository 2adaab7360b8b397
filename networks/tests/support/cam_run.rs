//! What the CA3 tests read off a finished run: its disagreements with the ideal CAM by
//! operation kind, and single weights of the two plastic matrices.

use std::collections::BTreeSet;

use networks::ca3::{CamRun, Operation};

/// Disagreements of a run's answers with the ideal-CAM oracle, by operation kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Disagreements {
    pub learn: usize,
    pub learn_wrong: usize,
    pub recall_by_cue: usize,
    pub recall_by_cue_wrong: usize,
    pub recall_by_content: usize,
    pub recall_by_content_wrong: usize,
    /// Recall-by-content queries that answered a cue the oracle does not.
    pub extra_cues: usize,
    /// Recall-by-content queries that missed a cue the oracle answers.
    pub missing_cues: usize,
    /// Of those with extra cues: single-bit queries.
    pub extra_cues_single_bit: usize,
    /// Recall-by-content queries with a single bit.
    pub recall_by_content_single_bit: usize,
}

/// What the tests read off a finished run.
#[allow(dead_code)] // not every test that includes this file reads weights
pub trait CamRunExt {
    /// Counts the recall table's departures from the oracle.
    fn disagreements(&self) -> Disagreements;
    /// Final cue→content weight (nA) from `cue` to content bit `bit`.
    fn cue_to_content_weight(&self, cue: u32, bit: u32) -> f64;
    /// Final content→cue weight (nA) from content bit `bit` to `cue`.
    fn content_to_cue_weight(&self, bit: u32, cue: u32) -> f64;
}

impl CamRunExt for CamRun {
    fn disagreements(&self) -> Disagreements {
        let mut d = Disagreements::default();
        for r in &self.table {
            let wrong = usize::from(!r.matches);
            match &r.operation {
                Operation::Learn { .. } => {
                    d.learn += 1;
                    d.learn_wrong += wrong;
                }
                Operation::RecallByCue { .. } => {
                    d.recall_by_cue += 1;
                    d.recall_by_cue_wrong += wrong;
                }
                Operation::RecallByContent { content } => {
                    d.recall_by_content += 1;
                    d.recall_by_content_wrong += wrong;
                    let extra = !r.answered.cues.is_subset(&r.expected.cues);
                    d.extra_cues += usize::from(extra);
                    d.missing_cues += usize::from(!r.expected.cues.is_subset(&r.answered.cues));
                    let single = content.iter().collect::<BTreeSet<_>>().len() == 1;
                    d.recall_by_content_single_bit += usize::from(single);
                    d.extra_cues_single_bit += usize::from(single && extra);
                }
            }
        }
        d
    }

    fn cue_to_content_weight(&self, cue: u32, bit: u32) -> f64 {
        self.cue_to_content[(cue * self.memory.size.content_bits + bit) as usize]
    }

    fn content_to_cue_weight(&self, bit: u32, cue: u32) -> f64 {
        self.content_to_cue[(bit * self.memory.size.cues + cue) as usize]
    }
}
