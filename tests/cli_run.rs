//! `engram run` on every example model file: the run directory is complete and consistent —
//! `run.json` fields, `.npy` headers and lengths agree with `run.json`, `raster.png` is a PNG —
//! and `--seed` / `--set` change exactly what they say.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use sim_core::npy::{read_npy_f64, read_npy_header, read_npy_u32};

fn engram() -> Command {
    Command::new(env!("CARGO_BIN_EXE_engram"))
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scratch(name: &str) -> PathBuf {
    let d = repo()
        .join("target")
        .join("test-runs")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Runs `engram run` (on 2 threads unless `extra` says otherwise) and returns run.json.
fn run(model: &Path, out: &Path, extra: &[&str]) -> Value {
    let threads: &[&str] = if extra.contains(&"--threads") {
        &[]
    } else {
        &["--threads", "2"]
    };
    let status = engram()
        .arg("run")
        .arg(model)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(threads)
        .args(extra)
        .status()
        .expect("engram runs");
    assert!(
        status.success(),
        "engram run {} failed: {status}",
        model.display()
    );
    let text = std::fs::read_to_string(out.join("run.json")).expect("run.json");
    serde_json::from_str(&text).expect("run.json is JSON")
}

fn check_run_dir(out: &Path, info: &Value) {
    for key in [
        "engram_version",
        "model",
        "seed",
        "dt_ms",
        "duration_ms",
        "threads",
        "neurons",
        "synapses",
        "build_s",
        "simulate_s",
        "spikes",
        "synaptic_events",
        "synaptic_events_per_s",
        "status",
    ] {
        assert!(info.get(key).is_some(), "run.json lacks {key}");
    }
    assert_eq!(info["status"], "complete");
    let dt = info["dt_ms"].as_f64().unwrap();
    let duration = info["duration_ms"].as_f64().unwrap();
    let mut total = 0u64;
    for pop in info["populations"].as_array().unwrap() {
        let name = pop["name"].as_str().unwrap();
        let size = pop["size"].as_u64().unwrap() as u32;
        if let Some(n) = pop["spikes"].as_u64() {
            let (descr, fortran, shape) =
                read_npy_header(out.join(format!("{name}.times.npy"))).expect("times header");
            assert_eq!((descr.as_str(), fortran), ("<f8", false));
            assert_eq!(shape, vec![n as usize], "{name}.times.npy length");
            let (descr, _, shape) =
                read_npy_header(out.join(format!("{name}.senders.npy"))).expect("senders header");
            assert_eq!(descr, "<u4");
            assert_eq!(shape, vec![n as usize], "{name}.senders.npy length");
            let t = read_npy_f64(out.join(format!("{name}.times.npy"))).unwrap();
            let s = read_npy_u32(out.join(format!("{name}.senders.npy"))).unwrap();
            assert!(t.windows(2).all(|w| w[0] <= w[1]), "{name}: times sorted");
            assert!(t.iter().all(|&x| (0.0..=duration + dt).contains(&x)));
            assert!(s.iter().all(|&i| i < size), "{name}: senders < size");
            total += n;
        }
        for var in pop["recorded_variables"].as_array().unwrap() {
            let var = var.as_str().unwrap();
            let (_, _, shape) =
                read_npy_header(out.join(format!("{name}.{var}.npy"))).expect("trace header");
            let (_, _, tshape) = read_npy_header(out.join(format!("{name}.{var}.times.npy")))
                .expect("trace times header");
            assert_eq!(shape.len(), 2);
            assert_eq!(shape[0], tshape[0], "{name}.{var}: one row per sample time");
            let rec = read_npy_u32(out.join(format!("{name}.recorded.npy"))).unwrap();
            assert_eq!(
                shape[1],
                rec.len(),
                "{name}.{var}: one column per recorded neuron"
            );
            assert!(shape[0] > 0);
        }
    }
    assert_eq!(
        total,
        info["spikes"].as_u64().unwrap(),
        "spikes in files = run.json"
    );
    let png = std::fs::read(out.join("raster.png")).expect("raster.png");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "raster.png is a PNG");
    assert!(out.join("model.toml").exists());
}

#[test]
fn every_example_runs_into_a_consistent_run_directory() {
    for example in ["cuba.toml", "coba.toml", "stdp.toml"] {
        let model = repo().join("examples").join(example);
        let out = scratch(example);
        let info = run(&model, &out, &[]);
        check_run_dir(&out, &info);
        assert!(
            info["spikes"].as_u64().unwrap() > 0,
            "{example} produced spikes"
        );
    }
}

fn spikes_of(out: &Path, pop: &str) -> (Vec<f64>, Vec<u32>) {
    (
        read_npy_f64(out.join(format!("{pop}.times.npy"))).unwrap(),
        read_npy_u32(out.join(format!("{pop}.senders.npy"))).unwrap(),
    )
}

#[test]
fn seed_and_set_change_exactly_what_they_say() {
    let model = repo().join("examples").join("cuba.toml");
    let base = scratch("cuba-base");
    let again = scratch("cuba-again");
    let seeded = scratch("cuba-seed");
    let changed = scratch("cuba-set");
    let a = run(&model, &base, &["--set", "duration=200"]);
    let b = run(&model, &again, &["--set", "duration=200", "--threads", "1"]);
    // Same model, same seed: identical output, whatever the thread count.
    assert_eq!(spikes_of(&base, "exc"), spikes_of(&again, "exc"));
    assert_eq!(a["seed"], b["seed"]);

    let c = run(&model, &seeded, &["--set", "duration=200", "--seed", "99"]);
    assert_eq!(c["seed"], 99);
    assert_ne!(
        spikes_of(&base, "exc"),
        spikes_of(&seeded, "exc"),
        "a new seed, new draws"
    );

    // A parameter override changes the dynamics but not the network (same seed, same synapses).
    let d = run(
        &model,
        &changed,
        &[
            "--set",
            "duration=200",
            "--set",
            "populations.exc.params.tau_m=10",
        ],
    );
    assert_eq!(d["synapses"], a["synapses"]);
    assert_eq!(d["seed"], a["seed"]);
    assert_eq!(d["duration_ms"], 200.0);
    assert_ne!(spikes_of(&base, "exc"), spikes_of(&changed, "exc"));
    assert_eq!(
        d["model"]["overrides"],
        serde_json::json!(["duration=200", "populations.exc.params.tau_m=10"])
    );
}

/// Sampled potentials carry the time of the state they hold: a NEST-convention `IF_curr_exp`
/// driven by a constant current from rest follows v(t) = v_rest + R i (1 - exp(-t / tau_m)),
/// R = tau_m / cm, and each sample must equal that at its own time stamp.
#[test]
fn sample_times_are_the_times_of_the_sampled_state() {
    let dir = scratch("sample-times");
    std::fs::create_dir_all(&dir).unwrap();
    let model = dir.join("drive.toml");
    std::fs::write(
        &model,
        r#"
dt = 0.1
duration = 5.0
seed = 1

[populations.cell]
cell_type = "IF_curr_exp"
size = 1
params = { tau_m = 20.0, cm = 1.0, v_rest = -65.0, v_thresh = 0.0, i_offset = 0.5 }
initial_values = { v = -65.0 }
record = ["v"]
sampling_interval = 0.1
"#,
    )
    .unwrap();
    let out = dir.join("out");
    run(&model, &out, &["--threads", "1"]);
    let t = read_npy_f64(out.join("cell.v.times.npy")).unwrap();
    let v = read_npy_f64(out.join("cell.v.npy")).unwrap();
    assert_eq!(t.len(), 50);
    for (&ti, &vi) in t.iter().zip(&v) {
        let exact = -65.0 + 20.0 * 0.5 * (1.0 - (-ti / 20.0f64).exp());
        assert!(
            (vi - exact).abs() < 1e-9,
            "t = {ti}: v = {vi}, exact {exact}"
        );
    }
}
