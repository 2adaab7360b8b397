//! The CA3 content-addressable memory against the spike trains its authors recorded on SpiNNaker
//! (reference/ca3_cam_spinnaker_recordings.json): every population, every millisecond, for the
//! three published experiments (90 + 851 + 140 ms). The criterion is 0 differing
//! (population column, ms) cells.

#[path = "support/recordings.rs"]
mod published;

use std::collections::BTreeSet;

use networks::ca3;
use published::recordings;
use serde_json::Value;
use sim_core::{MemoryObserver, Simulation, Step};

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
    let (size, sim_time, input) =
        published::recorded_experiment(&rec["experiments"][name]).unwrap();
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
    let c = published::compare_with_recording(e, spikes);
    for l in &c.lines {
        eprintln!("{name}: {l}");
    }
    // Every population of the network is covered by the columns.
    let size = published::recorded_experiment(e).unwrap().0;
    let covered: BTreeSet<usize> = published::json_columns(size)
        .iter()
        .map(|c| c.population)
        .collect();
    assert_eq!(covered.len(), ca3::POPULATIONS.len());
    (c.differing, c.cells, c.recorded_spikes)
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
    for (file, name) in published::EXAMPLE_FILES {
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
