//! Properties of graded (continuous) coupling on random small astrocyte networks — AM-SU units
//! with their astrocytes, and NEST astrocytes sending SIC to AdEx neurons, with random sizes,
//! weights and delays:
//! * the output is identical for 1 and N threads;
//! * checkpoint -> restore (into another thread count) -> continue equals the uninterrupted run.

use std::sync::Arc;

use models::astro::aeif_cond_alpha_astro::{AeifCondAlphaAstroModel, AeifCondAlphaAstroParams};
use models::astro::amsu::{
    AmsuAstrocyteModel, AmsuAstrocyteParams, AmsuNeuronModel, AmsuNeuronParams,
};
use models::astro::lr1994::{AstrocyteLr1994Model, AstrocyteLr1994Params};
use models::neurons::spike_source_poisson::SpikeSourcePoissonParams;
use models::neurons::SpikeSourcePoisson;
use proptest::prelude::*;
use sim_core::{
    Checkpoint, GradedProjection, MemoryObserver, Network, Projection, RecordSpec, Simulation,
    Step, SynapseList, TimeGrid,
};

const STEPS: Step = 400;

#[derive(Debug, Clone)]
struct Spec {
    seed: u64,
    groups: u32,
    per_group: u32,
    /// NEST astrocytes and AdEx neurons.
    astros: u32,
    neurons: u32,
    /// Per-connection delays and weights are drawn from this.
    draws: Vec<u16>,
    threads: usize,
    cut: Step,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        any::<u64>(),
        1u32..4,
        1u32..6,
        1u32..4,
        1u32..5,
        prop::collection::vec(1u16..12, 64),
        2usize..5,
        1..STEPS,
    )
        .prop_map(
            |(seed, groups, per_group, astros, neurons, draws, threads, cut)| Spec {
                seed,
                groups,
                per_group,
                astros,
                neurons,
                draws,
                threads,
                cut,
            },
        )
}

fn build(s: &Spec) -> Network {
    let grid = TimeGrid::new(0.1).unwrap();
    let mut net = Network::new(grid, s.seed);
    let units_n = s.groups * s.per_group;
    let mut draw = {
        let mut k = 0usize;
        move || {
            k += 1;
            s.draws[k % s.draws.len()]
        }
    };
    let noise_params = SpikeSourcePoissonParams {
        rate: 400.0,
        ..Default::default()
    };
    let noise = net
        .add_population(
            "noise",
            units_n,
            Arc::new(SpikeSourcePoisson::new(&noise_params, &grid).unwrap()),
        )
        .unwrap();
    let amsu = AmsuNeuronParams {
        tau_m: 2.0,
        theta0: 1.0,
        kappa_I: 0.5,
        kappa_theta: 0.5,
        kappa_W: 1.0,
    };
    let units = net
        .add_population(
            "units",
            units_n,
            Arc::new(AmsuNeuronModel::new(amsu, None).unwrap()),
        )
        .unwrap();
    let groups = net
        .add_population(
            "groups",
            s.groups,
            Arc::new(AmsuAstrocyteModel::new(AmsuAstrocyteParams { tau_a: 5.0 }, None).unwrap()),
        )
        .unwrap();
    let astro_params = AstrocyteLr1994Params {
        delta_IP3: 0.5,
        ..Default::default()
    };
    let astros = net
        .add_population(
            "astros",
            s.astros,
            // Ca above SIC_th from the start, so SIC flows (and varies) within the short run.
            Arc::new(
                AstrocyteLr1994Model::new(
                    astro_params,
                    [None, Some(models::dist::Value::Constant(0.5)), None],
                )
                .unwrap(),
            ),
        )
        .unwrap();
    let adex = AeifCondAlphaAstroParams {
        t_ref: 1.0,
        ..Default::default()
    };
    let neurons = net
        .add_population(
            "neurons",
            s.neurons,
            Arc::new(AeifCondAlphaAstroModel::new(adex, None, None, &grid).unwrap()),
        )
        .unwrap();

    let mut spikes = |name: &str, pre, post, syn: SynapseList| {
        net.add_projection(Projection {
            name: name.into(),
            pre,
            post,
            receptor: 0,
            synapses: syn,
            plasticity: None,
        })
        .unwrap();
    };
    let mut one_to_one = SynapseList::default();
    let mut to_groups = SynapseList::default();
    let mut to_astros = SynapseList::default();
    let mut to_neurons = SynapseList::default();
    for i in 0..units_n {
        // Every noise spike alone crosses theta0, so even a one-unit network is active.
        one_to_one.push(i, i, 1.5, 1);
        to_groups.push(i, i / s.per_group, 1.0 / s.per_group as f64, draw().min(4));
        to_astros.push(i, i % s.astros, 1.0, draw());
        to_neurons.push(i, i % s.neurons, 2.0, draw());
    }
    spikes("noise_units", noise, units, one_to_one);
    spikes("units_groups", units, groups, to_groups);
    spikes("units_astros", units, astros, to_astros);
    spikes("units_neurons", units, neurons, to_neurons);

    let mut from_groups = SynapseList::default();
    for i in 0..units_n {
        from_groups.push(
            i / s.per_group,
            i,
            0.5 + draw() as f64 / 12.0,
            draw().min(6),
        );
    }
    let mut sic = SynapseList::default();
    for a in 0..s.astros {
        for j in 0..s.neurons {
            sic.push(a, j, 20.0 * draw() as f64, draw());
        }
    }
    for (name, pre, post, synapses) in [
        ("groups_units", groups, units, from_groups),
        ("sic", astros, neurons, sic),
    ] {
        net.add_graded_projection(GradedProjection {
            name: name.into(),
            pre,
            post,
            output: 0,
            input: 0,
            synapses,
        })
        .unwrap();
    }
    let rec = |vars: Vec<usize>, n: u32| RecordSpec {
        spikes: true,
        vars,
        neurons: (0..n).collect(),
        interval: 1,
    };
    net.set_record(units, rec(vec![0, 2], units_n)).unwrap();
    net.set_record(groups, rec(vec![0], s.groups)).unwrap();
    net.set_record(astros, rec(vec![0, 1, 3], s.astros))
        .unwrap();
    net.set_record(neurons, rec(vec![0, 1, 4], s.neurons))
        .unwrap();
    net
}

