//! How sPyNNaker chooses each receptor's ring-buffer left shift, and so the scale of its 16-bit
//! weights (`PopulationVertex._get_ring_buffer_shifts` with its `_Stats` helper,
//! `_ring_buffer_expected_upper_bound`, `utilities/running_stats.py`).
//!
//! For every projection onto a population the host notes, per receptor: the mean, variance and
//! maximum of the weights (a plastic projection counts as all at its maximum, with no variance),
//! the largest number of synapses onto one post neuron, the variance of the delays, and how
//! often the source spikes (30 spikes/s and one per tick for neurons, sPyNNaker's defaults; a
//! Poisson source's rate, and per tick its 99.9 % quantile plus one). Then, per receptor, the
//! largest sum one ring-buffer slot is expected to hold is:
//! * if no projection's delays vary: `max(Σ spikes_per_tick · w_max · n, biggest w_max)`;
//! * otherwise the Poisson bound `mean + 5 σ` of the summed input, capped by that sum.
//!
//! The shift is the smallest power of two above it.

/// sPyNNaker's `[Simulation] spikes_per_second` default.
pub const DEFAULT_SPIKES_PER_SECOND: f64 = 30.0;
/// `[Simulation] ring_buffer_sigma` default.
pub const RING_BUFFER_SIGMA: f64 = 5.0;
/// `constants.POSSION_SIGMA_SUMMATION_LIMIT`.
const POISSON_SIGMA_SUMMATION_LIMIT: f64 = 3.0;
/// `SpikeSourcePoissonMachineVertex.SLOW_RATE_PER_TICK_CUTOFF`.
const SLOW_RATE_PER_TICK_CUTOFF: f64 = 0.01;

/// Running mean and variance of groups of items (`RunningStats.add_items`).
#[derive(Debug, Clone, Copy, Default)]
pub struct RunningStats {
    n: f64,
    mean: f64,
    m2: f64,
}

impl RunningStats {
    pub fn add_items(&mut self, mean: f64, variance: f64, n: u64) {
        if n == 0 {
            return;
        }
        let n = n as f64;
        let total = self.n + n;
        let delta = mean - self.mean;
        self.mean = (self.n * self.mean + n * mean) / total;
        self.m2 += variance * (n - 1.0) + delta * delta * self.n * n / total;
        self.n = total;
    }

    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// Sample variance (0 for fewer than two items).
    pub fn variance(&self) -> f64 {
        if self.n <= 1.0 {
            0.0
        } else {
            self.m2 / (self.n - 1.0)
        }
    }

    pub fn n_items(&self) -> f64 {
        self.n
    }
}

/// How often a source population spikes, as the host assumes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SourceRate {
    pub spikes_per_second: f64,
    pub spikes_per_tick: f64,
}

impl SourceRate {
    /// A neuron population (or any source that does not say): sPyNNaker's defaults.
    pub fn default_for(ticks_per_second: f64) -> Self {
        SourceRate {
            spikes_per_second: DEFAULT_SPIKES_PER_SECOND,
            spikes_per_tick: (DEFAULT_SPIKES_PER_SECOND / ticks_per_second).max(1.0),
        }
    }

    /// A Poisson source of `rate_hz` (`SpikeSourcePoissonVertex.max_spikes_per_ts`).
    pub fn poisson(rate_hz: f64, ticks_per_second: f64) -> Self {
        let lambda = rate_hz / ticks_per_second;
        let per_tick = if lambda < SLOW_RATE_PER_TICK_CUTOFF {
            1.0
        } else {
            poisson_ppf(1.0 - 1.0 / 1000.0, lambda) as f64 + 1.0
        };
        SourceRate {
            spikes_per_second: if rate_hz != 0.0 {
                rate_hz
            } else {
                DEFAULT_SPIKES_PER_SECOND
            },
            spikes_per_tick: per_tick,
        }
    }
}

