//! Every figure is produced by the command that the docs name: each is a PNG of the stated size
//! (signature and IHDR decoded) with an SVG beside it that parses as XML with an `<svg>` root
//! of the same size, and shows what it states (subsampling in the raster, chance and error bars
//! in the retention plot, one hexagon per chip of the board, the results of every simulator).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use engram::plot::bench::BENCH_SIZE;
use engram::plot::board::{BOARD_SIZE, LOAD_SIZE};
use engram::plot::cam::CAM_SIZE;
use engram::plot::{RASTER_SIZE, RECALL_SIZE};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn out_dir(name: &str) -> PathBuf {
    let d = repo()
        .join("target/test-runs")
        .join(format!("figures-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn engram(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_engram"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("engram runs");
    assert!(
        out.status.success(),
        "engram {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Width and height from the PNG's IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let b = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n", "{}", path.display());
    assert_eq!(&b[12..16], b"IHDR", "{}", path.display());
    let word = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    (word(16), word(20))
}

/// The SVG's text, after checking it is XML with an `<svg>` root of `size`.
fn svg(path: &Path, size: (u32, u32)) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc =
        roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg", "{}", path.display());
    let attr = |name: &str| -> u32 { root.attribute(name).unwrap().parse().unwrap() };
    assert_eq!((attr("width"), attr("height")), size, "{}", path.display());
    text
}

/// `dir/name.png` and `dir/name.svg` have `size`; returns the SVG's text.
fn figure(dir: &Path, name: &str, size: (u32, u32)) -> String {
    assert_eq!(
        png_size(&dir.join(format!("{name}.png"))),
        size,
        "{name}.png"
    );
    svg(&dir.join(format!("{name}.svg")), size)
}

#[test]
fn raster_of_cuba_40k_shows_a_stated_subsample() {
    let out = out_dir("cuba40k");
    engram(&[
        "run",
        "examples/cuba.toml",
        "--set",
        "populations.exc.size=32000",
        "--set",
        "populations.inh.size=8000",
        "--set",
        "duration=100",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let text = figure(&out, "raster", RASTER_SIZE);
    assert!(text.contains("200 neurons shown per population"));
    assert!(text.contains("200 of 32 000") && text.contains("200 of 8 000"));
    assert!(text.contains("rate (Hz)"));
}

#[test]
fn small_populations_are_drawn_whole() {
    let out = out_dir("cuba4k");
    engram(&[
        "run",
        "examples/cuba.toml",
        "--set",
        "populations.exc.size=150",
        "--set",
        "populations.inh.size=50",
        "--set",
        "duration=50",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let text = figure(&out, "raster", RASTER_SIZE);
    assert!(!text.contains("shown per population"));
    assert!(text.contains("150 neurons") && text.contains("50 neurons"));
}

#[test]
fn retention_plot_has_error_bars_chance_line_and_a_log_axis() {
    let out = out_dir("retention");
    engram(&[
        "run",
        "examples/astro/retention.toml",
        "--set",
        "experiment.trials=2",
        "--set",
        "experiment.settle=50",
        "--set",
        "experiment.delays=[0.0, 100.0, 1000.0]",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let text = figure(&out, "recall", RECALL_SIZE);
    assert!(text.contains("chance (1/8)"));
    assert!(text.contains("(ms, log scale)"));
    assert!(text.contains("standard error"));
    // Chance is a reference line labelled with its value, not a series named "chance".
    assert!(!text.contains("\nchance\n"));
    for c in ["astro_off", "kappa_theta_14", "kappa_W_10"] {
        assert!(text.contains(&format!("\n{c}\n")), "legend lacks {c}");
    }
}

#[test]
fn export_draws_the_board_map_and_the_core_load() {
    let out = out_dir("export");
    engram(&[
        "export",
        "spinnaker",
        "examples/cuba.toml",
        "--machine",
        "spinn5",
        "--out",
        out.to_str().unwrap(),
    ]);
    let text = figure(&out, "board_map", BOARD_SIZE);
    // One hexagon per chip of the 48-chip board; those without a table in grey, as many as
    // report.json says have none.
    assert_eq!(text.matches("<polygon").count(), 48);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let with_tables = report["chips"].as_array().unwrap().len();
    assert!(with_tables > 0);
    assert_eq!(
        text.to_lowercase()
            .matches(r##"fill="#e6e6e6" points"##)
            .count(),
        48 - with_tables
    );
    assert!(text.contains("links: multicast routes"));
    let load = figure(&out, "core_load", LOAD_SIZE);
    let cores = report["cores"].as_array().unwrap().len();
    assert!(load.contains(&format!("{cores} cores")), "core count");
    assert!(load.contains("real-time budget"));
}

#[test]
fn a_board_run_draws_packets_per_link_and_measured_load() {
    let out = out_dir("board-run");
    engram(&[
        "run",
        "examples/cuba_1ms.toml",
        "--backend",
        "spinnaker",
        "--set",
        "duration=100",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let text = figure(&out, "board_map", BOARD_SIZE);
    assert_eq!(text.matches("<polygon").count(), 48);
    assert!(text.contains("links: packets"));
    let load = figure(&out, "core_load", LOAD_SIZE);
    assert!(load.contains("over 100 ticks") && load.contains("worst tick"));
    figure(&out, "raster", RASTER_SIZE);
}

#[test]
fn bench_plot_draws_every_simulator_of_the_peers_report() {
    let out = out_dir("bench");
    std::fs::create_dir_all(&out).unwrap();
    let fig = out.join("peers.png");
    engram(&[
        "bench",
        "--plot",
        "tests/data/bench_peers_cuba40k.jsonl",
        "--out",
        fig.to_str().unwrap(),
    ]);
    let text = figure(&out, "peers", BENCH_SIZE);
    for s in [
        "engram (f64)",
        "Brian2",
        "NEST",
        "CUBA 40 000, 1 s",
        "(18 runs)",
    ] {
        assert!(text.contains(s), "bench figure lacks {s}");
    }
}

#[test]
fn bench_plot_rejects_a_bad_results_line_with_exit_code_2() {
    let out = out_dir("bench-bad");
    std::fs::create_dir_all(&out).unwrap();
    let bad = out.join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"simulator\": \"nest\", \"model\": \"cuba\", \"neurons\": 4000, \"threads\": 1, \"simulate_s\": 1.5}\n\
         {\"simulator\": \"nest\", \"model\": \"cuba\", \"neurons\": 4000, \"threads\": \"two\", \"simulate_s\": 1.5}\n",
    )
    .unwrap();
    let res = Command::new(env!("CARGO_BIN_EXE_engram"))
        .args(["bench", "--plot"])
        .arg(&bad)
        .arg("--out")
        .arg(out.join("x.png"))
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(2));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.starts_with("error[E0012]: "), "{err}");
    assert!(
        err.contains(
            "bad.jsonl, line 2: key \"threads\": value \"two\"; expected a whole number >= 1"
        ),
        "{err}"
    );
    assert!(!out.join("x.png").exists());
}

#[test]
fn cam_draws_its_recall_table() {
    let out = out_dir("cam");
    engram(&[
        "cam",
        "examples/cam/e1_functional.toml",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let text = figure(&out, "recall_table", CAM_SIZE);
    assert!(text.contains("9 of 9 operations answered as an ideal CAM"));
    for s in [
        "learn",
        "recall by cue",
        "recall by content",
        "extra answers",
    ] {
        assert!(text.contains(s), "CAM figure lacks {s}");
    }
    figure(&out, "raster", RASTER_SIZE);
}
