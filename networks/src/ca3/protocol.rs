//! Operations on the memory: what each one is, the schedule that checks the protocol's spacing
//! as operations are added, and the IN layer's spikes that carry them.

use serde::{Deserialize, Serialize};
use sim_core::Step;

use super::{Ca3Size, CamError};

/// One operation on the memory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Operation {
    Learn { cue: u32, content: Vec<u32> },
    RecallByCue { cue: u32 },
    RecallByContent { content: Vec<u32> },
}

impl Operation {
    /// Learn (or relearn, forgetting the old content) `content` under `cue`.
    pub fn learn(cue: u32, content: impl Into<Vec<u32>>) -> Self {
        Operation::Learn {
            cue,
            content: content.into(),
        }
    }

    /// Recall the content stored under `cue`.
    pub fn recall_by_cue(cue: u32) -> Self {
        Operation::RecallByCue { cue }
    }

    /// Recall every cue whose content shares at least one bit with `fragment`.
    pub fn recall_by_content(fragment: impl Into<Vec<u32>>) -> Self {
        Operation::RecallByContent {
            content: fragment.into(),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Operation::Learn { .. } => "learn",
            Operation::RecallByCue { .. } => "recall_by_cue",
            Operation::RecallByContent { .. } => "recall_by_content",
        }
    }

    /// Steps after t0 before the next operation may start.
    pub fn min_spacing(&self) -> Step {
        match self {
            Operation::Learn { .. } => 7,
            _ => 6,
        }
    }
}

/// An operation and its first input step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scheduled {
    pub t0: Step,
    pub op: Operation,
}

/// Builds a schedule operation by operation, checking each one as it is added.
///
/// `learn`, `recall_by_cue` and `recall_by_content` start the operation at the earliest step the
/// protocol allows after the previous one (7 ms after a learn, 6 ms after a recall), or `spacing`
/// ms after it if that is longer; the `*_at` forms take an explicit start step. Every operation
/// is validated when added (range, non-empty content, spacing), so an error names its index.
///
/// ```
/// use networks::ca3::{Ca3Size, Protocol};
/// let mut p = Protocol::new(Ca3Size { cues: 5, content_bits: 10 }, 10);
/// p.learn(0, [0, 1, 8, 9]).unwrap();     // t0 = 0
/// p.recall_by_cue(0).unwrap();           // t0 = 10
/// p.recall_by_content([8]).unwrap();     // t0 = 20
/// assert!(p.recall_by_cue_at(25, 0).is_err()); // 5 ms after a recall: too close
/// assert_eq!(p.schedule().len(), 3);
/// ```
#[derive(Debug, Clone)]
pub struct Protocol {
    size: Ca3Size,
    spacing: Step,
    schedule: Vec<Scheduled>,
}

impl Protocol {
    /// An empty schedule; sequential operations are `spacing` ms apart (at least the minimum).
    pub fn new(size: Ca3Size, spacing: Step) -> Self {
        Self {
            size,
            spacing,
            schedule: Vec::new(),
        }
    }

    /// The earliest start of the next sequential operation.
    pub fn next_start(&self) -> Step {
        self.schedule
            .last()
            .map(|s| s.t0 + self.spacing.max(s.op.min_spacing()))
            .unwrap_or(0)
    }

    /// Adds `op` at `t0` after validating it against the operations before it; returns its index.
    pub fn push_at(&mut self, t0: Step, op: Operation) -> Result<usize, CamError> {
        self.schedule.push(Scheduled { t0, op });
        // Only the new operation and its predecessor can be at fault: the rest was checked.
        let from = self.schedule.len().saturating_sub(2);
        let r = validate(self.size, &self.schedule[from..]).map_err(|e| match e {
            CamError::Operation {
                index,
                kind,
                t0,
                what,
            } => CamError::Operation {
                index: index + from,
                kind,
                t0,
                what: what.replace(
                    "operations[0]",
                    &format!("operations[{}]", from.min(self.schedule.len() - 1)),
                ),
            },
            e => e,
        });
        if let Err(e) = r {
            self.schedule.pop();
            return Err(e);
        }
        Ok(self.schedule.len() - 1)
    }

    /// Adds `op` at the next sequential start.
    pub fn push(&mut self, op: Operation) -> Result<usize, CamError> {
        self.push_at(self.next_start(), op)
    }

