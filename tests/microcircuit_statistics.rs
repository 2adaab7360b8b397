//! The microcircuit at reduced scale (10 % of the neurons, full in-degrees, DC drive) against
//! NEST 3.10: per population, the distributions of firing rate, ISI CV and 2 ms spike-count
//! correlation (Dasbach et al. 2021) of engram runs are no further from NEST's, by the
//! Kolmogorov–Smirnov distance, than NEST's runs of different seeds are from each other; and
//! the mean rates agree with NEST's seed ensemble.
//!
//! The NEST side (`tests/data/microcircuit_nest/seed-N.json`, seeds 1 to 4: 500 ms
//! presimulation, then 2 s) is written by `bench/peers/microcircuit_reference.py`
//! (`bench/peers/nest_microcircuit.py` for the runs, `engram analyse` for the statistics).
//! engram runs the same model time from `examples/microcircuit.toml` on three seeds.

use std::path::Path;

use engram::spike_stats::{
    analyse, ks_distance, mean_sd, PopulationSpikes, PopulationStats, RunSpikes, Window,
};
use networks::modelfile::load;
use serde::Deserialize;
use sim_core::{MemoryObserver, Simulation};

const NEST_SEEDS: [u32; 4] = [1, 2, 3, 4];
const ENGRAM_SEEDS: [u64; 3] = [1, 2, 3];
const PRESIM_MS: f64 = 500.0;
const SECONDS: f64 = 2.0;
/// How many standard errors the engram–NEST mean may exceed the NEST–NEST mean by.
const SE_BOUND: f64 = 3.0;

#[derive(Deserialize)]
struct NestRun {
    simulator: String,
    scale: f64,
    presim_ms: f64,
    seconds: f64,
    window: serde_json::Value,
    populations: Vec<PopulationStats>,
}

fn nest(seed: u32) -> NestRun {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/data/microcircuit_nest/seed-{seed}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let run: NestRun = serde_json::from_str(&text).unwrap();
    assert_eq!(run.simulator, "NEST 3.10.0");
    assert_eq!(
        (run.scale, run.presim_ms, run.seconds),
        (0.1, PRESIM_MS, SECONDS)
    );
    assert_eq!(run.window["subsample"], 50);
    assert_eq!(run.window["bin_ms"], 2.0);
    run
}

fn window() -> Window {
    Window {
        from_ms: PRESIM_MS,
        to_ms: PRESIM_MS + SECONDS * 1000.0,
        bin_ms: 2.0,
        subsample: 50,
    }
}

/// engram's statistics for one seed, from spikes stamped at the end of their step, as NEST's.
fn engram(seed: u64) -> Vec<PopulationStats> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/microcircuit.toml");
    let set = [
        "microcircuit.scale=0.1".to_string(),
        format!("duration={}", PRESIM_MS + SECONDS * 1000.0),
    ];
    let spec = load(&path, &set, Some(seed)).unwrap();
    let net = &spec.network;
    let mut obs = MemoryObserver::default();
    Simulation::with_threads(net, 2)
        .run_until(spec.duration_steps, &mut obs)
        .unwrap();
    let dt = net.grid.dt_ms();
    let run = RunSpikes {
        dir: path.clone(),
        duration_ms: spec.duration_steps as f64 * dt,
        populations: net
            .populations
            .iter()
            .zip(&obs.spikes)
            .map(|(p, spikes)| PopulationSpikes {
                name: p.name.clone(),
                size: p.size,
                senders: spikes.iter().map(|s| s.1).collect(),
                times: spikes.iter().map(|s| (s.0 + 1) as f64 * dt).collect(),
            })
            .collect(),
    };
    analyse(&run, &window())
}

type Pick = fn(&PopulationStats) -> &Vec<f64>;
const STATISTICS: [(&str, Pick); 3] = [
    ("rate", |p| &p.rates),
    ("ISI CV", |p| &p.cvs),
    ("correlation", |p| &p.ccs),
];

fn distances<'a>(
    a: impl Iterator<Item = &'a [PopulationStats]> + Clone,
    b: &'a [Vec<PopulationStats>],
    pop: usize,
    pick: Pick,
    pairs_within: bool,
) -> Vec<f64> {
    let mut out = Vec::new();
    for (i, x) in a.enumerate() {
        for (k, y) in b.iter().enumerate() {
            if pairs_within && k <= i {
                continue;
            }
            let d = ks_distance(pick(&x[pop]), pick(&y[pop]))
                .unwrap_or_else(|| panic!("{}: an empty distribution", x[pop].name));
            out.push(d);
        }
    }
    out
}

#[test]
fn engram_is_as_close_to_nest_as_nest_is_to_itself() {
    let nest: Vec<Vec<PopulationStats>> = NEST_SEEDS.iter().map(|&s| nest(s).populations).collect();
    let ours: Vec<Vec<PopulationStats>> = ENGRAM_SEEDS.iter().map(|&s| engram(s)).collect();
    let names: Vec<&str> = nest[0].iter().map(|p| p.name.as_str()).collect();
    for run in &ours {
        let got: Vec<&str> = run.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(got, names);
        for (p, q) in run.iter().zip(&nest[0]) {
            assert_eq!(p.size, q.size, "{}: population sizes", p.name);
        }
    }
    let mut failures = Vec::new();
    for (pop, name) in names.iter().enumerate() {
        // Mean rates: engram's seed mean within SE_BOUND standard errors of NEST's.
        let seed_means = |runs: &[Vec<PopulationStats>]| -> Vec<f64> {
            runs.iter()
                .map(|r| mean_sd(&r[pop].rates).unwrap().0)
                .collect()
        };
        let (nest_mean, nest_sd) = mean_sd(&seed_means(&nest)).unwrap();
        let (our_mean, _) = mean_sd(&seed_means(&ours)).unwrap();
        let se = nest_sd
            * (1.0 / NEST_SEEDS.len() as f64 + 1.0 / ENGRAM_SEEDS.len() as f64).sqrt()
            * (NEST_SEEDS.len() as f64 / (NEST_SEEDS.len() - 1) as f64).sqrt();
        eprintln!("{name}: rate {our_mean:.3} Hz, NEST {nest_mean:.3} ± {nest_sd:.3} Hz");
        // Written so that a NaN fails.
        let rate_agrees = (our_mean - nest_mean).abs() <= SE_BOUND * se;
        if !rate_agrees {
            failures.push(format!(
                "{name}: mean rate {our_mean:.3} Hz vs NEST {nest_mean:.3} Hz (SE {se:.3})"
            ));
        }
        for (stat, pick) in STATISTICS {
            let within = distances(nest.iter().map(Vec::as_slice), &nest, pop, pick, true);
            let cross = distances(ours.iter().map(Vec::as_slice), &nest, pop, pick, false);
            let (w_mean, w_sd) = mean_sd(&within).unwrap();
            let (c_mean, _) = mean_sd(&cross).unwrap();
            let se = w_sd * (1.0 / within.len() as f64 + 1.0 / cross.len() as f64).sqrt();
            eprintln!(
                "{name} {stat}: KS engram–NEST {c_mean:.3}, NEST–NEST {w_mean:.3} ± {w_sd:.3}"
            );
            let as_close = c_mean <= w_mean + SE_BOUND * se;
            if !as_close {
                failures.push(format!(
                    "{name} {stat}: KS engram–NEST {c_mean:.3} > NEST–NEST {w_mean:.3} + {SE_BOUND} × {se:.3}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
