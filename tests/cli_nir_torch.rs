//! NIR graphs run by engram against the SNN libraries' own simulations of them
//! (tests/nir/reference_sim.py, in the environment scripts/setup-nir.sh makes): LIF, CubaLIF and IF
//! against Norse's importer within a bound derived from the two discretisations, and a
//! convolutional SNN exported by snnTorch against snnTorch, then exported to SpiNNaker files
//! PACMAN accepts. docs/NIR.md states the semantics, the bounds and the measured agreement.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;
use sim_core::npy::{read_npy_f64, read_npy_u32};

#[path = "nir/spinnaker.rs"]
mod spinnaker;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Python of the NIR environment when it has PyTorch; `None` (with the reason printed) when
/// it has not, the one case these tests skip.
fn torch_python() -> Option<PathBuf> {
    let py = root().join("target/nir-venv/bin/python");
    let has_torch = py.exists()
        && Command::new(&py)
            .args(["-c", "import torch, norse, snntorch"])
            .output()
            .is_ok_and(|o| o.status.success());
    if !has_torch {
        let why = format!(
            "{} lacks torch, norse or snntorch (scripts/setup-nir.sh installs them)",
            py.display()
        );
        // CI installs them (scripts/test.sh), so there a missing library is a failure, never a
        // silent pass; elsewhere the 5.4 GB install is optional.
        assert!(std::env::var_os("CI").is_none(), "{why}");
        eprintln!("skipped: {why}");
    }
    has_torch.then_some(py)
}

/// The reference graphs and simulations, written once per test run into a fresh directory.
fn references(py: &Path) -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = root()
            .join("target/test-runs")
            .join(format!("nir-torch-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        ok(Command::new(py)
            .arg(root().join("tests/nir/reference_sim.py"))
            .arg(&dir)
            .output()
            .unwrap());
        dir
    })
}

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn engram(args: &[&str]) -> Output {
    ok(Command::new(env!("CARGO_BIN_EXE_engram"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap())
}

/// The reference's time step: engram runs at the same dt (ms), a spike a pulse of that width (s).
const DT_MS: f64 = 0.1;
const SPIKE_WIDTH: &str = "1e-4";

/// Steps from an input spike at step n (a spike time n·dt of the Input's SpikeSourceArray, which
/// emits it during the step from n·dt) to the step whose state first includes it: one step of
/// edge delay (engram's minimum) and one because the input enters after the step's integration.
/// The discrete-time libraries add a step's input within the same step.
const DELIVERY_STEPS: usize = 2;
/// A neuron's spike is stamped at the end of the step that emitted it, so the next layer's
/// state includes it one step after its stamp.
const LAYER_DELIVERY_STEPS: usize = 1;
/// A CubaLIF's potential integrates the current over the following step: one more.
const CURRENT_TO_POTENTIAL_STEPS: usize = 1;

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn matrix(v: &Value) -> Vec<Vec<f64>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect()
        })
        .collect()
}

/// engram's run of `case.nir` on the reference's input: per step, `pop`'s potential (if
/// recorded) and spikes, each a row per step of one value per neuron.
struct EngramRun {
    v: Vec<Vec<f64>>,
    spikes: Vec<Vec<f64>>,
}

fn run_engram(dir: &Path, case: &str, pop: &str, reference: &Value, steps: usize) -> EngramRun {
    let lists: Vec<String> = reference["input_steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|steps| {
            let times: Vec<String> = steps
                .as_array()
                .unwrap()
                .iter()
                .map(|s| format!("{:.1}", s.as_u64().unwrap() as f64 * DT_MS))
                .collect();
            format!("[{}]", times.join(", "))
        })
        .collect();
    let out = dir.join(format!("run_{case}"));
    let duration = format!("{}", steps as f64 * DT_MS);
    engram(&[
        "run",
        p(&dir.join(format!("{case}.nir"))),
        "--out",
        p(&out),
        "--quiet",
        "--dt",
        &DT_MS.to_string(),
        "--spike-width",
        SPIKE_WIDTH,
        "--duration",
        &duration,
        "--set",
        &format!(
            "populations.input.params.spike_times=[{}]",
            lists.join(", ")
        ),
    ]);
    let times = read_npy_f64(out.join(format!("{pop}.times.npy"))).unwrap();
    let senders = read_npy_u32(out.join(format!("{pop}.senders.npy"))).unwrap();
    assert_eq!(times.len(), senders.len());
    let width = reference["spikes"][0].as_array().unwrap().len();
    let mut spikes = vec![vec![0.0; width]; steps];
    for (&t, &s) in times.iter().zip(&senders) {
        let step = (t / DT_MS).round() as usize;
        assert!(
            (t - step as f64 * DT_MS).abs() < 1e-9,
            "spike off the grid: {t}"
        );
        spikes[step][s as usize] += 1.0;
    }
    let v = match read_npy_f64(out.join(format!("{pop}.v.npy"))) {
        Ok(v) => {
            let t = read_npy_f64(out.join(format!("{pop}.v.times.npy"))).unwrap();
            assert_eq!(t.len() * width, v.len(), "{case}: samples × neurons");
            // Indexed by step: row k is the state sampled at k·dt (none at 0, left NaN).
            let mut by_step = vec![vec![f64::NAN; width]; steps];
            for (&tk, row) in t.iter().zip(v.chunks(width)) {
                let k = (tk / DT_MS).round() as usize;
                assert!(
                    (tk - k as f64 * DT_MS).abs() < 1e-9,
                    "{case}: sample at {tk}"
                );
                if k < steps {
                    by_step[k] = row.to_vec();
                }
            }
            by_step
        }
        Err(_) => Vec::new(),
    };
    EngramRun { v, spikes }
}

