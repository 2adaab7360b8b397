//! `engram analyse`: the statistics of a run directory (table, analysis.json, figure), the KS
//! distances of `--against` (0 against itself), `bench --presim` leaving the presimulation
//! out of the counts, and bad input as input errors naming the option or file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn engram(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_engram"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn small_run(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    ok(engram(&[
        "run",
        "examples/microcircuit.toml",
        "--set",
        "microcircuit.scale=0.02",
        "--set",
        "duration=300",
        "--quiet",
        "--out",
        dir.to_str().unwrap(),
    ]));
    dir
}

#[test]
fn analyse_writes_statistics_and_ks_distances() {
    let dir = small_run("analyse_run");
    let d = dir.to_str().unwrap();
    let table = ok(engram(&["analyse", d, "--from", "100", "--against", d]));
    assert!(table.contains("| L23E | 414 |"), "{table}");
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("analysis.json")).unwrap()).unwrap();
    let pops = json["populations"].as_array().unwrap();
    assert_eq!(pops.len(), 8);
    let l23e = &pops[0];
    assert_eq!(l23e["rates"].as_array().unwrap().len(), 414);
    // 50 neurons: at most 1225 pairs.
    assert!(l23e["ccs"].as_array().unwrap().len() <= 1225);
    let spikes: u64 = {
        let run: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
        run["populations"][0]["spikes"].as_u64().unwrap()
    };
    let mean_rate = l23e["rate_hz"]["mean"].as_f64().unwrap();
    assert!(mean_rate > 0.0 && mean_rate * 0.2 * 414.0 <= spikes as f64 + 1e-9);
    for row in json["against"]["ks"].as_array().unwrap() {
        for stat in ["rate", "cv", "cc"] {
            assert_eq!(row[stat].as_f64(), Some(0.0), "{row}");
        }
    }
    assert!(dir.join("analysis.png").exists() && dir.join("analysis.svg").exists());
}

#[test]
fn bad_input_is_an_input_error() {
    let dir = small_run("analyse_bad");
    let d = dir.to_str().unwrap();
    for (args, says) in [
        (vec!["analyse", d, "--from", "400"], "--from/--to"),
        (vec!["analyse", d, "--bin", "0"], "--bin"),
        (vec!["analyse", d, "--subsample", "1"], "--subsample"),
        (vec!["analyse", "no/such/run"], "no/such/run/run.json"),
    ] {
        let out = engram(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

#[test]
fn bench_presim_is_left_out_of_the_timed_counts() {
    let args = [
        "bench",
        "examples/microcircuit.toml",
        "--set",
        "microcircuit.scale=0.02",
        "--set",
        "duration=50",
        "--record",
        "none",
        "--json",
    ];
    let plain: Value = serde_json::from_str(&ok(engram(&args))).unwrap();
    let with: Value =
        serde_json::from_str(&ok(engram(&[&args[..], &["--presim", "50"]].concat()))).unwrap();
    assert_eq!(
        (plain["seconds"].as_f64(), with["seconds"].as_f64()),
        (Some(0.05), Some(0.05))
    );
    assert_eq!(with["presim_ms"].as_f64(), Some(50.0));
    // The timed 50 ms after a presimulation are another 50 ms: other spikes.
    assert_ne!(plain["spikes"], with["spikes"]);
}
