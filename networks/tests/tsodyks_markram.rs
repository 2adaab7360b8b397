//! PyNN's `TsodyksMarkramSynapse` from a model file against NEST 3.10's `tsodyks_synapse`, and
//! against the closed-form steady state of a regular train.
//!
//! The reference (`models/tests/data/nest_tsodyks/`, written by
//! `bench/peers/nest_tsodyks_trace.py`) is one presynaptic train (regular, then irregular)
//! into two `iaf_psc_exp` neurons, one through a depressing and one through a facilitating
//! synapse, with both membrane potentials and excitatory currents at every step as NEST's
//! doubles. engram runs the same network from a model file, in NEST's units (pF, pA: the
//! arithmetic of `IF_curr_exp` with NEST integration is then NEST's, bit for bit), and must give
//! the same traces bit for bit.

use networks::modelfile::parse_str;
use serde_json::Value;
use sim_core::{MemoryObserver, Simulation};

const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../models/tests/data/nest_tsodyks"
);

fn setup() -> Value {
    let path = format!("{DATA}/setup.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The NEST trace's columns: time, then V_m and I_syn_ex of each neuron.
fn nest_trace() -> Vec<Vec<f64>> {
    let path = format!("{DATA}/trace.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        header,
        [
            "time_ms",
            "V_m_depressing",
            "I_syn_ex_depressing",
            "V_m_facilitating",
            "I_syn_ex_facilitating"
        ]
    );
    let mut cols = vec![Vec::new(); header.len()];
    for line in lines.filter(|l| !l.is_empty()) {
        for (col, f) in cols.iter_mut().zip(line.split(',')) {
            col.push(f.parse::<f64>().unwrap());
        }
    }
    cols
}

/// The parrot's spike times one step earlier: NEST stamps a neuron's spike at the end of the
/// step that emits it, engram's `SpikeSourceArray` emits a time's spike in the step starting
/// there, so these times emit in the parrot's steps and arrive in the same steps as NEST's.
fn list(v: &Value, dt: f64) -> String {
    let items: Vec<String> = (v.as_array().unwrap().iter())
        .map(|x| format!("{:.1}", x.as_f64().unwrap() - dt))
        .collect();
    format!("[{}]", items.join(", "))
}

/// The reference network as a model file: `pre` (the parrot's spike times) into one neuron per
/// synapse, `v` and `isyn_exc` recorded every step.
fn model_file(s: &Value) -> String {
    let n = &s["neuron"];
    let f = |k: &str| n[k].as_f64().unwrap();
    let mut text = format!(
        "dt = {dt}\nduration = {duration}\nseed = 1\n\n[populations.pre]\ncell_type = \"SpikeSourceArray\"\nsize = 1\nparams = {{ spike_times = [{times}] }}\n",
        dt = s["resolution_ms"],
        duration = s["duration_ms"],
        times = list(&s["presynaptic_spikes_ms"], s["resolution_ms"].as_f64().unwrap()),
    );
    for name in ["depressing", "facilitating"] {
        let syn = &s["synapses"][name];
        let g = |k: &str| syn[k].as_f64().unwrap();
        text += &format!(
            r#"
[populations.{name}]
cell_type = "IF_curr_exp"
size = 1
integration = "nest"
params = {{ cm = {cm:?}, tau_m = {tau_m:?}, tau_syn_E = {tse:?}, tau_syn_I = {tsi:?}, tau_refrac = {tr:?}, v_rest = {el:?}, v_reset = {vr:?}, v_thresh = {vt:?}, i_offset = {ie:?} }}
initial_values = {{ v = {vr:?} }}
record = ["v"]
sampling_interval = {dt}

[projections.{name}]
pre = "pre"
post = "{name}"
connector = {{ type = "AllToAllConnector" }}
weight = {w:?}
delay = {delay}
synapse = {{ type = "TsodyksMarkramSynapse", U = {u:?}, tau_rec = {rec:?}, tau_facil = {fac:?} }}
"#,
            cm = f("C_m"),
            tau_m = f("tau_m"),
            tse = f("tau_syn_ex"),
            tsi = f("tau_syn_in"),
            tr = f("t_ref"),
            el = f("E_L"),
            vr = f("V_reset"),
            vt = f("V_th"),
            ie = f("I_e"),
            dt = s["resolution_ms"],
            w = g("weight"),
            delay = s["delay_ms"],
            u = g("U"),
            rec = g("tau_rec"),
            fac = g("tau_fac"),
        );
    }
    text
}

/// `v` of the two neurons after every step, on `threads` threads.
fn run(text: &str, threads: usize) -> [Vec<f64>; 2] {
    let spec = parse_str("tsodyks.toml", text, &[], None).expect("model loads");
    let mut sim = Simulation::with_threads(&spec.network, threads);
    let mut obs = MemoryObserver::default();
    sim.run_until(spec.duration_steps, &mut obs).unwrap();
    [
        obs.samples[&(1, 0)].1.clone(),
        obs.samples[&(2, 0)].1.clone(),
    ]
}

#[test]
fn the_reference_exercises_what_it_claims() {
    let s = setup();
    assert_eq!(s["simulator"], "NEST 3.10.0");
    let dep = &s["synapses"]["depressing"];
    let fac = &s["synapses"]["facilitating"];
    assert_eq!(dep["tau_fac"], 0.0);
    assert!(fac["tau_fac"].as_f64().unwrap() > 0.0);
    // The facilitating synapse ends with u above U, the depressing one with x well below 1.
    assert!(s["final_state"]["facilitating"]["u"].as_f64().unwrap() > 0.5);
    assert!(s["final_state"]["depressing"]["x"].as_f64().unwrap() < 0.2);
    // A regular part (equal intervals) and an irregular part.
    let times: Vec<f64> = (s["presynaptic_spikes_ms"].as_array().unwrap().iter())
        .map(|t| t.as_f64().unwrap())
        .collect();
    let gaps: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        gaps[..9].iter().all(|g| (g - 40.0).abs() < 1e-9),
        "{gaps:?}"
    );
    let irregular = &gaps[10..];
    assert!(irregular.len() >= 10);
    assert!(irregular.iter().any(|g| *g < 20.0) && irregular.iter().any(|g| *g > 80.0));
}

/// Largest |v − NEST's V_m|: measured 1.4e-14 mV on both traces (one ulp of 62 mV, from the
/// first depressed PSC on: the last bit of a propagator's `exp`); the bound is 7× that.
const V_TOL_MV: f64 = 1e-13;

#[test]
fn membrane_traces_equal_nest_within_round_off() {
    let s = setup();
    let nest = nest_trace();
    let text = model_file(&s);
    let [dep, fac] = run(&text, 1);
    for (name, ours, theirs) in [
        ("depressing", &dep, &nest[1]),
        ("facilitating", &fac, &nest[3]),
    ] {
        // NEST's multimeter has no sample at the end of the run.
        assert_eq!(ours.len(), theirs.len() + 1, "{name}: trace lengths");
        let ours = &ours[..theirs.len()];
        let largest = (ours.iter().zip(theirs.iter()))
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, |m: f64, d| {
                if d.is_nan() || m.is_nan() {
                    f64::NAN
                } else {
                    m.max(d)
                }
            });
        eprintln!("{name}: largest |v - V_m| = {largest:e} mV");
        assert!(
            largest <= V_TOL_MV,
            "{name}: v differs from NEST's V_m by up to {largest:e} mV"
        );
    }
    // Two threads: the same traces.
    let [dep2, fac2] = run(&text, 2);
    assert!(dep2 == dep && fac2 == fac, "thread count changes the run");
}

