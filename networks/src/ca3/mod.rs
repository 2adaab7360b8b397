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

use models::neurons::if_curr_exp::IfCurrExpParams;
use models::neurons::{IfCurrExp, Integration, SpikeSourceArray};
use models::synapses::{Semantics, SpikePairRule, Stdp, WeightDependence};

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

/// The label each population has in the authors' result figures (`spikes.png`), in
/// [`POPULATIONS`] order.
pub const FIGURE_LABELS: [&str; 10] = [
    "IN",
    "CA3S1Cue",
    "CA3S1Cont",
    "CA3S2Cond",
    "CA3S2Int",
    "CA3S2Cue",
    "CA3S2Cont",
    "CA3MergeCue",
    "CA3MergeCont",
    "OUT",
];

/// One column of the published recordings (`ca3_cam_spinnaker_recordings.json`,
/// `experiments.*.spinnaker_spikes`): which population's neurons it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct JsonColumn {
    /// Column name in the JSON file.
    pub name: &'static str,
    /// Population index (see [`POPULATIONS`]).
    pub population: usize,
    /// First neuron of the population in this column; column neuron k = population neuron
    /// `first + k`.
    pub first: u32,
    /// Number of neurons in the column.
    pub width: u32,
}

/// The recordings' 12 columns for an n × m memory: IN and OUT are split into their cue part
/// (`INcue`, `OUTcue`) and content part (`INcont`, `OUTcont`); the others are one population each.
pub fn json_columns(size: Ca3Size) -> Vec<JsonColumn> {
    let (n, m) = (size.cues, size.content_bits);
    let col = |name, population, first, width| JsonColumn {
        name,
        population,
        first,
        width,
    };
    vec![
        col("INcue", IN, 0, n),
        col("INcont", IN, n, m),
        col("CueCue", CUE_CUE, 0, n),
        col("ContCue", CONT_CUE, 0, m),
        col("ContCond", CONT_COND, 0, m),
        col("ContCondInt", COND_INT, 0, 1),
        col("CueCont", CUE_CONT, 0, n),
        col("ContCont", CONT_CONT, 0, m),
        col("MergeCue", MERGE_CUE, 0, n),
        col("MergeCont", MERGE_CONT, 0, m),
        col("OUTcue", OUT, 0, n),
        col("OUTcont", OUT, n, m),
    ]
}

/// One published experiment of `ca3_cam_spinnaker_recordings.json` (`experiments.<name>`):
/// the memory size, the run length and the IN layer's spike steps.
pub fn recorded_experiment(e: &serde_json::Value) -> Option<(Ca3Size, Step, Vec<Vec<Step>>)> {
    let size = Ca3Size {
        cues: e["cueSize"].as_u64()? as u32,
        content_bits: e["contSize"].as_u64()? as u32,
    };
    let steps = |v: &serde_json::Value| -> Option<Vec<Step>> {
        v.as_array()?.iter().map(|t| t.as_u64()).collect()
    };
    let input = e["input"]
        .as_array()?
        .iter()
        .map(steps)
        .collect::<Option<_>>()?;
    Some((size, e["simTime"].as_u64()?, input))
}

/// How a run's spikes compare with a published recording, cell by cell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordingComparison {
    /// (column, ms) cells whose neuron sets differ.
    pub differing: usize,
    pub cells: usize,
    /// Spikes in the recording.
    pub recorded_spikes: usize,
    /// One line per differing cell: `column at t ms: ours {..}, recorded {..}`.
    pub lines: Vec<String>,
}

/// Compares `spikes` (per population, `(step, neuron)`) with experiment `e` of the recordings,
/// for every one of its 12 columns and every ms of its run.
pub fn compare_with_recording(
    e: &serde_json::Value,
    spikes: &[Vec<(Step, u32)>],
) -> RecordingComparison {
    use std::collections::BTreeMap;
    let (size, sim_time, _) = recorded_experiment(e).expect("a recorded experiment");
    let mut out = RecordingComparison::default();
    for col in json_columns(size) {
        let mut ours: BTreeMap<Step, BTreeSet<u32>> = BTreeMap::new();
        for &(t, i) in spikes
            .get(col.population)
            .map(|v| v.as_slice())
            .unwrap_or(&[])
        {
            if i >= col.first && i - col.first < col.width {
                ours.entry(t).or_default().insert(i - col.first);
            }
        }
        let mut theirs: BTreeMap<Step, BTreeSet<u32>> = BTreeMap::new();
        if let Some(obj) = e["spinnaker_spikes"][col.name].as_object() {
            for (neuron, times) in obj {
                let neuron: u32 = neuron.parse().expect("neuron indices are numbers");
                for t in times
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t.as_u64())
                {
                    theirs.entry(t).or_default().insert(neuron);
                    out.recorded_spikes += 1;
                }
            }
        }
        for t in 0..sim_time {
            out.cells += 1;
            let a = ours.get(&t).cloned().unwrap_or_default();
            let b = theirs.get(&t).cloned().unwrap_or_default();
            if a != b {
                out.differing += 1;
                out.lines.push(format!(
                    "{} at {t} ms: ours {a:?}, recorded {b:?}",
                    col.name
                ));
            }
        }
    }
    out
}

