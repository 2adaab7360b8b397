//! A network larger than the machine is refused before it is built: the estimate names the
//! projection that needs the memory, the available memory and what to change, with exit code 2
//! and without allocating it (the command runs with its address space limited to 1 GiB, so
//! building even a fraction of the network would abort it instead).

use std::process::Command;

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
    let res = Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -v 1048576 && exec "$0" "$@""#)
        .arg(env!("CARGO_BIN_EXE_engram"))
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
        .env(models::modelfile::MEMORY_LIMIT_ENV, "4")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(err.starts_with("error[E0108]: "), "{err}");
    assert!(err.contains("0.0 GiB of memory is available"), "{err}");
}