/// The error bound's growth over one step, for a neuron whose compared potential is `v`:
/// how the previous bound carries over, and what this step adds.
trait Discretisation {
    /// `(carried, added)`: the bound after step `n` is `carried·E(n-1) + added`.
    fn step(&mut self, n: usize, neuron: usize) -> (f64, f64);
    /// A spike of both resets the potential; the bound restarts from the remaining error.
    fn after_common_spike(&mut self, neuron: usize) -> f64;
}

/// One relative rounding of float32 (Norse keeps its time constants and steps as float32).
const F32_ROUNDING: f64 = f32::EPSILON as f64;
/// float64 arithmetic of a step (both sides compute in f64 otherwise).
const F64_SLACK: f64 = 1e-12;

/// Forward Euler's decay `1 − h` against the exact `exp(−h)`: a step from `v` differs by
/// `|v|·(exp(−h) − 1 + h) ≤ |v|·h²/2`; errors already made decay by `exp(−h)`. The input term
/// `h·x` is the same in both (a unit pulse lasting one step, area dt). LIF (Norse and snnTorch).
struct EulerLeak<'a> {
    h: f64,
    reference_v: &'a [Vec<f64>],
    reference_x: &'a [Vec<f64>],
}

impl Discretisation for EulerLeak<'_> {
    fn step(&mut self, n: usize, neuron: usize) -> (f64, f64) {
        let h = self.h;
        let prev = if n == 0 {
            0.0
        } else {
            self.reference_v[n - 1][neuron].abs()
        };
        let x = self.reference_x[n][neuron].abs();
        // Norse's h = dt·(1/τ) rounded to float32 twice, on the step's increment h·(x − v).
        let local = prev * ((-h).exp() - 1.0 + h) + h * (x + prev) * F32_ROUNDING + F64_SLACK;
        ((-h).exp(), local)
    }
    fn after_common_spike(&mut self, _: usize) -> f64 {
        0.0
    }
}

/// IF: both add the pulse's area `r·w·dt = w` to v; only rounding differs.
struct Exact;

impl Discretisation for Exact {
    fn step(&mut self, _: usize, _: usize) -> (f64, f64) {
        (1.0, F64_SLACK)
    }
    fn after_common_spike(&mut self, _: usize) -> f64 {
        0.0
    }
}

/// CubaLIF: Norse's `i(n) = (1 − hs)·i(n−1) + hs·x(n)`, `v(n) = (1 − hm)·v(n−1) + hm·r·i(n)`
/// against engram's exact propagators `I' = exp(−hs)·I + hs·x` and
/// `v' = exp(−hm)·v + P21·I`, `P21 = r·τs/(τs − τm)·(exp(−hs) − exp(−hm))` (the current's
/// exponential decay integrated over the step). Per step the current's bound grows as a LIF's;
/// the potential's by `P21·E_I + |v|·(exp(−hm) − 1 + hm) + |i|·|P21 − hm·r|`.
struct EulerCurrent<'a> {
    hs: f64,
    hm: f64,
    r: f64,
    p21: f64,
    reference_v: &'a [Vec<f64>],
    reference_i: &'a [Vec<f64>],
    reference_x: &'a [Vec<f64>],
    current_bound: Vec<f64>,
}