/// Population sizes for an n × m memory, in [`POPULATIONS`] order.
pub fn population_sizes(size: Ca3Size) -> [u32; 10] {
    let (n, m) = (size.cues, size.content_bits);
    [n + m, n, m, m, 1, n, m, n, m, n + m]
}

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
    /// An experiment file that cannot be read or is invalid: the file, then `key = value: what
    /// is allowed`.
    #[error("{file}: {message}")]
    Experiment { file: String, message: String },
    /// The engine refused or failed the run (not expected for a validated schedule).
    #[error("simulation: {0}")]
    Engine(String),
}

sim_core::error_codes! { CamError {
    Experiment => "E0201",
    Operation => "E0202",
    Size => "E0203",
    Engine => "E0204",
} }

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
        check_memory(*self, 0.0, 0.0).map_err(CamError::Size)
    }
}

/// Bytes per synapse assumed by the memory estimate (synapse list, engine rows, STDP state).
const SYNAPSE_BYTES: f64 = 48.0;
/// Bytes per neuron of state assumed by the memory estimate.
const NEURON_BYTES: f64 = 128.0;
/// Bytes per operation, besides its content: schedule entry, input spikes, recall-table row.
const OPERATION_BYTES: f64 = 256.0;
/// Bytes per content bit of an operation: in the schedule and as sets in the recall table.
const CONTENT_BIT_BYTES: f64 = 100.0;

