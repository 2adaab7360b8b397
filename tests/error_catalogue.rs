//! The error catalogue: every code is unique, docs/ERRORS.md lists exactly the codes the code
//! defines, commands report no error without a code, and the command prints `error[CODE]:`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use networks::modelfile::parse_str;
use sim_core::errors::Coded;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `E0000`-style codes in a text, in order.
fn codes_in(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(4))
        .filter(|&i| {
            b[i] == b'E'
                && b[i + 1..i + 5].iter().all(u8::is_ascii_digit)
                && b.get(i + 5).is_none_or(|c| !c.is_ascii_alphanumeric())
                && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
        })
        .map(|i| text[i..i + 5].to_string())
        .collect()
}

#[test]
fn every_code_is_unique_and_well_formed() {
    let all = engram::errors::catalogue();
    let mut seen = std::collections::BTreeMap::new();
    for (code, variant) in &all {
        assert_eq!(
            codes_in(code),
            [code.to_string()],
            "{variant}: malformed code {code}"
        );
        if let Some(other) = seen.insert(*code, *variant) {
            panic!("{code} is used by both {other} and {variant}");
        }
    }
    assert!(all.len() >= 30, "{} codes", all.len());
}

#[test]
fn errors_md_lists_exactly_the_defined_codes() {
    let doc = std::fs::read_to_string(repo().join("docs/ERRORS.md")).unwrap();
    // The catalogue rows: lines starting with "| `E".
    let rows: Vec<String> = doc
        .lines()
        .filter(|l| l.starts_with("| `E"))
        .flat_map(|l| codes_in(l).into_iter().take(1))
        .collect();
    let documented: BTreeSet<String> = rows.iter().cloned().collect();
    assert_eq!(documented.len(), rows.len(), "a code is documented twice");
    let defined: BTreeSet<String> = engram::errors::catalogue()
        .iter()
        .map(|(c, _)| c.to_string())
        .collect();
    let missing: Vec<_> = defined.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&defined).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "docs/ERRORS.md lacks {missing:?} and lists undefined {stale:?}"
    );
}

#[test]
fn commands_report_no_error_without_a_code() {
    fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                sources(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    sources(&repo().join("src"), &mut files);
    let mut uncoded = Vec::new();
    for f in files.iter().filter(|f| !f.ends_with("commands/mod.rs")) {
        let text = std::fs::read_to_string(f).unwrap();
        for (i, line) in text.lines().enumerate() {
            if line.contains("CliError::Input(") || line.contains("CliError::Runtime(") {
                uncoded.push(format!("{}:{}: {}", f.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(
        uncoded.is_empty(),
        "errors without a code (wrap a coded error with CliError::input/runtime):\n{}",
        uncoded.join("\n")
    );
}

#[test]
fn model_file_errors_have_the_code_of_their_kind() {
    let cases = [
        ("# only a comment\n", &[][..], "E0103"),
        ("dt = 0.1\nduration = [\n", &[], "E0104"),
        ("dt = 0.1\nduration = 10.0\n[populations.a]\ncell_type = \"IF_curr_exp\"\nsize = 2\n", &["populations.b.size=3"], "E0105"),
        ("dt = 0.1\nduration = 10.0\n[populations.a]\ncell_type = \"IF_curr_exp\"\nsize = 2\nparams = { tau_mm = 1.0 }\n", &[], "E0106"),
        ("dt = 0.1\nduration = 10.0\n[populations.a]\ncell_type = \"IF_curr_exp\"\nsize = 2\nparams = { tau_m = -1.0 }\n", &[], "E0107"),
        ("dt = 0.1\nduration = 10.0\n[populations.a]\ncell_type = \"IF_curr_exp\"\nsize = 1000000000\n", &[], "E0108"),
        ("dt = 0.1\nduration = 10.0\n[populations.a]\ncell_type = \"IF_curr_exp\"\nsize = 100000\n[projections.p]\npre = \"a\"\npost = \"a\"\nconnector = { type = \"AllToAllConnector\" }\nweight = 0.1\ndelay = 1.0\n", &[], "E0108"),
    ];
    for (text, sets, code) in cases {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        let e = parse_str("m.toml", text, &sets, None).unwrap_err();
        assert_eq!(e.code(), code, "{e}");
    }
}

fn engram(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_engram"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_command_prints_the_code() {
    let dir = repo()
        .join("target/test-runs")
        .join(format!("codes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let d = |n: &str| dir.join(n).display().to_string();
    std::fs::write(dir.join("bad.toml"), "dt = 0.1\nduration = [\n").unwrap();
    std::fs::write(dir.join("bad_exp.toml"), "cues = 3\n").unwrap();
    std::fs::write(dir.join("t.txt"), "[]").unwrap();
    std::fs::write(dir.join("t.json"), "[{\"x\": 0}]").unwrap();
    let cases: Vec<(Vec<String>, i32, &str)> = vec![
        (vec!["run".into(), "--bogus".into()], 2, "E0001"),
        (
            vec![
                "run".into(),
                "examples/cuba.toml".into(),
                "--out".into(),
                d("o1"),
                "--backend".into(),
                "gpu".into(),
            ],
            2,
            "E0002",
        ),
        (
            vec![
                "run".into(),
                "examples/coba.toml".into(),
                "--out".into(),
                d("o1b"),
                "--backend".into(),
                "spinnaker".into(),
            ],
            2,
            "E0701",
        ),
        (
            vec![
                "run".into(),
                "examples/cuba.toml".into(),
                "--out".into(),
                d("o2"),
                "--checkpoint-every".into(),
                "0.05".into(),
            ],
            2,
            "E0003",
        ),
        (
            vec!["run".into(), "--resume".into(), d("nowhere")],
            2,
            "E0004",
        ),
        (
            vec!["run".into(), d("missing.toml"), "--out".into(), d("o3")],
            2,
            "E0101",
        ),
        (
            vec!["run".into(), d("bad.toml"), "--out".into(), d("o4")],
            2,
            "E0104",
        ),
        (
            vec!["cam".into(), d("bad_exp.toml"), "--out".into(), d("o5")],
            2,
            "E0201",
        ),
        (vec!["compress".into(), d("t.txt")], 2, "E0305"),
        (vec!["compress".into(), d("t.json")], 2, "E0302"),
    ];
    for (args, exit, code) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (status, err) = engram(&args);
        assert_eq!(status, Some(exit), "{args:?}: {err}");
        assert!(
            err.starts_with(&format!("error[{code}]: ")),
            "{args:?} should print error[{code}]: {err}"
        );
    }
}

#[path = "../networks/tests/modelfile_cases/broken.rs"]
mod broken;

#[test]
fn every_broken_model_file_has_a_model_file_code() {
    let mut by_code = std::collections::BTreeMap::new();
    for (name, text, _) in broken::broken_cases() {
        let e = parse_str("broken.toml", &text, &[], None).unwrap_err();
        assert!(e.code().starts_with("E01"), "{name}: {} for {e}", e.code());
        *by_code.entry(e.code()).or_insert(0) += 1;
    }
    eprintln!("broken model files by code: {by_code:?}");
    assert!(by_code.len() >= 3, "{by_code:?}");
}
