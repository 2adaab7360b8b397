//! Current sources (PyNN's electrodes) in model files: a DC pulse into an `IF_curr_exp` without
//! synapses follows the closed-form membrane trajectory, a `StepCurrentSource` takes effect in
//! the documented step, noise is the same for any thread count, and bad parameters are errors
//! naming file, key and value.

use networks::modelfile::parse_str;
use sim_core::{MemoryObserver, Simulation};

const DT: f64 = 0.1;
const TAU_M: f64 = 20.0;
const CM: f64 = 1.0;
const V_REST: f64 = -65.0;

/// One IF_curr_exp neuron (threshold out of reach) driven by the source `source` (a TOML
/// inline table of its parameters with `cell_type`), `v` recorded every step.
fn model(source: &str, duration: f64) -> String {
    format!(
        r#"dt = {DT}
duration = {duration}
seed = 7

[populations.cell]
cell_type = "IF_curr_exp"
size = 1
params = {{ tau_m = {TAU_M}, cm = {CM}, v_rest = {V_REST}, v_reset = {V_REST}, v_thresh = 100.0 }}
record = ["v"]
sampling_interval = {DT}

[populations.stim]
size = 1
{source}
record = ["i"]
sampling_interval = {DT}

[projections.inject]
pre = "stim"
post = "cell"
connector = {{ type = "AllToAllConnector" }}
weight = 1.0
delay = {DT}
synapse = {{ type = "graded_connection" }}
"#
    )
}

/// `v` of the cell and `i` of the source: row `j` is the state after step `j`, i.e. at
/// `(j + 1)·dt`.
fn run(text: &str, threads: usize) -> (Vec<f64>, Vec<f64>) {
    let spec = parse_str("electrode.toml", text, &[], None).expect("model loads");
    let mut sim = Simulation::with_threads(&spec.network, threads);
    let mut obs = MemoryObserver::default();
    sim.run_until(spec.duration_steps, &mut obs).unwrap();
    let v = obs.samples[&(0, 0)].1.clone();
    let i = obs.samples[&(1, 0)].1.clone();
    (v, i)
}

#[test]
fn a_dc_pulse_gives_the_closed_form_membrane_trajectory() {
    let (start, stop, amplitude) = (10.0, 20.0, 0.5);
    let text = model(
        &format!(
            "cell_type = \"DCSource\"\nparams = {{ amplitude = {amplitude}, start = {start}, stop = {stop} }}"
        ),
        40.0,
    );
    let (v, i) = run(&text, 1);
    assert_eq!(v.len(), 400);
    let r = TAU_M / CM;
    for (j, &vj) in v.iter().enumerate() {
        let t = (j + 1) as f64 * DT;
        // The current of [start, stop) charges the membrane from start on and stops at stop.
        let charged = |s: f64| amplitude * r * (1.0 - (-s / TAU_M).exp());
        let expected = if t <= start {
            V_REST
        } else if t <= stop {
            V_REST + charged(t - start)
        } else {
            V_REST + charged(stop - start) * (-(t - stop) / TAU_M).exp()
        };
        assert!(
            (vj - expected).abs() < 1e-9,
            "v at {t} ms: {vj}, closed form {expected}"
        );
        let expected_i = if t >= start - 1e-9 && t < stop - 1e-9 {
            amplitude
        } else {
            0.0
        };
        assert_eq!(i[j], expected_i, "i at {t} ms");
    }
}

#[test]
fn a_step_current_takes_effect_in_the_step_of_its_time() {
    // Times round to the grid: 0.41 and 0.42 both to step 4 (the later amplitude holds).
    let text = model(
        "cell_type = \"StepCurrentSource\"\nparams = { times = [0.41, 0.42, 0.86], amplitudes = [0.5, -0.5, 0.5] }",
        2.0,
    );
    let (v, i) = run(&text, 1);
    // i at t = (j + 1)·dt: 0 before 0.4 ms, -0.5 from 0.4, 0.5 from 0.9.
    for (j, &ij) in i.iter().enumerate() {
        let step = j + 1;
        let expected = match step {
            0..=3 => 0.0,
            4..=8 => -0.5,
            _ => 0.5,
        };
        assert_eq!(ij, expected, "i at step {step}");
    }
    // v at 0.4 ms (row 3) is still at rest, v at 0.5 ms (row 4) has moved down.
    assert_eq!(v[3], V_REST);
    assert!(v[4] < V_REST, "v at 0.5 ms: {}", v[4]);
}

#[test]
fn noise_is_the_same_for_any_thread_count_and_redrawn_every_dt() {
    let text = model(
        "cell_type = \"NoisyCurrentSource\"\nparams = { mean = 0.5, stdev = 0.2, start = 1.0, stop = 5.0, dt = 0.5 }",
        6.0,
    );
    let one = run(&text, 1);
    assert_eq!(one, run(&text, 2));
    let i = &one.1;
    // Held for 5 steps, then redrawn; 0 outside [1, 5).
    let at = |t: f64| i[(t / DT).round() as usize - 1];
    assert_eq!(at(0.9), 0.0);
    assert_eq!(at(1.0), at(1.4));
    assert_ne!(at(1.4), at(1.5));
    assert_eq!(at(5.0), 0.0);
    assert!(i.iter().all(|x| x.is_finite()));
}

#[test]
fn bad_source_parameters_name_the_key_and_value() {
    for (params, key, value) in [
        (
            "cell_type = \"StepCurrentSource\"\nparams = { times = [1.0, 0.5], amplitudes = [1.0, 2.0] }",
            "times[1]",
            "0.5",
        ),
        (
            "cell_type = \"StepCurrentSource\"\nparams = { times = [1.0], amplitudes = [1.0, 2.0] }",
            "amplitudes",
            "2 values",
        ),
        (
            "cell_type = \"DCSource\"\nparams = { start = -1.0 }",
            "start",
            "-1",
        ),
        (
            "cell_type = \"NoisyCurrentSource\"\nparams = { dt = 0.05 }",
            "dt",
            "0.05",
        ),
    ] {
        let text = model(params, 1.0);
        let e = parse_str("electrode.toml", &text, &[], None).expect_err(params);
        let msg = e.to_string();
        assert!(
            msg.contains("electrode.toml") && msg.contains(key) && msg.contains(value),
            "{msg}"
        );
    }
}

#[test]
fn a_neuron_kernel_without_injected_input_is_refused() {
    let text = model("cell_type = \"DCSource\"", 1.0).replace(
        "cell_type = \"IF_curr_exp\"",
        "cell_type = \"IF_curr_exp\"\nintegration = \"spynnaker\"",
    );
    let e = parse_str("electrode.toml", &text, &[], None).expect_err("refused");
    assert!(e.to_string().contains("no graded inputs"), "{e}");
}