/// Refuses a memory (and `operations` operations of `mean_content` bits on average) whose
/// estimated footprint exceeds the memory available, before anything is allocated.
fn check_memory(size: Ca3Size, operations: f64, mean_content: f64) -> Result<(), String> {
    let (n, m) = (size.cues as f64, size.content_bits as f64);
    // The all-to-all projections: three of n x m, two of n x n (see `build_seeded`).
    let network = SYNAPSE_BYTES * (3.0 * n * m + 2.0 * n * n + 4.0 * m)
        + NEURON_BYTES
            * population_sizes(size)
                .iter()
                .map(|&s| s as f64)
                .sum::<f64>();
    let schedule = operations * (OPERATION_BYTES + CONTENT_BIT_BYTES * mean_content);
    let limit = crate::modelfile::memory_limit_bytes();
    if network + schedule > limit {
        const GIB: f64 = (1u64 << 30) as f64;
        return Err(format!(
            "{} cues x {} bits{} need about {:.1} GiB, but only {:.1} GiB of memory is available; \
             use fewer cues or content bits{}",
            size.cues,
            size.content_bits,
            if operations > 0.0 {
                format!(" and {operations} operations")
            } else {
                String::new()
            },
            (network + schedule) / GIB,
            limit / GIB,
            if operations > 0.0 {
                ", or fewer operations"
            } else {
                ""
            }
        ));
    }
    Ok(())
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

/// The `IF_curr_exp` parameters of the memory's populations: slow (tau_m 3 ms, cm 0.27 nF) or
/// fast (tau_m 0.5 ms, cm 0.14 nF), with the given threshold (specs §2).
pub fn neuron_params(fast: bool, v_thresh: f64) -> IfCurrExpParams {
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
    build_seeded(size, input, 0)
}

/// [`build`] with the network's seed given (the memory itself is deterministic: no random
/// connectivity, parameters or noise; the seed is only recorded in the network).
pub fn build_seeded(
    size: Ca3Size,
    input: Vec<Vec<Step>>,
    seed: u64,
) -> Result<Ca3Network, CamError> {
    size.check()?;
    let (n, m) = (size.cues, size.content_bits);
    let grid = TimeGrid::new(DT_MS).expect("1 ms is a valid dt");
    let mut net = Network::new(grid, seed);
    let model = |fast: bool, th: f64| -> Arc<dyn sim_core::PopulationModel> {
        Arc::new(
            IfCurrExp::new(neuron_params(fast, th), Integration::Spynnaker, None, &grid)
                .expect("the published parameters are valid"),
        )
    };
    let slow = model(false, -57.0);
    let fast = model(true, -57.0);
    let out = model(false, -57.5);
    let sizes = population_sizes(size);
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

/// The result of [`run_experiment`].
pub type CamResult = CamRun;

/// Disagreements of a run's answers with the ideal-CAM oracle, by operation kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
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

impl CamRun {
    /// Counts the recall table's departures from the oracle.
    pub fn disagreements(&self) -> Disagreements {
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

    /// Final cue→content weight (nA) from `cue` to content bit `bit`.
    pub fn cue_to_content_weight(&self, cue: u32, bit: u32) -> f64 {
        self.cue_to_content[(cue * self.memory.size.content_bits + bit) as usize]
    }

    /// Final content→cue weight (nA) from content bit `bit` to `cue`.
    pub fn content_to_cue_weight(&self, bit: u32, cue: u32) -> f64 {
        self.content_to_cue[(bit * self.memory.size.cues + cue) as usize]
    }
}

/// Runs an experiment (from a file or built in code) on `threads` threads.
pub fn run_experiment(exp: &Experiment, threads: usize) -> Result<CamResult, CamError> {
    run_seeded(exp.size, &exp.schedule, threads, exp.min_steps, exp.seed)
}

/// Runs a schedule on a fresh memory (all weights 0) on `threads` threads, for at least
/// `min_steps` steps and until every operation's output is out.
pub fn run(
    size: Ca3Size,
    schedule: &[Scheduled],
    threads: usize,
    min_steps: Step,
) -> Result<CamRun, CamError> {
    run_seeded(size, schedule, threads, min_steps, 0)
}

fn run_seeded(
    size: Ca3Size,
    schedule: &[Scheduled],
    threads: usize,
    min_steps: Step,
    seed: u64,
) -> Result<CamRun, CamError> {
    let (memory, steps) = prepare(size, schedule, min_steps, seed)?;
    let mut sim = Simulation::with_threads(&memory.network, threads.max(1));
    let mut obs = MemoryObserver::default();
    sim.run_until(steps, &mut obs)
        .map_err(|e| CamError::Engine(e.to_string()))?;
    // Plastic projections were built all-to-all in (pre, post) order: row-major matrices.
    let cue_to_content = sim.weights(memory.cue_to_content);
    let content_to_cue = sim.weights(memory.content_to_cue);
    Ok(assemble(
        memory,
        schedule,
        steps,
        obs.spikes,
        cue_to_content,
        content_to_cue,
    ))
}

/// The memory for `schedule` (validated) and the number of steps its run takes: at least
/// `min_steps` and until every operation's output is out. Any backend runs it from here.
pub fn prepare(
    size: Ca3Size,
    schedule: &[Scheduled],
    min_steps: Step,
    seed: u64,
) -> Result<(Ca3Network, Step), CamError> {
    validate(size, schedule)?;
    let memory = build_seeded(size, input_spikes(size, schedule), seed)?;
    // The last output of any operation is at t0 + 7.
    let last = schedule.last().map(|s| s.t0 + 8).unwrap_or(0);
    Ok((memory, min_steps.max(last)))
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

/// Relative frequencies of the operation kinds in a random stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationMix {
    /// In a file, a kind left out of `mix` has weight 0.
    #[serde(default)]
    pub learn: u32,
    #[serde(default)]
    pub recall_by_cue: u32,
    #[serde(default)]
    pub recall_by_content: u32,
}

impl Default for OperationMix {
    /// A third of each kind.
    fn default() -> Self {
        Self {
            learn: 1,
            recall_by_cue: 1,
            recall_by_content: 1,
        }
    }
}

/// A random operation stream: `count` operations every `spacing` steps (at least each
/// operation's minimum), a third each of learn (every bit with probability 1/2, at least one),
/// recall by cue, and recall by content (1 to 3 random bits); drawn from `seed` only.
pub fn random_schedule(size: Ca3Size, count: usize, spacing: Step, seed: u64) -> Vec<Scheduled> {
    random_schedule_mix(size, count, spacing, seed, OperationMix::default())
}

/// [`random_schedule`] with the kinds drawn in proportion to `mix` (weights; at least one must be
/// positive). The equal mix gives exactly the stream of [`random_schedule`].
///
/// # Panics
/// If every weight of `mix` is 0 (experiment files are checked for this before calling).
pub fn random_schedule_mix(
    size: Ca3Size,
    count: usize,
    spacing: Step,
    seed: u64,
    mix: OperationMix,
) -> Vec<Scheduled> {
    use rand::RngExt;
    let mut r = sim_core::rng::stream(seed, sim_core::rng::Domain::Other, 0xCA3, 0);
    let total = mix.learn as u64 + mix.recall_by_cue as u64 + mix.recall_by_content as u64;
    assert!(total > 0, "the operation mix needs a positive weight");
    let mut t0 = 0;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let x = r.random_range(0..total);
        let kind = if x < mix.learn as u64 {
            0
        } else if x < mix.learn as u64 + mix.recall_by_cue as u64 {
            1
        } else {
            2
        };
        let op = match kind {
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
/// cues = 5               # or n = 5
/// content_bits = 10      # or m = 10
/// dt = 1.0               # optional; the protocol is defined at 1 ms only
/// seed = 0               # optional network seed (the memory is deterministic)
/// duration = 90.0        # ms; optional, the run lasts at least until the last output
/// spacing = 10.0         # (or spacing_ms) ms between operations without an explicit `at`
///                        # (default and floor: the protocol's minimum, 7 ms after a learn,
///                        # 6 ms after a recall)
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
/// spacing = 10.0         # or spacing_ms
/// seed = 1
/// mix = { learn = 1, recall_by_cue = 1, recall_by_content = 1 }   # optional weights
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    pub size: Ca3Size,
    pub schedule: Vec<Scheduled>,
    pub min_steps: Step,
    /// The network's seed (recorded; the memory has no random element).
    pub seed: u64,
}

impl Experiment {
    /// An experiment from a schedule built in code (e.g. with [`Protocol`]).
    pub fn new(size: Ca3Size, schedule: Vec<Scheduled>) -> Result<Self, CamError> {
        validate(size, &schedule)?;
        Ok(Self {
            size,
            schedule,
            min_steps: 0,
            seed: 0,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExperimentFile {
    #[serde(alias = "n")]
    cues: u32,
    #[serde(alias = "m")]
    content_bits: u32,
    dt: Option<f64>,
    seed: Option<u64>,
    duration: Option<f64>,
    #[serde(alias = "spacing_ms")]
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
    #[serde(alias = "spacing_ms")]
    spacing: f64,
    seed: u64,
    mix: Option<OperationMix>,
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
    if let Some(dt) = f.dt {
        if dt != DT_MS {
            return Err(format!(
                "dt = {dt}: the memory's protocol is defined at dt = 1 ms only (write dt = 1.0 or leave it out)"
            ));
        }
    }
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
        let mix = g.mix.unwrap_or_default();
        if mix.learn == 0 && mix.recall_by_cue == 0 && mix.recall_by_content == 0 {
            return Err(
                "generator.mix = {learn = 0, recall_by_cue = 0, recall_by_content = 0}: at least one weight must be > 0".into(),
            );
        }
        // A learn draws every bit with probability 1/2, a recall by content 1 to 3 bits.
        let weights = [mix.learn, mix.recall_by_cue, mix.recall_by_content].map(f64::from);
        let mean_content = (weights[0] * size.content_bits as f64 / 2.0 + weights[2] * 2.0)
            / weights.iter().sum::<f64>();
        check_memory(size, g.count as f64, mean_content)
            .map_err(|e| format!("generator.count = {}: {e}", g.count))?;
        random_schedule_mix(
            size,
            g.count,
            whole_ms("generator.spacing", g.spacing)?,
            g.seed,
            mix,
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
        seed: f.seed.unwrap_or(0),
    })
}

/// Reads and parses an experiment file; errors name the file, then `key = value: what is
/// allowed`.
pub fn load_experiment(path: impl AsRef<std::path::Path>) -> Result<Experiment, CamError> {
    let path = path.as_ref();
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| CamError::Experiment {
        file: file.clone(),
        message: format!("cannot read: {e}"),
    })?;
    parse_experiment(&text).map_err(|message| CamError::Experiment { file, message })
}
