//! The authors' SpiNNaker recordings of the CA3 memory (`ca3_cam_spinnaker_recordings.json`):
//! their column layout, one recorded experiment's inputs, and a spike-by-spike and cell-by-cell
//! comparison of a run's spikes with a recording. Included by the tests that compare with them.

use std::collections::BTreeSet;

use networks::ca3::{
    Ca3Size, COND_INT, CONT_COND, CONT_CONT, CONT_CUE, CUE_CONT, CUE_CUE, IN, MERGE_CONT,
    MERGE_CUE, OUT, POPULATIONS,
};
use serde_json::Value;
use sim_core::Step;

/// The example experiment files (`examples/cam/`) of the recorded experiments, with the
/// experiment's name in the recordings.
#[allow(dead_code)] // not every test that includes this file replays the examples
pub const EXAMPLE_FILES: [(&str, &str); 3] = [
    (
        "e1_functional.toml",
        "1_learn_recall_by_cue_and_cont_forget",
    ),
    (
        "e2_pyramidal_sequence.toml",
        "2_tb2_piramidal_sequence_cont",
    ),
    ("e3_state_map.toml", "3_state_map_app"),
];

/// The three published experiments: (short name, key in the recordings file).
#[allow(dead_code)] // not every test that includes this file compares spike by spike
pub const EXPERIMENTS: [(&str, &str); 3] = [
    ("E1", "1_learn_recall_by_cue_and_cont_forget"),
    ("E2", "2_tb2_piramidal_sequence_cont"),
    ("E3", "3_state_map_app"),
];

/// A spike as (population, neuron, step).
#[allow(dead_code)] // not every test that includes this file compares spike by spike
pub type Spike = (usize, u32, Step);

/// Every spike of `spikes` (per population, `(step, neuron)`) outside the IN layer.
#[allow(dead_code)] // not every test that includes this file compares spike by spike
pub fn non_input_spikes(spikes: &[Vec<(Step, u32)>]) -> BTreeSet<Spike> {
    spikes
        .iter()
        .enumerate()
        .filter(|&(p, _)| p != IN)
        .flat_map(|(p, s)| s.iter().map(move |&(t, i)| (p, i, t)))
        .collect()
}

/// Every spike of recorded experiment `e` outside the IN layer (INcue, INcont), in population
/// neuron numbering.
#[allow(dead_code)] // not every test that includes this file compares spike by spike
pub fn recorded_non_input_spikes(e: &Value) -> BTreeSet<Spike> {
    let size = recorded_experiment(e).expect("a recorded experiment").0;
    let mut out = BTreeSet::new();
    for col in json_columns(size) {
        if col.population == IN {
            continue;
        }
        let Some(obj) = e["spinnaker_spikes"][col.name].as_object() else {
            continue;
        };
        for (neuron, times) in obj {
            let k: u32 = neuron.parse().expect("neuron indices are numbers");
            assert!(k < col.width, "{} neuron {k}", col.name);
            for t in times.as_array().expect("spike times").iter() {
                let t = t.as_u64().expect("spike times are whole ms");
                assert!(out.insert((col.population, col.first + k, t)));
            }
        }
    }
    out
}

/// A run's non-input spikes against a recording's, spike by spike.
#[allow(dead_code)] // not every test that includes this file compares spike by spike
#[derive(Debug)]
pub struct SpikeMatch {
    /// Non-input spikes in the recording.
    pub recorded: usize,
    /// Of those, the ones the run has too (same population, neuron and ms).
    pub matched: usize,
    /// Recorded spikes the run lacks, and spikes of the run the recording lacks.
    pub missing: Vec<Spike>,
    pub extra: Vec<Spike>,
}

#[allow(dead_code)] // not every test that includes this file compares spike by spike
pub fn match_recording(e: &Value, spikes: &[Vec<(Step, u32)>]) -> SpikeMatch {
    let recorded = recorded_non_input_spikes(e);
    let ours = non_input_spikes(spikes);
    SpikeMatch {
        recorded: recorded.len(),
        matched: recorded.intersection(&ours).count(),
        missing: recorded.difference(&ours).copied().collect(),
        extra: ours.difference(&recorded).copied().collect(),
    }
}

/// Checks `spikes` against recorded experiment `name`: every recorded non-input spike
/// reproduced and no other, and no differing (column, ms) cell; `what` names the run in
/// messages. Returns the number of recorded non-input spikes.
#[allow(dead_code)] // not every test that includes this file compares spike by spike
pub fn assert_reproduced(
    rec: &Value,
    name: &str,
    what: &str,
    spikes: &[Vec<(Step, u32)>],
) -> usize {
    let e = &rec["experiments"][name];
    let c = compare_with_recording(e, spikes);
    for l in &c.lines {
        eprintln!("{what}: {l}");
    }
    // Every population of the network is covered by the columns.
    let size = recorded_experiment(e).unwrap().0;
    let covered: BTreeSet<usize> = json_columns(size).iter().map(|c| c.population).collect();
    assert_eq!(covered.len(), POPULATIONS.len());
    let m = match_recording(e, spikes);
    eprintln!(
        "{what}: {} of {} recorded non-input spikes reproduced, {} missing, {} extra; {} differing cells",
        m.matched,
        m.recorded,
        m.missing.len(),
        m.extra.len(),
        c.differing
    );
    assert_eq!(m.matched, m.recorded, "{what}: missing {:?}", m.missing);
    assert!(m.extra.is_empty(), "{what}: extra {:?}", m.extra);
    assert_eq!(c.differing, 0, "{what}");
    m.recorded
}

/// The recordings, read from the reference data beside the checkout.
pub fn recordings() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/reference/ca3_cam_spinnaker_recordings.json"
    );
    let text =
        std::fs::read_to_string(path).expect("the reference recordings are beside the checkout");
    serde_json::from_str(&text).expect("valid JSON")
}

/// One column of the published recordings (`ca3_cam_spinnaker_recordings.json`,
/// `experiments.*.spinnaker_spikes`): which population's neurons it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
