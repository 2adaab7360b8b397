//! `IF_curr_exp` against closed-form solutions, in both integration conventions.
//!
//! Membrane (relative to v_rest), R = tau_m / cm:
//!   tau_m dV/dt = -V + R·I(t).
//! Constant current I from V(0) = V0: V(t) = R·I + (V0 − R·I)·e^(−t/tau_m). Sampled on the grid
//! after k updates this is exact in both conventions, so the k-th update crosses threshold θ
//! first at k* = ceil(ln((R·I − θ)/(R·I − V0)) / (−dt/tau_m)). After a spike the neuron sits at
//! v_reset for the refractory steps, then relaxes again from v_reset.
//!
//! One input spike of weight w (nA):
//! * NEST (`iaf_psc_exp`): the current jumps by w at the end of the arrival step a and decays
//!   with tau_syn; the membrane sees it from the next update on, so j updates after a,
//!   V = w/cm · tau_s·tau_m/(tau_m − tau_s) · (e^(−t/tau_m) − e^(−t/tau_s)), t = j·dt
//!   (and w/cm · t · e^(−t/tau) when tau_s = tau_m).
//! * sPyNNaker: at step a the current becomes init·w (init = (tau_s/dt)(1 − e^(−dt/tau_s))),
//!   the membrane relaxes for one step towards R·I, then the current decays by e^(−dt/tau_s).
//!   With c = e^(−dt/tau_m), q = e^(−dt/tau_s): V_(a+j) = (1 − c)·R·init·w·Σ_(i=0..j) c^(j−i)·q^i
//!   = (1 − c)·R·init·w·(c^(j+1) − q^(j+1))/(c − q).

use std::sync::Arc;

use models::neurons::if_curr_exp::IfCurrExpParams;
use models::neurons::{IfCurrExp, Integration, SpikeSourceArray};
use sim_core::network::{Network, Projection, RecordSpec, SynapseList};
use sim_core::{MemoryObserver, Simulation, Step, TimeGrid};

const TOL: f64 = 1e-9;

fn params(i_offset: f64) -> IfCurrExpParams {
    IfCurrExpParams {
        cm: 0.25,
        tau_m: 10.0,
        tau_refrac: 2.0,
        tau_syn_e: 2.0,
        tau_syn_i: 4.0,
        v_rest: -65.0,
        v_reset: -70.0,
        v_thresh: -55.0,
        i_offset,
    }
}

/// One neuron, recording spikes and v every step, optionally driven by one input spike.
fn single(
    p: IfCurrExpParams,
    integration: Integration,
    dt: f64,
    input: Option<(Step, u16, f64, usize)>,
    steps: Step,
) -> (Vec<Step>, Vec<f64>) {
    let grid = TimeGrid::new(dt).unwrap();
    let mut net = Network::new(grid, 1);
    let model = Arc::new(IfCurrExp::new(p, integration, None, &grid).unwrap());
    let n = net.add_population("n", 1, model).unwrap();
    net.set_record(
        n,
        RecordSpec {
            spikes: true,
            vars: vec![0],
            neurons: vec![0],
            interval: 1,
        },
    )
    .unwrap();
    if let Some((at, delay, w, receptor)) = input {
        let src = net
            .add_population(
                "src",
                1,
                Arc::new(SpikeSourceArray::from_steps(vec![vec![at]])),
            )
            .unwrap();
        let mut s = SynapseList::default();
        s.push(0, 0, w, delay);
        net.add_projection(Projection {
            name: "in".into(),
            pre: src,
            post: n,
            receptor,
            synapses: s,
            plasticity: None,
        })
        .unwrap();
    }
    let mut sim = Simulation::single(&net);
    let mut obs = MemoryObserver::default();
    sim.run_until(steps, &mut obs).unwrap();
    let spikes = obs.spikes[n].iter().map(|x| x.0).collect();
    let v = obs.samples[&(n, 0)].1.clone();
    (spikes, v)
}

/// Updates needed from v0 (relative) to reach theta under drive r_i (all relative to v_rest).
fn updates_to_threshold(v0: f64, r_i: f64, theta: f64, dt: f64, tau: f64) -> u64 {
    ((((r_i - theta) / (r_i - v0)).ln()) / (-dt / tau)).ceil() as u64
}

fn constant_current(integration: Integration, tau_refrac: f64, dt: f64, refractory_steps: u64) {
    let mut p = params(0.5);
    p.tau_refrac = tau_refrac;
    let r_i = p.tau_m / p.cm * p.i_offset; // 20 mV above rest
    let theta = p.v_thresh - p.v_rest;
    let reset = p.v_reset - p.v_rest;
    let steps = 1000;
    let (spikes, v) = single(p.clone(), integration, dt, None, steps);

    // Expected: first crossing after k0 updates (engine step k0 - 1), then every
    // refractory_steps + k1 steps.
    let k0 = updates_to_threshold(0.0, r_i, theta, dt, p.tau_m);
    let k1 = updates_to_threshold(reset, r_i, theta, dt, p.tau_m);
    let mut expected = Vec::new();
    let mut t = k0 - 1;
    while t < steps {
        expected.push(t);
        t += refractory_steps + k1;
    }
    assert_eq!(spikes, expected, "{integration:?}: spike steps");
    assert!(
        spikes.len() >= 5,
        "several interspike intervals are compared"
    );

    // The membrane between spikes follows the exact solution to 1e-9 mV.
    for (step, &vk) in v.iter().enumerate() {
        let step = step as u64;
        let last = spikes.iter().rev().find(|&&s| s <= step).copied();
        let want = match last {
            None => r_i * (1.0 - (-((step + 1) as f64) * dt / p.tau_m).exp()),
            Some(s) if step - s <= refractory_steps => reset,
            Some(s) => {
                let j = (step - s - refractory_steps) as f64;
                r_i + (reset - r_i) * (-j * dt / p.tau_m).exp()
            }
        } + p.v_rest;
        assert!(
            (vk - want).abs() < TOL,
            "{integration:?} step {step}: v = {vk}, exact {want}"
        );
    }
}

