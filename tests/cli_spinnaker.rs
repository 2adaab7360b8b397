//! `--backend spinnaker` through the command line: the CA3 memory on the board answers as the
//! ideal CAM and writes its run report; broken routing tables fail the run (exit 1, run
//! directory marked failed); a model at dt = 0.1 ms runs through delay-extension cores and one
//! whose dt is not a whole number of microseconds is refused (exit 2); a model file's
//! `[experiment]` runs its trials on the board.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hw_export::machine::Machine;
use hw_export::{map_network, save_tables, MapOptions};
use networks::ca3;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn out_dir(name: &str) -> PathBuf {
    let d = repo()
        .join("target/test-runs")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn engram(args: &[&str], out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_engram"))
        .args(args)
        .arg("--out")
        .arg(out)
        .current_dir(repo())
        .output()
        .expect("engram runs")
}

fn json(path: PathBuf) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

#[test]
fn cam_on_the_board_answers_as_an_ideal_cam_and_reports() {
    let out = out_dir("spinn-cam-e1");
    let res = engram(
        &[
            "cam",
            "examples/cam/e1_functional.toml",
            "--backend",
            "spinnaker",
        ],
        &out,
    );
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(res.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&res.stdout).contains("9 answered as an ideal CAM would"));
    assert!(stderr.contains("spinnaker (spinn5): 90 ticks"), "{stderr}");
    let report = json(out.join("spinnaker_report.json"));
    assert_eq!(report["ok"], true);
    assert_eq!(report["packets"]["dropped"], 0);
    assert_eq!(report["cores"].as_array().unwrap().len(), 10);
    let run = json(out.join("run.json"));
    assert_eq!(run["status"], "complete");
    assert_eq!(run["backend"], "spinnaker");
    // The same files as the CPU backend writes.
    for f in [
        "OLayer.times.npy",
        "weights_cue_to_content.npy",
        "recall_table.json",
        "raster.png",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
}

#[test]
fn broken_routing_tables_fail_the_run() {
    // The tables the command line would load for E1, minus every entry on chip (0, 0) that
    // routes the cue layer's keys.
    let exp = ca3::load_experiment(repo().join("examples/cam/e1_functional.toml")).unwrap();
    let (memory, _) = ca3::prepare(exp.size, &exp.schedule, exp.min_steps, exp.seed).unwrap();
    let m = map_network(&memory.network, &Machine::spinn5(), &MapOptions::default()).unwrap();
    let s = m.pop_slices(ca3::CUE_CUE).unwrap().start;
    let key = m.keys[s].0;
    let mut tables = m.compressed.clone();
    for t in &mut tables {
        t.entries.retain(|e| !e.matches(key));
    }
    let out = out_dir("spinn-cam-broken");
    std::fs::create_dir_all(&out).unwrap();
    let file = out.join("broken_tables.json");
    save_tables(&file, &tables).unwrap();
    let res = engram(
        &[
            "cam",
            "examples/cam/e1_functional.toml",
            "--backend",
            "spinnaker",
            "--quiet",
            "--routing-tables",
            file.to_str().unwrap(),
        ],
        &out,
    );
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("packets dropped"), "{stderr}");
    let run = json(out.join("run.json"));
    assert_eq!(run["status"], "failed");
    let report = json(out.join("spinnaker_report.json"));
    assert_eq!(report["ok"], false);
    assert!(report["packets"]["dropped"].as_u64().unwrap() > 0);
    assert!(
        report["packets"]["dropped_by_reason"]["no_route_at_source"]
            .as_u64()
            .unwrap()
            > 0
    );
}

/// dt = 0.1 ms with delays up to 45 steps runs, through delay-extension cores; a time step
/// that is not a whole number of microseconds is refused.
#[test]
fn a_model_at_a_tenth_of_a_millisecond_runs_and_a_fraction_of_a_microsecond_is_refused() {
    let out = out_dir("spinn-run-dt");
    let res = engram(
        &[
            "run",
            "examples/long_delays.toml",
            "--backend",
            "spinnaker",
            "--set",
            "duration=100.0",
        ],
        &out,
    );
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(0), "{stderr}");
    let run = json(out.join("run.json"));
    assert_eq!(run["status"], "complete");
    assert_eq!(run["dt_ms"], 0.1);
    let report = json(out.join("spinnaker_report.json"));
    assert_eq!(report["ok"], true);
    assert_eq!(report["budget_cycles_per_tick"], 20000.0);
    assert!(report["cores"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["kind"] == "delay_extension" && c["packets_sent_delayed"].as_u64() > Some(0)));

    let model = out_dir("spinn-run-dt-bad").with_extension("toml");
    std::fs::create_dir_all(model.parent().unwrap()).unwrap();
    std::fs::write(
        &model,
        "dt = 0.0025\nduration = 1.0\n\n[populations.c]\ncell_type = \"IF_curr_exp\"\nsize = 4\n",
    )
    .unwrap();
    let res = engram(
        &["run", model.to_str().unwrap(), "--backend", "spinnaker"],
        &out_dir("spinn-run-dt-bad-out"),
    );
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("dt = 0.0025 ms") && stderr.contains("whole number of microseconds"),
        "{stderr}"
    );
}

