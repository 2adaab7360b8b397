//! One neuron of the microcircuit against NEST 3.10, through the whole path: model file,
//! `FromListConnector` with the microcircuit's drawn weights (nA) and delays, delay rings,
//! `IF_curr_exp` with NEST integration and the L4E DC as `i_offset`, recording.
//!
//! `tests/data/microcircuit_neuron_nest/` is written by `bench/peers/nest_microcircuit_neuron.py
//! --seconds 3 --seed 1 --write ...`: `neuron.toml` (an L4E neuron fed by 800 excitatory and 150
//! inhibitory Poisson trains, weights 87.81 pA and −351.2 pA with SD 10 %, delays 1.5 ± 0.75 and
//! 0.75 ± 0.375 ms on the grid; NEST's spike times minus one step, as engram's
//! `SpikeSourceArray` sends a spike in the step that starts at its time) and `nest.json` (NEST's
//! spike times and V_m every 10 steps, as doubles). The neuron fires irregularly, inputs arrive
//! while it is refractory and several share a step, so a difference in when a step's input
//! acts, in the refractory count, the threshold test, the DC or a delay moves a spike.

use std::path::Path;

use networks::modelfile::load;
use serde::Deserialize;
use sim_core::{MemoryObserver, Simulation};

const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/microcircuit_neuron_nest"
);

/// Largest |V engram − V NEST| (mV). Measured 1.4e-14 (2 ulp of 65 mV): a step's inputs are
/// summed in another order and weights are given in nA (÷1000 rounds); 1e-9 stays far below
/// anything that could move a spike and far above the last bits.
const V_TOL_MV: f64 = 1e-9;

#[derive(Deserialize)]
struct Nest {
    simulator: String,
    resolution_ms: f64,
    seconds: f64,
    spike_times_ms: Vec<f64>,
    /// Update index k of each sample (NEST's multimeter time (k + 1)·dt).
    v_m_updates: Vec<usize>,
    v_m: Vec<f64>,
}

#[test]
fn a_microcircuit_neuron_follows_nest_spike_for_spike() {
    let text = std::fs::read_to_string(Path::new(DATA).join("nest.json")).unwrap();
    let nest: Nest = serde_json::from_str(&text).unwrap();
    assert_eq!(nest.simulator, "NEST 3.10.0");
    assert_eq!(nest.v_m_updates.len(), nest.v_m.len());
    assert!(nest.spike_times_ms.len() >= 10, "the reference fires");

    let spec = load(&Path::new(DATA).join("neuron.toml"), &[], None).unwrap();
    let net = &spec.network;
    let dt = net.grid.dt_ms();
    assert_eq!(dt, nest.resolution_ms);
    assert_eq!(spec.duration_steps as f64 * dt, nest.seconds * 1000.0);
    let mut obs = MemoryObserver::default();
    Simulation::with_threads(net, 1)
        .run_until(spec.duration_steps, &mut obs)
        .unwrap();
    let target = net
        .populations
        .iter()
        .position(|p| p.name == "target")
        .unwrap();

    // Spikes: engram's step s is NEST's spike at the end of update s, time (s + 1)·dt.
    let ours: Vec<u64> = obs.spikes[target].iter().map(|s| s.0 + 1).collect();
    let theirs: Vec<u64> = nest
        .spike_times_ms
        .iter()
        .map(|t| (t / dt).round() as u64)
        .collect();
    assert_eq!(ours, theirs, "spike steps (end of the update)");

    let (steps, v) = obs
        .samples
        .iter()
        .find(|((pop, _), _)| *pop == target)
        .map(|(_, s)| s)
        .expect("v is recorded");
    assert_eq!(
        steps.len(),
        spec.duration_steps as usize,
        "a sample per step"
    );
    let mut worst = 0.0f64;
    for (&k, &reference) in nest.v_m_updates.iter().zip(&nest.v_m) {
        assert_eq!(steps[k], k as u64);
        let d = (v[k] - reference).abs();
        assert!(
            d <= V_TOL_MV,
            "V at {} ms: engram {}, NEST {reference}",
            (k + 1) as f64 * dt,
            v[k]
        );
        worst = worst.max(d);
    }
    assert!(worst.is_finite());
}
