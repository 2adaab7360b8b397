//! `engram run` on the astrocyte examples: the NEST tripartite network as a plain run, and the
//! retention experiment (shortened with --set) writing its table, JSON and plot.

use std::path::PathBuf;
use std::process::Command;

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/test-runs")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// `engram run --quiet --threads 2 [--out OUT] MODEL ARGS...`
fn run(out: Option<&PathBuf>, model: &str, args: &[&str]) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_engram"));
    c.args(["run", "--quiet", "--threads", "2"]);
    if let Some(out) = out {
        c.arg("--out").arg(out);
    }
    c.arg(example(model)).args(args).output().unwrap()
}

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples/astro")
        .join(name)
}

#[test]
fn nest_tripartite_example_runs_and_records() {
    let out = scratch("astro-nest");
    let res = run(Some(&out), "nest_tripartite.toml", &[]);
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    for f in [
        "astro.IP3.npy",
        "astro.Ca_astro.npy",
        "astro.h_IP3R.npy",
        "neuron.I_SIC.npy",
        "neuron.V_m.npy",
        "neuron.times.npy",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
}

#[test]
fn retention_experiment_writes_its_table() {
    let out = scratch("astro-retention");
    let res = run(
        Some(&out),
        "retention.toml",
        &[
            "--set",
            "experiment.trials=2",
            "--set",
            "experiment.settle=100.0",
            "--set",
            "experiment.delays=[0.0, 200.0]",
        ],
    );
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let table = String::from_utf8_lossy(&res.stdout);
    assert!(table.starts_with("condition"), "{table}");
    assert_eq!(table.lines().count(), 1 + 7 * 2, "{table}");
    let csv = std::fs::read_to_string(out.join("recall.csv")).unwrap();
    assert!(csv.starts_with("condition,delay_ms,trials,accuracy"));
    assert_eq!(csv.lines().count(), 1 + 7 * 2);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("recall.json")).unwrap()).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 14);
    assert!(std::fs::read(out.join("recall.png"))
        .unwrap()
        .starts_with(b"\x89PNG"));
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(info["status"], "complete");
}

#[test]
fn a_plain_run_still_needs_out() {
    let res = run(None, "nest_tripartite.toml", &[]);
    assert_eq!(res.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&res.stderr).contains("--out"));
}

#[test]
fn a_bad_condition_exits_2_naming_it() {
    let out = scratch("astro-badcond");
    let res = run(
        Some(&out),
        "retention.toml",
        &[
            "--set",
            "experiment.conditions.astro_off=[\"populations.units.params.tau_m=-1\"]",
        ],
    );
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(
        err.contains("experiment.conditions.astro_off") && err.contains("tau_m"),
        "{err}"
    );
    assert!(!out.exists(), "no run directory for bad input");
}

/// docs/ASTROCYTES.md's retention table is the example's output: the full experiment (48 trials
/// per point, one to two minutes on two cores, hence `--ignored`) prints every accuracy and
/// standard error of the table, cell for cell.
#[test]
#[ignore = "runs the full retention experiment (minutes)"]
fn retention_table_in_the_docs_is_the_example_output() {
    let out = scratch("astro-retention-full");
    let res = run(Some(&out), "retention.toml", &[]);
    let printed = String::from_utf8_lossy(&res.stdout);
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    // condition, delay_ms, trials, accuracy, ±se, ... per printed row.
    let cell = |condition: &str, delay: &str| -> String {
        printed
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|r| r.len() > 4 && r[0] == condition && r[1] == delay)
            .map(|r| format!("{} ± {}", r[3], r[4]))
            .unwrap_or_else(|| panic!("no row {condition} {delay}:\n{printed}"))
    };
    let conditions = [
        "astro_off",
        "kappa_theta_5",
        "kappa_theta_7_5",
        "kappa_theta_10",
        "kappa_theta_14",
        "kappa_I_1",
        "kappa_W_10",
    ];
    let doc = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/ASTROCYTES.md"),
    )
    .unwrap();
    let mut rows = 0;
    for line in doc.lines() {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let is_row = line.starts_with("| ")
            && cells.len() == 1 + conditions.len()
            && cells[0].parse::<u32>().is_ok();
        if !is_row {
            continue;
        }
        rows += 1;
        for (condition, documented) in conditions.iter().zip(&cells[1..]) {
            assert_eq!(
                &cell(condition, cells[0]),
                documented,
                "{condition} at {} ms",
                cells[0]
            );
        }
    }
    assert_eq!(rows, 8, "the table's delays");
}
