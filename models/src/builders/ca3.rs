//! The hippocampal CA3 content-addressable memory of Casanueva-Morato et al., "Bio-inspired
//! computational memory model of the Hippocampus: an approach to a neuromorphic spike-based
//! Content-Addressable Memory", Neural Networks 178:106474 (2024), arXiv:2310.05868, as rebuilt
//! from the authors' code and verified against their SpiNNaker recordings (specs/ca3-cam.md).
//!
//! n one-hot cue neurons and m content bits. Nine populations of `IF_curr_exp` neurons with
//! sPyNNaker's integration (dt = 1 ms), 18 projections, two of them plastic (cue→content and
//! content→cue, sPyNNaker's pair STDP with absolute amplitudes, τ± = 3 ms, A± = 6 nA,
//! w ∈ [0, 6] nA, weights start at 0). Operations are spike patterns on the IN layer:
//!
//! | operation | input | earliest next operation | output on OUT |
//! | --- | --- | --- | --- |
//! | learn (c, K) | cue c and bits K at t0, t0+1, t0+2 | t0+7 | c and K at t0+5 and t0+7; the forgotten bits at t0+6 |
//! | recall by cue c | cue c at t0 | t0+6 | c at t0+5, its content at t0+6 |
//! | recall by content F | bits F at t0 | t0+6 | F at t0+5, every cue whose content meets F at t0+6 |

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sim_core::network::{Network, Projection, RecordSpec, SynapseList};
use sim_core::plasticity::PairRule;
use sim_core::{MemoryObserver, Simulation, Step, TimeGrid};

use crate::neurons::if_curr_exp::IfCurrExpParams;
use crate::neurons::{IfCurrExp, Integration, SpikeSourceArray};
use crate::synapses::{Semantics, SpikePairRule, Stdp, WeightDependence};

/// The time step of the memory (ms); its protocol is defined in steps of 1 ms.
pub const DT_MS: f64 = 1.0;

/// Population order in the network (and in every per-population result).
pub const POPULATIONS: [&str; 10] = [
    "ILayer",
    "CA3cueCueRecall",
    "CA3contCueRecall",
    "CA3contCond",
    "CA3contCondInt",
    "CA3cueContRecall",
    "CA3contContRecall",
    "CA3mergeCue",
    "CA3mergeCont",
    "OLayer",
];
pub const IN: usize = 0;
pub const CUE_CUE: usize = 1;
pub const CONT_CUE: usize = 2;
pub const CONT_COND: usize = 3;
pub const COND_INT: usize = 4;
pub const CUE_CONT: usize = 5;
pub const CONT_CONT: usize = 6;
pub const MERGE_CUE: usize = 7;
pub const MERGE_CONT: usize = 8;
pub const OUT: usize = 9;

/// One operation on the memory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Operation {
    Learn { cue: u32, content: Vec<u32> },
    RecallByCue { cue: u32 },
    RecallByContent { content: Vec<u32> },
}

impl Operation {
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

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CamError {
    #[error("operations[{index}] ({kind} at t = {t0} ms): {what}")]
    Operation {
        index: usize,
        kind: &'static str,
        t0: Step,
        what: String,
    },
    #[error("memory size: {0}")]
    Size(String),
}

/// The memory's dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ca3Size {
    pub cues: u32,
    pub content_bits: u32,
}

