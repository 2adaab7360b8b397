//! A network larger than the machine is refused before it is built: the estimate names the
//! projection that needs the memory, the available memory and what to change, with exit code 2
//! and without allocating it.

use std::process::Command;
use std::time::Instant;

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
    let t = Instant::now();
    let res = Command::new(env!("CARGO_BIN_EXE_engram"))
        .arg("run")
        .arg(&model)
        .arg("--out")
        .arg(dir.join("never"))
        .args(["--quiet"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(err.contains("projections.dense"), "{err}");
    assert!(err.contains("GiB of memory is available"), "{err}");
    assert!(!dir.join("never").exists(), "nothing was written");
    // Refused from the estimate, not after trying: building 1.5e9 synapses would take minutes.
    assert!(t.elapsed().as_secs() < 20, "refused in {:?}", t.elapsed());
}
