//! Malformed inputs are errors, never panics: thousands of mutated routing-table files (PACMAN
//! JSON and the OC paper's .bin), CAM experiment files and checkpoints. (The model-file loader
//! has its own mutation test in networks/tests/modelfile_errors.rs.)

use std::io::Read;
use std::path::PathBuf;

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod fuzz_targets;

use rand::RngExt;
use sim_core::rng::{stream, Domain};
use sim_core::{Checkpoint, Simulation};

fn reference(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/reference")).join(name)
}

fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/test-runs")
        .join(format!("malformed-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

/// A random mutation: flip bytes, cut, duplicate or insert a chunk.
fn mutate(input: &[u8], r: &mut impl rand::Rng) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..r.random_range(1..4) {
        if v.is_empty() {
            v.push(r.random());
            continue;
        }
        let at = r.random_range(0..v.len());
        match r.random_range(0..4) {
            0 => v[at] = r.random(),
            1 => v.truncate(at),
            2 => {
                let end = (at + r.random_range(1..64)).min(v.len());
                let chunk = v[at..end].to_vec();
                v.splice(at..at, chunk);
            }
            _ => {
                let b: u8 = r.random();
                v.insert(at, b);
            }
        }
    }
    v
}

#[test]
fn mutated_routing_table_files_never_panic() {
    let mut r = stream(11, Domain::Other, 1, 0);
    let json = std::fs::read(reference("pacman_routing_tables_example.json")).unwrap();
    let mut bin = Vec::new();
    flate2::read::GzDecoder::new(
        std::fs::File::open(reference("mundy_hpsr2016_gaussian_12_12_xyp.bin.gz")).unwrap(),
    )
    .read_to_end(&mut bin)
    .unwrap();
    bin.truncate(20_000); // a few tables: the reader's framing is what is under test
    let (pj, pb) = (scratch("t.json"), scratch("t.bin"));
    let mut errors = 0;
    for k in 0..1500 {
        std::fs::write(&pj, mutate(&json, &mut r)).unwrap();
        errors += usize::from(hw_export::load_tables(&pj).is_err());
        std::fs::write(&pb, mutate(&bin, &mut r)).unwrap();
        errors += usize::from(hw_export::load_tables(&pb).is_err());
        if k % 500 == 0 {
            // Whatever loads must also compress and check without panicking.
            if let Ok(t) = hw_export::load_tables(&pj) {
                let _ = hw_export::compress_tables(&t, 1023);
            }
        }
    }
    assert!(errors > 1000, "most mutations are rejected ({errors})");
}

#[test]
fn mutated_experiment_files_never_panic() {
    let mut r = stream(12, Domain::Other, 1, 0);
    let text = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/cam/e1_functional.toml"
    ))
    .unwrap();
    let mut errors = 0;
    for _ in 0..3000 {
        let m = String::from_utf8_lossy(&mutate(&text, &mut r)).into_owned();
        errors += usize::from(networks::ca3::parse_experiment(&m).is_err());
    }
    assert!(errors > 500, "{errors}");
}

/// A small CA3 memory that learns one pair: a network with plastic projections (the one the
/// checkpoint fuzz target restores into).
fn small_ca3() -> &'static sim_core::Network {
    &fuzz_targets::checkpoint_networks()[1]
}

#[test]
fn mutated_checkpoints_never_panic() {
    // A 50-neuron CUBA network and one with plastic projections (the CA3 memory after learning).
    for (k, net) in fuzz_targets::checkpoint_networks().iter().enumerate() {
        let mut sim = Simulation::with_threads(net, 2);
        sim.run_until(12, &mut sim_core::engine::NullObserver)
            .unwrap();
        let bytes = sim.checkpoint().to_bytes();
        let mut r = stream(13, Domain::Other, 1, k as u64);
        let mut restored = 0;
        for _ in 0..3000 {
            let m = mutate(&bytes, &mut r);
            if let Ok(cp) = Checkpoint::from_bytes(&m) {
                let mut fresh = Simulation::with_threads(net, 1);
                if fresh.restore(&cp).is_ok() {
                    restored += 1;
                    // A restored state may be nonsense, but running it must not panic.
                    let _ = fresh.run_until(20, &mut sim_core::engine::NullObserver);
                }
            }
        }
        eprintln!("network {k}: {restored} of 3000 mutated checkpoints decoded and restored");
    }
}

#[test]
fn structurally_inconsistent_checkpoints_are_refused() {
    let net = small_ca3();
    let mut sim = Simulation::with_threads(net, 2);
    sim.run_until(12, &mut sim_core::engine::NullObserver)
        .unwrap();
    let good = sim.checkpoint();
    type Cut = fn(&mut Checkpoint);
    let cuts: Vec<(&str, Cut)> = vec![
        ("rings", |c| c.rings[1].truncate(1)),
        ("post_history", |c| {
            c.post_history[2].push((0, vec![u32::MAX]))
        }),
        ("kernel array", |c| {
            if let Some((_, sim_core::model::StateArray::F64 { values, .. })) =
                c.kernels[1].first_mut()
            {
                values.truncate(1)
            }
        }),
        ("plastic y", |c| {
            c.plastic.iter_mut().flatten().for_each(|p| p.y.truncate(1))
        }),
        ("plastic ty", |c| {
            c.plastic.iter_mut().flatten().for_each(|p| p.ty.clear())
        }),
        ("plastic y_before", |c| {
            c.plastic
                .iter_mut()
                .flatten()
                .for_each(|p| p.y_before.clear())
        }),
        ("plastic tx", |c| {
            c.plastic.iter_mut().flatten().for_each(|p| p.tx.clear())
        }),
        ("plastic weights", |c| {
            c.plastic
                .iter_mut()
                .flatten()
                .for_each(|p| p.weights.pop().map(drop).unwrap_or(()))
        }),
    ];
    for (what, cut) in cuts {
        let mut cp = good.clone();
        cut(&mut cp);
        let mut fresh = Simulation::with_threads(net, 1);
        assert!(
            fresh.restore(&cp).is_err(),
            "a checkpoint with a bad {what} is refused"
        );
    }
    let mut fresh = Simulation::with_threads(net, 1);
    fresh
        .restore(&good)
        .expect("the unmodified checkpoint restores");
}
