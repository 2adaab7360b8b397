//! CUBA (Brette et al. 2007 benchmark 2) on the CPU engine: firing rate in the published range,
//! bit-identical spikes for 1, 2 and 4 threads, and checkpoint/restore equal to an uninterrupted
//! run; the same for the f32 kernel, whose rate stays within 10 % of the f64 kernel's.

use models::neurons::Precision;
use networks::benchmarks::{build, build_with, Benchmark, BenchmarkConfig, BuildOptions};
use sim_core::{Checkpoint, MemoryObserver, Simulation};

fn cuba_4k() -> sim_core::Network {
    build(Benchmark::Cuba, &BenchmarkConfig::default()).expect("CUBA builds")
}

fn run(net: &sim_core::Network, threads: usize, steps: u64) -> (MemoryObserver, Simulation) {
    let mut sim = Simulation::with_threads(net, threads);
    let mut obs = MemoryObserver::default();
    sim.run_until(steps, &mut obs).expect("runs");
    (obs, sim)
}

#[test]
fn cuba_4k_rate_and_thread_invariance() {
    let net = cuba_4k();
    let steps = 10_000; // 1 s at dt = 0.1 ms
    let (one, sim1) = run(&net, 1, steps);
    let spikes: usize = one.spikes.iter().map(|s| s.len()).sum();
    let rate = spikes as f64 / net.n_neurons() as f64 / 1.0;
    eprintln!(
        "CUBA-4k 1 s: {spikes} spikes, {rate:.2} Hz, {} synaptic events",
        sim1.counters().synaptic_events
    );
    assert!((3.0..=10.0).contains(&rate), "mean rate {rate} Hz");
    for threads in [2, 4] {
        let (other, sim_n) = run(&net, threads, steps);
        assert_eq!(one, other, "{threads} threads differ from 1");
        assert_eq!(sim1.counters(), sim_n.counters());
        // Final membrane state identical too.
        for i in (0..3200).step_by(97) {
            assert_eq!(
                sim1.read(0, 0, i).to_bits(),
                sim_n.read(0, 0, i).to_bits(),
                "v of neuron {i}"
            );
        }
    }
}

#[test]
fn cuba_checkpoint_restore_is_bit_identical() {
    let net = cuba_4k();
    let (full, sim_full) = run(&net, 1, 4000);

    let (mut first, sim_half) = run(&net, 2, 2000);
    let bytes = sim_half.checkpoint().to_bytes();
    drop(sim_half);
    let cp = Checkpoint::from_bytes(&bytes).expect("decodes");
    let mut resumed = Simulation::with_threads(&net, 1);
    resumed.restore(&cp).expect("restores");
    let mut rest = MemoryObserver::default();
    resumed.run_until(4000, &mut rest).expect("runs");
    for (a, b) in first.spikes.iter_mut().zip(rest.spikes) {
        a.extend(b);
    }
    assert_eq!(full, first, "spikes after restore differ");
    assert_eq!(
        sim_full.checkpoint(),
        resumed.checkpoint(),
        "final state differs"
    );
}

fn cuba_4k_f32() -> sim_core::Network {
    let opts = BuildOptions {
        precision: Precision::F32,
        ..Default::default()
    };
    build_with(Benchmark::Cuba, &BenchmarkConfig::default(), &opts).expect("CUBA f32 builds")
}

#[test]
fn cuba_f32_keeps_the_rate_and_is_thread_invariant() {
    let steps = 10_000;
    let (exact, _) = run(&cuba_4k(), 1, steps);
    let net = cuba_4k_f32();
    let (one, sim1) = run(&net, 1, steps);
    let count = |o: &MemoryObserver| o.spikes.iter().map(|s| s.len()).sum::<usize>() as f64;
    let ratio = count(&one) / count(&exact);
    eprintln!("CUBA-4k 1 s, f32 / f64 spike count: {ratio:.4}");
    assert!(
        (0.9..=1.1).contains(&ratio),
        "f32 rate is {ratio} x the f64 rate"
    );
    let (two, sim2) = run(&net, 2, steps);
    assert_eq!(one, two, "2 threads differ from 1 (f32)");
    assert_eq!(sim1.checkpoint(), sim2.checkpoint(), "final state (f32)");
}