/// The release fraction `u x` of a synapse with a regular train of period `period` ms settles
/// at the fixed point of the exact propagator (u = U without facilitation): with `a` = x just
/// before a spike and `b` = y then, `b = Pyy U a / (1 − Pyy)` and
/// `a = Pxz / (U (1 − Pxy) + Pxz − k (Pxy − Pxz))`, `k = Pyy U / (1 − Pyy)`. For a short
/// `tau_psc` this is Tsodyks & Markram's (1997) `x = (1 − e^(−T/τ)) / (1 − (1 − U) e^(−T/τ))`.
#[test]
fn a_regular_train_settles_at_the_analytic_steady_state() {
    let (u, tau_rec, tau_psc, period, w) = (0.4, 300.0, 2.0, 25.0, 100.0);
    let times: Vec<String> = (0..80)
        .map(|k| format!("{:.1}", 10.0 + period * k as f64))
        .collect();
    let text = format!(
        r#"dt = 0.1
duration = 2100.0
seed = 1

[populations.pre]
cell_type = "SpikeSourceArray"
size = 1
params = {{ spike_times = [[{times}]] }}

[populations.post]
cell_type = "IF_curr_exp"
size = 1
integration = "nest"
params = {{ cm = 250.0, tau_m = 10.0, tau_syn_E = {tau_psc}, v_thresh = 1000.0 }}
record = ["isyn_exc"]
sampling_interval = 0.1

[projections.train]
pre = "pre"
post = "post"
connector = {{ type = "OneToOneConnector" }}
weight = {w}
delay = 0.1
synapse = {{ type = "TsodyksMarkramSynapse", U = {u}, tau_rec = {tau_rec} }}
"#,
        times = times.join(", ")
    );
    let spec = parse_str("steady.toml", &text, &[], None).expect("model loads");
    let mut sim = Simulation::with_threads(&spec.network, 1);
    let mut obs = MemoryObserver::default();
    sim.run_until(spec.duration_steps, &mut obs).unwrap();
    // `isyn_exc` is the second recordable of IF_curr_exp.
    let current = &obs.samples[&(1, 1)].1;
    // Each PSC's amplitude: the jump of the current over the step it arrives in.
    let decay = (-0.1f64 / tau_psc).exp();
    let jumps: Vec<f64> = (1..current.len())
        .map(|k| current[k] - current[k - 1] * decay)
        .filter(|j| *j > 1e-6)
        .collect();
    assert_eq!(jumps.len(), 80, "one PSC per spike");
    assert!(
        (jumps[0] - w * u).abs() < 1e-9,
        "first PSC {} vs w·U",
        jumps[0]
    );
    let p_yy = (-period / tau_psc).exp();
    let p_zz = (-period / tau_rec).exp();
    let p_xy = ((p_zz - 1.0) * tau_rec - (p_yy - 1.0) * tau_psc) / (tau_psc - tau_rec);
    let p_xz = 1.0 - p_zz;
    let k = p_yy * u / (1.0 - p_yy);
    let x_ss = p_xz / (u * (1.0 - p_xy) + p_xz - k * (p_xy - p_xz));
    let last = *jumps.last().unwrap();
    assert!(
        (last - w * u * x_ss).abs() < 1e-9 * w,
        "steady PSC {last} vs analytic {}",
        w * u * x_ss
    );
    let e = (-period / tau_rec).exp();
    let classic = (1.0 - e) / (1.0 - (1.0 - u) * e);
    assert!(
        (x_ss - classic).abs() < 1e-3,
        "fixed point {x_ss} vs Tsodyks–Markram {classic}"
    );
}