impl Discretisation for EulerCurrent<'_> {
    fn step(&mut self, n: usize, neuron: usize) -> (f64, f64) {
        let (hs, hm) = (self.hs, self.hm);
        let at = |m: &[Vec<f64>], k: usize| if k == 0 { 0.0 } else { m[k - 1][neuron].abs() };
        let (i_prev, i_now) = (at(self.reference_i, n), self.reference_i[n][neuron].abs());
        let v_prev = at(self.reference_v, n);
        let e_i = &mut self.current_bound[neuron];
        *e_i = (-hs).exp() * *e_i
            + i_prev * ((-hs).exp() - 1.0 + hs)
            + hs * (self.reference_x[n][neuron].abs() + i_prev) * F32_ROUNDING
            + F64_SLACK;
        let local = self.p21 * *e_i
            + v_prev * ((-hm).exp() - 1.0 + hm)
            + i_now * (self.p21 - hm * self.r).abs()
            + hm * (v_prev + self.r * i_now) * F32_ROUNDING
            + F64_SLACK;
        ((-hm).exp(), local)
    }
    fn after_common_spike(&mut self, _: usize) -> f64 {
        0.0
    }
}

/// The comparison of one neuron node, step by step: the potentials within the bound; the same
/// spike steps, except where the reference's potential is within the bound of the threshold
/// (there either side may spike first, and the comparison of that neuron ends).
#[derive(Debug, Default)]
struct Agreement {
    compared_steps: usize,
    common_spikes: usize,
    /// Spikes of one side only, each with its margin to the threshold inside the bound.
    near_threshold: usize,
    largest_difference: f64,
    largest_bound: f64,
}

#[allow(clippy::too_many_arguments)]
fn compare(
    case: &str,
    reference_v: &[Vec<f64>],
    reference_spikes: &[Vec<f64>],
    engram: &EngramRun,
    offset: usize,
    threshold: f64,
    model: &mut dyn Discretisation,
) -> Agreement {
    let steps = reference_v.len();
    assert_eq!(reference_spikes.len(), steps, "{case}: reference lengths");
    assert!(
        engram.v.len() >= steps + offset && engram.spikes.len() >= steps + offset,
        "{case}: engram recorded {} steps, the reference {steps} (+{offset})",
        engram.v.len()
    );
    let neurons = reference_v[0].len();
    let mut a = Agreement::default();
    for neuron in 0..neurons {
        assert_eq!(engram.v[0].len(), neurons, "{case}: neurons");
        let mut bound = 0.0;
        for n in 0..steps {
            let (carried, added) = model.step(n, neuron);
            bound = carried * bound + added;
            let (mine, theirs) = (engram.v[n + offset][neuron], reference_v[n][neuron]);
            let (my_spike, their_spike) = (
                engram.spikes[n + offset][neuron] > 0.0,
                reference_spikes[n][neuron] > 0.0,
            );
            a.compared_steps += 1;
            if my_spike != their_spike {
                // The side that did not spike holds its unreset potential: within the bound of
                // the threshold, or the disagreement is a failure.
                let unreset = if my_spike { theirs } else { mine };
                assert!(
                    (unreset - threshold).abs() <= bound,
                    "{case}, neuron {neuron}, step {n}: engram spike {my_spike}, reference \
                     spike {their_spike}; potential {unreset} is {} from the threshold {threshold}, \
                     beyond the bound {bound}",
                    (unreset - threshold).abs()
                );
                a.near_threshold += 1;
                break;
            }
            if my_spike {
                a.common_spikes += 1;
                bound = model.after_common_spike(neuron);
            }
            let diff = (mine - theirs).abs();
            // Written so that NaN fails.
            assert!(
                diff <= bound,
                "{case}, neuron {neuron}, step {n}: engram v = {mine}, reference {theirs}, \
                 difference {diff} > bound {bound}"
            );
            a.largest_difference = a.largest_difference.max(diff);
            a.largest_bound = a.largest_bound.max(bound);
        }
    }
    a
}

fn reference_case(dir: &Path, case: &str) -> (Value, Vec<Vec<f64>>, Vec<Vec<f64>>, usize) {
    let r = json(&dir.join(format!("{case}.json")));
    let (v, spikes) = (matrix(&r["v"]), matrix(&r["spikes"]));
    let steps = r["steps"].as_u64().unwrap() as usize;
    assert_eq!(v.len(), steps, "{case}: reference steps");
    (r, v, spikes, steps)
}

/// The agreement must compare nearly every step, and spikes.
fn report(case: &str, a: &Agreement, steps: usize, neurons: usize) {
    eprintln!("{case}: {a:?}");
    assert!(
        a.common_spikes >= 3,
        "{case}: too few spikes to compare: {a:?}"
    );
    assert!(
        a.compared_steps * 10 >= steps * neurons * 9,
        "{case}: compared {} of {} steps",
        a.compared_steps,
        steps * neurons
    );
}