#[test]
fn constant_current_nest_spike_times_and_trajectory() {
    constant_current(Integration::Nest, 2.0, 0.1, 20);
}

#[test]
fn constant_current_spynnaker_spike_times_and_trajectory() {
    // sPyNNaker counts refractory steps as ceil(tau_refrac / dt): 1.95 ms -> 20 steps.
    constant_current(Integration::Spynnaker, 1.95, 0.1, 20);
}

#[test]
fn spynnaker_one_refractory_step_means_the_next_spike_two_steps_later() {
    // dt = 1 ms, tau_refrac = 1 ms: a neuron driven far above threshold fires every other step.
    let mut p = params(100.0);
    p.tau_refrac = 1.0;
    let (spikes, _) = single(p, Integration::Spynnaker, 1.0, None, 10);
    assert_eq!(spikes, vec![0, 2, 4, 6, 8]);
}

/// NEST rounds t_ref up to whole steps (at dt = 1 ms, 0.1 ms is one step: NEST 3.10's spike
/// intervals, `sim_core::time` tests): 0.1 ms at dt = 1 ms fires as 1 ms does, every other step.
#[test]
fn nest_rounds_a_refractory_period_off_the_grid_up() {
    let mut p = params(100.0);
    p.tau_refrac = 0.1;
    let (spikes, _) = single(p.clone(), Integration::Nest, 1.0, None, 10);
    p.tau_refrac = 1.0;
    let (whole, _) = single(p, Integration::Nest, 1.0, None, 10);
    assert_eq!(spikes, whole);
    assert_eq!(spikes.len(), 5, "{spikes:?}");
}

fn nest_psp(w: f64, tau_s: f64, tau_m: f64, cm: f64, t: f64) -> f64 {
    if (tau_s - tau_m).abs() < 1e-12 {
        w / cm * t * (-t / tau_m).exp()
    } else {
        w / cm * tau_s * tau_m / (tau_m - tau_s) * ((-t / tau_m).exp() - (-t / tau_s).exp())
    }
}

#[test]
fn nest_psp_matches_the_closed_form() {
    let dt = 0.1;
    for (receptor, tau_s, sign) in [(0usize, 2.0, 1.0), (1, 4.0, -1.0), (0, 10.0, 1.0)] {
        let mut p = params(0.0);
        p.tau_syn_e = if receptor == 0 { tau_s } else { 2.0 };
        p.tau_syn_i = if receptor == 1 { tau_s } else { 4.0 };
        let (at, delay, w) = (50, 15u16, 0.3);
        let (spikes, v) = single(
            p.clone(),
            Integration::Nest,
            dt,
            Some((at, delay, w, receptor)),
            600,
        );
        assert!(spikes.is_empty());
        let arrival = at + delay as u64;
        let mut peak: f64 = 0.0;
        for (step, &vk) in v.iter().enumerate() {
            let step = step as u64;
            let want = if step <= arrival {
                0.0
            } else {
                sign * nest_psp(w, tau_s, p.tau_m, p.cm, (step - arrival) as f64 * dt)
            };
            assert!(
                (vk - p.v_rest - want).abs() < TOL,
                "tau_s {tau_s}, step {step}: v = {vk}, closed form {}",
                want + p.v_rest
            );
            peak = peak.max((vk - p.v_rest).abs());
        }
        assert!(peak > 0.1, "a visible PSP ({peak} mV)");
    }
}

#[test]
fn spynnaker_psp_matches_the_discrete_closed_form() {
    let dt = 1.0;
    // The CA3 memory's slow neurons (specs/ca3-cam.md §2).
    let p = IfCurrExpParams {
        cm: 0.27,
        tau_m: 3.0,
        tau_refrac: 1.0,
        tau_syn_e: 0.3,
        tau_syn_i: 0.3,
        v_rest: -60.0,
        v_reset: -60.0,
        v_thresh: -57.0,
        i_offset: 0.0,
    };
    for (receptor, sign) in [(0usize, 1.0), (1, -1.0)] {
        let (at, delay, w) = (5, 1u16, 3.0);
        let (spikes, v) = single(
            p.clone(),
            Integration::Spynnaker,
            dt,
            Some((at, delay, w, receptor)),
            40,
        );
        assert!(spikes.is_empty());
        let a = at + delay as u64;
        let c = (-dt / p.tau_m).exp();
        let q = (-dt / p.tau_syn_e).exp();
        let init = p.tau_syn_e / dt * (1.0 - q);
        let r = p.tau_m / p.cm;
        for (step, &vk) in v.iter().enumerate() {
            let step = step as u64;
            let want = if step < a {
                0.0
            } else {
                let j = (step - a) as i32;
                sign * (1.0 - c) * r * init * w * (c.powi(j + 1) - q.powi(j + 1)) / (c - q)
            };
            assert!(
                (vk - p.v_rest - want).abs() < TOL,
                "step {step}: v = {vk}, closed form {}",
                want + p.v_rest
            );
        }
        // specs/ca3-cam.md §2: one spike moves a resting slow neuron by 0.91119·w mV in one step.
        let dv = v[a as usize] - p.v_rest;
        assert!(
            (dv - sign * 0.91119 * w).abs() < 1e-4 * w,
            "dV after one step = {dv}"
        );
    }
}
