//! Properties of the engine on random small networks (IF_curr_exp in both integration
//! conventions, IF_cond_exp and Izhikevich populations, plastic projections in both STDP
//! semantics, random delays, Poisson or spike-array input):
//! * the output is identical for 1 and N threads;
//! * checkpoint -> restore (into another thread count) -> continue equals the uninterrupted run.

use std::sync::Arc;

use models::connectors::{ConnectContext, Connector};
use models::dist::{Distribution, Value};
use models::neurons::if_cond_exp::IfCondExpParams;
use models::neurons::if_curr_exp::IfCurrExpParams;
use models::neurons::izhikevich::IzhikevichParams;
use models::neurons::spike_source_poisson::SpikeSourcePoissonParams;
use models::neurons::{
    IfCondExp, IfCurrExp, Integration, Izhikevich, SpikeSourceArray, SpikeSourcePoisson,
};
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
    /// Per population: 0 IF_curr_exp (NEST), 1 IF_curr_exp (sPyNNaker), 2 IF_cond_exp,
    /// 3 Izhikevich; for the source, even = Poisson, odd = spike array.
    cells: Vec<u8>,
    projections: Vec<ProjectionSpec>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (1usize..4, any::<u64>(), prop::bool::ANY).prop_flat_map(|(n_pops, seed, coarse)| {
        let pops = n_pops + 1; // population 0 is a Poisson source
        (
            prop::collection::vec(2u32..40, pops),
            prop::collection::vec(0u8..4, pops),
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
            .prop_map(move |(sizes, cells, projections)| Spec {
                dt: if coarse { 1.0 } else { 0.1 },
                seed,
                sizes,
                cells,
                projections,
            })
    })
}

fn build(s: &Spec) -> Network {
    let grid = TimeGrid::new(s.dt).unwrap();
    let mut net = Network::new(grid, s.seed);
    for (k, &size) in s.sizes.iter().enumerate() {
        let v = Value::Random(Distribution::Uniform {
            low: -65.0,
            high: -52.0,
        });
        let model: Arc<dyn sim_core::PopulationModel> = match (k, s.cells[k]) {
            (0, c) if c % 2 == 0 => {
                let p = SpikeSourcePoissonParams {
                    rate: 80.0,
                    start: 0.0,
                    duration: 1e9,
                };
                Arc::new(SpikeSourcePoisson::new(&p, &grid).unwrap())
            }
            (0, _) => {
                // Neuron i fires at i+1, 2(i+1), ... steps (a regular, neuron-specific train).
                let times: Vec<Vec<f64>> = (0..size)
                    .map(|i| (1..40).map(|m| (m * (i + 1)) as f64 * s.dt).collect())
                    .collect();
                Arc::new(SpikeSourceArray::new(&times, size, &grid).unwrap())
            }
            (_, c @ (0 | 1)) => {
                let p = IfCurrExpParams {
                    tau_refrac: 2.0,
                    tau_m: 10.0,
                    cm: 0.25,
                    ..Default::default()
                };
                let conv = if c == 1 {
                    Integration::Spynnaker
                } else {
                    Integration::Nest
                };
                Arc::new(IfCurrExp::new(p, conv, Some(v), &grid).unwrap())
            }
            (_, 2) => {
                let p = IfCondExpParams {
                    tau_refrac: 2.0,
                    tau_m: 10.0,
                    cm: 0.25,
                    ..Default::default()
                };
                Arc::new(IfCondExp::new(p, Some(v), None, None, &grid).unwrap())
            }
            _ => Arc::new(Izhikevich::new(IzhikevichParams::default(), Some(v), None).unwrap()),
        };
        let name = if k == 0 {
            "src".to_string()
        } else {
            format!("p{k}")
        };
        let id = net.add_population(&name, size, model).unwrap();
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

#[test]
fn the_random_networks_are_active() {
    // The properties compare spikes: they say little unless neuron populations (not only the
    // source) fire. Most generated networks have one that does, and each cell type fires.
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut firing_by_cell = [0usize; 4];
    let mut cases_by_cell = [0usize; 4];
    let (mut active, total) = (0, 60);
    for _ in 0..total {
        let s = spec().new_tree(&mut runner).unwrap().current();
        let (obs, _) = run(&build(&s), 1, 300);
        for k in 1..s.sizes.len() {
            let c = s.cells[k] as usize;
            cases_by_cell[c] += 1;
            firing_by_cell[c] += usize::from(!obs.spikes[k].is_empty());
        }
        active += usize::from(obs.spikes[1..].iter().any(|p| !p.is_empty()));
    }
    eprintln!(
        "{active} of {total} networks with a firing neuron population; populations firing by \
         cell type: {firing_by_cell:?} of {cases_by_cell:?}"
    );
    assert!(2 * active >= total, "{active} of {total}");
    assert!(firing_by_cell.iter().all(|&n| n > 0), "{firing_by_cell:?}");
}