#[test]
fn lif_matches_norse_within_the_euler_bound() {
    let Some(py) = torch_python() else { return };
    let dir = references(&py);
    let (r, v, spikes, steps) = reference_case(dir, "lif");
    let run = run_engram(dir, "lif", "neuron", &r, steps + DELIVERY_STEPS);
    let h = DT_MS / 1000.0 / r["tau_s"].as_f64().unwrap();
    let x = matrix(&r["x"]);
    let mut model = EulerLeak {
        h,
        reference_v: &v,
        reference_x: &x,
    };
    let threshold = r["v_threshold"].as_f64().unwrap();
    let a = compare(
        "lif",
        &v,
        &spikes,
        &run,
        DELIVERY_STEPS,
        threshold,
        &mut model,
    );
    report("lif", &a, steps, 6);
}

#[test]
fn if_matches_norse_exactly() {
    let Some(py) = torch_python() else { return };
    let dir = references(&py);
    let (r, v, spikes, steps) = reference_case(dir, "if");
    let run = run_engram(dir, "if", "neuron", &r, steps + DELIVERY_STEPS);
    let threshold = r["v_threshold"].as_f64().unwrap();
    let a = compare(
        "if",
        &v,
        &spikes,
        &run,
        DELIVERY_STEPS,
        threshold,
        &mut Exact,
    );
    report("if", &a, steps, 6);
    assert_eq!(a.near_threshold, 0, "{a:?}");
}

/// A CubaLIF graph against Norse: the engram run, the reference's spikes and the agreement.
fn cubalif_case(case: &str) -> Option<(Agreement, EngramRun, Vec<Vec<f64>>, usize)> {
    let py = torch_python()?;
    let dir = references(&py);
    let (r, v, spikes, steps) = reference_case(dir, case);
    let (i, x) = (matrix(&r["i"]), matrix(&r["x"]));
    assert_eq!((i.len(), x.len()), (steps, steps));
    let offset = DELIVERY_STEPS + CURRENT_TO_POTENTIAL_STEPS;
    let run = run_engram(dir, case, "neuron", &r, steps + offset);
    let (tau_s, tau_m) = (
        r["tau_syn_s"].as_f64().unwrap(),
        r["tau_s"].as_f64().unwrap(),
    );
    let (hs, hm, resistance) = (
        DT_MS / 1000.0 / tau_s,
        DT_MS / 1000.0 / tau_m,
        r["r"].as_f64().unwrap(),
    );
    let p21 = resistance * tau_s / (tau_s - tau_m) * ((-hs).exp() - (-hm).exp());
    let mut model = EulerCurrent {
        hs,
        hm,
        r: resistance,
        p21,
        reference_v: &v,
        reference_i: &i,
        reference_x: &x,
        current_bound: vec![0.0; v[0].len()],
    };
    let threshold = r["v_threshold"].as_f64().unwrap();
    let a = compare(case, &v, &spikes, &run, offset, threshold, &mut model);
    Some((a, run, spikes, offset))
}

/// Below threshold the potential of every neuron follows Norse within the bound at every step.
#[test]
fn cubalif_below_threshold_matches_norse_within_the_euler_bound() {
    let Some((a, _, _, _)) = cubalif_case("cubalif_subthreshold") else {
        return;
    };
    eprintln!("cubalif_subthreshold: {a:?}");
    assert_eq!(a.compared_steps, 6 * 400, "{a:?}");
    assert!(
        a.largest_difference > 1e-3,
        "the inputs drive the neurons: {a:?}"
    );
}

/// Spiking: up to each neuron's first spike as above. Over the whole run engram's potential
/// rises slower than Norse's (P21 < hm·r: the exact current decays during the step; Norse holds
/// it), so a spike can come a step later, and since the reset then comes later too, the lag
/// adds up: every neuron spikes as often as in Norse, its k-th spike (from 0) at most k + 1
/// steps after Norse's, never before.
#[test]
fn cubalif_spikes_lag_norse_by_at_most_a_step_per_spike() {
    let Some((a, run, reference, offset)) = cubalif_case("cubalif") else {
        return;
    };
    eprintln!("cubalif: {a:?}");
    let neurons = reference[0].len();
    let (mut total, mut lag) = (0, 0);
    for neuron in 0..neurons {
        let steps_of = |rows: &[Vec<f64>], from: usize| -> Vec<usize> {
            rows[from..]
                .iter()
                .enumerate()
                .filter(|(_, row)| row[neuron] > 0.0)
                .map(|(k, _)| k)
                .collect()
        };
        let (mine, theirs) = (steps_of(&run.spikes, offset), steps_of(&reference, 0));
        let mine: Vec<usize> = mine.into_iter().filter(|&k| k < reference.len()).collect();
        assert_eq!(
            mine.len(),
            theirs.len(),
            "neuron {neuron}: {mine:?} vs {theirs:?}"
        );
        for (k, (m, t)) in mine.iter().zip(&theirs).enumerate() {
            assert!(
                *m >= *t && m - t <= k + 1,
                "neuron {neuron}, spike {k}: engram {mine:?}, Norse {theirs:?}"
            );
            lag += m - t;
        }
        total += theirs.len();
    }
    eprintln!("cubalif: {total} spikes, lagging Norse's by {lag} steps in all");
    assert!(total >= 10, "{total}");
}

