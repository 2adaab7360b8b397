//! `IF_curr_exp` with NEST integration against NEST 3.10's `iaf_psc_exp`, step by step.
//!
//! The reference (`tests/data/nest_iaf_psc_exp/`, written by
//! `bench/peers/nest_iaf_psc_exp_trace.py`) is one neuron with a constant current, excitatory
//! and inhibitory input spikes (tau_syn_ex ≠ tau_syn_in, several spikes in one step, spikes that
//! arrive while the neuron is refractory), dt = 0.1 ms, with V_m, I_syn_ex and I_syn_in at every
//! step and the spike times, all as NEST's doubles (%.17g).
//!
//! The kernel is driven directly. NEST's update `s` covers (s·dt, (s+1)·dt]; a spike arriving at
//! time T enters the currents at the end of update T/dt − 1 (it acts from the next step on), and
//! a multimeter sample at time t holds the state after update t/dt − 1. engram's kernel takes a
//! step's input at the same point and stamps its spikes at the end of the step.
//!
//! Units: NEST's (pF, pA) and PyNN's (nF, nA) give the same mV = pA·ms/pF = nA·ms/nF. Fed NEST's
//! numbers unchanged, the f64 kernel computes NEST's arithmetic bit for bit; fed the numbers a
//! PyNN user writes (÷1000, which rounds), it stays within `PYNN_UNITS_TOL` of NEST.

mod compare;

use compare::nest_trace::NestTrace;
use compare::{max_abs_diff, zip_equal};
use models::neurons::if_curr_exp::{IfCurrExpParams, Precision};
use models::neurons::{IfCurrExp, Integration};
use sim_core::model::{NeuronKernel, StepContext};
use sim_core::{PopulationModel, TimeGrid};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/nest_iaf_psc_exp");

/// Largest |v − NEST's V_m| with PyNN's units: measured 1.42e-14 mV (2 ulp of 65 mV); the
/// bound, documented as 1e-13 mV, is 7× that, for the last-bit differences of other libm
/// versions' `exp` in the propagators, and still far below any effect on a spike step.
const PYNN_UNITS_TOL: f64 = 1e-13;

/// The f32 kernel's documented bound against NEST's f64 arithmetic (docs/PERFORMANCE.md):
/// measured 1.36e-5 mV on this trace (v near −60 mV, where an f32 ulp is 3.8e-6 mV, and
/// rounding amplified up to 8× within an epoch); the bound of 2e-5 mV leaves 1.5×.
const F32_TOL_MV: f64 = 2e-5;

/// The reference trace: V_m, I_syn_ex and I_syn_in (signed, as NEST reports it).
struct Reference {
    trace: NestTrace,
    v_m: Vec<f64>,
    i_syn_ex: Vec<f64>,
    i_syn_in: Vec<f64>,
}

impl std::ops::Deref for Reference {
    type Target = NestTrace;
    fn deref(&self) -> &NestTrace {
        &self.trace
    }
}

fn reference() -> Reference {
    let mut trace = NestTrace::load(DATA, "iaf_psc_exp", &["V_m", "I_syn_ex", "I_syn_in"]);
    let i_syn_in = trace.columns.pop().unwrap();
    let i_syn_ex = trace.columns.pop().unwrap();
    let v_m = trace.columns.pop().unwrap();
    Reference {
        trace,
        v_m,
        i_syn_ex,
        i_syn_in,
    }
}

/// engram's record of a run: v, the excitatory current and the signed inhibitory current (as
/// NEST reports it) after every update, and the spike times.
struct Run {
    v: Vec<f64>,
    i_exc: Vec<f64>,
    i_inh: Vec<f64>,
    spikes_ms: Vec<f64>,
}

