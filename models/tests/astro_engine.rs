//! The NEST 3.10 astrocyte fixtures replayed through the engine (`sim_core::Simulation`), not the
//! standalone structs: spike projections into `astrocyte_lr_1994`, the astrocyte's SIC through a
//! graded `sic_connection` projection into `aeif_cond_alpha_astro` (spec §5.2 Tier A).
//!
//! The scenario is built three times over with the SIC projections crossed (astrocyte i drives
//! neuron 2 - i), so that with two threads SIC values cross shards; every copy must match NEST.

mod astro_fixtures;
mod compare;

use std::sync::Arc;

use astro_fixtures::{meta, num, params, Csv};
use compare::{exceeds, max_of, zip_equal};

use models::astro::aeif_cond_alpha_astro::AeifCondAlphaAstroModel;
use models::astro::lr1994::AstrocyteLr1994Model;
use models::dist::Value;
use models::neurons::SpikeSourceArray;
use serde_json::Value as Json;
use sim_core::{
    GradedProjection, MemoryObserver, Network, Projection, RecordSpec, Simulation, Step,
    SynapseList, TimeGrid,
};

const COPIES: u32 = 3;

/// Builds the scenario: sources replaying `in_arrivals`, COPIES astrocytes and neurons.
fn network(meta: &Json, scen: &str, refc: &Csv) -> Network {
    let sc = &meta["scenarios"][scen];
    let grid = TimeGrid::new(num(meta, "resolution_ms")).unwrap();
    let d = grid.steps(num(meta, "delay_ms")).unwrap();
    let init = &sc["params"]["initial_state"];
    let (ap, np) = params(sc);
    let mut net = Network::new(grid, 1);

    // Row k holds the arrivals at t_k, the end of NEST step k = engine step k - 1; a source
    // spike emitted at engine step e arrives in step e + d. Source j fires wherever the count
    // exceeds j, so each row's count is replayed exactly.
    let arrivals = refc.col("in_arrivals");
    let most = arrivals.iter().fold(0.0f64, |m, &c| m.max(c)) as usize;
    let mut steps: Vec<Vec<Step>> = vec![Vec::new(); most];
    for (k, &c) in arrivals.iter().enumerate() {
        for s in steps.iter_mut().take(c as usize) {
            s.push(
                (k as Step)
                    .checked_sub(1 + d)
                    .expect("arrival after the delay"),
            );
        }
    }
    let src = net
        .add_population(
            "input",
            most as u32,
            Arc::new(SpikeSourceArray::from_steps(steps)),
        )
        .unwrap();
    let c = |k: &str| Some(Value::Constant(num(init, k)));
    let astro_model =
        AstrocyteLr1994Model::new(ap, [c("IP3"), c("Ca_astro"), c("h_IP3R")]).unwrap();
    let astro = net
        .add_population("astro", COPIES, Arc::new(astro_model))
        .unwrap();
    let nrn_model = AeifCondAlphaAstroModel::new(np, c("V_m"), c("w"), &grid).unwrap();
    let nrn = net
        .add_population("neuron", COPIES, Arc::new(nrn_model))
        .unwrap();

    let all_to_all = |w: f64| {
        let mut s = SynapseList::default();
        for i in 0..most as u32 {
            for j in 0..COPIES {
                s.push(i, j, w, d as u16);
            }
        }
        s
    };
    net.add_projection(Projection {
        name: "input_astro".into(),
        pre: src,
        post: astro,
        receptor: 0,
        synapses: all_to_all(num(meta, "w_in_astro")),
        plasticity: None,
    })
    .unwrap();
    if scen == "tripartite" {
        net.add_projection(Projection {
            name: "input_neuron".into(),
            pre: src,
            post: nrn,
            receptor: 0,
            synapses: all_to_all(num(meta, "w_in_neuron_nS")),
            plasticity: None,
        })
        .unwrap();
    }
    let mut sic = SynapseList::default();
    for i in 0..COPIES {
        sic.push(i, COPIES - 1 - i, num(meta, "w_sic"), d as u16);
    }
    net.add_graded_projection(GradedProjection {
        name: "sic".into(),
        pre: astro,
        post: nrn,
        output: 0,
        input: 0,
        synapses: sic,
    })
    .unwrap();
    let all: Vec<u32> = (0..COPIES).collect();
    net.set_record(
        astro,
        RecordSpec {
            spikes: false,
            vars: vec![0, 1, 2],
            neurons: all.clone(),
            interval: 1,
        },
    )
    .unwrap();
    net.set_record(
        nrn,
        RecordSpec {
            spikes: true,
            vars: vec![0, 1, 2, 4],
            neurons: all,
            interval: 1,
        },
    )
    .unwrap();
    net
}