    pub fn learn(&mut self, cue: u32, content: impl Into<Vec<u32>>) -> Result<usize, CamError> {
        self.push(Operation::learn(cue, content))
    }

    pub fn recall_by_cue(&mut self, cue: u32) -> Result<usize, CamError> {
        self.push(Operation::recall_by_cue(cue))
    }

    pub fn recall_by_content(&mut self, fragment: impl Into<Vec<u32>>) -> Result<usize, CamError> {
        self.push(Operation::recall_by_content(fragment))
    }

    pub fn learn_at(
        &mut self,
        t0: Step,
        cue: u32,
        content: impl Into<Vec<u32>>,
    ) -> Result<usize, CamError> {
        self.push_at(t0, Operation::learn(cue, content))
    }

    pub fn recall_by_cue_at(&mut self, t0: Step, cue: u32) -> Result<usize, CamError> {
        self.push_at(t0, Operation::recall_by_cue(cue))
    }

    pub fn recall_by_content_at(
        &mut self,
        t0: Step,
        fragment: impl Into<Vec<u32>>,
    ) -> Result<usize, CamError> {
        self.push_at(t0, Operation::recall_by_content(fragment))
    }

    pub fn size(&self) -> Ca3Size {
        self.size
    }

    pub fn schedule(&self) -> &[Scheduled] {
        &self.schedule
    }

    /// The IN layer's spike steps for the schedule so far.
    pub fn input_spikes(&self) -> Vec<Vec<Step>> {
        input_spikes(self.size, &self.schedule)
    }

    pub fn into_schedule(self) -> Vec<Scheduled> {
        self.schedule
    }
}

/// Checks a schedule: indices in range, non-empty contents, ascending start times and the
/// protocol's minimum spacing.
pub fn validate(size: Ca3Size, ops: &[Scheduled]) -> Result<(), CamError> {
    size.check()?;
    let mut earliest: Step = 0;
    let mut prev: Option<(usize, &Scheduled)> = None;
    for (index, s) in ops.iter().enumerate() {
        let err = |what: String| CamError::Operation {
            index,
            kind: s.op.kind(),
            t0: s.t0,
            what,
        };
        let check_cue = |c: u32| {
            if c >= size.cues {
                Err(err(format!("cue {c} is out of range 0..{}", size.cues)))
            } else {
                Ok(())
            }
        };
        let check_bits = |bits: &[u32]| {
            if bits.is_empty() {
                return Err(err("content must have at least one bit".into()));
            }
            if let Some(b) = bits.iter().find(|&&b| b >= size.content_bits) {
                return Err(err(format!(
                    "content bit {b} is out of range 0..{}",
                    size.content_bits
                )));
            }
            Ok(())
        };
        match &s.op {
            Operation::Learn { cue, content } => {
                check_cue(*cue)?;
                check_bits(content)?;
            }
            Operation::RecallByCue { cue } => check_cue(*cue)?,
            Operation::RecallByContent { content } => check_bits(content)?,
        }
        if let Some((pi, p)) = prev {
            if s.t0 < earliest {
                return Err(err(format!(
                    "starts {} ms after operations[{pi}] ({} at t = {} ms); a {} needs at least {} ms before the next operation",
                    s.t0 as i64 - p.t0 as i64,
                    p.op.kind(),
                    p.t0,
                    p.op.kind(),
                    p.op.min_spacing()
                )));
            }
        }
        earliest = s.t0 + s.op.min_spacing();
        prev = Some((index, s));
    }
    Ok(())
}

/// The IN layer's spike steps (neurons 0..n are cues, n..n+m content bits) for a schedule.
pub fn input_spikes(size: Ca3Size, ops: &[Scheduled]) -> Vec<Vec<Step>> {
    let n = size.cues as usize;
    let mut spikes = vec![Vec::new(); n + size.content_bits as usize];
    for s in ops {
        let (cues, bits, hold): (Vec<u32>, &[u32], Step) = match &s.op {
            Operation::Learn { cue, content } => (vec![*cue], content, 3),
            Operation::RecallByCue { cue } => (vec![*cue], &[], 1),
            Operation::RecallByContent { content } => (vec![], content, 1),
        };
        for k in 0..hold {
            for &c in &cues {
                spikes[c as usize].push(s.t0 + k);
            }
            for &b in bits {
                spikes[n + b as usize].push(s.t0 + k);
            }
        }
    }
    for s in &mut spikes {
        s.sort_unstable();
        s.dedup();
    }
    spikes
}
