//! `engram export spinnaker` end to end, checked by PACMAN's own code: the routing tables load
//! in PACMAN's reader and pass its three equivalence checkers (PACMAN `compare_tables`, rig
//! `table_is_subset_of` and the exact ternary-cube check of `pacman_roundtrip.py`), a corrupted
//! compressed file fails them, and the placements and machine files validate against PACMAN's
//! schemas and equal SpiNNMachine's own virtual machine. Needs the Python tools that
//! `scripts/setup-python.sh` installs (the README's test command runs it first).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hw_export::formats::pacman_json::{read_pacman_json, write_pacman_json};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The venv's Python; fails (never skips) when it is missing.
fn python() -> PathBuf {
    let py = root().join("target/python-tools/bin/python");
    assert!(
        py.exists(),
        "{} is missing: run scripts/setup-python.sh (installs spinnaker-pacman 1!7.4.1 and \
         rig 2.4.1 for the PACMAN interoperability tests)",
        py.display()
    );
    py
}

fn out_dir(name: &str) -> PathBuf {
    let d = root()
        .join("target/test-runs")
        .join(format!("export-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn export(model: &str, machine: &str, out: &Path, extra: &[&str]) -> String {
    let res = Command::new(env!("CARGO_BIN_EXE_engram"))
        .args(["export", "spinnaker", model, "--machine", machine, "--out"])
        .arg(out)
        .args(extra)
        .current_dir(root())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&res.stdout).to_string();
    assert!(
        res.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&res.stderr)
    );
    stdout
}

/// Runs `engram export spinnaker ARGS --out OUT`, expected to fail: (exit code, stderr).
fn export_failing(args: &[&str], out: &Path) -> (Option<i32>, String) {
    let res = Command::new(env!("CARGO_BIN_EXE_engram"))
        .args(["export", "spinnaker"])
        .args(args)
        .arg("--out")
        .arg(out)
        .current_dir(root())
        .output()
        .unwrap();
    (
        res.status.code(),
        String::from_utf8_lossy(&res.stderr).to_string(),
    )
}

fn roundtrip(uncompressed: &Path, compressed: &Path) -> Output {
    Command::new(python())
        .arg(root().join("../shared/tools/pacman_roundtrip.py"))
        .arg("--input")
        .arg(uncompressed)
        .arg("--compressed")
        .arg(compressed)
        .args(["--only", "pair"])
        .output()
        .unwrap()
}