impl Ca3Size {
    pub fn check(&self) -> Result<(), CamError> {
        if self.cues == 0 || self.content_bits == 0 {
            return Err(CamError::Size("cues and content_bits must be >= 1".into()));
        }
        if self.cues > 100_000 || self.content_bits > 100_000 {
            return Err(CamError::Size(
                "cues and content_bits must be <= 100000 (the cue layers are all-to-all)".into(),
            ));
        }
        Ok(())
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

/// The CA3 network with its input, and where its plastic projections are.
pub struct Ca3Network {
    pub size: Ca3Size,
    pub network: Network,
    /// Projection indices of the cue→content and content→cue plastic projections.
    pub cue_to_content: usize,
    pub content_to_cue: usize,
}

fn neuron_params(fast: bool, v_thresh: f64) -> IfCurrExpParams {
    IfCurrExpParams {
        cm: if fast { 0.14 } else { 0.27 },
        tau_m: if fast { 0.5 } else { 3.0 },
        tau_refrac: 1.0,
        tau_syn_e: 0.3,
        tau_syn_i: 0.3,
        v_rest: -60.0,
        v_reset: -60.0,
        v_thresh,
        i_offset: 0.0,
    }
}

fn one_to_one(pre_offset: u32, post_offset: u32, n: u32, w: f64, d: u16) -> SynapseList {
    let mut s = SynapseList::default();
    for i in 0..n {
        s.push(pre_offset + i, post_offset + i, w, d);
    }
    s
}

fn all_to_all(n_pre: u32, n_post: u32, allow_self: bool, w: f64, d: u16) -> SynapseList {
    let mut s = SynapseList::default();
    for i in 0..n_pre {
        for j in 0..n_post {
            if allow_self || i != j {
                s.push(i, j, w, d);
            }
        }
    }
    s
}

/// Builds the memory with the given IN-layer spikes (one sorted list per IN neuron).
pub fn build(size: Ca3Size, input: Vec<Vec<Step>>) -> Result<Ca3Network, CamError> {
    size.check()?;
    let (n, m) = (size.cues, size.content_bits);
    let grid = TimeGrid::new(DT_MS).expect("1 ms is a valid dt");
    let mut net = Network::new(grid, 0);
    let model = |fast: bool, th: f64| -> Arc<dyn sim_core::PopulationModel> {
        Arc::new(
            IfCurrExp::new(neuron_params(fast, th), Integration::Spynnaker, None, &grid)
                .expect("the published parameters are valid"),
        )
    };
    let slow = model(false, -57.0);
    let fast = model(true, -57.0);
    let out = model(false, -57.5);
    let sizes = [n + m, n, m, m, 1, n, m, n, m, n + m];
    for (k, name) in POPULATIONS.iter().enumerate() {
        let pop_model: Arc<dyn sim_core::PopulationModel> = match k {
            IN => Arc::new(SpikeSourceArray::from_steps(input.clone())),
            CONT_COND | COND_INT | CUE_CONT => fast.clone(),
            OUT => out.clone(),
            _ => slow.clone(),
        };
        let id = net
            .add_population(name, sizes[k], pop_model)
            .expect("unique names");
        net.set_record(
            id,
            RecordSpec {
                spikes: true,
                interval: 1,
                ..Default::default()
            },
        )
        .expect("valid record spec");
    }
    let stdp: Arc<dyn PairRule> = Arc::new(
        Stdp::new(
            SpikePairRule {
                tau_plus: 3.0,
                tau_minus: 3.0,
                a_plus: 6.0,
                a_minus: 6.0,
            },
            WeightDependence::Additive {
                w_min: 0.0,
                w_max: 6.0,
            },
            Semantics::Spynnaker,
        )
        .expect("the published rule is valid"),
    );
    let wm = 6.0 * m as f64;
    // (pre, post, synapses, receptor 0 = excitatory / 1 = inhibitory, plastic), specs §3.
    let table: Vec<(usize, usize, SynapseList, usize, bool)> = vec![
        (IN, CUE_CUE, one_to_one(0, 0, n, 6.0, 1), 0, false),
        (IN, CONT_CUE, one_to_one(n, 0, m, 6.0, 1), 0, false),
        (CUE_CUE, CUE_CONT, one_to_one(0, 0, n, 6.0, 2), 0, false),
        (CUE_CUE, CUE_CONT, all_to_all(n, n, false, wm, 3), 1, false),
        (CUE_CUE, CONT_COND, all_to_all(n, m, true, 6.0, 2), 1, false),
        (CONT_CUE, CONT_COND, one_to_one(0, 0, m, 9.0, 1), 0, false),
        (CONT_COND, CONT_CONT, one_to_one(0, 0, m, 6.0, 1), 0, false),
        (CONT_CUE, COND_INT, all_to_all(m, 1, true, 6.0, 1), 0, false),
        (
            COND_INT,
            CONT_COND,
            all_to_all(1, m, true, 2.0, 1),
            0,
            false,
        ),
        (CUE_CUE, CONT_CUE, all_to_all(n, m, true, 0.0, 1), 0, true),
        (CONT_CONT, CUE_CONT, all_to_all(m, n, true, 0.0, 1), 0, true),
        (CUE_CONT, CUE_CONT, all_to_all(n, n, false, wm, 2), 1, false),
        (CUE_CUE, MERGE_CUE, one_to_one(0, 0, n, 6.0, 3), 0, false),
        (CUE_CONT, MERGE_CUE, one_to_one(0, 0, n, 6.0, 1), 0, false),
        (CONT_CUE, MERGE_CONT, one_to_one(0, 0, m, 6.0, 3), 0, false),
        (CONT_CONT, MERGE_CONT, one_to_one(0, 0, m, 6.0, 1), 0, false),
        (MERGE_CUE, OUT, one_to_one(0, 0, n, 6.0, 1), 0, false),
        (MERGE_CONT, OUT, one_to_one(0, n, m, 6.0, 1), 0, false),
    ];
    let mut plastic = Vec::new();
    for (k, (pre, post, synapses, receptor, is_plastic)) in table.into_iter().enumerate() {
        let id = net
            .add_projection(Projection {
                name: format!("{}_{}_{k}", POPULATIONS[pre], POPULATIONS[post]),
                pre,
                post,
                receptor,
                synapses,
                plasticity: is_plastic.then(|| stdp.clone()),
            })
            .expect("the published connectivity is consistent");
        if is_plastic {
            plastic.push(id);
        }
    }
    Ok(Ca3Network {
        size,
        network: net,
        cue_to_content: plastic[0],
        content_to_cue: plastic[1],
    })
}

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

/// Everything a CAM run produces.
pub struct CamRun {
    pub memory: Ca3Network,
    pub schedule: Vec<Scheduled>,
    /// Spikes `(step, neuron)` per population, in [`POPULATIONS`] order.
    pub spikes: Vec<Vec<(Step, u32)>>,
    pub table: Vec<RecallRow>,
    /// Final weights: cue→content as n×m (row = cue), content→cue as m×n (row = bit).
    pub cue_to_content: Vec<f64>,
    pub content_to_cue: Vec<f64>,
    pub steps: Step,
}

/// Runs a schedule on a fresh memory (all weights 0) on `threads` threads, for at least
/// `min_steps` steps and until every operation's output is out.
pub fn run(
    size: Ca3Size,
    schedule: &[Scheduled],
    threads: usize,
    min_steps: Step,
) -> Result<CamRun, CamError> {
    validate(size, schedule)?;
    let memory = build(size, input_spikes(size, schedule))?;
    let last = schedule.last().map(|s| s.t0 + 8).unwrap_or(0);
    let steps = min_steps.max(last);
    let mut sim = Simulation::with_threads(&memory.network, threads);
    let mut obs = MemoryObserver::default();
    sim.run_until(steps, &mut obs)
        .expect("the CA3 model has no failure mode");
    let mut spikes = obs.spikes;
    spikes.resize(POPULATIONS.len(), Vec::new());
    let answered = decode(size, schedule, &spikes[OUT]);
    let mut oracle = Oracle::new(size);
    let table = schedule
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
        .collect();
    // Plastic projections were built all-to-all in (pre, post) order: row-major matrices.
    let cue_to_content = sim.weights(memory.cue_to_content);
    let content_to_cue = sim.weights(memory.content_to_cue);
    Ok(CamRun {
        memory,
        schedule: schedule.to_vec(),
        spikes,
        table,
        cue_to_content,
        content_to_cue,
        steps,
    })
}

/// A random operation stream: `count` operations every `spacing` steps (at least each
/// operation's minimum), a third each of learn (every bit with probability 1/2, at least one),
/// recall by cue, and recall by content (1 to 3 random bits); drawn from `seed` only.
pub fn random_schedule(size: Ca3Size, count: usize, spacing: Step, seed: u64) -> Vec<Scheduled> {
    use rand::RngExt;
    let mut r = sim_core::rng::stream(seed, sim_core::rng::Domain::Other, 0xCA3, 0);
    let mut t0 = 0;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let op = match r.random_range(0..3u32) {
            0 => {
                let mut content: Vec<u32> = (0..size.content_bits)
                    .filter(|_| r.random::<bool>())
                    .collect();
                if content.is_empty() {
                    content.push(r.random_range(0..size.content_bits));
                }
                Operation::Learn {
                    cue: r.random_range(0..size.cues),
                    content,
                }
            }
            1 => Operation::RecallByCue {
                cue: r.random_range(0..size.cues),
            },
            _ => {
                let k = r.random_range(1..=3u32.min(size.content_bits));
                let mut content: Vec<u32> = Vec::new();
                while (content.len() as u32) < k {
                    let b = r.random_range(0..size.content_bits);
                    if !content.contains(&b) {
                        content.push(b);
                    }
                }
                content.sort_unstable();
                Operation::RecallByContent { content }
            }
        };
        let step = spacing.max(op.min_spacing());
        out.push(Scheduled { t0, op });
        t0 += step;
    }
    out
}

/// A CAM experiment as read from a TOML file:
///
/// ```toml
/// cues = 5
/// content_bits = 10
/// duration = 90.0        # ms; optional, the run lasts at least until the last output
/// spacing = 10.0         # ms between operations without an explicit `at` (default: minimum)
///
/// [[operations]]
/// at = 0.0               # ms, optional
/// op = "learn"           # learn | recall_by_cue | recall_by_content
/// cue = 0
/// content = [0, 1, 8, 9]
///
/// # or, instead of operations, a random stream:
/// [generator]
/// count = 500
/// spacing = 10.0
/// seed = 1
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    pub size: Ca3Size,
    pub schedule: Vec<Scheduled>,
    pub min_steps: Step,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExperimentFile {
    cues: u32,
    content_bits: u32,
    duration: Option<f64>,
    spacing: Option<f64>,
    #[serde(default)]
    operations: Vec<OperationEntry>,
    generator: Option<GeneratorEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OperationEntry {
    at: Option<f64>,
    op: String,
    cue: Option<u32>,
    content: Option<Vec<u32>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GeneratorEntry {
    count: usize,
    spacing: f64,
    seed: u64,
}

/// Whole milliseconds (the memory runs at dt = 1 ms).
fn whole_ms(key: &str, v: f64) -> Result<Step, String> {
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 1e12 {
        Ok(v as Step)
    } else {
        Err(format!(
            "{key} = {v}: must be a whole number of ms >= 0 (dt = 1 ms)"
        ))
    }
}

/// Parses an experiment file's text; errors read `key = value: what is allowed`.
pub fn parse_experiment(text: &str) -> Result<Experiment, String> {
    if text.trim().is_empty() {
        return Err(
            "the file is empty; an experiment needs cues, content_bits and operations".into(),
        );
    }
    let f: ExperimentFile = toml::from_str(text).map_err(|e| {
        let msg = e.message().to_string();
        // Name the key and value from the offending line, and the line number.
        match e.span() {
            Some(s) => {
                let start = s.start.min(text.len());
                let line_no = text[..start].matches('\n').count() + 1;
                let line = text.lines().nth(line_no - 1).unwrap_or("").trim();
                if line.contains('=') && !line.starts_with('[') {
                    format!("{line}: {msg} (line {line_no})")
                } else {
                    format!("{msg} (line {line_no})")
                }
            }
            None => msg,
        }
    })?;
    let size = Ca3Size {
        cues: f.cues,
        content_bits: f.content_bits,
    };
    size.check().map_err(|e| e.to_string())?;
    let min_steps = match f.duration {
        Some(d) => whole_ms("duration", d)?,
        None => 0,
    };
    if f.generator.is_some() && !f.operations.is_empty() {
        return Err("give either [[operations]] or [generator], not both".into());
    }
    let schedule = if let Some(g) = f.generator {
        if g.count == 0 || g.count > 10_000_000 {
            return Err(format!(
                "generator.count = {}: must be between 1 and 10000000",
                g.count
            ));
        }
        random_schedule(
            size,
            g.count,
            whole_ms("generator.spacing", g.spacing)?,
            g.seed,
        )
    } else {
        if f.operations.is_empty() {
            return Err("operations: at least one operation (or a [generator]) is needed".into());
        }
        let spacing = f.spacing.map(|s| whole_ms("spacing", s)).transpose()?;
        let mut schedule = Vec::with_capacity(f.operations.len());
        let mut next: Step = 0;
        for (i, e) in f.operations.into_iter().enumerate() {
            let key = |k: &str| format!("operations[{i}].{k}");
            let need_cue = || {
                e.cue
                    .ok_or_else(|| format!("{}: missing for op = \"{}\"", key("cue"), e.op))
            };
            let need_content = || {
                e.content
                    .clone()
                    .ok_or_else(|| format!("{}: missing for op = \"{}\"", key("content"), e.op))
            };
            let op = match e.op.as_str() {
                "learn" => Operation::Learn {
                    cue: need_cue()?,
                    content: need_content()?,
                },
                "recall_by_cue" => {
                    if e.content.is_some() {
                        return Err(format!("{}: not used by recall_by_cue", key("content")));
                    }
                    Operation::RecallByCue { cue: need_cue()? }
                }
                "recall_by_content" => {
                    if e.cue.is_some() {
                        return Err(format!("{}: not used by recall_by_content", key("cue")));
                    }
                    Operation::RecallByContent {
                        content: need_content()?,
                    }
                }
                other => {
                    return Err(format!(
                        "{} = \"{other}\": expected learn, recall_by_cue or recall_by_content",
                        key("op")
                    ))
                }
            };
            let t0 = match e.at {
                Some(at) => whole_ms(&key("at"), at)?,
                None => next,
            };
            next = t0 + spacing.unwrap_or(0).max(op.min_spacing());
            schedule.push(Scheduled { t0, op });
        }
        schedule
    };
    validate(size, &schedule).map_err(|e| e.to_string())?;
    Ok(Experiment {
        size,
        schedule,
        min_steps,
    })
}
