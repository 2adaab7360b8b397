//! Properties of the engine on random small networks (mixed integration conventions, plastic
//! projections in both STDP semantics, random delays, Poisson input):
//! * the output is identical for 1 and N threads;
//! * checkpoint -> restore (into another thread count) -> continue equals the uninterrupted run.

use std::sync::Arc;

use models::connectors::{ConnectContext, Connector};
use models::dist::{Distribution, Value};
use models::neurons::if_curr_exp::IfCurrExpParams;
use models::neurons::spike_source_poisson::SpikeSourcePoissonParams;
use models::neurons::{IfCurrExp, Integration, SpikeSourcePoisson};
use models::synapses::{Semantics, SpikePairRule, Stdp, WeightDependence};
use proptest::prelude::*;
use sim_core::network::{Network, Projection, RecordSpec};
use sim_core::{Checkpoint, MemoryObserver, Simulation, TimeGrid};

/// (pre, post, p, max weight, max delay steps, inhibitory, plastic, sPyNNaker semantics)
type ProjectionSpec = (usize, usize, f64, f64, u16, bool, bool, bool);

#[derive(Debug, Clone)]
struct Spec {
    dt: f64,
    seed: u64,
    sizes: Vec<u32>,
    spynnaker: Vec<bool>,
    projections: Vec<ProjectionSpec>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (1usize..4, any::<u64>(), prop::bool::ANY).prop_flat_map(|(n_pops, seed, coarse)| {
        let pops = n_pops + 1; // population 0 is a Poisson source
        (
            prop::collection::vec(2u32..40, pops),
            prop::collection::vec(prop::bool::ANY, pops),
            prop::collection::vec(
                (
                    0..pops,
                    1..pops,
                    0.05f64..0.6,
                    0.05f64..2.0,
                    1u16..6,
                    prop::bool::ANY,
                    prop::bool::ANY,
                    prop::bool::ANY,
                ),
                1..6,
            ),
        )
            .prop_map(move |(sizes, spynnaker, projections)| Spec {
                dt: if coarse { 1.0 } else { 0.1 },
                seed,
                sizes,
                spynnaker,
                projections,
            })
    })
}

fn build(s: &Spec) -> Network {
    let grid = TimeGrid::new(s.dt).unwrap();
    let mut net = Network::new(grid, s.seed);
    for (k, &size) in s.sizes.iter().enumerate() {
        let id = if k == 0 {
            let p = SpikeSourcePoissonParams {
                rate: 80.0,
                start: 0.0,
                duration: 1e9,
            };
            net.add_population(
                "src",
                size,
                Arc::new(SpikeSourcePoisson::new(&p, &grid).unwrap()),
            )
            .unwrap()
        } else {
            let p = IfCurrExpParams {
                tau_refrac: 2.0,
                tau_m: 10.0,
                cm: 0.25,
                ..Default::default()
            };
            let conv = if s.spynnaker[k] {
                Integration::Spynnaker
            } else {
                Integration::Nest
            };
            let v = Value::Random(Distribution::Uniform {
                low: -65.0,
                high: -52.0,
            });
            net.add_population(
                &format!("p{k}"),
                size,
                Arc::new(IfCurrExp::new(p, conv, Some(v), &grid).unwrap()),
            )
            .unwrap()
        };
        let vars = if k == 0 { vec![] } else { vec![0] };
        net.set_record(
            id,
            RecordSpec {
                spikes: true,
                neurons: if k == 0 { vec![] } else { vec![0, 1] },
                vars,
                interval: 3,
            },
        )
        .unwrap();
    }
    for (k, &(pre, post, p, w, dmax, inh, plastic, spy)) in s.projections.iter().enumerate() {
        let weight = Value::Random(Distribution::Uniform { low: 0.0, high: w });
        let steps = if plastic { 1 + (dmax % 3) } else { dmax };
        let delay = if plastic {
            Value::Constant(steps as f64 * s.dt)
        } else {
            Value::Random(Distribution::Uniform {
                low: s.dt,
                high: steps as f64 * s.dt,
            })
        };
        let cx = ConnectContext {
            n_pre: s.sizes[pre],
            n_post: s.sizes[post],
            same_population: pre == post,
            weight: &weight,
            delay: &delay,
            grid: &grid,
            seed: s.seed,
            projection: k as u64,
            magnitude: inh,
        };
        let synapses = Connector::FixedProbability {
            p_connect: p,
            allow_self_connections: false,
        }
        .connect(&cx)
        .unwrap();
        let plasticity: Option<Arc<dyn sim_core::plasticity::PairRule>> =
            (plastic && !inh).then(|| {
                let sem = if spy {
                    Semantics::Spynnaker
                } else {
                    Semantics::Nest
                };
                let r = Stdp::new(
                    SpikePairRule {
                        tau_plus: 15.0,
                        tau_minus: 20.0,
                        a_plus: 0.05,
                        a_minus: 0.06,
                    },
                    WeightDependence::Additive {
                        w_min: 0.0,
                        w_max: w.max(0.1),
                    },
                    sem,
                )
                .unwrap();
                Arc::new(r) as _
            });
        net.add_projection(Projection {
            name: format!("q{k}"),
            pre,
            post,
            receptor: usize::from(inh),
            synapses,
            plasticity,
        })
        .unwrap();
    }
    net
}

fn run(net: &Network, threads: usize, steps: u64) -> (MemoryObserver, Checkpoint) {
    let mut sim = Simulation::with_threads(net, threads);
    sim.set_chunk_steps(37);
    let mut obs = MemoryObserver::default();
    sim.run_until(steps, &mut obs).unwrap();
    (obs, sim.checkpoint())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn any_thread_count_gives_the_same_output(s in spec(), threads in 2usize..5) {
        let net = build(&s);
        let (one, cp1) = run(&net, 1, 300);
        let (many, cpn) = run(&net, threads, 300);
        prop_assert_eq!(one, many);
        prop_assert_eq!(cp1, cpn);
    }

    #[test]
    fn checkpoint_restore_continue_equals_uninterrupted(s in spec(), at in 1u64..299, threads in 1usize..4) {
        let net = build(&s);
        let (full, cp_full) = run(&net, 1, 300);
        let mut first = Simulation::with_threads(&net, threads);
        first.set_chunk_steps(37);
        let mut obs = MemoryObserver::default();
        first.run_until(at, &mut obs).unwrap();
        let bytes = first.checkpoint().to_bytes();
        let mut second = Simulation::with_threads(&net, 1 + threads % 3);
        second.set_chunk_steps(37);
        second.restore(&Checkpoint::from_bytes(&bytes).unwrap()).unwrap();
        let mut rest = MemoryObserver::default();
        second.run_until(300, &mut rest).unwrap();
        for (a, b) in obs.spikes.iter_mut().zip(rest.spikes) {
            a.extend(b);
        }
        for (k, (t, v)) in rest.samples {
            let e = obs.samples.entry(k).or_default();
            e.0.extend(t);
            e.1.extend(v);
        }
        prop_assert_eq!(full, obs);
        prop_assert_eq!(cp_full, second.checkpoint());
    }
}