/// PACMAN reads our tables, its checkers pass, and a corrupted copy fails them.
fn check_with_pacman(out: &Path) {
    let (unc, comp) = (
        out.join("routing_tables.json"),
        out.join("routing_tables_compressed.json"),
    );
    let res = roundtrip(&unc, &comp);
    let text = String::from_utf8_lossy(&res.stdout).to_string();
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(
        res.status.success(),
        "pacman_roundtrip failed:\n{text}\n{err}"
    );
    assert!(
        text.contains("json round trip: OK (schema-valid, entry-for-entry equal)"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("--compressed") && l.ends_with("; 0 table(s) failing")),
        "{text}"
    );
    assert!(
        text.contains("detected ours=True pacman=True rig=True"),
        "{text}"
    );
    // PACMAN's pair compressor output passes all three checkers too (0 0 0 in its row).
    let pair = text
        .lines()
        .find(|l| l.starts_with("pair "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(pair.trim_end().ends_with("0      0      0"), "{pair}");

    // Negative control: flip a core bit in the first entry that delivers to a core.
    let mut tables = read_pacman_json(&comp).unwrap();
    let (ti, ei) = tables
        .iter()
        .enumerate()
        .find_map(|(ti, t)| {
            t.entries
                .iter()
                .position(|e| e.route >> 6 != 0)
                .map(|ei| (ti, ei))
        })
        .expect("some entry delivers to a core");
    let route = tables[ti].entries[ei].route;
    let core = (route >> 6).trailing_zeros();
    tables[ti].entries[ei].route ^= 1 << (6 + core);
    let bad = out.join("corrupted_compressed.json");
    write_pacman_json(&bad, &tables).unwrap();
    let res = roundtrip(&unc, &bad);
    let text = String::from_utf8_lossy(&res.stdout);
    assert!(
        !res.status.success(),
        "a corrupted table passed PACMAN's checks:\n{text}"
    );
    assert!(text.contains("1 table(s) failing"), "{text}");
}

/// `down` lists dead chips in SpiNNMachine's syntax ("x,y:x,y"), "" for none.
fn check_files(out: &Path, version: &str, w: u32, h: u32, down: &str) {
    let res = Command::new(python())
        .arg(root().join("scripts/pacman_check_files.py"))
        .arg(out)
        .args([version, &w.to_string(), &h.to_string()])
        .args((!down.is_empty()).then_some(down))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&res.stdout);
    assert!(
        res.status.success() && text.contains("files: OK"),
        "{text}\n{}",
        String::from_utf8_lossy(&res.stderr)
    );
}

#[test]
fn cuba_export_loads_in_pacman_and_passes_its_checkers() {
    let out = out_dir("cuba");
    let stdout = export("examples/cuba.toml", "spinn5", &out, &[]);
    assert!(stdout.contains("verification: ok (4000 keys"), "{stdout}");
    for f in [
        "routing_tables.json",
        "routing_tables_compressed.json",
        "placements.json",
        "machine.json",
        "keys.json",
        "report.json",
        "report.txt",
        "network.py",
        "router_images/0_0.spinnman.bin",
        "router_images/0_0.fec_compressor.bin",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    check_with_pacman(&out);
    check_files(&out, "5", 8, 8, "");
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn ca3_memory_export_loads_in_pacman_and_passes_its_checkers() {
    let out = out_dir("ca3");
    let stdout = export("examples/cam/e1_functional.toml", "spinn5", &out, &[]);
    assert!(stdout.contains("verification: ok (71 keys"), "{stdout}");
    check_with_pacman(&out);
    check_files(&out, "5", 8, 8, "");
    // The 1000-cue x 256-bit memory: 42 cores on 3 chips.
    let out2 = out_dir("ca3-scale");
    let stdout = export("examples/cam/scale_1000x256.toml", "spinn5", &out2, &[]);
    assert!(stdout.contains("verification: ok (5281 keys"), "{stdout}");
    check_with_pacman(&out2);
    // An experiment file that names the size n/m is recognised too.
    let out3 = out_dir("ca3-nm");
    let stdout = export("examples/cam/large_64x32.toml", "spinn3", &out3, &[]);
    assert!(stdout.contains("verification: ok"), "{stdout}");
    for d in [out, out2, out3] {
        std::fs::remove_dir_all(&d).ok();
    }
}

#[test]
fn multi_chip_routes_with_a_dead_chip_pass_pacman_checkers() {
    // A source whose target lies chips away on a three-board torus: its packets pass chips
    // without targets, some straight through (defaultable entries); one chip is dead.
    let out = out_dir("multi");
    let stdout = export(
        "tests/data/far_target.toml",
        "12x12",
        &out,
        &["--neurons-per-core", "16", "--dead-chip", "2,2"],
    );
    assert!(stdout.contains("verification: ok"), "{stdout}");
    let tables = read_pacman_json(&out.join("routing_tables.json")).unwrap();
    let defaultable = tables
        .iter()
        .flat_map(|t| &t.entries)
        .filter(|e| e.defaultable)
        .count();
    assert!(defaultable > 0, "no pass-through chip in the routes");
    assert!(tables.len() > 16);
    assert!(tables.iter().all(|t| (t.x, t.y) != (2, 2)));
    let placements: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("placements.json")).unwrap())
            .unwrap();
    assert!(placements
        .as_array()
        .unwrap()
        .iter()
        .all(|p| (p["x"].as_u64(), p["y"].as_u64()) != (Some(2), Some(2))));
    check_with_pacman(&out);
    check_files(&out, "5", 12, 12, "2,2");
    std::fs::remove_dir_all(&out).ok();
}

/// dt = 0.1 ms and delays drawn up to 6 ms (E) and 3 ms (I): every population gets a delay
/// extension sized by its delay distribution's upper bound, as sPyNNaker sizes them, whose
/// cores, keys and routes (source -> extension -> targets) are in the files PACMAN checks; the
/// report counts the extension cores and gives every core's real-time budget.
#[test]
fn long_delays_export_with_delay_extensions_passes_pacman_checkers() {
    let out = out_dir("long-delays");
    let stdout = export("examples/long_delays.toml", "spinn5", &out, &[]);
    // 1000 neuron keys plus each extension slice's neurons times its stages: 60 steps need 3
    // stages of 16 beyond the row's 16 (800 E neurons), 30 steps need 1 (200 I neurons).
    assert!(stdout.contains("verification: ok (3600 keys"), "{stdout}");
    assert!(stdout.contains("16 neuron, 16 delay extension"), "{stdout}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let summary = &report["summary"];
    assert_eq!(summary["delay_extension_cores"], 16);
    assert_eq!(summary["dt_ms"], 0.1);
    assert_eq!(summary["budget_cycles_per_tick"], 20000.0);
    assert!(summary["max_table_uncompressed"].as_u64() >= summary["max_table"].as_u64());
    let cores = report["cores"].as_array().unwrap();
    assert_eq!(
        cores
            .iter()
            .filter(|c| c["kind"] == "delay_extension"
                && c["label"].as_str().unwrap().contains("_delayed:"))
            .count(),
        16
    );
    let keys: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("keys.json")).unwrap()).unwrap();
    assert_eq!(
        keys.as_array()
            .unwrap()
            .iter()
            .filter(|k| k["stages"].as_u64() > Some(0))
            .count(),
        16
    );
    check_with_pacman(&out);
    check_files(&out, "5", 8, 8, "");
    // Keeping 256 neurons per core, the report names the cores that miss real time and by how
    // much.
    let fixed = out_dir("long-delays-fixed");
    let stdout = export(
        "examples/long_delays.toml",
        "spinn5",
        &fixed,
        &["--fixed-neurons-per-core"],
    );
    assert!(stdout.contains("6 cores miss real time"), "{stdout}");
    assert!(
        stdout.contains("not_real_time at E1: 2 of 2 cores"),
        "{stdout}"
    );
    let text = std::fs::read_to_string(fixed.join("report.txt")).unwrap();
    assert!(text.contains("cores missing real time (6 of 12"), "{text}");
    check_with_pacman(&fixed);
    for d in [out, fixed] {
        std::fs::remove_dir_all(&d).ok();
    }
}