/// Runs one neuron with the reference's parameters and inputs, currents and capacitance divided
/// by `unit` (1: NEST's pF/pA; 1000: PyNN's nF/nA); currents are reported back in pA.
fn run(r: &Reference, unit: f64, precision: Precision) -> Run {
    let grid = TimeGrid::new(r.dt).unwrap();
    let params = IfCurrExpParams {
        cm: r.param("C_m") / unit,
        tau_m: r.param("tau_m"),
        tau_refrac: r.param("t_ref"),
        tau_syn_e: r.param("tau_syn_ex"),
        tau_syn_i: r.param("tau_syn_in"),
        v_rest: r.param("E_L"),
        v_reset: r.param("V_reset"),
        v_thresh: r.param("V_th"),
        i_offset: r.param("I_e") / unit,
    };
    let v_init = models::dist::Value::Constant(r.setup["V_m_init"].as_f64().unwrap());
    let model = IfCurrExp::new(params, Integration::Nest, Some(v_init), &grid)
        .unwrap()
        .with_precision(precision)
        .unwrap();
    assert_eq!(
        model.spike_stamp_offset(),
        1,
        "spikes stamped at the end of the step"
    );
    let mut kernel: Box<dyn NeuronKernel> = model.instantiate(0, 0..1, &grid, 1);
    let inputs = r.inputs("weight_pA", 1.0);
    let mut out = Run {
        v: Vec::new(),
        i_exc: Vec::new(),
        i_inh: Vec::new(),
        spikes_ms: Vec::new(),
    };
    let mut spikes = Vec::new();
    for (step, &(exc, inh)) in inputs.iter().enumerate().take(r.time.len()) {
        let mut input = [exc / unit, inh / unit];
        let touched = [
            if exc > 0.0 { vec![0] } else { vec![] },
            if inh > 0.0 { vec![0] } else { vec![] },
        ];
        let ctx = StepContext {
            step: step as u64,
            dt_ms: r.dt,
        };
        spikes.clear();
        kernel
            .update_sparse(&ctx, &mut input, &touched, &mut spikes)
            .unwrap();
        if !spikes.is_empty() {
            out.spikes_ms.push((step + 1) as f64 * r.dt);
        }
        out.v.push(kernel.read(0, 0));
        out.i_exc.push(kernel.read(1, 0) * unit);
        // engram reports the inhibitory current as a magnitude; NEST keeps it signed.
        out.i_inh.push(-kernel.read(2, 0) * unit);
    }
    out
}

/// Spike steps equal, one for one.
fn assert_same_spike_steps(r: &Reference, run: &Run) {
    let steps = |ts: &[f64]| ts.iter().map(|&t| r.step_of(t)).collect::<Vec<_>>();
    assert_eq!(steps(&run.spikes_ms), steps(&r.spikes_ms), "spike steps");
}

#[test]
fn the_reference_exercises_what_it_claims() {
    let r = reference();
    // One sample per step, at the end of the step.
    for (k, &t) in r.time.iter().enumerate() {
        assert_eq!(r.step_of(t), k + 1);
    }
    assert!(r.param("tau_syn_ex") != r.param("tau_syn_in"));
    assert!(r.param("t_ref") > 0.0 && r.param("I_e") > 0.0);
    assert!(r.spikes_ms.len() >= 10, "{} spikes", r.spikes_ms.len());
    let inputs = r.inputs("weight_pA", 1.0);
    assert!(
        inputs.iter().any(|&(e, i)| e > 0.0 && i > 0.0),
        "both in one step"
    );
    // Input arriving while the neuron is refractory: updates n+1 ..= n+20 after a spike at the
    // end of update n (spike time (n+1)·dt) hold v at V_reset.
    let refractory = r.step_of(r.param("t_ref"));
    let during: usize = r
        .spikes_ms
        .iter()
        .map(|&t| {
            let n = r.step_of(t) - 1;
            (n + 1..=n + refractory)
                .filter(|&u| inputs[u] != (0.0, 0.0))
                .count()
        })
        .sum();
    assert!(
        during >= 4,
        "{during} inputs arrive during refractory periods"
    );
}

/// NEST's numbers in, NEST's doubles out: v and both currents equal at every step, bit for bit.
#[test]
fn f64_kernel_is_nest_bit_for_bit_in_nest_units() {
    let r = reference();
    let run = run(&r, 1.0, Precision::F64);
    assert_same_spike_steps(&r, &run);
    for (name, ours, theirs) in [
        ("V_m", &run.v, &r.v_m),
        ("I_syn_ex", &run.i_exc, &r.i_syn_ex),
        ("I_syn_in", &run.i_inh, &r.i_syn_in),
    ] {
        for (k, (a, b)) in zip_equal(name, ours, theirs).enumerate() {
            assert!(
                a.to_bits() == b.to_bits() || (*a == 0.0 && *b == 0.0),
                "{name} at {} ms: engram {a:e}, NEST {b:e}",
                r.time[k]
            );
        }
    }
}

/// The kernel in `precision`, fed PyNN's units: the same spike steps as NEST and V_m within `tol`.
fn assert_follows_nest_in_pynn_units(precision: Precision, tol: f64) {
    let r = reference();
    let run = run(&r, 1000.0, precision);
    assert_same_spike_steps(&r, &run);
    let dv = max_abs_diff("V_m", &run.v, &r.v_m);
    eprintln!("{precision:?}, PyNN units: largest |v - V_m| = {dv:.3e} mV");
    assert!(dv <= tol, "largest |v - V_m| = {dv:e} mV");
}

/// PyNN's units (nF, nA) round the inputs and the propagators differently: the same spike steps
/// and V_m within PYNN_UNITS_TOL.
#[test]
fn f64_kernel_follows_nest_in_pynn_units() {
    assert_follows_nest_in_pynn_units(Precision::F64, PYNN_UNITS_TOL);
}

/// The f32 kernel: the same spike steps and V_m within its documented bound.
#[test]
fn f32_kernel_follows_nest_within_its_bound() {
    assert_follows_nest_in_pynn_units(Precision::F32, F32_TOL_MV);
}