/// The comparison itself fails on NaN and on a length mismatch.
#[test]
fn the_comparison_fails_on_nan_and_on_length_mismatch() {
    let reference = vec![vec![0.5], vec![0.25], vec![0.125]];
    let no_spikes = vec![vec![0.0]; 3];
    let run = |v: Vec<Vec<f64>>| EngramRun {
        spikes: vec![vec![0.0]; v.len()],
        v,
    };
    let compares = |engram: EngramRun| {
        std::panic::catch_unwind(|| {
            compare("t", &reference, &no_spikes, &engram, 0, 1.0, &mut Exact);
        })
        .is_ok()
    };
    assert!(compares(run(reference.clone())));
    assert!(!compares(run(vec![vec![0.5], vec![f64::NAN], vec![0.125]])));
    assert!(!compares(run(vec![vec![0.5], vec![0.25]])));
    assert!(!compares(run(vec![
        vec![0.5],
        vec![0.2500001],
        vec![0.125]
    ])));
}

/// Output spikes of a convolutional SNN built and exported by snnTorch, per neuron and step:
/// (spikes at the same step, spikes of one side only, total of snnTorch's).
fn conv_agreement(run: &EngramRun, reference: &[Vec<f64>], offset: usize) -> (usize, usize, usize) {
    let (mut same, mut one_sided, mut total) = (0, 0, 0);
    for (n, row) in reference.iter().enumerate() {
        assert_eq!(row.len(), run.spikes[n + offset].len(), "output neurons");
        for (theirs, mine) in row.iter().zip(&run.spikes[n + offset]) {
            let (theirs, mine) = (*theirs > 0.0, *mine > 0.0);
            total += usize::from(theirs);
            same += usize::from(theirs && mine);
            one_sided += usize::from(theirs != mine);
        }
    }
    (same, one_sided, total)
}

/// snnTorch's Conv2d -> Leaky -> AvgPool2d -> Flatten -> Linear -> Leaky (its own export_to_nir)
/// runs on engram like in snnTorch: every output spike at the same step (shifted by the two
/// layers' delivery), up to the few the leak's discretisation moves (docs/NIR.md); then it
/// exports to SpiNNaker files PACMAN accepts.
#[test]
fn a_convolutional_snn_exported_by_snntorch_runs_like_snntorch_and_on_spinnaker() {
    let Some(py) = torch_python() else { return };
    let dir = references(&py);
    let r = json(&dir.join("conv_snntorch.json"));
    let reference = matrix(&r["spikes"]);
    let steps = r["steps"].as_u64().unwrap() as usize;
    assert_eq!(reference.len(), steps);
    let layers = r["layers"].as_u64().unwrap() as usize;
    let offset = DELIVERY_STEPS + (layers - 1) * LAYER_DELIVERY_STEPS;
    let run = run_engram(dir, "conv_snntorch", "_5", &r, steps + offset);
    let (same, one_sided, total) = conv_agreement(&run, &reference, offset);
    eprintln!("conv_snntorch: {total} output spikes in snnTorch, {same} at the same step in engram, {one_sided} of one side only");
    assert!(total >= 50, "{total}");
    // (1 − β)/2 = 0.5 % of the threshold is the leak's steady-state difference (docs/NIR.md).
    assert!(
        one_sided * 50 <= total,
        "{same} of {total}, {one_sided} of one side only"
    );

    let toml = dir.join("conv_snntorch.toml");
    engram(&[
        "import",
        "nir",
        p(&dir.join("conv_snntorch.nir")),
        "--out",
        p(&toml),
        "--spike-width",
        SPIKE_WIDTH,
    ]);
    spinnaker::exports_to_files_pacman_accepts(&root(), &toml, &dir.join("spinnaker"));
}
