//! Pair STDP through the engine against the rules' formulas.
//!
//! A pre neuron (spike source) projects onto a post neuron through one plastic synapse with
//! delay d; a second source drives the post neuron to fire at chosen steps (its weight is large,
//! the plastic weight too small to matter for the post neuron's spike times). The engine applies
//! the rule online; the expected weights come from closed forms and from an independent lazy
//! formulation (NEST's `stdp_synapse` algorithm: at each pre spike, replay the back-propagated
//! post spikes since the previous pre spike, then depress with the post trace), with:
//!   NEST additive:         w += A+·w_max·x,        w -= A−·w_max·y        (y: arrivals before t)
//!   sPyNNaker additive:    w += A+·x,              w -= A−·y              (y: arrivals up to t)
//!   multiplicative (both): w += A+·(w_max − w)·x,  w -= A−·(w − w_min)·y
//! each followed by a clamp to [w_min, w_max]; x, y are e^(−Δt/τ) sums over earlier spikes.

use std::sync::Arc;

use models::neurons::if_curr_exp::IfCurrExpParams;
use models::neurons::{IfCurrExp, Integration, SpikeSourceArray};
use models::synapses::{Semantics, SpikePairRule, Stdp, WeightDependence};
use sim_core::engine::NullObserver;
use sim_core::network::{Network, Projection, RecordSpec, SynapseList};
use sim_core::{MemoryObserver, Simulation, Step, TimeGrid};

const DT: f64 = 1.0;

struct Protocol {
    net: Network,
    plastic: usize,
    post: usize,
}

/// pre spikes at `pre`, driver spikes at `drive` (the post neuron fires one step after each
/// drive spike arrives), plastic delay `d`, initial weight `w0`.
fn protocol(pre: &[Step], drive: &[Step], d: u16, w0: f64, rule: Stdp) -> Protocol {
    let grid = TimeGrid::new(DT).unwrap();
    let mut net = Network::new(grid, 1);
    let src_pre = net
        .add_population(
            "pre",
            1,
            Arc::new(SpikeSourceArray::from_steps(vec![pre.to_vec()])),
        )
        .unwrap();
    let src_drive = net
        .add_population(
            "drive",
            1,
            Arc::new(SpikeSourceArray::from_steps(vec![drive.to_vec()])),
        )
        .unwrap();
    let p = IfCurrExpParams {
        cm: 0.25,
        tau_m: 10.0,
        tau_refrac: 1.0,
        tau_syn_e: 1.0,
        tau_syn_i: 1.0,
        v_rest: -65.0,
        v_reset: -80.0,
        v_thresh: -55.0,
        i_offset: 0.0,
    };
    let post = net
        .add_population(
            "post",
            1,
            Arc::new(IfCurrExp::new(p, Integration::Nest, None, &grid).unwrap()),
        )
        .unwrap();
    net.set_record(
        post,
        RecordSpec {
            spikes: true,
            interval: 1,
            ..Default::default()
        },
    )
    .unwrap();
    let mut s = SynapseList::default();
    s.push(0, 0, 20.0, 1);
    net.add_projection(Projection {
        name: "drive".into(),
        pre: src_drive,
        post,
        receptor: 0,
        synapses: s,
        plasticity: None,
    })
    .unwrap();
    let mut s = SynapseList::default();
    s.push(0, 0, w0, d);
    let plastic = net
        .add_projection(Projection {
            name: "plastic".into(),
            pre: src_pre,
            post,
            receptor: 0,
            synapses: s,
            plasticity: Some(Arc::new(rule)),
        })
        .unwrap();
    Protocol { net, plastic, post }
}

fn run(p: &Protocol, steps: Step) -> (f64, Vec<Step>) {
    let mut sim = Simulation::single(&p.net);
    let mut obs = MemoryObserver::default();
    sim.run_until(steps, &mut obs).unwrap();
    (
        sim.weights(p.plastic)[0],
        obs.spikes[p.post].iter().map(|x| x.0).collect(),
    )
}

fn rule(
    sem: Semantics,
    additive: bool,
    tau: f64,
    a_plus: f64,
    a_minus: f64,
    w_min: f64,
    w_max: f64,
) -> Stdp {
    let wd = if additive {
        WeightDependence::Additive { w_min, w_max }
    } else {
        WeightDependence::Multiplicative { w_min, w_max }
    };
    Stdp::new(
        SpikePairRule {
            tau_plus: tau,
            tau_minus: tau * 1.5,
            a_plus,
            a_minus,
        },
        wd,
        sem,
    )
    .unwrap()
}