fn run(net: &Network, threads: usize, from: Option<&Checkpoint>, until: Step) -> MemoryObserver {
    let mut sim = Simulation::with_threads(net, threads);
    if let Some(cp) = from {
        sim.restore(cp).unwrap();
    }
    let mut obs = MemoryObserver::default();
    sim.run_until(until, &mut obs).unwrap();
    obs
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn graded_coupling_is_thread_and_checkpoint_invariant(s in spec()) {
        let net = build(&s);
        let whole = run(&net, 1, None, STEPS);
        // Something flows on both graded paths: astrocyte activity into the units, SIC into
        // the neurons.
        let (units, neurons) = (net.population_id("units").unwrap(), net.population_id("neurons").unwrap());
        prop_assert!(whole.samples[&(units, 2)].1.iter().any(|&a| a > 0.0));
        prop_assert!(whole.samples[&(neurons, 4)].1.iter().any(|&i| i > 0.0));
        prop_assert_eq!(&run(&net, s.threads, None, STEPS), &whole);

        let mut first = Simulation::with_threads(&net, s.threads);
        let mut head = MemoryObserver::default();
        first.run_until(s.cut, &mut head).unwrap();
        let cp = Checkpoint::from_bytes(&first.checkpoint().to_bytes()).unwrap();
        let tail = run(&net, 1, Some(&cp), STEPS);
        for (key, (steps, vals)) in &whole.samples {
            let (hs, hv) = &head.samples[key];
            let (ts, tv) = &tail.samples[key];
            let joined_steps: Vec<Step> = hs.iter().chain(ts).copied().collect();
            let joined: Vec<f64> = hv.iter().chain(tv).copied().collect();
            prop_assert_eq!(&joined_steps, steps);
            prop_assert_eq!(&joined, vals);
        }
        for (p, sp) in whole.spikes.iter().enumerate() {
            let joined: Vec<(Step, u32)> = head
                .spikes
                .get(p)
                .into_iter()
                .flatten()
                .chain(tail.spikes.get(p).into_iter().flatten())
                .copied()
                .collect();
            prop_assert_eq!(&joined, sp);
        }
    }
}
