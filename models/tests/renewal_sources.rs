//! `SpikeSourceGamma` and `SpikeSourcePoissonRefractory`: their intervals follow the analytic
//! distributions (Kolmogorov–Smirnov against the gamma and the dead-time exponential CDF, with a
//! negative control that the same test rejects a Poisson train of the same rate), and a neuron's
//! train does not depend on how the population is sliced (threads, shards).

mod compare;

use models::neurons::spike_source_gamma::SpikeSourceGammaParams;
use models::neurons::spike_source_poisson_refractory::SpikeSourcePoissonRefractoryParams;
use models::neurons::{SpikeSourceGamma, SpikeSourcePoissonRefractory};
use sim_core::model::StepContext;
use sim_core::{PopulationModel, TimeGrid};

/// A fine grid, so that stamping on it moves an interval by less than DT: the CDF seen through
/// the grid differs from the continuous one by at most (largest density)·DT.
const DT: f64 = 0.01;
const NEURONS: u32 = 200;
const DURATION_MS: f64 = 5000.0;

/// Spike steps of neurons `range` of `model`.
fn trains(model: &dyn PopulationModel, range: std::ops::Range<u32>) -> Vec<Vec<u64>> {
    let grid = TimeGrid::new(DT).unwrap();
    let mut kernel = model.instantiate(0, range.clone(), &grid, 42);
    let mut out = vec![Vec::new(); range.len()];
    let mut spikes = Vec::new();
    for step in 0..(DURATION_MS / DT) as u64 {
        spikes.clear();
        let ctx = StepContext { step, dt_ms: DT };
        kernel.update(&ctx, &mut [], &mut spikes).unwrap();
        for &i in &spikes {
            out[i as usize].push(step);
        }
    }
    out
}

/// All intervals (ms), sorted.
fn intervals(model: &dyn PopulationModel) -> Vec<f64> {
    let mut isi: Vec<f64> = trains(model, 0..NEURONS)
        .iter()
        .flat_map(|t| {
            t.windows(2)
                .map(|w| (w[1] - w[0]) as f64 * DT)
                .collect::<Vec<_>>()
        })
        .collect();
    isi.sort_by(f64::total_cmp);
    isi
}

/// The Kolmogorov–Smirnov distance between the sorted sample and `cdf` (NaN if any is NaN).
fn ks_distance(sorted: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    let n = sorted.len() as f64;
    compare::max_of(sorted.iter().enumerate().map(|(k, &x)| {
        let f = cdf(x);
        (f - k as f64 / n).abs().max(((k + 1) as f64 / n - f).abs())
    }))
}

/// The distance a correct sample of `n` exceeds with probability 0.1 % (1.95/√n), plus the
/// grid's bound `density_max·DT`. The sample is fixed (seed 42), so the test is deterministic;
/// the margin says a correct kernel passes for almost every seed.
fn ks_bound(n: usize, density_max: f64) -> f64 {
    1.95 / (n as f64).sqrt() + density_max * DT
}

/// P(k, x/θ) for integer shape k: 1 − e^(−y) Σ_{j<k} y^j/j!.
fn gamma_cdf_integer_shape(k: u32, scale: f64, x: f64) -> f64 {
    let y = x / scale;
    let mut term = 1.0;
    let mut sum = 0.0;
    for j in 0..k {
        sum += term;
        term *= y / (j + 1) as f64;
    }
    1.0 - (-y).exp() * sum
}

fn exponential_cdf(mean: f64, x: f64) -> f64 {
    1.0 - (-x / mean).exp()
}

#[test]
fn gamma_intervals_follow_the_gamma_distribution() {
    let (alpha, beta) = (3.0, 60.0); // mean interval 50 ms
    let grid = TimeGrid::new(DT).unwrap();
    let p = SpikeSourceGammaParams {
        alpha,
        beta,
        ..Default::default()
    };
    let model = SpikeSourceGamma::new(&p, &grid).unwrap();
    let isi = intervals(&model);
    assert!(isi.len() > 15_000, "{} intervals", isi.len());
    let scale = 1000.0 / beta;
    // The gamma(3) density peaks at x = 2θ: 4e^(−2)/(2θ) per ms.
    let bound = ks_bound(isi.len(), 4.0 * (-2.0f64).exp() / (2.0 * scale));
    let d = ks_distance(&isi, |x| gamma_cdf_integer_shape(3, scale, x));
    eprintln!(
        "gamma: {} intervals, KS distance {d:.4} (bound {bound:.4})",
        isi.len()
    );
    assert!(d <= bound, "KS distance {d} > {bound}");
    // The same test rejects a Poisson train of the same mean rate.
    let d_poisson = ks_distance(&isi, |x| exponential_cdf(alpha * scale, x));
    assert!(d_poisson > 3.0 * bound, "exponential: {d_poisson}");
}

