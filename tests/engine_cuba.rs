//! CUBA (Brette et al. 2007 benchmark 2) on the CPU engine: firing rate in the published range,
//! bit-identical spikes for 1, 2 and 4 threads, and checkpoint/restore equal to an uninterrupted
//! run.

use models::builders::benchmarks::{build, Benchmark, BenchmarkConfig};
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
