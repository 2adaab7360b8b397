//! The CA3 content-addressable memory against the spike trains its authors recorded on SpiNNaker
//! (reference/ca3_cam_spinnaker_recordings.json): every population, every millisecond, for the
//! three published experiments (90 + 851 + 140 ms). The criterion is 0 differing
//! (population column, ms) cells.

use std::collections::{BTreeMap, BTreeSet};

use models::builders::ca3::{
    self, Ca3Size, COND_INT, CONT_COND, CONT_CONT, CONT_CUE, CUE_CONT, CUE_CUE, IN, MERGE_CONT,
    MERGE_CUE, OUT,
};
use serde_json::Value;
use sim_core::{MemoryObserver, Simulation, Step};

fn recordings() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/reference/ca3_cam_spinnaker_recordings.json"
    );
    let text =
        std::fs::read_to_string(path).expect("the reference recordings are beside the checkout");
    serde_json::from_str(&text).expect("valid JSON")
}

/// Column name -> (population, first neuron of the column within it).
fn columns(n: u32) -> Vec<(&'static str, usize, u32)> {
    vec![
        ("INcue", IN, 0),
        ("INcont", IN, n),
        ("CueCue", CUE_CUE, 0),
        ("ContCue", CONT_CUE, 0),
        ("ContCond", CONT_COND, 0),
        ("ContCondInt", COND_INT, 0),
        ("CueCont", CUE_CONT, 0),
        ("ContCont", CONT_CONT, 0),
        ("MergeCue", MERGE_CUE, 0),
        ("MergeCont", MERGE_CONT, 0),
        ("OUTcue", OUT, 0),
        ("OUTcont", OUT, n),
    ]
}

/// Counts differing (column, ms) cells between the simulation and the recording.
fn replay(name: &str, threads: usize) -> (usize, usize, usize) {
    let rec = recordings();
    let e = &rec["experiments"][name];
    let size = Ca3Size {
        cues: e["cueSize"].as_u64().unwrap() as u32,
        content_bits: e["contSize"].as_u64().unwrap() as u32,
    };
    let sim_time = e["simTime"].as_u64().unwrap() as Step;
    let input: Vec<Vec<Step>> = e["input"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l.as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_u64().unwrap())
                .collect()
        })
        .collect();
    let memory = ca3::build(size, input).unwrap();
    let mut sim = Simulation::with_threads(&memory.network, threads);
    let mut obs = MemoryObserver::default();
    sim.run_until(sim_time, &mut obs).unwrap();

    let n = size.cues;
    let mut differing = 0;
    let mut cells = 0;
    let mut recorded_spikes = 0;
    for (col, pop, first) in columns(n) {
        let width = if col == "INcue" || col == "OUTcue" {
            n
        } else if col == "INcont" || col == "OUTcont" {
            size.content_bits
        } else {
            u32::MAX
        };
        let mut ours: BTreeMap<Step, BTreeSet<u32>> = BTreeMap::new();
        for &(t, i) in obs.spikes.get(pop).map(|v| v.as_slice()).unwrap_or(&[]) {
            if i >= first && i - first < width {
                ours.entry(t).or_default().insert(i - first);
            }
        }
        let mut theirs: BTreeMap<Step, BTreeSet<u32>> = BTreeMap::new();
        if let Some(obj) = e["spinnaker_spikes"][col].as_object() {
            for (neuron, times) in obj {
                for t in times.as_array().unwrap() {
                    theirs
                        .entry(t.as_u64().unwrap())
                        .or_default()
                        .insert(neuron.parse().unwrap());
                    recorded_spikes += 1;
                }
            }
        }
        for t in 0..sim_time {
            cells += 1;
            let a = ours.get(&t).cloned().unwrap_or_default();
            let b = theirs.get(&t).cloned().unwrap_or_default();
            if a != b {
                differing += 1;
                eprintln!("{name}: {col} at {t} ms: engram {a:?}, SpiNNaker {b:?}");
            }
        }
    }
    (differing, cells, recorded_spikes)
}

#[test]
fn e1_functional_matches_the_recording_exactly() {
    let (d, cells, spikes) = replay("1_learn_recall_by_cue_and_cont_forget", 1);
    eprintln!("E1: {d} differing of {cells} (column, ms) cells; {spikes} recorded spikes");
    assert_eq!(d, 0);
}

#[test]
fn e2_pyramidal_sequence_matches_the_recording_exactly() {
    let (d, cells, spikes) = replay("2_tb2_piramidal_sequence_cont", 1);
    eprintln!("E2: {d} differing of {cells} (column, ms) cells; {spikes} recorded spikes");
    assert_eq!(d, 0);
}

#[test]
fn e3_state_map_matches_the_recording_exactly() {
    let (d, cells, spikes) = replay("3_state_map_app", 1);
    eprintln!("E3: {d} differing of {cells} (column, ms) cells; {spikes} recorded spikes");
    assert_eq!(d, 0);
}

#[test]
fn the_recordings_are_reproduced_on_two_threads_too() {
    for name in [
        "1_learn_recall_by_cue_and_cont_forget",
        "2_tb2_piramidal_sequence_cont",
        "3_state_map_app",
    ] {
        assert_eq!(replay(name, 2).0, 0, "{name} on 2 threads");
    }
}