#[test]
fn a_model_file_runs_on_the_board_into_the_usual_run_directory() {
    let out = out_dir("spinn-run-poisson");
    std::fs::create_dir_all(&out).unwrap();
    let model = out.join("model_in.toml");
    std::fs::write(
        &model,
        r#"
dt = 1.0
duration = 200.0
seed = 7

[populations.noise]
cell_type = "SpikeSourcePoisson"
size = 50
params = { rate = 40.0 }
record = ["spikes"]

[populations.cells]
cell_type = "IF_curr_exp"
size = 20
integration = "spynnaker"
params = { tau_m = 10.0, cm = 0.25, v_thresh = -55.0, tau_refrac = 2.0 }
record = ["spikes", "v"]
record_neurons = 2

[projections.drive]
pre = "noise"
post = "cells"
connector = { type = "FixedProbabilityConnector", p_connect = 0.3 }
receptor_type = "excitatory"
weight = 0.6
delay = 1.0
"#,
    )
    .unwrap();
    let res = engram(
        &[
            "run",
            model.to_str().unwrap(),
            "--backend",
            "spinnaker",
            "--quiet",
        ],
        &out.join("run"),
    );
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(res.status.success(), "{stderr}");
    let dir = out.join("run");
    for f in [
        "cells.times.npy",
        "cells.senders.npy",
        "noise.times.npy",
        "cells.v.npy",
        "spinnaker_report.json",
    ] {
        assert!(dir.join(f).exists(), "{f}");
    }
    let run = json(dir.join("run.json"));
    assert_eq!(run["status"], "complete");
    assert!(run["spikes"].as_u64().unwrap() > 0);
    let report = json(dir.join("spinnaker_report.json"));
    assert_eq!(report["ok"], true);
    assert!(report["cores"][1]["synaptic_events"].as_u64().unwrap() > 0);
}

/// What the board cannot run is refused as bad input, naming the population or projection.
#[test]
fn unsupported_models_and_delays_are_refused_with_exit_code_2() {
    let out = out_dir("spinn-run-unsupported");
    std::fs::create_dir_all(&out).unwrap();
    let cases = [
        (
            "cond.toml",
            "[populations.c]\ncell_type = \"IF_cond_exp\"\nsize = 4\nparams = { tau_refrac = 1.0 }\n",
            "population 'c': cell type IF_cond_exp is not implemented",
        ),
        (
            "delay.toml",
            "[populations.c]\ncell_type = \"IF_curr_exp\"\nsize = 4\nparams = { tau_refrac = 1.0 }\n\n[projections.p]\npre = \"c\"\npost = \"c\"\nconnector = { type = \"AllToAllConnector\" }\nweight = 0.1\ndelay = 150.0\n",
            "projection p: delay of 150 steps (150 ms); SpiNNaker holds at most 144 steps",
        ),
    ];
    for (file, body, message) in cases {
        let model = out.join(file);
        std::fs::write(&model, format!("dt = 1.0\nduration = 10.0\n\n{body}")).unwrap();
        let res = engram(
            &["run", model.to_str().unwrap(), "--backend", "spinnaker"],
            &out.join(file.replace(".toml", "")),
        );
        let stderr = String::from_utf8_lossy(&res.stderr);
        assert_eq!(res.status.code(), Some(2), "{file}: {stderr}");
        assert!(stderr.contains(message), "{file}: {stderr}");
    }
    let res = engram(
        &[
            "run",
            "examples/cuba_1ms.toml",
            "--backend",
            "spinnaker",
            "--machine",
            "7x7",
        ],
        &out.join("machine"),
    );
    assert_eq!(res.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&res.stderr).contains("--machine 7x7"));
}

/// A model file's `[experiment]` runs its trials on the board too; a trial whose packets are
/// lost (here: routers without tables) fails the run.
#[test]
fn a_model_file_experiment_runs_its_trials_on_the_board() {
    let out = out_dir("spinn-run-experiment");
    std::fs::create_dir_all(&out).unwrap();
    let model = out.join("recall.toml");
    std::fs::write(
        &model,
        r#"
dt = 1.0
duration = 100.0
seed = 3

[populations.units]
cell_type = "IF_curr_exp"
size = 40
integration = "spynnaker"
params = { tau_m = 10.0, cm = 0.25, v_thresh = -55.0, tau_refrac = 2.0 }

[populations.noise]
cell_type = "SpikeSourcePoisson"
size = 40
params = { rate = 20.0 }

[projections.noise_units]
pre = "noise"
post = "units"
connector = { type = "OneToOneConnector" }
weight = 0.5
delay = 1.0

[experiment]
type = "delayed_recall"
readout = "units"
items = 4
settle = 50.0
cue = { rate = 300.0, duration = 50.0, weight = 1.0 }
probe = { rate = 60.0, duration = 30.0, weight = 0.8 }
delays = [0.0, 50.0]
trials = 4

[experiment.conditions]
base = []
"#,
    )
    .unwrap();
    let model = model.to_str().unwrap();
    let res = engram(
        &["run", model, "--backend", "spinnaker", "--quiet"],
        &out.join("run"),
    );
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(res.status.success(), "{stderr}");
    let run = json(out.join("run/run.json"));
    assert_eq!(run["status"], "complete");
    assert_eq!(run["backend"], "spinnaker");
    assert_eq!(run["extra"]["recall"].as_array().unwrap().len(), 2);
    let csv = std::fs::read_to_string(out.join("run/recall.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");

    let no_tables = out.join("no_tables.json");
    save_tables(&no_tables, &[]).unwrap();
    let res = engram(
        &[
            "run",
            model,
            "--backend",
            "spinnaker",
            "--quiet",
            "--routing-tables",
            no_tables.to_str().unwrap(),
        ],
        &out.join("broken"),
    );
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("packets dropped"), "{stderr}");
    assert_eq!(json(out.join("broken/run.json"))["status"], "failed");
}
