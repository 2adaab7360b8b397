//! The example model files load; CUBA as a file is the CUBA builder's network; `--set` and
//! `--seed` change exactly what they say.

use std::path::{Path, PathBuf};

use models::dist::{Distribution, Value};
use models::neurons::if_curr_exp::IfCurrExpParams;
use models::neurons::{IfCurrExp, Integration};
use networks::benchmarks::{build, Benchmark, BenchmarkConfig};
use networks::modelfile::{load, ModelSpec};
use sim_core::network::Network;
use sim_core::TimeGrid;

use networks::benchmarks::cuba_params;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name)
}

fn load_ok(name: &str, overrides: &[&str], seed: Option<u64>) -> ModelSpec {
    let o: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    load(&example(name), &o, seed).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A population without its record spec (the model's Debug shows parameters, propagators and
/// initial-value distributions).
fn pop_sig(net: &Network, p: usize) -> String {
    let pop = &net.populations[p];
    format!("{} {} {:?}", pop.name, pop.size, pop.model)
}

fn proj_sig(net: &Network, k: usize) -> String {
    let pr = &net.projections[k];
    format!(
        "{} {} {} {} {:?}",
        pr.name, pr.pre, pr.post, pr.receptor, pr.plasticity
    )
}

#[test]
fn every_example_loads() {
    for name in ["cuba.toml", "coba.toml", "stdp.toml"] {
        let spec = load_ok(name, &[], None);
        assert!(spec.duration_steps > 0, "{name}");
        assert!(spec.network.n_synapses() > 0, "{name}");
        assert_eq!(spec.sha256.len(), 64, "{name}");
        assert_eq!(
            spec.source,
            std::fs::read_to_string(example(name)).unwrap(),
            "{name}"
        );
        assert_eq!(
            spec.population_names,
            spec.network
                .populations
                .iter()
                .map(|p| p.name.clone())
                .collect::<Vec<_>>()
        );
    }
    let stdp = load_ok("stdp.toml", &[], None);
    assert!(stdp.network.projections[0].plasticity.is_some());
    let neurons = stdp.network.population_id("neurons").unwrap();
    let rec = &stdp.network.populations[neurons].record;
    assert!(rec.spikes && !rec.vars.is_empty());
    assert_eq!(rec.interval, 10);
}

#[test]
fn cuba_file_is_the_cuba_builder() {
    same_as_builder("cuba.toml", Benchmark::Cuba);
}

#[test]
fn coba_file_is_the_coba_builder() {
    same_as_builder("coba.toml", Benchmark::Coba);
}

fn same_as_builder(name: &str, kind: Benchmark) {
    let spec = load_ok(name, &[], None);
    let built = build(kind, &BenchmarkConfig::default()).unwrap();
    let file = &spec.network;
    assert_eq!(spec.dt_ms, 0.1);
    assert_eq!(spec.duration_steps, 10_000);
    assert_eq!(file.grid, built.grid);
    assert_eq!(file.seed, built.seed);
    assert_eq!(file.populations.len(), built.populations.len());
    for p in 0..built.populations.len() {
        assert_eq!(pop_sig(file, p), pop_sig(&built, p));
    }
    assert_eq!(file.projections.len(), built.projections.len());
    for k in 0..built.projections.len() {
        assert_eq!(proj_sig(file, k), proj_sig(&built, k));
        assert!(
            file.projections[k].synapses == built.projections[k].synapses,
            "projection {} differs",
            built.projections[k].name
        );
    }
    assert!(file.n_synapses() > 300_000);
}

#[test]
fn set_changes_exactly_the_overridden_parameter() {
    let base = load_ok("cuba.toml", &[], None);
    let set = load_ok("cuba.toml", &["populations.exc.params.tau_m=15"], None);
    let (a, b) = (&base.network, &set.network);
    assert_ne!(pop_sig(a, 0), pop_sig(b, 0));
    // The overridden population is exactly CUBA's with tau_m = 15.
    let grid = TimeGrid::new(0.1).unwrap();
    let expected = IfCurrExp::new(
        IfCurrExpParams {
            tau_m: 15.0,
            ..cuba_params()
        },
        Integration::Nest,
        Some(Value::Random(Distribution::Uniform {
            low: -60.0,
            high: -50.0,
        })),
        &grid,
    )
    .unwrap();
    assert_eq!(
        format!("{:?}", b.populations[0].model),
        format!("{expected:?}")
    );
    let unchanged = IfCurrExp::new(
        cuba_params(),
        Integration::Nest,
        Some(Value::Random(Distribution::Uniform {
            low: -60.0,
            high: -50.0,
        })),
        &grid,
    )
    .unwrap();
    assert_eq!(
        format!("{:?}", a.populations[0].model),
        format!("{unchanged:?}")
    );
    assert_eq!(pop_sig(a, 1), pop_sig(b, 1));
    for k in 0..a.projections.len() {
        assert_eq!(proj_sig(a, k), proj_sig(b, k));
        assert!(a.projections[k].synapses == b.projections[k].synapses);
    }
    assert_eq!(base.seed, set.seed);
    assert_eq!(base.duration_steps, set.duration_steps);
    assert_eq!(
        base.sha256, set.sha256,
        "the hash is of the file as written"
    );
    assert_eq!(set.overrides, vec!["populations.exc.params.tau_m=15"]);

    // A projection's weight: only that projection's weights change, not its connectivity.
    let w = load_ok("cuba.toml", &["projections.exc_inh.weight=0.002"], None);
    for k in 0..a.projections.len() {
        let (x, y) = (
            &a.projections[k].synapses,
            &w.network.projections[k].synapses,
        );
        assert_eq!((&x.pre, &x.post, &x.delay), (&y.pre, &y.post, &y.delay));
        if a.projections[k].name == "exc_inh" {
            assert!(y.weight.iter().all(|&w| w == 0.002));
        } else {
            assert_eq!(x.weight, y.weight);
        }
    }

    // Top-level keys, strings and keys the file leaves at PyNN's default.
    let d = load_ok(
        "cuba.toml",
        &[
            "duration=200",
            "populations.inh.integration=\"spynnaker\"",
            "populations.exc.params.tau_syn_E=4",
        ],
        None,
    );
    assert_eq!(d.duration_steps, 2000);
    assert!(format!("{:?}", d.network.populations[1].model).contains("Spynnaker"));
    let unquoted = load_ok(
        "cuba.toml",
        &["populations.inh.integration=spynnaker"],
        None,
    );
    assert_eq!(pop_sig(&unquoted.network, 1), pop_sig(&d.network, 1));
    let stdp = load_ok("stdp.toml", &["populations.inputs.params.rate=20"], None);
    let stdp0 = load_ok("stdp.toml", &[], None);
    assert_ne!(pop_sig(&stdp.network, 0), pop_sig(&stdp0.network, 0));
    assert_eq!(pop_sig(&stdp.network, 1), pop_sig(&stdp0.network, 1));
    assert!(stdp.network.projections[0].synapses == stdp0.network.projections[0].synapses);
}

#[test]
fn seed_changes_only_the_random_draws() {
    let base = load_ok("cuba.toml", &[], None);
    let seeded = load_ok("cuba.toml", &[], Some(99));
    let by_set = load_ok("cuba.toml", &["seed=99"], None);
    assert_eq!(base.seed, 1234);
    assert_eq!(seeded.seed, 99);
    assert_eq!(seeded.network.seed, 99);
    let (a, b) = (&base.network, &seeded.network);
    for p in 0..a.populations.len() {
        assert_eq!(pop_sig(a, p), pop_sig(b, p));
        assert_eq!(a.populations[p].record, b.populations[p].record);
    }
    for k in 0..a.projections.len() {
        assert_eq!(proj_sig(a, k), proj_sig(b, k));
        assert!(a.projections[k].synapses != b.projections[k].synapses);
        let (x, y) = (
            &by_set.network.projections[k].synapses,
            &b.projections[k].synapses,
        );
        assert!(x == y, "--seed 99 and --set seed=99 agree");
    }
    // Same seed, same network.
    let again = load_ok("cuba.toml", &[], None);
    for k in 0..a.projections.len() {
        assert!(a.projections[k].synapses == again.network.projections[k].synapses);
    }
}

#[test]
fn record_specs_follow_the_file() {
    let spec = load_ok("cuba.toml", &[], None);
    let exc = &spec.network.populations[0].record;
    assert!(exc.spikes);
    assert_eq!(exc.neurons, vec![0, 1, 2, 3, 4]);
    assert_eq!(exc.interval, 10);
    let inh = &spec.network.populations[1].record;
    assert!(inh.spikes && inh.vars.is_empty());
    let all = load_ok("cuba.toml", &["populations.inh.record=[\"v\"]"], None);
    assert_eq!(all.network.populations[1].record.neurons.len(), 800);
}