#[test]
fn gamma_with_a_non_integer_shape_has_the_gamma_mean_and_variance() {
    let (alpha, beta) = (0.5, 10.0); // mean 50 ms, variance 5000 ms²
    let grid = TimeGrid::new(DT).unwrap();
    let p = SpikeSourceGammaParams {
        alpha,
        beta,
        ..Default::default()
    };
    let isi = intervals(&SpikeSourceGamma::new(&p, &grid).unwrap());
    let n = isi.len() as f64;
    let mean = isi.iter().sum::<f64>() / n;
    let var = isi.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let (mu, sigma2) = (alpha * 1000.0 / beta, alpha * (1000.0 / beta).powi(2));
    // Five standard errors of the mean; the variance of a gamma sample variance is
    // (μ4 − σ⁴)/n with μ4 = 3σ⁴(1 + 2/α) for the gamma distribution.
    let se_mean = (sigma2 / n).sqrt();
    let se_var = ((3.0 * sigma2 * sigma2 * (1.0 + 2.0 / alpha) - sigma2 * sigma2) / n).sqrt();
    eprintln!("gamma(0.5): mean {mean:.2} ({mu}), variance {var:.0} ({sigma2})");
    assert!((mean - mu).abs() < 5.0 * se_mean, "mean {mean}");
    assert!((var - sigma2).abs() < 5.0 * se_var, "variance {var}");
}

#[test]
fn dead_time_intervals_follow_the_shifted_exponential() {
    let (rate, dead) = (40.0, 5.0); // mean 25 ms: 5 ms dead time + exponential of mean 20 ms
    let grid = TimeGrid::new(DT).unwrap();
    let p = SpikeSourcePoissonRefractoryParams {
        rate,
        tau_refrac: dead,
        ..Default::default()
    };
    let isi = intervals(&SpikeSourcePoissonRefractory::new(&p, &grid).unwrap());
    assert!(isi.len() > 30_000, "{} intervals", isi.len());
    assert!(isi[0] >= dead - DT, "shortest interval {}", isi[0]);
    let tail = 1000.0 / rate - dead;
    let bound = ks_bound(isi.len(), 1.0 / tail);
    let d = ks_distance(&isi, |x| {
        if x < dead {
            0.0
        } else {
            exponential_cdf(tail, x - dead)
        }
    });
    eprintln!(
        "dead time: {} intervals, KS distance {d:.4} (bound {bound:.4})",
        isi.len()
    );
    assert!(d <= bound, "KS distance {d} > {bound}");
    let d_poisson = ks_distance(&isi, |x| exponential_cdf(1000.0 / rate, x));
    assert!(d_poisson > 3.0 * bound, "exponential: {d_poisson}");
}

#[test]
fn a_train_does_not_depend_on_the_slice() {
    let grid = TimeGrid::new(DT).unwrap();
    let gamma = SpikeSourceGamma::new(
        &SpikeSourceGammaParams {
            alpha: 2.0,
            beta: 100.0,
            ..Default::default()
        },
        &grid,
    )
    .unwrap();
    let dead = SpikeSourcePoissonRefractory::new(
        &SpikeSourcePoissonRefractoryParams {
            rate: 50.0,
            tau_refrac: 2.0,
            ..Default::default()
        },
        &grid,
    )
    .unwrap();
    for model in [&gamma as &dyn PopulationModel, &dead] {
        let whole = trains(model, 0..10);
        let part = trains(model, 4..10);
        assert!(whole.iter().all(|t| t.len() > 10));
        assert_eq!(&whole[4..], &part[..]);
    }
}

#[test]
fn a_dead_time_as_long_as_the_mean_interval_is_refused() {
    let grid = TimeGrid::new(DT).unwrap();
    let p = SpikeSourcePoissonRefractoryParams {
        rate: 100.0,
        tau_refrac: 10.0,
        ..Default::default()
    };
    let e = SpikeSourcePoissonRefractory::new(&p, &grid).unwrap_err();
    assert_eq!(e.param, "rate");
}