/// What one projection contributes to a receptor's statistics.
#[derive(Debug, Clone, Copy)]
pub struct ProjectionStats {
    pub weight_mean: f64,
    pub weight_variance: f64,
    pub weight_max: f64,
    /// Largest number of synapses onto one post neuron.
    pub n_connections: u64,
    pub delay_variance: f64,
    pub source: SourceRate,
}

/// The statistics of one receptor of one population.
#[derive(Debug, Clone, Default)]
pub struct ReceptorStats {
    weights: RunningStats,
    delays: RunningStats,
    rates: RunningStats,
    total: f64,
    biggest: f64,
}

impl ReceptorStats {
    pub fn add(&mut self, p: &ProjectionStats) {
        let n = p.n_connections;
        self.weights.add_items(p.weight_mean, p.weight_variance, n);
        self.biggest = self.biggest.max(p.weight_max);
        self.delays.add_items(0.0, p.delay_variance, n);
        self.rates.add_items(p.source.spikes_per_second, 0.0, n);
        self.total += p.source.spikes_per_tick * p.weight_max * n as f64;
    }

    /// The largest sum one ring-buffer slot is expected to hold (`_Stats.get_max_weight`).
    pub fn max_weight(&self, ticks_per_second: f64) -> f64 {
        if self.delays.variance() == 0.0 {
            return self.total.max(self.biggest);
        }
        let bound = expected_upper_bound(
            self.weights.mean(),
            self.weights.variance().sqrt(),
            self.rates.mean(),
            ticks_per_second,
            self.weights.n_items(),
            RING_BUFFER_SIGMA,
        );
        bound.min(self.total).max(self.biggest)
    }
}

/// `_ring_buffer_expected_upper_bound`: mean plus `sigma` standard deviations of the summed
/// input of `n` Poisson sources of the given rate, with weights of the given mean and spread.
pub fn expected_upper_bound(
    weight_mean: f64,
    weight_std: f64,
    spikes_per_second: f64,
    ticks_per_second: f64,
    n: f64,
    sigma: f64,
) -> f64 {
    let avg = n * spikes_per_second / ticks_per_second;
    let poisson_variance = avg * weight_mean * weight_mean;
    let upper = (avg + POISSON_SIGMA_SUMMATION_LIMIT * avg.sqrt()).round();
    let mut weight_variance = 0.0;
    if weight_std > 0.0 && avg > 0.0 {
        let a = 1.0 + upper;
        let lngamma = ln_factorial(upper as u64);
        let gammai = upper_incomplete_gamma_regularised(a as u64, avg);
        let big_ratio = avg.ln() * upper - lngamma;
        if -701.0 < big_ratio && big_ratio < 701.0 && big_ratio != 0.0 {
            let inner = avg.exp() * gammai - big_ratio.exp();
            if inner > 0.0 {
                let log_var = -avg + avg.ln() + 2.0 * weight_std.ln() + inner.ln();
                weight_variance = log_var.exp();
            }
        }
    }
    avg * weight_mean + sigma * (poisson_variance + weight_variance).sqrt()
}

/// ln(k!).
fn ln_factorial(k: u64) -> f64 {
    (1..=k).map(|i| (i as f64).ln()).sum()
}

/// Q(a, x) for a whole number a >= 1 (scipy's `gammaincc`): e^(−x) Σ_{k<a} x^k / k!.
fn upper_incomplete_gamma_regularised(a: u64, x: f64) -> f64 {
    let mut term = (-x).exp();
    let mut sum = term;
    for k in 1..a {
        term *= x / k as f64;
        sum += term;
    }
    sum.min(1.0)
}

/// The smallest k with P(X <= k) >= q for X ~ Poisson(lambda) (scipy's `poisson.ppf`).
fn poisson_ppf(q: f64, lambda: f64) -> u64 {
    let mut k = 0u64;
    let mut term = (-lambda).exp();
    let mut cdf = term;
    while cdf < q && k < 1_000_000 {
        k += 1;
        term *= lambda / k as f64;
        cdf += term;
    }
    k
}

