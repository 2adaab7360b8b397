//! The CA3 content-addressable memory against the spike trains its authors recorded on SpiNNaker
//! (reference/ca3_cam_spinnaker_recordings.json): every population, every millisecond, for the
//! three published experiments (90 + 851 + 140 ms). The criterion is 0 differing
//! (population column, ms) cells.

use std::collections::{BTreeMap, BTreeSet};

use models::builders::ca3::{self, Ca3Size};
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

/// Spikes `(step, neuron)` per population.
type Spikes = Vec<Vec<(Step, u32)>>;

/// Counts differing (column, ms) cells between the simulation and the recording.
fn replay(name: &str, threads: usize) -> (usize, usize, usize) {
    let (d, cells, spikes, _) = replay_spikes(name, threads);
    (d, cells, spikes)
}

/// [`replay`], also returning the simulated spikes per population.
fn replay_spikes(name: &str, threads: usize) -> (usize, usize, usize, Spikes) {
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
    let (d, cells, recorded) = compare(&rec, name, &obs.spikes);
    (d, cells, recorded, obs.spikes)
}

/// Counts the (column, ms) cells where `spikes` (per population) differ from the recording.
fn compare(rec: &Value, name: &str, spikes: &[Vec<(Step, u32)>]) -> (usize, usize, usize) {
    let e = &rec["experiments"][name];
    let size = Ca3Size {
        cues: e["cueSize"].as_u64().unwrap() as u32,
        content_bits: e["contSize"].as_u64().unwrap() as u32,
    };
    let sim_time = e["simTime"].as_u64().unwrap() as Step;
    let mut differing = 0;
    let mut cells = 0;
    let mut recorded_spikes = 0;
    for ca3::JsonColumn {
        name: col,
        population: pop,
        first,
        width,
    } in ca3::json_columns(size)
    {
        let mut ours: BTreeMap<Step, BTreeSet<u32>> = BTreeMap::new();
        for &(t, i) in spikes.get(pop).map(|v| v.as_slice()).unwrap_or(&[]) {
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
    // Every population of the network is covered by the columns.
    let covered: BTreeSet<usize> = ca3::json_columns(size)
        .iter()
        .map(|c| c.population)
        .collect();
    assert_eq!(covered.len(), ca3::POPULATIONS.len());
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
        let (d2, cells, _, two) = replay_spikes(name, 2);
        let (_, _, _, one) = replay_spikes(name, 1);
        eprintln!("{name} on 2 threads: {d2} differing of {cells} (column, ms) cells");
        assert_eq!(d2, 0, "{name} on 2 threads");
        assert_eq!(one, two, "{name}: 1 and 2 threads give identical spikes");
    }
}

/// The example experiment files, run through the operation layer (`load_experiment` +
/// `run_experiment`), reproduce the recordings too.
#[test]
fn the_example_files_reproduce_the_recordings() {
    let rec = recordings();
    for (file, name) in [
        (
            "e1_functional.toml",
            "1_learn_recall_by_cue_and_cont_forget",
        ),
        (
            "e2_pyramidal_sequence.toml",
            "2_tb2_piramidal_sequence_cont",
        ),
        ("e3_state_map.toml", "3_state_map_app"),
    ] {
        let exp = ca3::load_experiment(format!(
            "{}/../examples/cam/{file}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let run = ca3::run_experiment(&exp, 1).unwrap();
        assert_eq!(
            run.steps,
            rec["experiments"][name]["simTime"].as_u64().unwrap(),
            "{file}: run length"
        );
        let (d, cells, _) = compare(&rec, name, &run.spikes);
        eprintln!("{file}: {d} differing of {cells} (column, ms) cells");
        assert_eq!(d, 0, "{file}");
        let bad = run.table.iter().filter(|r| !r.matches).count();
        assert_eq!(bad, 0, "{file}: every answer equals the ideal CAM's");
    }
}
