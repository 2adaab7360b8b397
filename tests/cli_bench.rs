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
