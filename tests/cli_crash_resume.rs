//! A run killed with SIGKILL keeps valid spike files and says it did not complete; resumed from
//! its last checkpoint it finishes with output identical to an uninterrupted run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sim_core::npy::{read_npy_f64, read_npy_u32};

fn engram() -> Command {
    Command::new(env!("CARGO_BIN_EXE_engram"))
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn status(dir: &Path) -> String {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    v["status"].as_str().unwrap().to_string()
}

const ARGS: [&str; 6] = [
    "--set",
    "duration=20000",
    "--threads",
    "1",
    "--quiet",
    "--seed",
];

#[test]
fn killed_run_resumes_to_identical_output() {
    let base = repo()
        .join("target/test-runs")
        .join(format!("crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let (full, killed) = (base.join("full"), base.join("killed"));
    let model = repo().join("examples/cuba.toml");

    let ok = engram()
        .arg("run")
        .arg(&model)
        .arg("--out")
        .arg(&full)
        .args(ARGS)
        .arg("5")
        .status()
        .unwrap();
    assert!(ok.success());
    assert_eq!(status(&full), "complete");

    let mut child = engram()
        .arg("run")
        .arg(&model)
        .arg("--out")
        .arg(&killed)
        .args(ARGS)
        .arg("5")
        .args(["--checkpoint-every", "1000"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while !killed.join("checkpoint.bin").exists() {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "no checkpoint written"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(
        status(&killed),
        "running",
        "the killed run must not claim completion"
    );
    // What was flushed before the kill is a valid file.
    let t_partial = read_npy_f64(killed.join("exc.times.npy")).unwrap();
    let s_partial = read_npy_u32(killed.join("exc.senders.npy")).unwrap();
    assert_eq!(t_partial.len(), s_partial.len());
    let t_full = read_npy_f64(full.join("exc.times.npy")).unwrap();
    assert!(t_partial.len() < t_full.len(), "killed before the end");
    assert_eq!(
        t_partial[..],
        t_full[..t_partial.len()],
        "flushed spikes are the run's spikes"
    );

    let res = engram()
        .arg("run")
        .arg("--resume")
        .arg(&killed)
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert_eq!(status(&killed), "complete");
    // It continued from the checkpoint (at a multiple of 1000 ms = 10000 steps), not from 0.
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(killed.join("run.json")).unwrap()).unwrap();
    let resumed_at = info["extra"]["resumed_at_step"]
        .as_u64()
        .expect("resumed_at_step");
    assert!(
        resumed_at > 0 && resumed_at.is_multiple_of(10_000),
        "{resumed_at}"
    );
    for pop in ["exc", "inh"] {
        assert_eq!(
            read_npy_f64(full.join(format!("{pop}.times.npy"))).unwrap(),
            read_npy_f64(killed.join(format!("{pop}.times.npy"))).unwrap(),
            "{pop} times"
        );
        assert_eq!(
            read_npy_u32(full.join(format!("{pop}.senders.npy"))).unwrap(),
            read_npy_u32(killed.join(format!("{pop}.senders.npy"))).unwrap(),
            "{pop} senders"
        );
    }
    for f in ["exc.v.npy", "exc.v.times.npy"] {
        assert_eq!(
            read_npy_f64(full.join(f)).unwrap(),
            read_npy_f64(killed.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn resume_without_a_checkpoint_is_a_clear_error() {
    let dir = repo()
        .join("target/test-runs")
        .join(format!("nocp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let res = engram()
        .arg("run")
        .arg("--resume")
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(2));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(
        err.contains("checkpoint.bin") && err.contains("--checkpoint-every"),
        "{err}"
    );
}
