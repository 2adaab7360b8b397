//! CUBA-4k (Brette et al. 2007 benchmark 2): 100 ms of biological time per iteration, on one
//! thread, no recording. Network construction is measured separately.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use models::builders::benchmarks::{build, Benchmark, BenchmarkConfig};
use sim_core::engine::NullObserver;
use sim_core::Simulation;

fn cuba(c: &mut Criterion) {
    let cfg = BenchmarkConfig {
        record_spikes: false,
        ..Default::default()
    };
    let net = build(Benchmark::Cuba, &cfg).expect("CUBA builds");
    let mut g = c.benchmark_group("cuba_4k");
    g.sample_size(10);
    g.bench_function("build", |b| {
        b.iter(|| build(Benchmark::Cuba, &cfg).expect("builds"))
    });
    g.bench_function("simulate_100ms_1thread", |b| {
        b.iter_batched(
            || {
                // Warm the network into its ongoing regime first.
                let mut sim = Simulation::single(&net);
                sim.run_until(1000, &mut NullObserver).expect("runs");
                sim
            },
            |mut sim| {
                sim.run_until(2000, &mut NullObserver).expect("runs");
                sim
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, cuba);
criterion_main!(benches);
