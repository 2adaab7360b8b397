//! The engine's kernels in isolation, 1000 steps each on one thread:
//! * neuron update: 4000 `IF_curr_exp` neurons (NEST integration), no synapses, with the
//!   f64 (default) and the f32 kernel;
//! * spike delivery: 400 Poisson sources at 100 Hz onto 4000 neurons, fan-out 800, static;
//! * STDP: the same with pair STDP (sPyNNaker semantics) on every synapse.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use models::connectors::{ConnectContext, Connector};
use models::dist::Value;
use models::neurons::if_curr_exp::IfCurrExpParams;
use models::neurons::spike_source_poisson::SpikeSourcePoissonParams;
use models::neurons::{IfCurrExp, Integration, Precision, SpikeSourcePoisson};
use models::synapses::{Semantics, SpikePairRule, Stdp, WeightDependence};
use sim_core::engine::NullObserver;
use sim_core::network::{Network, Projection};
use sim_core::{Simulation, TimeGrid};

fn network(with_input: bool, plastic: bool, precision: Precision) -> Network {
    let grid = TimeGrid::new(0.1).unwrap();
    let mut net = Network::new(grid, 3);
    let p = IfCurrExpParams {
        tau_refrac: 2.0,
        ..Default::default()
    };
    let post = net
        .add_population(
            "n",
            4000,
            Arc::new(
                IfCurrExp::new(p, Integration::Nest, None, &grid)
                    .and_then(|m| m.with_precision(precision))
                    .unwrap(),
            ),
        )
        .unwrap();
    if with_input {
        let sp = SpikeSourcePoissonParams {
            rate: 100.0,
            start: 0.0,
            duration: 1e9,
        };
        let src = net
            .add_population(
                "src",
                400,
                Arc::new(SpikeSourcePoisson::new(&sp, &grid).unwrap()),
            )
            .unwrap();
        let (w, d) = (Value::Constant(0.01), Value::Constant(1.0));
        let cx = ConnectContext {
            n_pre: 400,
            n_post: 4000,
            same_population: false,
            weight: &w,
            delay: &d,
            grid: &grid,
            seed: 3,
            projection: 0,
            magnitude: false,
        };
        let synapses = Connector::FixedNumberPost {
            n: 800,
            allow_self_connections: true,
            with_replacement: false,
        }
        .connect(&cx)
        .unwrap();
        let plasticity = plastic.then(|| {
            let r = Stdp::new(
                SpikePairRule::default(),
                WeightDependence::Additive {
                    w_min: 0.0,
                    w_max: 0.02,
                },
                Semantics::Spynnaker,
            )
            .unwrap();
            Arc::new(r) as Arc<dyn sim_core::plasticity::PairRule>
        });
        net.add_projection(Projection {
            name: "in".into(),
            pre: src,
            post,
            receptor: 0,
            synapses,
            plasticity,
        })
        .unwrap();
    }
    net
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("kernels_1000_steps");
    g.sample_size(10);
    for (name, input, plastic, precision) in [
        ("neuron_update_4k", false, false, Precision::F64),
        ("neuron_update_4k_f32", false, false, Precision::F32),
        ("delivery_320k_syn", true, false, Precision::F64),
        ("stdp_320k_syn", true, true, Precision::F64),
    ] {
        let net = network(input, plastic, precision);
        g.bench_function(name, |b| {
            b.iter_batched(
                || Simulation::single(&net),
                |mut sim| {
                    sim.run_until(1000, &mut NullObserver).unwrap();
                    sim
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
