//! A model that diverges stops the run with an error naming the population, the neuron, the
//! variable and the time; the run directory is marked `failed` and keeps every spike and sample
//! recorded before the failure. The failure comes late (t = 401 ms, in one shard only) so that
//! there is a record to keep, and on several threads, where a failure in one shard must stop
//! all of them at the same step.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sim_core::npy::{read_npy_f64, read_npy_u32};

/// A healthy population spiking regularly, and one that a single input of 2 x 1.5e308 at
/// t = 400 ms (delay 1 ms) drives to v = inf, which a threshold reset must not hide.
const MODEL: &str = r#"
dt = 1.0
duration = 1000.0

[populations.healthy]
cell_type = "Izhikevich"
size = 3
params = { i_offset = 0.01 }
record = ["spikes"]

[populations.kick]
cell_type = "SpikeSourceArray"
size = 2
params = { spike_times = [[400.0], [400.0]] }

[populations.runaway]
cell_type = "Izhikevich"
size = 2
record = ["spikes", "v"]

[projections.blowup]
pre = "kick"
post = "runaway"
connector = { type = "AllToAllConnector" }
weight = 1.5e308
delay = 1.0
"#;

const FAILURE_MS: f64 = 401.0;

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/test-runs")
        .join(format!("diverge-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `engram run`; a run that does not end within a minute is a deadlock.
fn run(model: &Path, out: &Path, threads: usize) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_engram"))
        .arg("run")
        .arg(model)
        .arg("--out")
        .arg(out)
        .args(["--quiet", "--threads", &threads.to_string()])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("{threads} threads: the failing run did not stop (deadlock)");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_diverging_model_fails_cleanly_keeping_what_was_recorded() {
    let dir = scratch("cli");
    let model = dir.join("diverge.toml");
    std::fs::write(&model, MODEL).unwrap();
    for threads in [1, 2, 3] {
        let out = dir.join(format!("run{threads}"));
        let (code, err) = run(&model, &out, threads);
        assert_eq!(code, Some(1), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(err.starts_with("error[E0501]: "), "{err}");
        for part in [
            "population 'runaway'",
            "neuron 0",
            "v = inf",
            &format!("at t = {FAILURE_MS} ms"),
        ] {
            assert!(err.contains(part), "error should name {part}: {err}");
        }
        let info: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
        assert_eq!(info["status"], "failed");
        assert!(info["error"].as_str().unwrap().contains("runaway"));
        assert_eq!(info["steps_done"], 401);
        // Everything recorded before the failure is there, readable and counted.
        let t = read_npy_f64(out.join("healthy.times.npy")).unwrap();
        let s = read_npy_u32(out.join("healthy.senders.npy")).unwrap();
        assert_eq!(t.len(), s.len());
        assert!(
            t.len() > 30,
            "the healthy population spiked before ({})",
            t.len()
        );
        assert!(t.iter().all(|&x| x < FAILURE_MS));
        assert_eq!(
            t.len() as u64,
            info["populations"][0]["spikes"].as_u64().unwrap()
        );
        // The diverging population's potential up to the failure: one row per ms, finite.
        let v = read_npy_f64(out.join("runaway.v.npy")).unwrap();
        let vt = read_npy_f64(out.join("runaway.v.times.npy")).unwrap();
        assert_eq!(vt.len(), 401, "samples at 0..=400 ms");
        assert_eq!(v.len(), 2 * vt.len());
        assert!(v.iter().all(|x| x.is_finite()));
        if threads > 1 {
            let one = read_npy_f64(dir.join("run1/healthy.times.npy")).unwrap();
            assert_eq!(one, t, "{threads} threads record what 1 thread does");
        }
    }
}

#[test]
fn a_failure_in_one_shard_stops_every_shard_at_the_same_step() {
    // In process, many times: the shards race to the barrier after the failing step.
    let spec = networks::modelfile::parse_str("diverge.toml", MODEL, &[], None).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for rep in 0..60 {
            let threads = 2 + rep % 3;
            let mut sim = sim_core::Simulation::with_threads(&spec.network, threads);
            let err = sim
                .run_until(1000, &mut sim_core::engine::NullObserver)
                .unwrap_err();
            tx.send((threads, sim.step(), err.to_string())).unwrap();
        }
    });
    for _ in 0..60 {
        let (threads, step, err) = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("a failing run did not stop (deadlock)");
        assert_eq!(step, 401, "{threads} threads: {err}");
        assert!(
            err.contains("population 'runaway', neuron 0: v = inf"),
            "{err}"
        );
    }
}
