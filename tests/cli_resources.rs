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

#[test]
fn a_network_larger_than_the_machine_is_refused_without_building_it() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/test-runs")
        .join(format!("huge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let model = dir.join("huge.toml");
    // 1 M neurons with 1 500 inputs each: 1.5e9 synapses, ~50 GiB at 36 bytes per synapse —
    // within the per-projection limit, beyond this machine.
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
connector = { type = "FixedNumberPreConnector", n = 1500 }
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

#[test]
fn the_memory_limit_can_be_lowered_for_a_job() {
    // CUBA (4000 neurons, 320 000 synapses: about 12 MiB) fits a machine but not a 4 MiB cap.
    let res = Command::new(env!("CARGO_BIN_EXE_engram"))
        .args(["bench", "examples/cuba.toml", "--json"])
        .env(networks::modelfile::MEMORY_LIMIT_ENV, "4")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(err.starts_with("error[E0108]: "), "{err}");
    assert!(err.contains("0.0 GiB of memory is available"), "{err}");
}

#[test]
fn a_cam_memory_or_operation_stream_larger_than_the_machine_is_refused() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/test-runs")
        .join(format!("huge-cam-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
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
