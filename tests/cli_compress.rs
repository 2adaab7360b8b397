//! `engram compress` on PACMAN's many_to_one tables: the written tables load back, fit, and are
//! equivalent to the input entry for entry; a malformed table file exits with code 2.

use std::path::PathBuf;
use std::process::Command;

use hw_export::check::check_equivalent;
use hw_export::load_tables;

fn reference(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/reference")).join(name)
}

#[test]
fn compress_writes_equivalent_tables_that_fit() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/test-runs")
        .join(format!("compress-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = reference("pacman_many_to_one.json.gz");
    let (out, csv) = (dir.join("compressed.json"), dir.join("sizes.csv"));
    let res = Command::new(env!("CARGO_BIN_EXE_engram"))
        .arg("compress")
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .arg("--csv")
        .arg(&csv)
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let before = load_tables(&input).unwrap();
    let after = load_tables(&out).unwrap();
    assert_eq!(before.len(), after.len());
    let total: usize = after.iter().map(|t| t.entries.len()).sum();
    // PACMAN's ordered pair compressor reaches 2 507 entries on these tables.
    assert!(total <= 2507, "{total} entries");
    for (a, b) in before.iter().zip(&after) {
        assert_eq!((a.x, a.y), (b.x, b.y));
        assert!(b.entries.len() <= 1023);
        check_equivalent(a, b).unwrap_or_else(|f| panic!("chip ({}, {}): {f:?}", a.x, a.y));
    }
    assert_eq!(
        std::fs::read_to_string(&csv).unwrap().lines().count(),
        before.len() + 1
    );
}

#[test]
fn a_malformed_table_file_exits_2() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-runs");
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join(format!("bad-tables-{}.json", std::process::id()));
    std::fs::write(
        &bad,
        r#"[{"x": 0, "y": 0, "entries": [{"key": 1, "mask": 0}]}]"#,
    )
    .unwrap();
    let res = Command::new(env!("CARGO_BIN_EXE_engram"))
        .arg("compress")
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(2));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(
        err.contains("bad-tables") && !err.contains("panicked"),
        "{err}"
    );
}
