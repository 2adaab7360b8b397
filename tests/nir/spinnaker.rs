//! Shared by the NIR tests: a model file exports to SpiNNaker files that PACMAN accepts.

use std::path::Path;
use std::process::Command;

/// `engram export spinnaker MODEL --machine spinn3 --out OUT`, then
/// `../shared/tools/pacman_roundtrip.py` (in target/python-tools) on the routing tables.
pub fn exports_to_files_pacman_accepts(root: &Path, model: &Path, out: &Path) {
    let export = Command::new(env!("CARGO_BIN_EXE_engram"))
        .arg("export")
        .arg("spinnaker")
        .arg(model)
        .args(["--machine", "spinn3", "--out"])
        .arg(out)
        .current_dir(root)
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let py = root.join("target/python-tools/bin/python");
    assert!(
        py.exists(),
        "{} is missing: run scripts/setup-python.sh",
        py.display()
    );
    let res = Command::new(py)
        .arg(root.join("../shared/tools/pacman_roundtrip.py"))
        .arg("--input")
        .arg(out.join("routing_tables.json"))
        .arg("--compressed")
        .arg(out.join("routing_tables_compressed.json"))
        .args(["--only", "pair"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&res.stdout);
    assert!(
        res.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert!(text.contains("json round trip: OK"), "{text}");
}