/// Recorded columns (fixture names) of copy `c`, rows 1.. of the fixture.
fn column(obs: &MemoryObserver, name: &str, c: usize) -> Vec<f64> {
    let (pop, var) = match name {
        "IP3" => (1, 0),
        "Ca_astro" => (1, 1),
        "h_IP3R" => (1, 2),
        "V_m" => (2, 0),
        "w" => (2, 1),
        "g_ex" => (2, 2),
        "I_SIC" => (2, 4),
        _ => unreachable!(),
    };
    let (_, vals) = &obs.samples[&(pop, var)];
    vals.iter()
        .skip(c)
        .step_by(COPIES as usize)
        .copied()
        .collect()
}

fn run(net: &Network, threads: usize, steps: Step) -> (MemoryObserver, Simulation) {
    let mut sim = Simulation::with_threads(net, threads);
    let mut obs = MemoryObserver::default();
    sim.run_until(steps, &mut obs).unwrap();
    (obs, sim)
}

/// Max |engine - NEST| per column over rows 1.., the worst copy.
fn errors(obs: &MemoryObserver, refc: &Csv, mask: Option<&[bool]>) -> Vec<(&'static str, f64)> {
    ["IP3", "Ca_astro", "h_IP3R", "V_m", "w", "g_ex", "I_SIC"]
        .iter()
        .map(|&k| {
            let reference = &refc.col(k)[1..];
            let e = max_of((0..COPIES as usize).map(|c| {
                max_of(
                    zip_equal(k, &column(obs, k, c), reference)
                        .enumerate()
                        .filter(|(r, _)| mask.is_none_or(|m| m[r + 1]))
                        .map(|(_, (a, b))| (a - b).abs()),
                )
            }));
            (k, e)
        })
        .collect()
}