#[test]
fn bad_parameters_are_errors_naming_file_key_value_and_what_is_allowed() {
    let base = |synapse: &str| {
        format!(
            r#"dt = 0.1
duration = 10.0

[populations.pre]
cell_type = "SpikeSourceArray"
size = 2
params = {{ spike_times = [[1.0], [2.0]] }}

[populations.post]
cell_type = "IF_curr_exp"
size = 2

[projections.stp]
pre = "pre"
post = "post"
connector = {{ type = "OneToOneConnector" }}
weight = 1.0
delay = 0.1
synapse = {synapse}
"#
        )
    };
    let cases = [
        (
            r#"{ type = "TsodyksMarkramSynapse", U = 1.5 }"#,
            "projections.stp.synapse.U",
            "must be in [0, 1]",
        ),
        (
            r#"{ type = "TsodyksMarkramSynapse", tau_rec = [100.0] }"#,
            "projections.stp.synapse.tau_rec",
            "one value per synapse (2)",
        ),
        (
            r#"{ type = "TsodyksMarkramSynapse", tau_facil = -1.0 }"#,
            "projections.stp.synapse.tau_facil",
            "must be >= 0",
        ),
        (
            r#"{ type = "TsodyksMarkramSynapse", U = "high" }"#,
            "projections.stp.synapse.U",
            "must be a number or a list of numbers",
        ),
        (
            r#"{ type = "SimpleStochasticSynapse", p = [0.5, 2.0] }"#,
            "projections.stp.synapse.p",
            "must be a probability in [0, 1]",
        ),
        (
            r#"{ type = "SimpleStochasticSynapse", q = 0.5 }"#,
            "projections.stp.synapse.q",
            "unknown key",
        ),
    ];
    for (synapse, key, allowed) in cases {
        let e = parse_str("stp.toml", &base(synapse), &[], None).unwrap_err();
        let shown = e.to_string();
        assert_eq!(e.key, key, "{synapse}: {shown}");
        assert!(
            shown.contains("stp.toml") && shown.contains(allowed),
            "{synapse}: {shown}"
        );
    }
    let ok = base(r#"{ type = "TsodyksMarkramSynapse", U = [0.2, 0.7] }"#);
    parse_str("stp.toml", &ok, &[], None).expect("a list with one value per synapse loads");
}
