//! `engram cam` on the published E1 experiment: the recall table matches the ideal CAM, the run
//! directory holds every population's spikes, the weight matrices and the plots; a broken
//! experiment file is refused with exit code 2 and the offending key.

use std::path::PathBuf;
use std::process::Command;

use sim_core::npy::{read_npy_f64, read_npy_header};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn e1_through_the_command_line() {
    let out = repo()
        .join("target/test-runs")
        .join(format!("cam-e1-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let res = Command::new(env!("CARGO_BIN_EXE_engram"))
        .args(["cam", "examples/cam/e1_functional.toml", "--out"])
        .arg(&out)
        .current_dir(repo())
        .output()
        .expect("engram runs");
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let stdout = String::from_utf8_lossy(&res.stdout);
    assert!(
        stdout.contains("9 operations, 9 answered as an ideal CAM would"),
        "{stdout}"
    );

    let table: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("recall_table.json")).unwrap())
            .unwrap();
    assert_eq!(table.as_array().unwrap().len(), 9);
    assert!(table
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["matches"] == true));
    let csv = std::fs::read_to_string(out.join("recall_table.csv")).unwrap();
    assert_eq!(csv.lines().count(), 10, "header + 9 rows");

    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(info["status"], "complete");
    assert_eq!(info["duration_ms"], 90.0);
    let mut spikes = 0;
    for pop in info["populations"].as_array().unwrap() {
        let name = pop["name"].as_str().unwrap();
        let n = pop["spikes"].as_u64().unwrap();
        let (_, _, shape) = read_npy_header(out.join(format!("{name}.times.npy"))).unwrap();
        assert_eq!(shape, vec![n as usize]);
        spikes += n;
    }
    // The published recording of E1 holds 262 spikes besides the 60 input spikes.
    assert_eq!(spikes, 322);
    let (_, _, shape) = read_npy_header(out.join("weights_cue_to_content.npy")).unwrap();
    assert_eq!(shape, vec![5, 10]);
    let w = read_npy_f64(out.join("weights_content_to_cue.npy")).unwrap();
    assert_eq!(w.len(), 50);
    assert!(w.iter().all(|&x| (0.0..=6.0).contains(&x)));
    assert_eq!(
        &std::fs::read(out.join("raster.png")).unwrap()[..4],
        b"\x89PNG"
    );
}

#[test]
fn a_broken_experiment_exits_2_naming_the_key() {
    let dir = repo().join("target/test-runs");
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join(format!("bad-cam-{}.toml", std::process::id()));
    std::fs::write(
        &bad,
        "cues = 5\ncontent_bits = 10\n[[operations]]\nop = \"learn\"\ncue = 7\ncontent = [1]\n",
    )
    .unwrap();
    let res = Command::new(env!("CARGO_BIN_EXE_engram"))
        .arg("cam")
        .arg(&bad)
        .args(["--out"])
        .arg(dir.join("never"))
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(2));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(
        err.contains("operations[0]") && err.contains("cue 7 is out of range"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
}
