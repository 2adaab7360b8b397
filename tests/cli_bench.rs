//! `engram bench`: one JSON line with every field the peer scripts print, counts that do not
//! depend on the thread count or the kernel's input path, and bad flags as input errors.

use std::process::Command;

use serde_json::Value;

fn engram() -> Command {
    Command::new(env!("CARGO_BIN_EXE_engram"))
}

fn bench(args: &[&str]) -> Value {
    let out = engram()
        .arg("bench")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1, "one JSON line: {text}");
    serde_json::from_str(&text).unwrap()
}

#[test]
fn bench_prints_every_field_and_is_thread_invariant() {
    let args = ["cuba", "--neurons", "1000", "--seconds", "0.2"];
    let one = bench(&[&args[..], &["--threads", "1"]].concat());
    for key in [
        "build_s",
        "simulate_s",
        "simulate_cpu_s",
        "spikes",
        "synaptic_events",
        "events_per_s",
        "neuron_steps_per_s",
        "realtime_factor",
        "peak_rss_mb",
        "bytes_per_synapse",
        "threads",
        "version",
        "precision",
    ] {
        assert!(one.get(key).is_some(), "field {key} missing: {one}");
    }
    assert!(one["machine"]["cpu_model"].is_string() && one["machine"]["cores"].is_u64());
    assert_eq!(one["neurons"], 1000);
    // p = 0.02 of 1000 x 1000 pairs.
    let synapses = one["synapses"].as_u64().unwrap();
    assert!((18_000..22_000).contains(&synapses), "{synapses} synapses");
    assert!(one["spikes"].as_u64().unwrap() > 0);
    assert!(one["bytes_per_synapse"].as_f64().unwrap() > 0.0);
    let two = bench(&[&args[..], &["--threads", "2"]].concat());
    for key in ["spikes", "synaptic_events", "synapses"] {
        assert_eq!(one[key], two[key], "{key}: 1 vs 2 threads");
    }
    let f32 = bench(&[&args[..], &["--threads", "2", "--precision", "f32"]].concat());
    assert_eq!(f32["precision"], "f32");
    assert_eq!(f32["synapses"], one["synapses"]);
}

#[test]
fn bench_rejects_f32_where_there_is_no_f32_kernel() {
    for args in [
        vec!["coba", "--precision", "f32"],
        vec!["examples/cuba.toml", "--precision", "f32"],
    ] {
        let out = engram()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .arg("bench")
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("precision"), "{args:?}: {err}");
    }
}

/// A model file takes `--set` overrides, as `engram run` does; the benchmarks refuse `--set`.
#[test]
fn bench_takes_model_file_overrides() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/cuba.toml");
    let base = bench(&[file, "--threads", "1"]);
    let small = bench(&[
        file,
        "--threads",
        "1",
        "--set",
        "populations.exc.size=1600",
        "--set",
        "populations.inh.size=400",
    ]);
    assert_eq!(base["neurons"], 4000);
    assert_eq!(small["neurons"], 2000);
    // p = 0.02 over a quarter of the pairs.
    let ratio = small["synapses"].as_f64().unwrap() / base["synapses"].as_f64().unwrap();
    assert!((ratio - 0.25).abs() < 0.01, "synapse ratio {ratio}");
    let out = engram()
        .args(["bench", "cuba", "--set", "seed=3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--set"));
}

/// A model file's static projections are generated: CUBA scaled to 40 000 neurons (32 M
/// synapses) holds at most 8 bytes per synapse at its peak (held lists took 27).
#[test]
fn model_file_synapses_take_few_bytes() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/cuba.toml");
    let big = bench(&[
        file,
        "--set",
        "populations.exc.size=32000",
        "--set",
        "populations.inh.size=8000",
        "--set",
        "duration=10",
    ]);
    assert!(big["synapses"].as_f64().unwrap() > 3e7);
    let b = big["bytes_per_synapse"].as_f64().unwrap();
    assert!(b <= 8.0, "{b} bytes per synapse");
}

/// The timed loop records every spike by default, as NEST's spike_recorder and Brian2's
/// SpikeMonitor do in the peer scripts: the recorded count equals the engine's spike count, and
/// recording does not change the network's spikes.
#[test]
fn bench_records_every_spike_by_default_and_takes_a_delay() {
    let args = [
        "cuba",
        "--neurons",
        "1000",
        "--seconds",
        "0.2",
        "--threads",
        "1",
    ];
    let recorded = bench(&args);
    assert_eq!(recorded["record"], "spikes");
    assert!(recorded["spikes"].as_u64().unwrap() > 0);
    assert_eq!(recorded["recorded_spikes"], recorded["spikes"]);
    let bare = bench(&[&args[..], &["--record", "none"]].concat());
    assert_eq!(bare["recorded_spikes"], 0);
    assert_eq!(bare["spikes"], recorded["spikes"]);
    assert_eq!(recorded["delay_ms"], 0.1);
    let slow = bench(&[&args[..], &["--delay", "1.0"]].concat());
    assert_eq!(slow["delay_ms"], 1.0);
    assert_ne!(
        slow["spikes"], recorded["spikes"],
        "a 1 ms delay is another network"
    );
    // A delay off the time grid is an input error, as in a model file.
    let out = engram()
        .args(["bench", "cuba", "--neurons", "100", "--delay", "0.15"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Model files set their own delays.
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/cuba.toml");
    let out = engram()
        .args(["bench", model, "--delay", "1.0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--delay"));
}
