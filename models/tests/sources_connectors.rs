//! Spike sources and PyNN connectors against their definitions: exact spike times, Poisson
//! counts within binomial bounds and independent of the thread count, exact degrees.

use std::sync::Arc;

use models::connectors::{ConnectContext, Connector};
use models::dist::Value;
use models::neurons::spike_source_poisson::SpikeSourcePoissonParams;
use models::neurons::{SpikeSourceArray, SpikeSourcePoisson};
use sim_core::network::{Network, RecordSpec, SynapseList};
use sim_core::{MemoryObserver, Simulation, TimeGrid};

fn record_all(net: &mut Network, pop: usize) {
    net.set_record(
        pop,
        RecordSpec {
            spikes: true,
            interval: 1,
            ..Default::default()
        },
    )
    .unwrap();
}

#[test]
fn spike_source_array_emits_exactly_its_times() {
    let grid = TimeGrid::new(0.1).unwrap();
    let src =
        SpikeSourceArray::new(&[vec![0.0, 0.3, 1.5], vec![], vec![2.0, 0.3]], 3, &grid).unwrap();
    let mut net = Network::new(grid, 1);
    let p = net.add_population("s", 3, Arc::new(src)).unwrap();
    record_all(&mut net, p);
    let mut obs = MemoryObserver::default();
    Simulation::with_threads(&net, 2)
        .run_until(30, &mut obs)
        .unwrap();
    assert_eq!(
        obs.spikes[p],
        vec![(0, 0), (3, 0), (3, 2), (15, 0), (20, 2)]
    );
    let e = SpikeSourceArray::new(&[vec![0.05]], 1, &grid).unwrap_err();
    assert!(
        e.param.starts_with("spike_times") && e.allowed.contains("not a multiple"),
        "{e}"
    );
}

#[test]
fn poisson_counts_rates_windows_and_thread_invariance() {
    let grid = TimeGrid::new(0.1).unwrap();
    let (n, rate, start, duration) = (2000u32, 20.0, 100.0, 800.0);
    let params = SpikeSourcePoissonParams {
        rate,
        start,
        duration,
    };
    let mut net = Network::new(grid, 42);
    let p = net
        .add_population(
            "p",
            n,
            Arc::new(SpikeSourcePoisson::new(&params, &grid).unwrap()),
        )
        .unwrap();
    record_all(&mut net, p);
    let run = |threads| {
        let mut obs = MemoryObserver::default();
        Simulation::with_threads(&net, threads)
            .run_until(12_000, &mut obs)
            .unwrap();
        obs
    };
    let one = run(1);
    assert_eq!(one, run(3), "1 and 3 threads draw the same trains");
    let spikes = &one.spikes[p];
    // Bernoulli per step with p = rate·dt: count ~ Binomial(n·steps, p).
    let steps = duration / 0.1;
    let prob = rate * 0.1 / 1000.0;
    let mean = n as f64 * steps * prob;
    let sd = (n as f64 * steps * prob * (1.0 - prob)).sqrt();
    let count = spikes.len() as f64;
    assert!(
        (count - mean).abs() < 4.0 * sd,
        "{count} spikes, expected {mean} ± {sd}"
    );
    assert!(
        spikes.iter().all(|&(t, _)| (1000..9000).contains(&t)),
        "only inside [start, start + duration)"
    );
}

fn connect(c: &Connector, n_pre: u32, n_post: u32, same: bool, seed: u64) -> SynapseList {
    let grid = TimeGrid::new(0.1).unwrap();
    let (w, d) = (Value::Constant(1.0), Value::Constant(0.2));
    c.connect(&ConnectContext {
        n_pre,
        n_post,
        same_population: same,
        weight: &w,
        delay: &d,
        grid: &grid,
        seed,
        projection: 3,
        magnitude: false,
    })
    .unwrap()
}

