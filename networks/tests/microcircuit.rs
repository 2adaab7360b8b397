//! The `[microcircuit]` section of `examples/microcircuit.toml` derives the network of the
//! reference PyNEST implementation: its synapse numbers, in-degrees, PSC amplitude and DC
//! drive (the figures of the reference's formulas, evaluated independently in the
//! microcircuit spec), and it runs the same on any thread count.

use std::path::Path;

use networks::modelfile::microcircuit::{psc_over_psp, Background};
use networks::modelfile::{load, ModelSpec};
use sim_core::{MemoryObserver, Simulation};

#[path = "support/threads.rs"]
mod threads;
use threads::spikes_per_thread_count;

fn example(overrides: &[&str]) -> ModelSpec {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/microcircuit.toml");
    let o: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    load(&path, &o, None).unwrap_or_else(|e| panic!("{e}"))
}

/// Relative difference, failing on NaN.
fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs()
}

#[test]
fn the_section_derives_the_reference_numbers() {
    // 0.15 mV at C_m 250 pF, tau_m 10 ms, tau_syn 0.5 ms: 87.81 pA (the model description).
    let w = 0.15 * psc_over_psp(250.0, 10.0, 0.5);
    assert!(close(w, 87.81, 5e-5), "{w}");

    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/microcircuit.toml"),
    )
    .unwrap();
    let table: toml::Table = text.parse().unwrap();
    let mc: networks::modelfile::microcircuit::Microcircuit =
        table["microcircuit"].clone().try_into().unwrap();
    assert_eq!(mc.background, Background::Dc);
    let d = mc.derive();
    assert_eq!(
        d.num_neurons,
        [20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948]
    );
    let total: u64 = d.num_synapses.iter().flatten().sum();
    assert!(close(total as f64, 2.989e8, 2e-4), "{total} synapses");
    let in_degree: Vec<f64> = d
        .num_synapses
        .iter()
        .zip(&d.num_neurons)
        .map(|(row, &n)| row.iter().sum::<u64>() as f64 / n as f64)
        .collect();
    for (k, want) in in_degree.iter().zip([
        4995.0, 5285.0, 2806.0, 5888.0, 4944.0, 2736.0, 2564.0, 2434.0,
    ]) {
        assert!((k - want).abs() < 0.5, "in-degree {k} vs {want}");
    }
    for (dc, want) in
        d.dc.iter()
            .zip([562.0, 526.9, 737.6, 667.3, 702.5, 667.3, 1018.6, 737.6])
    {
        assert!((dc - want).abs() < 0.05, "DC {dc} pA vs {want}");
    }
    // L4E -> L23E doubled, inhibitory g = -4.
    assert!(close(d.weight_mean[0][2], 2.0 * w, 1e-12));
    assert!(close(d.weight_mean[0][1], -4.0 * w, 1e-12));
    assert_eq!((d.delay_mean[0][0], d.delay_mean[0][1]), (1.5, 0.75));
}

#[test]
fn the_example_expands_and_runs_the_same_on_one_and_two_threads() {
    let spec = example(&["microcircuit.scale=0.02", "duration=150"]);
    let net = &spec.network;
    assert_eq!(spec.population_names.len(), 8);
    assert_eq!(
        net.projections.len(),
        64 - 9,
        "the nine zero entries connect nothing"
    );
    let poisson = example(&[
        "microcircuit.scale=0.02",
        "microcircuit.background=\"poisson\"",
        "microcircuit.thalamus.enabled=true",
    ]);
    assert_eq!(poisson.network.populations.len(), 8 + 8 + 1);
    let runs = spikes_per_thread_count(net, spec.duration_steps, &[1, 2]);
    assert!(runs[0].iter().map(Vec::len).sum::<usize>() > 100);
    assert_eq!(runs[0], runs[1]);
}

/// A checkpoint taken half way on two threads, round-tripped through bytes and restored on
/// one thread, continues to the spikes of the uninterrupted run (drawn weights and delays in
/// packed rows included).
#[test]
fn checkpoint_and_resume_on_another_thread_count_is_exact() {
    let spec = example(&["microcircuit.scale=0.02", "duration=120"]);
    let net = &spec.network;
    let steps = spec.duration_steps;
    let whole = spikes_per_thread_count(net, steps, &[2]).remove(0);
    let mut first = Simulation::with_threads(net, 2);
    let mut obs = MemoryObserver::default();
    first.run_until(steps / 2, &mut obs).unwrap();
    let bytes = first.checkpoint().to_bytes();
    let mut second = Simulation::with_threads(net, 1);
    second
        .restore(&sim_core::Checkpoint::from_bytes(&bytes).unwrap())
        .unwrap();
    second.run_until(steps, &mut obs).unwrap();
    assert!(whole.iter().map(Vec::len).sum::<usize>() > 50);
    assert_eq!(obs.spikes, whole);
}
