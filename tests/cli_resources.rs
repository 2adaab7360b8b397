//! A network larger than the machine is refused before it is built: the estimate names the
//! projection that needs the memory, the available memory and what to change, with exit code 2
//! and without allocating it (the command runs with its address space limited to 1 GiB, so
//! building even a fraction of the network would abort it instead).

use std::process::Command;

/// `engram` with its address space limited to 1 GiB: an attempt to build what was refused
/// would abort it.
fn engram_in_1_gib() -> Command {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(r#"ulimit -v 1048576 && exec "$0" "$@""#)
        .arg(env!("CARGO_BIN_EXE_engram"));
    c
}

/// A fresh directory for this test process's files.
fn scratch(tag: &str) -> std::path::PathBuf {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/test-runs")
        .join(format!("{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_network_larger_than_the_machine_is_refused_without_building_it() {
    let dir = scratch("huge");
    let model = dir.join("huge.toml");
    // 1 M neurons with 1 500 inputs each through a connector without a generator (a held list):
    // 1.5e9 synapses, ~50 GiB at 36 bytes per synapse — within the per-projection limit,
    // beyond this machine.
    std::fs::write(
        &model,
        r#"
dt = 0.1
duration = 100.0

[populations.big]
cell_type = "IF_curr_exp"
size = 1000000

[projections.dense]
pre = "big"
post = "big"
connector = { type = "FixedNumberPostConnector", n = 1500 }
weight = 0.001
delay = 1.0
"#,
    )
    .unwrap();
    let res = engram_in_1_gib()
        .arg("run")
        .arg(&model)
        .arg("--out")
        .arg(dir.join("never"))
        .args(["--quiet"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(err.starts_with("error[E0108]: "), "{err}");
    assert!(err.contains("projections.dense"), "{err}");
    assert!(err.contains("GiB of memory is available"), "{err}");
    assert!(!dir.join("never").exists(), "nothing was written");
}

/// `engram bench FILE` (10 ms) under a memory cap of `cap_mb` MiB.
fn bench_capped(file: &std::path::Path, cap_mb: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_engram"))
        .arg("bench")
        .arg(file)
        .args(["--set", "duration=10", "--json"])
        .env(networks::modelfile::MEMORY_LIMIT_ENV, cap_mb)
        .output()
        .unwrap()
}

#[test]
fn the_memory_limit_can_be_lowered_for_a_job() {
    // CUBA (4000 neurons, 320 000 generated synapses: about 1.8 MiB estimated) fits a machine
    // but not a 1 MiB cap.
    let cuba = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/cuba.toml");
    let res = bench_capped(&cuba, "1");
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(err.starts_with("error[E0108]: "), "{err}");
    assert!(err.contains("0.0 GiB of memory is available"), "{err}");
}

/// The estimate counts a generated static projection at its rows' size (4 bytes per synapse at
/// most), a held list at 36: 320 000 synapses fit a 4 MiB cap generated (1.8 MiB in all) and
/// are refused held (12 MiB), where every projection used to be counted at 36 bytes.
#[test]
fn the_memory_estimate_depends_on_how_synapses_are_kept() {
    let dir = scratch("estimate");
    let model = |connector: &str| {
        format!(
            r#"
dt = 0.1
duration = 100.0

[populations.p]
cell_type = "IF_curr_exp"
size = 4000

[projections.recurrent]
pre = "p"
post = "p"
connector = {connector}
weight = 0.001
delay = 0.1
"#
        )
    };
    let generated = dir.join("generated.toml");
    std::fs::write(
        &generated,
        model(r#"{ type = "FixedProbabilityConnector", p_connect = 0.02 }"#),
    )
    .unwrap();
    let held = dir.join("held.toml");
    // FixedNumberPost draws per pre neuron: no generator, a held list of 4000 x 80 synapses.
    std::fs::write(
        &held,
        model(r#"{ type = "FixedNumberPostConnector", n = 80 }"#),
    )
    .unwrap();
    let fits = bench_capped(&generated, "4");
    let err = String::from_utf8_lossy(&fits.stderr);
    assert!(fits.status.success(), "generated: {err}");
    let refused = bench_capped(&held, "4");
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "held: {err}");
    assert!(err.starts_with("error[E0108]: "), "{err}");
    assert!(err.contains("projections.recurrent"), "{err}");
}

#[test]
fn a_cam_memory_or_operation_stream_larger_than_the_machine_is_refused() {
    let dir = scratch("huge-cam");
    // 1e5 x 1e5: 5e10 synapses in the all-to-all layers; 1e7 operations learning ~5e4 bits each.
    let cases = [
        (
            "network.toml",
            "cues = 100000\ncontent_bits = 100000\n[[operations]]\nop = \"learn\"\ncue = 0\ncontent = [1]\n",
            "use fewer cues or content bits",
        ),
        (
            "stream.toml",
            "cues = 2\ncontent_bits = 100000\n[generator]\ncount = 10000000\nspacing = 1\nseed = 1\nmix = { learn = 1 }\n",
            "generator.count = 10000000",
        ),
    ];
    for (name, text, says) in cases {
        let file = dir.join(name);
        std::fs::write(&file, text).unwrap();
        let res = engram_in_1_gib()
            .arg("cam")
            .arg(&file)
            .arg("--out")
            .arg(dir.join("never"))
            .arg("--quiet")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&res.stderr);
        assert_eq!(res.status.code(), Some(2), "{name}: {err}");
        assert!(err.starts_with("error[E0201]: "), "{name}: {err}");
        assert!(
            err.contains("GiB of memory is available") && err.contains(says),
            "{err}"
        );
        assert!(!dir.join("never").exists());
    }
}
