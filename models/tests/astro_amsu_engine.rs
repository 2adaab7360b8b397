//! The AM-SU on the engine (`amsu_neuron` + `amsu_astrocyte` populations, spike projection
//! units -> astrocyte, graded projection astrocyte -> units) against a direct transcription of
//! its equations (models/src/astro/amsu.rs, engine formulation), for 1 and 2 threads.

use std::sync::Arc;

mod compare;

use compare::max_abs_diff;

use models::astro::amsu::{
    AmsuAstrocyteModel, AmsuAstrocyteParams, AmsuNeuronModel, AmsuNeuronParams,
};
use models::neurons::SpikeSourceArray;
use sim_core::{
    GradedProjection, MemoryObserver, Network, Projection, RecordSpec, Simulation, Step,
    SynapseList, TimeGrid,
};

const GROUPS: usize = 2;
const PER_GROUP: usize = 4;
const N: usize = GROUPS * PER_GROUP;
const STEPS: Step = 400;

/// Input weight of unit i and whether its source fires at step t (a fixed irregular pattern).
fn weight(i: usize) -> f64 {
    0.45 + 0.05 * i as f64
}
fn fires(t: Step, i: usize) -> bool {
    (t as usize * 7 + i * 13).is_multiple_of(5)
}

fn network(p: AmsuNeuronParams, tau_a: f64) -> Network {
    let grid = TimeGrid::new(1.0).unwrap();
    let mut net = Network::new(grid, 3);
    let steps: Vec<Vec<Step>> = (0..N)
        .map(|i| (0..STEPS).filter(|&t| fires(t, i)).collect())
        .collect();
    let src = net
        .add_population(
            "input",
            N as u32,
            Arc::new(SpikeSourceArray::from_steps(steps)),
        )
        .unwrap();
    let units = net
        .add_population(
            "units",
            N as u32,
            Arc::new(AmsuNeuronModel::new(p, None).unwrap()),
        )
        .unwrap();
    let astro_model = AmsuAstrocyteModel::new(AmsuAstrocyteParams { tau_a }, None).unwrap();
    let astro = net
        .add_population("astro", GROUPS as u32, Arc::new(astro_model))
        .unwrap();
    let mut input = SynapseList::default();
    let mut to_astro = SynapseList::default();
    let mut from_astro = SynapseList::default();
    for i in 0..N as u32 {
        let g = i / PER_GROUP as u32;
        input.push(i, i, weight(i as usize), 1);
        to_astro.push(i, g, 1.0 / PER_GROUP as f64, 1);
        from_astro.push(g, i, 1.0, 1);
    }
    for (name, pre, post, synapses) in [
        ("input_units", src, units, input),
        ("units_astro", units, astro, to_astro),
    ] {
        net.add_projection(Projection {
            name: name.into(),
            pre,
            post,
            receptor: 0,
            synapses,
            plasticity: None,
        })
        .unwrap();
    }
    net.add_graded_projection(GradedProjection {
        name: "astro_units".into(),
        pre: astro,
        post: units,
        output: 0,
        input: 0,
        synapses: from_astro,
    })
    .unwrap();
    net.set_record(
        units,
        RecordSpec {
            spikes: true,
            vars: vec![0],
            neurons: (0..N as u32).collect(),
            interval: 1,
        },
    )
    .unwrap();
    net
}

/// The engine formulation written out: units use a_g[t-1]; the astrocyte sees s[t-1].
fn reference(p: AmsuNeuronParams, tau_a: f64) -> (Vec<(Step, u32)>, Vec<f64>) {
    let beta = (-1.0f64 / p.tau_m).exp();
    let lambda = (-1.0f64 / tau_a).exp();
    let (mut u, mut s) = ([0.0f64; N], [false; N]);
    let mut a = [0.0f64; GROUPS];
    let mut spikes = Vec::new();
    let mut us = Vec::new();
    for t in 0..STEPS {
        let s_prev = s;
        for i in 0..N {
            let ag = a[i / PER_GROUP];
            let x = if t >= 1 && fires(t - 1, i) {
                weight(i)
            } else {
                0.0
            };
            let x = x * (1.0 + p.kappa_W * ag);
            u[i] = beta * u[i] * if s[i] { 0.0 } else { 1.0 } + (x + p.kappa_I * ag);
            s[i] = u[i] >= p.theta0 * (1.0 - p.kappa_theta * ag);
            if s[i] {
                spikes.push((t, i as u32));
            }
            us.push(u[i]);
        }
        for (g, ag) in a.iter_mut().enumerate() {
            let mean = (0..PER_GROUP)
                .filter(|&k| s_prev[g * PER_GROUP + k])
                .count() as f64
                * (1.0 / PER_GROUP as f64);
            *ag = lambda * *ag + (1.0 - lambda) * mean;
        }
    }
    (spikes, us)
}

fn run(net: &Network, threads: usize) -> MemoryObserver {
    let mut sim = Simulation::with_threads(net, threads);
    let mut obs = MemoryObserver::default();
    sim.run_until(STEPS, &mut obs).unwrap();
    obs
}

#[test]
fn astro_amsu_engine_matches_its_equations() {
    let on = AmsuNeuronParams {
        tau_m: 8.0,
        theta0: 1.0,
        kappa_I: 0.6,
        kappa_theta: 0.4,
        kappa_W: 0.8,
    };
    for p in [
        AmsuNeuronParams {
            tau_m: 8.0,
            ..Default::default()
        },
        on,
    ] {
        let net = network(p, 30.0);
        let one = run(&net, 1);
        let two = run(&net, 2);
        assert_eq!(one, two, "1 and 2 threads must be bit-identical");
        let (spikes, us) = reference(p, 30.0);
        assert!(spikes.len() > 20, "the pattern makes the units fire");
        assert_eq!(one.spikes[1], spikes, "spikes, gains {p:?}");
        let (_, u) = &one.samples[&(1, 0)];
        let e = max_abs_diff("u", u, &us);
        println!(
            "gains {p:?}: {} spikes, max|u - reference| = {e:e}",
            spikes.len()
        );
        assert_eq!(u, &us, "u must equal the reference exactly");
    }
    // The gains change the dynamics (otherwise the comparison above proves little).
    assert_ne!(
        reference(on, 30.0).0,
        reference(
            AmsuNeuronParams {
                tau_m: 8.0,
                ..Default::default()
            },
            30.0
        )
        .0
    );
}
