//! A model that diverges stops the run with an error naming the population, the neuron, the
//! variable and the time; the run directory is marked `failed` and keeps every spike recorded
//! before the failure.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn a_diverging_model_fails_cleanly() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/test-runs")
        .join(format!("diverge-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // Under this (absurd but finite) current Izhikevich's potential overflows to infinity in
    // one step, which a threshold reset must not hide; a healthy population spikes beside it.
    let model = dir.join("diverge.toml");
    std::fs::write(
        &model,
        r#"
dt = 1.0
duration = 1000.0

[populations.healthy]
cell_type = "Izhikevich"
size = 3
params = { i_offset = 0.01 }
record = ["spikes"]

[populations.runaway]
cell_type = "Izhikevich"
size = 2
params = { i_offset = 1e306 }
record = ["spikes", "v"]
"#,
    )
    .unwrap();
    let out = dir.join("run");
    let res = Command::new(env!("CARGO_BIN_EXE_engram"))
        .arg("run")
        .arg(&model)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for part in ["population 'runaway'", "neuron 0", "v = ", "at t = "] {
        assert!(err.contains(part), "error should name {part}: {err}");
    }
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(info["status"], "failed");
    assert!(info["error"].as_str().unwrap().contains("runaway"));
    // Everything recorded before the failure is there and readable.
    let t = sim_core::npy::read_npy_f64(out.join("healthy.times.npy")).unwrap();
    let s = sim_core::npy::read_npy_u32(out.join("healthy.senders.npy")).unwrap();
    assert_eq!(t.len(), s.len());
    assert_eq!(
        t.len() as u64,
        info["populations"][0]["spikes"].as_u64().unwrap()
    );
}
