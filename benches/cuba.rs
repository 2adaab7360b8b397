//! CUBA-4k (Brette et al. 2007 benchmark 2): 100 ms of biological time per iteration, on one
//! thread, no recording, with the f64 and the f32 `IF_curr_exp` kernel. Network construction
//! (held synapse lists, and generated projections built into the engine) is measured
//! separately.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use models::neurons::Precision;
use networks::benchmarks::{build, build_with, Benchmark, BenchmarkConfig, BuildOptions};
use sim_core::engine::NullObserver;
use sim_core::Simulation;

fn cuba(c: &mut Criterion) {
    let cfg = BenchmarkConfig {
        record_spikes: false,
        ..Default::default()
    };
    let mut g = c.benchmark_group("cuba_4k");
    g.sample_size(10);
    g.bench_function("build", |b| {
        b.iter(|| Simulation::single(&build(Benchmark::Cuba, &cfg).expect("builds")))
    });
    let generated = BuildOptions {
        generated: true,
        ..Default::default()
    };
    g.bench_function("build_generated", |b| {
        b.iter(|| {
            Simulation::single(&build_with(Benchmark::Cuba, &cfg, &generated).expect("builds"))
        })
    });
    for (name, precision) in [
        ("simulate_100ms_1thread", Precision::F64),
        ("simulate_100ms_1thread_f32", Precision::F32),
    ] {
        let opts = BuildOptions {
            precision,
            ..Default::default()
        };
        let net = build_with(Benchmark::Cuba, &cfg, &opts).expect("CUBA builds");
        bench_simulate(&mut g, name, &net);
    }
    g.finish();
}

fn bench_simulate(
    g: &mut criterion::BenchmarkGroup<criterion::measurement::WallTime>,
    name: &str,
    net: &sim_core::Network,
) {
    g.bench_function(name, |b| {
        b.iter_batched(
            || {
                // Warm the network into its ongoing regime first.
                let mut sim = Simulation::single(net);
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
}

criterion_group!(benches, cuba);
criterion_main!(benches);