/// The cortical microcircuit at 2 % of its neurons (full in-degrees, 6 × 10⁶ synapses) at
/// dt = 0.1 ms: delays drawn normal (1.5 ± 0.75 ms excitatory, 0.75 ± 0.375 ms inhibitory) reach
/// beyond a row's 16 steps from every population, so every neuron slice has a delay-extension
/// slice; the tables pass PACMAN's checkers and the files its schemas. The full-scale export
/// (docs/MICROCIRCUIT.md) is the same command on a 24 × 24 machine.
#[test]
fn microcircuit_export_with_delay_extensions_passes_pacman_checkers() {
    let out = out_dir("microcircuit");
    let stdout = export(
        "examples/microcircuit.toml",
        "spinn5",
        &out,
        &["--set", "microcircuit.scale=0.02"],
    );
    assert!(
        stdout.contains("mapped 1544 neurons, 5977620 synapses"),
        "{stdout}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let summary = &report["summary"];
    assert_eq!(summary["dt_ms"], 0.1);
    assert_eq!(summary["verified"], true);
    assert_eq!(summary["tables_over_capacity"], 0);
    let neuron_cores = summary["neuron_cores"].as_u64().unwrap();
    assert!(neuron_cores >= 8, "{summary}");
    assert_eq!(
        summary["delay_extension_cores"].as_u64(),
        Some(neuron_cores)
    );
    // Every key of a neuron and of each stage of its extension is walked: more than one
    // stage's worth beyond the 1544 neuron keys.
    assert!(
        summary["keys_verified"].as_u64().unwrap() > 2 * 1544,
        "{summary}"
    );
    check_with_pacman(&out);
    check_files(&out, "5", 8, 8, "");
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn spinn3_export_passes_pacman_file_checks() {
    let out = out_dir("spinn3");
    export("examples/cam/e1_functional.toml", "spinn3", &out, &[]);
    check_with_pacman(&out);
    check_files(&out, "3", 2, 2, "");
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn bad_input_exits_2_naming_the_problem() {
    let out = out_dir("bad");
    let run = |args: &[&str]| export_failing(args, &out);
    let (code, err) = run(&["examples/cuba.toml", "--machine", "spinn7"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--machine spinn7") && err.contains("spinn5"),
        "{err}"
    );
    let (code, err) = run(&["examples/cuba.toml", "--machine", "10x12"]);
    assert_eq!(code, Some(2), "{err}");
    let (code, err) = run(&[
        "examples/cuba.toml",
        "--set",
        "populations.exc.params.tau_m=-3",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("examples/cuba.toml") && err.contains("populations.exc.params.tau_m"),
        "{err}"
    );
    let (code, err) = run(&["examples/cuba.toml", "--dead-chip", "9,9"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--dead-chip 9,9"), "{err}");
    let (code, err) = run(&["no/such/model.toml"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("no/such/model.toml"), "{err}");
    let bad_exp = root().join("target/test-runs/bad-experiment.toml");
    std::fs::create_dir_all(bad_exp.parent().unwrap()).unwrap();
    std::fs::write(&bad_exp, "cues = 0\ncontent_bits = 4\n").unwrap();
    let (code, err) = run(&[bad_exp.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("bad-experiment.toml"), "{err}");
}

#[test]
fn a_network_too_big_for_the_machine_fails_with_the_numbers() {
    let out = out_dir("toobig");
    let (code, err) = export_failing(
        &[
            "examples/cuba.toml",
            "--machine",
            "spinn3",
            "--neurons-per-core",
            "8",
        ],
        &out,
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("500 slices") && err.contains("64 application cores"),
        "{err}"
    );
}

#[test]
fn graded_astrocyte_coupling_is_refused_not_dropped() {
    let out = out_dir("graded");
    let (code, err) = export_failing(
        &["examples/astro/nest_tripartite.toml", "--machine", "spinn5"],
        &out,
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("projection sic") && err.contains("graded"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn short_term_plasticity_is_refused_not_exported_as_static() {
    let out = out_dir("tsodyks");
    std::fs::create_dir_all(&out).unwrap();
    let model = out.join("tsodyks.toml");
    std::fs::write(
        &model,
        r#"dt = 0.1
duration = 100.0

[populations.pre]
cell_type = "SpikeSourcePoisson"
size = 10
params = { rate = 20.0 }

[populations.post]
cell_type = "IF_curr_exp"
size = 10

[projections.depressing]
pre = "pre"
post = "post"
connector = { type = "AllToAllConnector" }
weight = 0.5
delay = 1.0
synapse = { type = "TsodyksMarkramSynapse", U = 0.5, tau_rec = 800.0, tau_facil = 0.0 }
"#,
    )
    .unwrap();
    let (code, err) = export_failing(
        &[model.to_str().unwrap(), "--machine", "spinn5"],
        &out.join("files"),
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("projection 'depressing'") && err.contains("TsodyksMarkramSynapse"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

/// (population, first neuron) of every slice in our keys.json.
fn our_slices(out: &Path) -> std::collections::BTreeSet<(String, u64)> {
    let keys: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("keys.json")).unwrap()).unwrap();
    keys.as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["population"].as_str().unwrap().to_string(),
                k["first"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Run the exported network.py with sPyNNaker on a virtual SpiNN-5 board (sPyNNaker maps the
/// network with its own partitioner, placer and router and generates all its data, but loads
/// nothing). Returns sPyNNaker's placements and routing tables (its JSON reports).
fn run_on_spynnaker(out: &Path) -> (serde_json::Value, Vec<hw_export::RoutingTable>) {
    let home = out.join("spynnaker-home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        home.join(".spynnaker.cfg"),
        "[Machine]\nvirtual_board = True\nversion = 5\n\n[Reports]\n\
         write_json_placements = True\nwrite_json_routing_tables = True\nkeep_json_files = True\n",
    )
    .unwrap();
    let res = Command::new(python())
        .arg("network.py")
        .current_dir(out)
        .env("HOME", &home)
        .output()
        .unwrap();
    let log = format!(
        "{}\n{}",
        String::from_utf8_lossy(&res.stdout),
        String::from_utf8_lossy(&res.stderr)
    );
    assert!(
        res.status.success(),
        "network.py failed under sPyNNaker:\n{log}"
    );
    let run = std::fs::read_dir(out.join("reports"))
        .unwrap()
        .map(|e| e.unwrap().path().join("run_1/json_files"))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("no sPyNNaker JSON reports:\n{log}"));
    let placements =
        serde_json::from_str(&std::fs::read_to_string(run.join("placements.json")).unwrap())
            .unwrap();
    let tables = read_pacman_json(&run.join("routing_tables.json")).unwrap();
    (placements, tables)
}

/// Per routing entry, where it sends a packet: the populations placed on the cores of its route
/// (by `placements`, PACMAN's JSON: engram's labels `pop:lo-hi`, sPyNNaker's `pop(lo:hi)` or
/// `pop_Neurons:lo`) and its links, sorted so that two table sets compare whatever their keys.
fn entry_targets(
    tables: &[hw_export::RoutingTable],
    placements: &serde_json::Value,
) -> Vec<(Vec<String>, u32)> {
    let population_at = |x: u64, y: u64, p: u32| -> String {
        let label = placements
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["x"] == x && v["y"] == y && v["p"] == p)
            .and_then(|v| v["vertex_label"].as_str())
            .unwrap_or_else(|| panic!("no placement on ({x},{y},{p})"));
        let end = label.find(['(', ':']).unwrap_or(label.len());
        label[..end].trim_end_matches("_Neurons").to_string()
    };
    let mut out: Vec<(Vec<String>, u32)> = tables
        .iter()
        .flat_map(|t| {
            t.entries.iter().map(move |e| {
                let mut pops: Vec<String> = (0..18)
                    .filter(|p| e.route >> (6 + p) & 1 == 1)
                    .map(|p| population_at(t.x as u64, t.y as u64, p))
                    .collect();
                pops.sort();
                (pops, e.route & 0x3f)
            })
        })
        .collect();
    out.sort();
    out
}

/// sPyNNaker's application slices as (population, first neuron): labels `pop(lo:hi)` for one
/// core per slice, `pop_Neurons:lo` where it splits neurons and synapses over two cores.
fn spynnaker_slices(placements: &serde_json::Value) -> std::collections::BTreeSet<(String, u64)> {
    placements
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| {
            let label = p["vertex_label"].as_str().unwrap();
            if let Some((pop, rest)) = label.split_once('(') {
                let lo = rest.split(':').next()?.parse().ok()?;
                return (!label.starts_with("SYSTEM")).then(|| (pop.to_string(), lo));
            }
            let (pop, lo) = label.split_once("_Neurons:")?;
            Some((pop.to_string(), lo.parse().ok()?))
        })
        .collect()
}

#[test]
fn pynn_script_builds_and_maps_on_spynnaker() {
    // The CA3 memory: SpikeSourceArray input, IF_curr_exp, static and plastic projections.
    let out = out_dir("pynn-ca3");
    export("examples/cam/e1_functional.toml", "spinn5", &out, &[]);
    let (placements, tables) = run_on_spynnaker(&out);
    assert_eq!(spynnaker_slices(&placements), our_slices(&out));
    // One chip, one population-level entry per population with targets: the same 9 entries.
    // The keys differ (sPyNNaker allocates its own), so an entry is compared by what it does:
    // the populations of the cores and the links it routes to.
    let ours = read_pacman_json(&out.join("routing_tables.json")).unwrap();
    let our_placements: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("placements.json")).unwrap())
            .unwrap();
    let our_entries = entry_targets(&ours, &our_placements);
    assert_eq!(our_entries.len(), 9);
    assert_eq!(entry_targets(&tables, &placements), our_entries);
    std::fs::remove_dir_all(&out).ok();

    // CUBA: 63 slices of 64 neurons (sPyNNaker honours the script's per-core limits; it puts
    // each slice's neurons and synapses on two cores), 320 k synapses as (pre, post) lists.
    let out = out_dir("pynn-cuba");
    export("examples/cuba.toml", "spinn5", &out, &[]);
    let (placements, _) = run_on_spynnaker(&out);
    let ours = our_slices(&out);
    assert_eq!(ours.len(), 63);
    assert_eq!(spynnaker_slices(&placements), ours);
    std::fs::remove_dir_all(&out).ok();

    // STDP with NEST semantics and a Poisson source (replayed as a spike array).
    let out = out_dir("pynn-stdp");
    export("examples/stdp.toml", "spinn5", &out, &[]);
    let (placements, _) = run_on_spynnaker(&out);
    assert_eq!(spynnaker_slices(&placements), our_slices(&out));
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn export_is_deterministic() {
    let (a, b) = (out_dir("det-a"), out_dir("det-b"));
    export("examples/cuba.toml", "spinn5", &a, &[]);
    export("examples/cuba.toml", "spinn5", &b, &[]);
    let mut compared = 0;
    for entry in walk(&a) {
        let rel = entry.strip_prefix(&a).unwrap();
        // The report carries wall times; everything else must be byte for byte the same.
        if rel.to_string_lossy().starts_with("report.") {
            continue;
        }
        assert_eq!(
            std::fs::read(&entry).unwrap(),
            std::fs::read(b.join(rel)).unwrap(),
            "{}",
            rel.display()
        );
        compared += 1;
    }
    assert!(compared > 10, "{compared} files");
    std::fs::remove_dir_all(&a).ok();
    std::fs::remove_dir_all(&b).ok();
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files.extend(walk(&p));
        } else {
            files.push(p);
        }
    }
    files
}