fn degrees(s: &SynapseList, n_pre: u32, n_post: u32) -> (Vec<u32>, Vec<u32>) {
    let mut out = vec![0; n_pre as usize];
    let mut inn = vec![0; n_post as usize];
    for (&i, &j) in s.pre.iter().zip(&s.post) {
        out[i as usize] += 1;
        inn[j as usize] += 1;
    }
    (out, inn)
}

#[test]
fn connectors_have_their_defined_structure() {
    let all = connect(
        &Connector::AllToAll {
            allow_self_connections: true,
        },
        7,
        7,
        true,
        1,
    );
    assert_eq!(all.len(), 49);
    let no_self = connect(
        &Connector::AllToAll {
            allow_self_connections: false,
        },
        7,
        7,
        true,
        1,
    );
    assert_eq!(no_self.len(), 42);
    assert!(no_self.pre.iter().zip(&no_self.post).all(|(i, j)| i != j));
    let one = connect(&Connector::OneToOne, 9, 9, false, 1);
    assert!(one.pre.iter().zip(&one.post).all(|(i, j)| i == j) && one.len() == 9);
    assert!(
        one.delay.iter().all(|&d| d == 2),
        "0.2 ms at dt 0.1 is 2 steps"
    );

    let (n_pre, n_post, p) = (400u32, 300u32, 0.1);
    let fp = connect(
        &Connector::FixedProbability {
            p_connect: p,
            allow_self_connections: true,
        },
        n_pre,
        n_post,
        false,
        5,
    );
    let trials = (n_pre * n_post) as f64;
    let sd = (trials * p * (1.0 - p)).sqrt();
    assert!(
        (fp.len() as f64 - trials * p).abs() < 4.0 * sd,
        "{} synapses",
        fp.len()
    );
    let again = connect(
        &Connector::FixedProbability {
            p_connect: p,
            allow_self_connections: true,
        },
        n_pre,
        n_post,
        false,
        5,
    );
    assert_eq!(fp, again, "same seed, same synapses");

    for replacement in [false, true] {
        let pre = connect(
            &Connector::FixedNumberPre {
                n: 12,
                allow_self_connections: false,
                with_replacement: replacement,
            },
            50,
            50,
            true,
            9,
        );
        let (_, inn) = degrees(&pre, 50, 50);
        assert!(
            inn.iter().all(|&k| k == 12),
            "every post neuron has 12 inputs"
        );
        assert!(
            pre.pre.iter().zip(&pre.post).all(|(i, j)| i != j),
            "no self-connections"
        );
        let post = connect(
            &Connector::FixedNumberPost {
                n: 8,
                allow_self_connections: true,
                with_replacement: replacement,
            },
            30,
            20,
            false,
            9,
        );
        let (out, _) = degrees(&post, 30, 20);
        assert!(
            out.iter().all(|&k| k == 8),
            "every pre neuron has 8 outputs"
        );
        if !replacement {
            let mut pairs: Vec<(u32, u32)> = pre
                .pre
                .iter()
                .copied()
                .zip(pre.post.iter().copied())
                .collect();
            pairs.sort_unstable();
            pairs.dedup();
            assert_eq!(
                pairs.len(),
                pre.len(),
                "without replacement: no duplicate pairs"
            );
        }
    }

    let fl = Connector::FromList {
        conn_list: vec![vec![0.0, 1.0, 0.5, 0.3], vec![2.0, 0.0]],
    };
    let s = connect(&fl, 3, 2, false, 1);
    assert_eq!(
        (
            s.pre.clone(),
            s.post.clone(),
            s.weight.clone(),
            s.delay.clone()
        ),
        (vec![0, 2], vec![1, 0], vec![0.5, 1.0], vec![3, 2])
    );
}

/// A context for `n` -> `n` neurons of two populations, seed 1, projection 0.
fn context<'a>(
    n: u32,
    weight: &'a Value,
    delay: &'a Value,
    grid: &'a TimeGrid,
) -> ConnectContext<'a> {
    ConnectContext {
        n_pre: n,
        n_post: n,
        same_population: false,
        weight,
        delay,
        grid,
        seed: 1,
        projection: 0,
        magnitude: false,
    }
}