/// Spike times (ms, step-end stamps) of neuron copy `c`.
fn spike_times(obs: &MemoryObserver, c: u32, dt: f64) -> Vec<f64> {
    obs.spikes
        .get(2)
        .map(|s| {
            s.iter()
                .filter(|&&(_, i)| i == c)
                .map(|&(t, _)| ((t + 1) as f64 * dt * 1e6).round() / 1e6)
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn astro_engine_main_trace_tier_a() {
    let meta = meta();
    let refc = Csv::load("nest_astrocyte_trace.csv");
    let net = network(&meta, "sic", &refc);
    let steps = (refc.col("time_ms").len() - 1) as Step;
    let (obs, _) = run(&net, 1, steps);
    let mut failed = vec![];
    for (k, e) in errors(&obs, &refc, None) {
        let tol = if ["IP3", "Ca_astro", "h_IP3R"].contains(&k) {
            1e-9
        } else {
            1e-6
        };
        println!("[engine main] max|err| {k} = {e:.3e} (tol {tol:.0e})");
        if exceeds(e, tol) {
            failed.push(format!("{k}: {e:e}"));
        }
    }
    for c in 0..COPIES {
        assert!(
            spike_times(&obs, c, 0.1).is_empty(),
            "no spikes in the main fixture"
        );
    }
    assert!(failed.is_empty(), "Tier A exceeded: {failed:?}");
}

#[test]
fn astro_engine_tripartite_trace_tier_a_threads_identical() {
    let meta = meta();
    let sc = &meta["scenarios"]["tripartite"];
    let refc = Csv::load("nest_astrocyte_tripartite_trace.csv");
    let net = network(&meta, "tripartite", &refc);
    let dt = num(&meta, "resolution_ms");
    let steps = (refc.col("time_ms").len() - 1) as Step;
    let (one, _) = run(&net, 1, steps);
    let (two, _) = run(&net, 2, steps);
    assert_eq!(one, two, "1 and 2 threads must be bit-identical");

    let nest: Vec<f64> = sc["neuron_spike_times_ms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    for c in 0..COPIES {
        let mine = spike_times(&one, c, dt);
        println!("[engine tripartite] copy {c} spikes {mine:?} vs NEST {nest:?}");
        assert_eq!(mine, nest, "spike times must be identical");
    }
    // The engine population integrates as NEST does (GSL rkf45), so V_m, w and g_ex follow
    // NEST through the spikes within the main fixture's tolerances.
    let mut failed = vec![];
    for (k, e) in errors(&one, &refc, None) {
        let tol = if ["IP3", "Ca_astro", "h_IP3R"].contains(&k) {
            1e-9
        } else {
            1e-6
        };
        println!("[engine tripartite] max|err| {k} = {e:.3e} (tol {tol:.0e})");
        if exceeds(e, tol) {
            failed.push(format!("{k}: {e:e}"));
        }
    }
    assert!(failed.is_empty(), "exceeded: {failed:?}");
}

#[test]
fn astro_engine_checkpoint_resumes_exactly() {
    // A checkpoint taken mid-run (SIC values in flight in the graded ring) and restored into a
    // simulation with another thread count continues exactly as the uninterrupted run.
    let meta = meta();
    let refc = Csv::load("nest_astrocyte_tripartite_trace.csv");
    let net = network(&meta, "tripartite", &refc);
    let steps = (refc.col("time_ms").len() - 1) as Step;
    let (whole, _) = run(&net, 1, steps);
    let half = 4567; // inside the SIC-driven part, between spikes
    let (_, first) = run(&net, 2, half);
    let cp = sim_core::Checkpoint::from_bytes(&first.checkpoint().to_bytes()).unwrap();
    assert!(
        cp.graded.iter().any(|g| g.iter().any(|&v| v != 0.0)),
        "SIC values are in flight at the checkpoint"
    );
    let mut second = Simulation::with_threads(&net, 1);
    second.restore(&cp).unwrap();
    let mut rest = MemoryObserver::default();
    second.run_until(steps, &mut rest).unwrap();
    for ((pop, var), (st, vals)) in &rest.samples {
        let (wst, wvals) = &whole.samples[&(*pop, *var)];
        let off = wst.iter().position(|&s| s == st[0]).unwrap() * COPIES as usize;
        assert_eq!(&wvals[off..], &vals[..], "population {pop}, variable {var}");
    }
    let tail: Vec<_> = whole.spikes[2]
        .iter()
        .filter(|&&(t, _)| t >= half)
        .copied()
        .collect();
    assert_eq!(rest.spikes[2], tail);
}

#[test]
fn astro_engine_checkpoint_with_wrong_graded_section_is_rejected() {
    let meta = meta();
    let refc = Csv::load("nest_astrocyte_trace.csv");
    let net = network(&meta, "sic", &refc);
    let (_, sim) = run(&net, 1, 100);
    let mut cp = sim.checkpoint();
    let neuron = net.population_id("neuron").unwrap();
    cp.graded[neuron].pop();
    let mut other = Simulation::with_threads(&net, 2);
    let err = other.restore(&cp).unwrap_err().to_string();
    println!("{err}");
    assert!(err.contains("graded"), "{err}");
    assert_eq!(other.step(), 0, "nothing restored from a bad checkpoint");
}

#[test]
fn astro_engine_negative_astrocyte_weight_stops_the_run() {
    let meta = meta();
    let refc = Csv::load("nest_astrocyte_trace.csv");
    let mut net = network(&meta, "sic", &refc);
    for w in net.projections[0].synapses.weight.iter_mut() {
        *w = -1.0;
    }
    let mut sim = Simulation::single(&net);
    let err = sim
        .run_until(10_000, &mut MemoryObserver::default())
        .unwrap_err()
        .to_string();
    println!("{err}");
    assert!(err.contains("'astro'") && err.contains("weight") && err.contains(">= 0"));
}