/// The lazy, event-driven reference (see the module comment).
fn lazy(pre: &[Step], post: &[Step], d: Step, w0: f64, r: &Stdp) -> f64 {
    let (w_min, w_max) = r.weight.bounds();
    let (tp, tm) = (r.timing.tau_plus, r.timing.tau_minus);
    let (ap, am) = (r.timing.a_plus, r.timing.a_minus);
    let additive = matches!(r.weight, WeightDependence::Additive { .. });
    let nest = r.semantics == Semantics::Nest;
    let fac = |w: f64, x: f64| -> f64 {
        let dw = match (additive, nest) {
            (true, true) => ap * w_max * x,
            (true, false) => ap * x,
            (false, _) => ap * (w_max - w) * x,
        };
        (w + dw).min(w_max)
    };
    let dep = |w: f64, y: f64| -> f64 {
        let dw = match (additive, nest) {
            (true, true) => am * w_max * y,
            (true, false) => am * y,
            (false, _) => am * (w - w_min) * y,
        };
        (w - dw).max(w_min)
    };
    let arrivals: Vec<i64> = post.iter().map(|&q| (q + d) as i64).collect();
    let mut w = w0;
    let mut last: Option<i64> = None;
    for &t in pre {
        let t = t as i64;
        if let Some(tl) = last {
            // Pre trace after the previous pre spike: Σ over pre spikes <= tl.
            let k_plus: f64 = pre
                .iter()
                .map(|&s| s as i64)
                .filter(|&s| s <= tl)
                .map(|s| (-((tl - s) as f64) * DT / tp).exp())
                .sum();
            for &a in arrivals.iter().filter(|&&a| a > tl && a <= t) {
                w = fac(w, k_plus * (-((a - tl) as f64) * DT / tp).exp());
            }
        }
        let counted = |a: i64| if nest { a < t } else { a <= t };
        if arrivals.iter().any(|&a| counted(a)) {
            let y: f64 = arrivals
                .iter()
                .filter(|&&a| counted(a))
                .map(|&a| (-((t - a) as f64) * DT / tm).exp())
                .sum();
            w = dep(w, y);
        }
        last = Some(t);
    }
    w
}

#[test]
fn a_single_pair_in_each_order_gives_the_formula() {
    for sem in [Semantics::Nest, Semantics::Spynnaker] {
        let r = rule(sem, true, 20.0, 0.01, 0.012, 0.0, 1.0);
        let (a_plus, w_max) = (0.01, 1.0);
        let amp = |a: f64| if sem == Semantics::Nest { a * w_max } else { a };
        // pre at 10; drive at 12 -> post fires at 14 -> arrives at 15 (d = 1): Δt = 5 ms.
        // A final pre spike at 200 applies the lazy bookkeeping and depresses by the post trace.
        let p = protocol(&[10, 200], &[12], 1, 0.5, r.clone());
        let (w, post) = run(&p, 210);
        assert_eq!(post, vec![14]);
        let after_pair = 0.5 + amp(a_plus) * (-5.0f64 / 20.0).exp();
        let want = after_pair - amp(0.012) * (-(200.0 - 15.0) / 30.0f64).exp();
        assert!((w - want).abs() < 1e-12, "{sem:?} pre->post: {w} vs {want}");
        // post first: arrival at 15, pre at 20: Δt = −5 ms.
        let p = protocol(&[20], &[12], 1, 0.5, r.clone());
        let (w, _) = run(&p, 30);
        let want = 0.5 - amp(0.012) * (-5.0f64 / 30.0).exp();
        assert!((w - want).abs() < 1e-12, "{sem:?} post->pre: {w} vs {want}");
    }
}

#[test]
fn coincident_arrival_depresses_fully_only_with_spynnaker_semantics() {
    // post fires at 14, arrives at 15 (d = 1); pre also at 15.
    let nest = rule(Semantics::Nest, true, 20.0, 0.01, 0.012, 0.0, 1.0);
    let (w, post) = run(&protocol(&[15], &[12], 1, 0.5, nest), 30);
    assert_eq!(post, vec![14]);
    assert_eq!(
        w, 0.5,
        "NEST: the arrival at the pre spike's step neither depresses nor potentiates"
    );
    let spy = rule(Semantics::Spynnaker, true, 20.0, 0.01, 0.012, 0.0, 1.0);
    let (w, _) = run(&protocol(&[15], &[12], 1, 0.5, spy), 30);
    assert_eq!(
        w,
        0.5 - 0.012,
        "sPyNNaker: e^0 = 1, full depression, no potentiation"
    );
}