#[test]
fn delays_off_the_grid_or_below_dt_are_rejected() {
    let grid = TimeGrid::new(0.1).unwrap();
    for (d, what) in [
        (0.15, "not a multiple"),
        (0.05, "not a multiple"),
        (0.0, ">= dt"),
    ] {
        let (w, d) = (Value::Constant(1.0), Value::Constant(d));
        let e = Connector::OneToOne
            .connect(&context(2, &w, &d, &grid))
            .unwrap_err();
        assert_eq!(e.param, "delay");
        assert!(e.allowed.contains(what), "{e}");
    }
}

/// Where a connector offers a generator (model files use it for every static projection with a
/// constant weight and delay), it produces the synapses `connect` draws, in the same order, for
/// every connector kind, with and without self-connections and for magnitudes.
#[test]
fn generators_draw_the_synapses_connect_draws() {
    let grid = TimeGrid::new(0.1).unwrap();
    let connectors = [
        Connector::AllToAll {
            allow_self_connections: false,
        },
        Connector::OneToOne,
        Connector::FixedProbability {
            p_connect: 0.1,
            allow_self_connections: true,
        },
        Connector::FixedProbability {
            p_connect: 0.3,
            allow_self_connections: false,
        },
        Connector::FixedNumberPre {
            n: 7,
            allow_self_connections: false,
            with_replacement: false,
        },
        Connector::FixedNumberPre {
            n: 9,
            allow_self_connections: true,
            with_replacement: true,
        },
        Connector::Block {
            blocks: 4,
            p_connect: 0.5,
            allow_self_connections: false,
        },
        Connector::FixedTotalNumber {
            n: 500,
            allow_self_connections: false,
            with_replacement: true,
        },
        Connector::FixedTotalNumber {
            n: 300,
            allow_self_connections: true,
            with_replacement: false,
        },
    ];
    let (weight, delay) = (Value::Constant(-0.4), Value::Constant(0.3));
    let mut generated = 0;
    for c in &connectors {
        for (n_pre, n_post, same) in [(40, 40, true), (40, 40, false), (24, 60, false)] {
            if matches!(c, Connector::OneToOne) && n_pre != n_post {
                continue;
            }
            for magnitude in [false, true] {
                let cx = ConnectContext {
                    n_pre,
                    n_post,
                    same_population: same,
                    weight: &weight,
                    delay: &delay,
                    grid: &grid,
                    seed: 77,
                    projection: 3,
                    magnitude,
                };
                let held: Vec<_> = c.connect(&cx).unwrap().iter().collect();
                let Some(g) = c.generator(&cx).unwrap() else {
                    continue;
                };
                let list = SynapseList::generated(Arc::new(g));
                assert_eq!(list.len(), held.len(), "{c:?} {n_pre}x{n_post}");
                let drawn: Vec<_> = list.iter().collect();
                assert_eq!(drawn, held, "{c:?} {n_pre}x{n_post} same={same}");
                generated += 1;
            }
        }
    }
    // Every kind above but Block has a generator.
    assert!(generated >= 30, "{generated} generated lists compared");
}

/// Pearson's chi-square statistic of `counts` against equal expected counts.
fn chi_square_uniform(counts: &[u32], total: u64) -> f64 {
    let expected = total as f64 / counts.len() as f64;
    counts
        .iter()
        .map(|&k| (k as f64 - expected).powi(2) / expected)
        .sum()
}