#[test]
fn cuba_f32_checkpoint_restore_is_bit_identical() {
    let net = cuba_4k_f32();
    let (full, sim_full) = run(&net, 2, 3000);
    let (mut first, sim_half) = run(&net, 1, 1500);
    let cp = Checkpoint::from_bytes(&sim_half.checkpoint().to_bytes()).expect("decodes");
    let mut resumed = Simulation::with_threads(&net, 2);
    resumed.restore(&cp).expect("restores");
    let mut rest = MemoryObserver::default();
    resumed.run_until(3000, &mut rest).expect("runs");
    for (a, b) in first.spikes.iter_mut().zip(rest.spikes) {
        a.extend(b);
    }
    assert_eq!(full, first, "spikes after restore differ (f32)");
    assert_eq!(sim_full.checkpoint(), resumed.checkpoint());
}

/// The generated network (rows built straight from the connectors' column streams) is the
/// held-list network: the same synapses in the same order, hence the same spikes and state.
#[test]
fn cuba_generated_equals_held_lists() {
    let held = cuba_4k();
    let opts = BuildOptions {
        generated: true,
        ..Default::default()
    };
    let generated = build_with(Benchmark::Cuba, &BenchmarkConfig::default(), &opts).unwrap();
    for (a, b) in held.projections.iter().zip(&generated.projections) {
        assert!(b.synapses.generator().is_some() && b.synapses.pre.is_empty());
        assert_eq!(a.synapses.len(), b.synapses.len());
        assert!(a.synapses.iter().eq(b.synapses.iter()), "{}", a.name);
        for i in [0, a.synapses.len() / 3, a.synapses.len() - 1] {
            assert_eq!(a.synapses.get(i), b.synapses.get(i));
        }
    }
    let (one, sim1) = run(&held, 1, 3000);
    for threads in [1, 2] {
        let (other, sim_n) = run(&generated, threads, 3000);
        assert_eq!(one, other, "generated, {threads} threads");
        assert_eq!(sim1.checkpoint(), sim_n.checkpoint());
    }
}

/// The f32 kernel pads its state to whole chunks of 16 lanes; a checkpoint holds only the real
/// neurons. With 1 000 neurons (800 + 200) on 1 and 3 threads no slice is a whole number of
/// chunks, so restoring must re-pad, on another layout than the one that saved.
#[test]
fn cuba_f32_checkpoint_restores_slices_of_partial_chunks() {
    let cfg = BenchmarkConfig {
        neurons: 1000,
        ..Default::default()
    };
    let opts = BuildOptions {
        precision: Precision::F32,
        ..Default::default()
    };
    let net = build_with(Benchmark::Cuba, &cfg, &opts).expect("CUBA f32 builds");
    let (full, sim_full) = run(&net, 3, 3000);
    let (mut first, sim_half) = run(&net, 1, 1500);
    assert!(first.spikes.iter().map(Vec::len).sum::<usize>() > 0);
    let cp = Checkpoint::from_bytes(&sim_half.checkpoint().to_bytes()).expect("decodes");
    let mut resumed = Simulation::with_threads(&net, 3);
    resumed.restore(&cp).expect("restores");
    let mut rest = MemoryObserver::default();
    resumed.run_until(3000, &mut rest).expect("runs");
    for (a, b) in first.spikes.iter_mut().zip(rest.spikes) {
        a.extend(b);
    }
    assert_eq!(
        full, first,
        "spikes after restore differ (f32, partial chunks)"
    );
    assert_eq!(sim_full.checkpoint(), resumed.checkpoint());
}