#[test]
fn clamping_after_every_elementary_update() {
    // Two post arrivals after one pre spike, each potentiation alone pushing past w_max:
    // clamped after each (w stays w_max), never accumulated.
    let r = rule(Semantics::Spynnaker, true, 20.0, 0.5, 0.3, 0.0, 1.0);
    let (w, post) = run(&protocol(&[10, 100], &[12, 16], 1, 0.9, r.clone()), 110);
    assert_eq!(post, vec![14, 18]);
    let want = 1.0 - 0.3 * ((-(100.0 - 15.0) / 30.0f64).exp() + (-(100.0 - 19.0) / 30.0f64).exp());
    assert!((w - want).abs() < 1e-12, "{w} vs {want}");
    // Depression below w_min clamps at w_min.
    let (w, _) = run(&protocol(&[20], &[12, 14], 1, 0.1, r), 30);
    assert_eq!(w, 0.0);
}

#[test]
fn the_ca3_learning_sequence_step_by_step() {
    // specs/ca3-cam.md §5.2: cue (pre) and content (post) both fire at t0+1 and t0+3; with
    // τ = 3 ms, A = 6 nA, w in [0, 6]: +6·e^(-1/3) = 4.299 at t0+2, back to 0 at t0+3 (the pre
    // spike sees the arrival of t0+2), then +6·(1 + e^(-2/3))·e^(-1/3) = 6.51 -> clamp 6 at t0+4.
    let r = Stdp::new(
        SpikePairRule {
            tau_plus: 3.0,
            tau_minus: 3.0,
            a_plus: 6.0,
            a_minus: 6.0,
        },
        WeightDependence::Additive {
            w_min: 0.0,
            w_max: 6.0,
        },
        Semantics::Spynnaker,
    )
    .unwrap();
    let t0 = 10;
    let p = protocol(&[t0 + 1, t0 + 3], &[t0 - 1, t0 + 1], 1, 0.0, r);
    let weight_before = |step: Step| {
        let mut sim = Simulation::single(&p.net);
        sim.run_until(step, &mut NullObserver).unwrap();
        sim.weights(p.plastic)[0]
    };
    let (_, post) = run(&p, t0 + 6);
    assert_eq!(post, vec![t0 + 1, t0 + 3]);
    assert_eq!(weight_before(t0 + 2), 0.0);
    let w2 = weight_before(t0 + 3);
    assert!(
        (w2 - 6.0 * (-1.0f64 / 3.0).exp()).abs() < 1e-12 && (w2 - 4.299).abs() < 1e-3,
        "{w2}"
    );
    assert_eq!(weight_before(t0 + 4), 0.0);
    assert_eq!(weight_before(t0 + 5), 6.0);
}

#[test]
fn random_protocols_match_the_lazy_formulation() {
    use rand::RngExt;
    let mut rng = sim_core::rng::stream(7, sim_core::rng::Domain::Other, 0, 0);
    for case in 0..24 {
        let sem = if case % 2 == 0 {
            Semantics::Nest
        } else {
            Semantics::Spynnaker
        };
        let additive = case % 4 < 2;
        let d = 1 + (case % 3) as u16;
        let r = rule(sem, additive, 10.0 + case as f64, 0.05, 0.06, 0.0, 1.0);
        let mut pre: Vec<Step> = (0..25).map(|_| rng.random_range(5..400)).collect();
        pre.sort_unstable();
        pre.dedup();
        // Drive spikes at least 4 steps apart so the post neuron fires once per drive.
        let mut drive = Vec::new();
        let mut t = rng.random_range(3..20);
        while t < 390 {
            drive.push(t);
            t += rng.random_range(4..30);
        }
        pre.push(450); // after every arrival: both formulations have applied everything
        let w0 = 0.5;
        let p = protocol(&pre, &drive, d, w0, r.clone());
        let (w, post) = run(&p, 460);
        assert_eq!(post.len(), drive.len(), "one post spike per drive spike");
        let want = lazy(&pre, &post, d as Step, w0, &r);
        assert!(
            (w - want).abs() < 1e-12,
            "case {case} ({sem:?}, additive {additive}, d {d}): engine {w}, lazy {want}"
        );
        assert!(
            (w - w0).abs() > 1e-6,
            "case {case}: the protocol changed the weight"
        );
    }
}
