//! The real binary on broken model files: `engram run FILE --out DIR` exits with code 2, names
//! the key path on stderr, never panics, and writes no run directory.
//!
//! The cases are the library-level table of `networks/tests/modelfile_errors.rs`.

use std::path::PathBuf;
use std::process::Command;

#[path = "../networks/tests/modelfile_cases/broken.rs"]
mod broken;

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "engram-cli-model-errors-{tag}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch directory");
    d
}

#[test]
fn broken_model_files_exit_2_with_the_key_path() {
    let dir = scratch("cases");
    let mut failures = Vec::new();
    for (k, (name, text, expected)) in broken::broken_cases().iter().enumerate() {
        let file = dir.join(format!("case{k}.toml"));
        std::fs::write(&file, text).expect("write case");
        let out = dir.join(format!("out{k}"));
        let r = Command::new(env!("CARGO_BIN_EXE_engram"))
            .arg("run")
            .arg(&file)
            .arg("--out")
            .arg(&out)
            .arg("--quiet")
            .output()
            .expect("run engram");
        let stderr = String::from_utf8_lossy(&r.stderr);
        if stderr.contains("panicked") {
            failures.push(format!("{name}: panicked: {stderr}"));
        } else if r.status.code() != Some(2) {
            failures.push(format!(
                "{name}: exit {:?}, stderr: {stderr}",
                r.status.code()
            ));
        } else if !stderr.contains(expected) {
            failures.push(format!("{name}: '{expected}' not on stderr: {stderr}"));
        } else if !stderr.contains(&format!("case{k}.toml")) {
            failures.push(format!("{name}: the file is not named: {stderr}"));
        } else if out.exists() {
            failures.push(format!("{name}: a run directory was written"));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn bad_overrides_exit_2_naming_the_key() {
    let dir = scratch("set");
    let file = dir.join("base.toml");
    std::fs::write(
        &file,
        broken::model("duration = 10.0", broken::EXC, broken::PROJ),
    )
    .expect("write");
    for (set, expected) in [
        (
            "populations.exc.params.tau_mm=15",
            "populations.exc.params.tau_mm",
        ),
        ("populations.exd.size=3", "populations.exd"),
        ("projections.p.delay=0.05", "projections.p.delay"),
    ] {
        let r = Command::new(env!("CARGO_BIN_EXE_engram"))
            .arg("run")
            .arg(&file)
            .arg("--out")
            .arg(dir.join("out"))
            .arg("--quiet")
            .args(["--set", set])
            .output()
            .expect("run engram");
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{set}: {stderr}");
        assert!(stderr.contains(expected), "{set}: {stderr}");
        assert!(!stderr.contains("panicked"), "{set}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Numbers in error messages are shown readably: an extreme value is echoed in scientific
/// notation (it used to be echoed as 301 digits), and what is shown reads back as the value.
#[test]
fn extreme_values_are_echoed_readably() {
    let dir = scratch("readable");
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/cuba.toml");
    for (set, says) in [
        (
            "duration=1e300",
            "duration = 1e300: 1e300 ms is 1e301 steps",
        ),
        (
            "populations.exc.params.cm=-1e-300",
            "populations.exc.params.cm = -1e-300: must be > 0",
        ),
    ] {
        let r = Command::new(env!("CARGO_BIN_EXE_engram"))
            .args(["run", model, "--set", set, "--quiet", "--out"])
            .arg(dir.join("never"))
            .output()
            .expect("run engram");
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{set}: {stderr}");
        assert!(stderr.contains(says), "{set}: {stderr}");
        let longest_number = stderr
            .split(|c: char| !c.is_ascii_digit())
            .map(str::len)
            .max()
            .unwrap_or(0);
        assert!(longest_number <= 20, "{set}: {stderr}");
    }
}