/// `FixedTotalNumberConnector` puts exactly `n` synapses among the pairs. With replacement
/// (NEST's `fixed_total_number` with multapses, PyNN's default) every synapse picks its pair
/// uniformly, so in- and out-degrees are multinomial with equal cells: Pearson's statistic
/// against the uniform expectation is chi-square with (cells - 1) degrees of freedom, checked
/// within 5 SD over several seeds, and so is the spread of the in-degrees (binomial variance).
/// Multapses occur as often as the birthday problem says; without replacement none occur.
#[test]
fn fixed_total_number_spreads_n_synapses_uniformly_over_pairs() {
    let (n_pre, n_post, n) = (120u32, 200u32, 24_000u64);
    let ftn = |allow_self_connections, with_replacement| Connector::FixedTotalNumber {
        n,
        allow_self_connections,
        with_replacement,
    };
    let mut chi_in = Vec::new();
    for seed in 1..=8 {
        let s = connect(&ftn(true, true), n_pre, n_post, false, seed);
        assert_eq!(s.len() as u64, n, "exactly n synapses (seed {seed})");
        let (out, inn) = degrees(&s, n_pre, n_post);
        for (counts, what) in [(&inn, "in"), (&out, "out")] {
            let cells = counts.len() as f64;
            let chi = chi_square_uniform(counts, n);
            let (mean, sd) = (cells - 1.0, (2.0 * (cells - 1.0)).sqrt());
            assert!(
                (chi - mean).abs() < 5.0 * sd,
                "{what}-degrees: chi-square {chi:.1} vs {mean} +- {sd:.1} (seed {seed})"
            );
        }
        chi_in.push(chi_square_uniform(&inn, n));
        // Multapses: each pair holds Poisson(n / pairs) synapses, so the expected number of
        // distinct pairs is pairs * (1 - exp(-n / pairs)).
        let mut pairs: Vec<(u32, u32)> =
            s.pre.iter().copied().zip(s.post.iter().copied()).collect();
        pairs.sort_unstable();
        pairs.dedup();
        let cells = (n_pre * n_post) as f64;
        let lambda = n as f64 / cells;
        let distinct = cells * (1.0 - (-lambda).exp());
        let sd = (cells * (-lambda).exp() * (1.0 - (-lambda).exp())).sqrt();
        assert!(
            (pairs.len() as f64 - distinct).abs() < 5.0 * sd,
            "{} distinct pairs, expected {distinct:.0} +- {sd:.0}",
            pairs.len()
        );
        assert!(pairs.len() < s.len(), "multapses present");
    }
    // The mean statistic over seeds is the chi-square mean (cells - 1), within 4 SE.
    let mean = chi_in.iter().sum::<f64>() / chi_in.len() as f64;
    let se = (2.0 * (n_post - 1) as f64 / chi_in.len() as f64).sqrt();
    assert!(
        (mean - (n_post - 1) as f64).abs() < 4.0 * se,
        "mean in-degree chi-square {mean:.1} vs {} +- {se:.1}",
        n_post - 1
    );

    // No self-connections, same population.
    let s = connect(&ftn(false, true), 150, 150, true, 3);
    assert_eq!(s.len() as u64, n);
    assert!(s.pre.iter().zip(&s.post).all(|(i, j)| i != j));

    // Without replacement: no pair twice, and asking for every pair gives every pair.
    let s = connect(&ftn(false, false), 250, 250, true, 4);
    let mut pairs: Vec<(u32, u32)> = s.pre.iter().copied().zip(s.post.iter().copied()).collect();
    pairs.sort_unstable();
    pairs.dedup();
    assert_eq!((pairs.len() as u64, s.len() as u64), (n, n));
    assert!(s.pre.iter().zip(&s.post).all(|(i, j)| i != j));
    let full = Connector::FixedTotalNumber {
        n: 30 * 29,
        allow_self_connections: false,
        with_replacement: false,
    };
    let s = connect(&full, 30, 30, true, 5);
    let (out, inn) = degrees(&s, 30, 30);
    assert!(
        out.iter().chain(&inn).all(|&k| k == 29),
        "all pairs, once each"
    );

    // More pairs than exist without replacement is refused, naming n.
    let grid = TimeGrid::new(0.1).unwrap();
    let (w, d) = (Value::Constant(1.0), Value::Constant(0.2));
    let too_many = Connector::FixedTotalNumber {
        n: 101,
        allow_self_connections: true,
        with_replacement: false,
    };
    let e = too_many.connect(&context(10, &w, &d, &grid)).unwrap_err();
    assert_eq!(e.param, "n");
    assert!(e.allowed.contains("<= 100"), "{e}");
}
