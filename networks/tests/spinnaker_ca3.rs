//! The CA3 content-addressable memory on the emulated SpiNNaker board against the spike trains
//! its authors recorded on SpiNNaker (reference/ca3_cam_spinnaker_recordings.json): mapped by
//! hw_export onto a SpiNN-5 board, run in sPyNNaker's fixed point with every spike routed
//! through the compressed tables. The criterion: every recorded non-input spike reproduced (same
//! population, neuron and ms) and no other; the (population column, ms) cells are compared too.

#[path = "../../models/tests/compare/mod.rs"]
mod compare;
#[path = "support/recordings.rs"]
mod published;

use backends::spinnaker::Board;
use compare::{max_abs_diff, zip_equal};
use hw_export::machine::Machine;
use networks::ca3;
use published::{assert_reproduced, recordings, EXPERIMENTS};
use sim_core::MemoryObserver;

/// Runs experiment `short` (E1, E2, E3) on a SpiNN-5 board and checks that every recorded
/// non-input spike is reproduced and no other; returns the number of recorded non-input spikes.
fn reproduce(short: &str) -> usize {
    replay_on(short, Machine::spinn5(), true)
}

/// [`reproduce`] on `machine`; `one_chip`: whether the memory is expected to fit on one chip.
fn replay_on(short: &str, machine: Machine, one_chip: bool) -> usize {
    let name = EXPERIMENTS.iter().find(|e| e.0 == short).unwrap().1;
    let rec = recordings();
    let e = &rec["experiments"][name];
    let (size, sim_time, input) = published::recorded_experiment(e).unwrap();
    let memory = ca3::build(size, input).unwrap();
    let mut board = Board::new(&memory.network, &machine, "spinn5").unwrap();
    let mut obs = MemoryObserver::default();
    board.run_until(sim_time, &mut obs).unwrap();
    let report = board.report();
    eprint!("{}", report.summary());
    for c in report.cores.iter().filter(|c| c.unmatched_packets > 0) {
        eprintln!(
            "{name}: unmatched on {} ({},{},{}): {}",
            c.population, c.x, c.y, c.p, c.unmatched_packets
        );
    }
    assert!(report.ok, "{name}: packets dropped or unmatched");
    assert!(report.packets.sent > 0 && report.packets.delivered > report.packets.sent / 2);
    // One core per population (all are below 256 neurons).
    assert_eq!(report.cores.len(), ca3::POPULATIONS.len());
    if one_chip {
        assert!(report.links.is_empty());
    } else {
        // Spread over chips: packets cross links between chips.
        assert!(report.links.len() >= 4, "{} links used", report.links.len());
        assert!(report.chips.len() >= 5);
    }

    let what = if one_chip {
        "on one chip"
    } else {
        "over chips"
    };
    assert_reproduced(&rec, name, &format!("{short} {what}"), &obs.spikes)
}

#[test]
fn e1_functional_matches_the_recording_exactly() {
    assert_eq!(reproduce("E1"), 262);
}

#[test]
fn e2_pyramidal_sequence_matches_the_recording_exactly() {
    assert_eq!(reproduce("E2"), 1567);
}

#[test]
fn e3_state_map_matches_the_recording_exactly() {
    assert_eq!(reproduce("E3"), 402);
}

/// The same recordings with only two application cores per chip (sixteen of eighteen cores
/// reserved), so the ten populations sit on five chips and every spike crosses links and the
/// compressed tables of the chips on its way.
#[test]
fn the_recordings_are_reproduced_with_the_memory_spread_over_chips() {
    for (short, _) in EXPERIMENTS {
        let machine = Machine::spinn5().with_monitor_cores(16);
        replay_on(short, machine, false);
    }
}

/// The plastic weights at the end of E2 (851 ms, 60 operations) on the board against the CPU
/// backend's f64 weights. The board applies potentiation lazily, at a synapse's next pre spike,
/// so its stored weights lag; settled (pending potentiation applied) they agree to within the
/// fixed point's resolution.
#[test]
fn final_weights_agree_with_the_f64_engine() {
    let rec = recordings();
    let e = &rec["experiments"][EXPERIMENTS[1].1];
    let (size, sim_time, input) = published::recorded_experiment(e).unwrap();
    let memory = ca3::build(size, input).unwrap();
    let mut board = Board::new(&memory.network, &Machine::spinn5(), "spinn5").unwrap();
    board
        .run_until(sim_time, &mut MemoryObserver::default())
        .unwrap();
    let mut cpu = sim_core::Simulation::with_threads(&memory.network, 1);
    cpu.run_until(sim_time, &mut MemoryObserver::default())
        .unwrap();
    assert_eq!(board.shifts()[ca3::CONT_CUE][0], 6);
    assert_eq!(board.shifts()[ca3::CUE_CONT][0], 7);
    for proj in [memory.cue_to_content, memory.content_to_cue] {
        let a = cpu.weights(proj);
        let b = board.settled_plastic_weights(proj).unwrap();
        let stored = board.plastic_weights(proj).unwrap();
        let lag = max_abs_diff("stored weights", &stored, &b);
        eprintln!("projection {proj}: largest pending potentiation {lag:.4} nA");
        let worst = max_abs_diff("weights", &a, &b);
        // Each pre spike stores the weight truncated to the weight unit: 2^-9 nA onto
        // CA3contCueRecall (slot sum 6 + 5·6 = 36 → shift 6), 2^-8 nA onto CA3cueContRecall
        // (6 + 10·6 = 66 → shift 7).
        let tolerance = 4.0 / 256.0;
        for (k, (x, y)) in zip_equal("weights", &a, &b).enumerate() {
            if (x - y).abs() > tolerance {
                eprintln!("  synapse {k}: f64 {x:.4}, board {y:.4}");
            }
        }
        eprintln!(
            "projection {proj}: largest |board - f64| = {worst:.4} nA over {} synapses",
            a.len()
        );
        assert!(worst <= tolerance, "{worst}");
    }
}
