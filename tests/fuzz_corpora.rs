//! Every file of the fuzz corpora (fuzz/corpus/<target>/, minimised by `cargo fuzz cmin`) goes
//! through the same function as its fuzz target, without a fuzz engine: none may panic. The
//! inputs that once crashed, hung or exhausted memory are replayed by name in the tests below.

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod targets;

use std::path::PathBuf;

type Target = fn(&[u8]);

const TARGETS: [(&str, Target); 6] = [
    ("model_file", targets::model_file),
    ("cam_experiment", targets::cam_experiment),
    ("pacman_json", targets::pacman_json),
    ("oc_bin", targets::oc_bin),
    ("checkpoint", targets::checkpoint),
    ("nir_file", targets::nir_file),
];

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn every_corpus_file_goes_through_its_loader_without_panicking() {
    for (name, target) in TARGETS {
        let files = corpus(name);
        assert!(files.len() >= 3, "{name}: {} corpus files", files.len());
        for f in &files {
            let data = std::fs::read(f).unwrap();
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "{name}: {} panicked", f.display());
        }
        eprintln!("{name}: {} files", files.len());
    }
}

#[test]
fn checkpoint_seeds_restore_into_their_networks() {
    // The checkpoint target is not vacuous: its seeds decode and restore.
    let seeds = targets::checkpoint_seeds();
    for (seed, net) in seeds.iter().zip(targets::checkpoint_networks()) {
        let cp = sim_core::Checkpoint::from_bytes(seed).unwrap();
        let mut sim = sim_core::Simulation::with_threads(net, 1);
        sim.restore(&cp).unwrap();
        assert_eq!(sim.step(), 12);
    }
}

/// Rewrites the checkpoint seed corpus (after a change of the checkpoint format):
/// `cargo test --release --test fuzz_corpora -- --ignored`.
#[test]
#[ignore]
fn write_checkpoint_seeds() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/checkpoint");
    std::fs::create_dir_all(&dir).unwrap();
    for (k, seed) in targets::checkpoint_seeds().iter().enumerate() {
        std::fs::write(dir.join(format!("seed_{k}.bin")), seed).unwrap();
    }
}

fn regression(target: &str, name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/regressions")
            .join(target)
            .join(name),
    )
    .unwrap()
}

#[test]
fn a_checkpoint_claiming_a_4_gib_string_is_refused_before_allocating_it() {
    // Found by the checkpoint fuzz target: a corrupt length made the decoder allocate 4 GiB.
    let data = regression("checkpoint", "oom-fb9b4438cdc8632b5da2acd455427ab416ed9d47");
    let err = sim_core::Checkpoint::from_bytes(&data).unwrap_err();
    assert!(err.to_string().contains("LimitExceeded"), "{err}");
    assert_eq!(err.code(), "E0402");
    targets::checkpoint(&data);
}
