//! Astrocytes declared in model files: the NEST tripartite fixture from
//! examples/astro/nest_tripartite.toml, `[tripartite]` sections (NEST's
//! `third_factor_bernoulli_with_pool`), and the AM-SU retention example.

#[path = "../../models/tests/astro_fixtures/mod.rs"]
mod astro_fixtures;

use astro_fixtures::{meta, num, Csv};
use backends::cpu::CpuBackend;
use backends::BackendChoice;
use networks::modelfile::{load, parse_str};
use sim_core::{MemoryObserver, Simulation, Step};

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/astro");

#[test]
fn astro_modelfile_nest_tripartite_tier_a() {
    let spec = load(
        std::path::Path::new(&format!("{EXAMPLES}/nest_tripartite.toml")),
        &[],
        None,
    )
    .unwrap();
    let net = &spec.network;
    assert_eq!(spec.graded_names, vec!["sic"]);
    let refc = Csv::load("nest_astrocyte_tripartite_trace.csv");
    let steps = (refc.col("time_ms").len() - 1) as Step;
    assert_eq!(spec.duration_steps, steps);
    let mut runs = Vec::new();
    for threads in [1, 2] {
        let mut sim = Simulation::with_threads(net, threads);
        let mut obs = MemoryObserver::default();
        sim.run_until(steps, &mut obs).unwrap();
        runs.push(obs);
    }
    assert_eq!(runs[0], runs[1], "1 and 2 threads must be bit-identical");
    let obs = &runs[0];
    let (astro, neuron) = (
        net.population_id("astro").unwrap(),
        net.population_id("neuron").unwrap(),
    );
    let var = |pop: usize, name: &str| {
        let v = net.populations[pop]
            .model
            .state_vars()
            .iter()
            .position(|s| *s == name)
            .unwrap();
        obs.samples[&(pop, v)].1.clone()
    };
    let nest: Vec<f64> = meta()["scenarios"]["tripartite"]["neuron_spike_times_ms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let dt = num(&meta(), "resolution_ms");
    let mine: Vec<f64> = obs.spikes[neuron]
        .iter()
        .map(|&(t, _)| ((t + 1) as f64 * dt * 1e6).round() / 1e6)
        .collect();
    println!("[model file] spikes {mine:?} vs NEST {nest:?}");
    assert_eq!(mine, nest);
    let mut failed = vec![];
    for (pop, name, tol) in [
        (astro, "IP3", 1e-9),
        (astro, "Ca_astro", 1e-9),
        (astro, "h_IP3R", 1e-9),
        (neuron, "I_SIC", 1e-6),
        (neuron, "V_m", 1e-6),
        (neuron, "w", 1e-6),
        (neuron, "g_ex", 1e-6),
    ] {
        let e = var(pop, name)
            .iter()
            .zip(&refc.col(name)[1..])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        println!("[model file] max|err| {name} = {e:.3e} (tol {tol:.0e})");
        if e > tol {
            failed.push(format!("{name}: {e:e}"));
        }
    }
    assert!(failed.is_empty(), "Tier A exceeded: {failed:?}");
}

const TRIPARTITE: &str = r#"
dt = 0.1
duration = 10.0
seed = 5

[populations.exc]
cell_type = "aeif_cond_alpha_astro"
size = 40
params = { t_ref = 2.0 }

[populations.astro]
cell_type = "astrocyte_lr_1994"
size = 8

[tripartite.ee]
pre = "exc"
post = "exc"
astrocytes = "astro"
connector = { type = "FixedProbabilityConnector", p_connect = 0.5 }
third_factor = { p = 0.4, pool_size = 1, pool_type = "block" }
primary = { weight = 1.0, delay = 1.0 }
third_in = { weight = 0.5, delay = 2.0 }
third_out = { weight = { distribution = "uniform", low = 1.0, high = 2.0 }, delay = 1.0 }
"#;

#[test]
fn astro_modelfile_tripartite_section_builds_nest_pairs() {
    let spec = parse_str("tri.toml", TRIPARTITE, &[], None).unwrap();
    let net = &spec.network;
    assert_eq!(spec.projection_names, vec!["ee_primary", "ee_third_in"]);
    assert_eq!(spec.graded_names, vec!["ee_third_out"]);
    let primary = &net.projections[0].synapses;
    let third_in = &net.projections[1].synapses;
    let third_out = &net.graded[0].synapses;
    assert_eq!(third_in.len(), third_out.len());
    // Block pools of size 1: target t's astrocyte is t / (40 / 8); the pair's source feeds it.
    for ((i, a, w_in, d_in), (a2, t, w_out, d_out)) in third_in.iter().zip(third_out.iter()) {
        assert_eq!(a, a2);
        assert_eq!(a, t / 5, "block pool of target {t}");
        assert!(
            primary.iter().any(|(p, q, _, _)| p == i && q == t),
            "pair ({i}, {t}) is a primary connection"
        );
        assert_eq!((w_in, d_in, d_out), (0.5, 20, 10));
        assert!((1.0..2.0).contains(&w_out));
    }
    // The fraction of primary connections with an astrocyte pair is p (binomial, 3 sigma).
    let n = primary.len() as f64;
    let frac = third_in.len() as f64 / n;
    let sigma = (0.4 * 0.6 / n).sqrt();
    println!(
        "{} primary, {} pairs: fraction {frac:.4} (p 0.4, 3σ {:.4})",
        primary.len(),
        third_in.len(),
        3.0 * sigma
    );
    assert!((frac - 0.4).abs() < 3.0 * sigma);
    // Same file, same seed: the same network; it runs.
    let again = parse_str("tri.toml", TRIPARTITE, &[], None).unwrap();
    assert_eq!(again.network.graded[0].synapses, *third_out);
    let mut sim = Simulation::with_threads(net, 2);
    sim.run_until(100, &mut MemoryObserver::default()).unwrap();
}

#[test]
fn astro_modelfile_random_pools_come_from_the_pool() {
    let text = TRIPARTITE.replace(
        "third_factor = { p = 0.4, pool_size = 1, pool_type = \"block\" }",
        "third_factor = { p_third_if_primary = 1.0, pool_size = 3, pool_type = \"random\" }",
    );
    let spec = parse_str("tri.toml", &text, &[], None).unwrap();
    let net = &spec.network;
    assert_eq!(
        net.projections[1].synapses.len(),
        net.projections[0].synapses.len()
    );
    let mut pools = vec![std::collections::BTreeSet::new(); 40];
    for (a, t, _, _) in net.graded[0].synapses.iter() {
        pools[t as usize].insert(a);
    }
    for (t, pool) in pools.iter().enumerate() {
        assert!(
            pool.len() <= 3,
            "target {t} draws from {pool:?}, more than its pool of 3"
        );
    }
}

#[test]
fn astro_modelfile_retention_example_loads() {
    let spec = load(
        std::path::Path::new(&format!("{EXAMPLES}/retention.toml")),
        &[],
        None,
    )
    .unwrap();
    let exp = spec.experiment.as_ref().expect("an [experiment] section");
    assert!(exp.conditions.len() >= 2);
    for (_, sets) in &exp.conditions {
        load(
            std::path::Path::new(&format!("{EXAMPLES}/retention.toml")),
            sets,
            None,
        )
        .unwrap();
    }
}

/// The retention example, shortened: two delays, two trials per point.
fn short_retention(extra: &[&str]) -> networks::modelfile::ModelSpec {
    let mut sets: Vec<String> = [
        "experiment.trials=2",
        "experiment.settle=200.0",
        "experiment.delays=[0.0, 300.0]",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    sets.extend(extra.iter().map(|s| s.to_string()));
    load(
        std::path::Path::new(&format!("{EXAMPLES}/retention.toml")),
        &sets,
        None,
    )
    .unwrap()
}

fn cpu(threads: usize) -> BackendChoice {
    BackendChoice::Cpu(CpuBackend::new(threads))
}

#[test]
fn astro_retention_experiment_is_thread_independent() {
    let spec = short_retention(&[]);
    let names: Vec<&str> = spec
        .experiment
        .as_ref()
        .unwrap()
        .conditions
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(names[0], "astro_off", "conditions keep the file's order");
    let one = networks::experiment::run_delayed_recall(&spec, &cpu(1)).unwrap();
    let two = networks::experiment::run_delayed_recall(&spec, &cpu(2)).unwrap();
    assert_eq!(one, two);
    assert_eq!(one.len(), names.len() * 2);
    for r in &one {
        assert!((0.0..=1.0).contains(&r.accuracy) && r.trials == 2 && r.chance == 0.125);
    }
}

#[test]
fn astro_retention_bad_condition_names_it() {
    let spec = short_retention(&[
        "experiment.conditions.astro_off=[\"populations.units.params.kappa_theta=-x\"]",
    ]);
    let err = networks::experiment::run_delayed_recall(&spec, &cpu(1)).unwrap_err();
    let msg = err.to_string();
    println!("{msg}");
    assert!(matches!(
        err,
        networks::experiment::ExperimentError::Input(_)
    ));
    assert!(msg.contains("experiment.conditions.astro_off") && msg.contains("kappa_theta"));
}

#[test]
fn astro_modelfile_adex_divergence_stops_the_run() {
    let text = r#"
dt = 0.1
duration = 10.0

[populations.exc]
cell_type = "aeif_cond_alpha_astro"
size = 4
params = { I_e = -1e12 }
"#;
    let spec = parse_str("diverge.toml", text, &[], None).unwrap();
    let mut sim = Simulation::with_threads(&spec.network, 2);
    let err = sim
        .run_until(100, &mut MemoryObserver::default())
        .unwrap_err()
        .to_string();
    println!("{err}");
    assert!(err.contains("'exc'") && err.contains("V_m") && err.contains("instability"));
}