/// The ring-buffer left shift for a slot sum of at most `max_weight`: the smallest power of two
/// above it (a sum of exactly 2^p needs one more bit, the range being [0, 2^p)).
pub fn ring_buffer_shift(max_weight: f64) -> u32 {
    let mut p = if max_weight <= 0.0 {
        0
    } else {
        max_weight.log2().max(0.0).ceil() as u32
    };
    if max_weight > 0.0 && 2f64.powi(p as i32) <= max_weight {
        p += 1;
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_stats_of_groups_equal_those_of_their_items() {
        // Items 1, 2, 3 (mean 2, sample var 1) and 5, 7 (mean 6, sample var 2).
        let mut s = RunningStats::default();
        s.add_items(2.0, 1.0, 3);
        s.add_items(6.0, 2.0, 2);
        let xs = [1.0, 2.0, 3.0, 5.0, 7.0];
        let mean = xs.iter().sum::<f64>() / 5.0;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / 4.0;
        assert!((s.mean() - mean).abs() < 1e-12);
        assert!((s.variance() - var).abs() < 1e-12);
    }

    #[test]
    fn constant_delays_take_the_summed_bound() {
        // CA3's CA3cueContRecall excitatory input: 1 synapse of 6 nA (d = 2) plus 10 plastic of
        // w_max 6 (d = 1): 66 → shift 7.
        let mut r = ReceptorStats::default();
        let src = SourceRate::default_for(1000.0);
        for (w, n) in [(6.0, 1), (6.0, 10)] {
            r.add(&ProjectionStats {
                weight_mean: w,
                weight_variance: 0.0,
                weight_max: w,
                n_connections: n,
                delay_variance: 0.0,
                source: src,
            });
        }
        assert_eq!(r.max_weight(1000.0), 66.0);
        assert_eq!(ring_buffer_shift(66.0), 7);
        assert_eq!(ring_buffer_shift(64.0), 7);
        assert_eq!(ring_buffer_shift(63.9), 6);
        assert_eq!(ring_buffer_shift(0.146), 0);
    }

    #[test]
    fn varying_delays_take_the_poisson_bound() {
        // 100 synapses of 1 nA at 30 Hz, delays varying: avg = 3 spikes per tick, bound
        // 3 + 5·sqrt(3) = 11.66 (constant weights: no weight-variance term) < the sum 100.
        let mut r = ReceptorStats::default();
        r.add(&ProjectionStats {
            weight_mean: 1.0,
            weight_variance: 0.0,
            weight_max: 1.0,
            n_connections: 100,
            delay_variance: 2.0,
            source: SourceRate::default_for(1000.0),
        });
        let w = r.max_weight(1000.0);
        assert!((w - (3.0 + 5.0 * 3f64.sqrt())).abs() < 1e-9, "{w}");
        assert_eq!(ring_buffer_shift(w), 4);
    }

    #[test]
    fn poisson_sources_per_tick() {
        // 5 Hz at 1 ms: λ = 0.005 < 0.01, one spike per tick.
        assert_eq!(SourceRate::poisson(5.0, 1000.0).spikes_per_tick, 1.0);
        // 100 Hz: λ = 0.1; P(X <= 1) = 0.9953, P(X <= 2) = 0.99985 → ppf(0.999) = 2, plus one.
        assert_eq!(SourceRate::poisson(100.0, 1000.0).spikes_per_tick, 3.0);
        assert_eq!(SourceRate::poisson(100.0, 1000.0).spikes_per_second, 100.0);
    }

    #[test]
    fn the_incomplete_gamma_sums_the_poisson_tail() {
        // Q(1, x) = e^(−x); Q(3, 2) = e^(−2)(1 + 2 + 2) = 0.676676.
        assert!((upper_incomplete_gamma_regularised(1, 0.7) - (-0.7f64).exp()).abs() < 1e-15);
        assert!((upper_incomplete_gamma_regularised(3, 2.0) - 0.676_676_416).abs() < 1e-8);
    }
}
