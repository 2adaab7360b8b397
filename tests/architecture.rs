//! The invariants of ARCHITECTURE.md that the code's shape must keep, checked on the sources:
//! dependencies point one way, hw-export and sim-core name no cell type and nothing decides
//! what a model is by its concrete type, and only the root crate talks to the terminal.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const LIBRARIES: [&str; 5] = ["sim-core", "models", "hw-export", "backends", "networks"];

/// The workspace crates a member depends on, in one `[dependencies]`-like table.
fn workspace_deps(krate: &str, table: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(Path::new(ROOT).join(krate).join("Cargo.toml")).unwrap();
    let manifest: toml::Table = text.parse().unwrap();
    let deps = manifest.get(table).and_then(|t| t.as_table());
    deps.map(|t| {
        t.keys()
            .filter(|k| LIBRARIES.contains(&k.as_str()) || k.as_str() == "engram")
            .cloned()
            .collect()
    })
    .unwrap_or_default()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn dependencies_point_one_way() {
    // sim-core knows no model; hw-export knows the engine's interfaces only.
    assert_eq!(workspace_deps("sim-core", "dependencies"), set(&[]));
    assert_eq!(workspace_deps("sim-core", "dev-dependencies"), set(&[]));
    assert_eq!(workspace_deps("models", "dependencies"), set(&["sim-core"]));
    assert_eq!(
        workspace_deps("hw-export", "dependencies"),
        set(&["sim-core"])
    );
    assert_eq!(workspace_deps("hw-export", "dev-dependencies"), set(&[]));
    assert_eq!(
        workspace_deps("backends", "dependencies"),
        set(&["sim-core", "models", "hw-export"])
    );
    assert_eq!(
        workspace_deps("networks", "dependencies"),
        set(&["sim-core", "models", "hw-export", "backends"])
    );
    // The Python package is a leaf beside the CLI: it uses the libraries, never the CLI.
    assert_eq!(
        workspace_deps("python", "dependencies"),
        set(&["sim-core", "models", "hw-export", "backends", "networks"])
    );
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// A source file without its unit tests (everything from the first `#[cfg(test)]` on).
fn library_code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    match text.find("#[cfg(test)]") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

#[test]
fn hw_export_and_sim_core_name_no_cell_type() {
    let names: Vec<&str> = models::catalogue::Catalogue::standard()
        .entries()
        .iter()
        .map(|e| e.name)
        .collect();
    assert!(
        names.contains(&"IF_curr_exp") && names.len() >= 5,
        "{names:?}"
    );
    let mut found = Vec::new();
    for krate in ["hw-export", "sim-core"] {
        for path in sources(&Path::new(ROOT).join(krate).join("src")) {
            let code = library_code(&path);
            for name in &names {
                if code.contains(&format!("\"{name}\"")) {
                    found.push(format!("{}: \"{name}\"", path.display()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "cell-type names outside models: {found:#?}"
    );
}

#[test]
fn no_library_decides_what_a_model_is_by_its_type() {
    let mut found = Vec::new();
    for krate in LIBRARIES {
        for path in sources(&Path::new(ROOT).join(krate).join("src")) {
            let code = library_code(&path);
            for pattern in ["downcast_ref", "as_any"] {
                if code.contains(pattern) {
                    found.push(format!("{}: {pattern}", path.display()));
                }
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn only_the_cli_talks_to_the_terminal() {
    let mut found = Vec::new();
    // The Python package reports through Python (exceptions, its progress callback) too.
    for krate in LIBRARIES.iter().chain(&["python"]) {
        for path in sources(&Path::new(ROOT).join(krate).join("src")) {
            let code = library_code(&path);
            for pattern in [
                "println!",
                "eprintln!",
                "print!(",
                "eprint!(",
                "process::exit",
            ] {
                if code.contains(pattern) {
                    found.push(format!("{}: {pattern}", path.display()));
                }
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}
