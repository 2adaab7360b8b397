//! SpiNNaker's 16-bit synaptic weights: the one rule that the export report describes and the
//! emulated board loads.
//!
//! A core sums the weights arriving for each delay slot, receptor and neuron in 16-bit ring
//! buffers and turns a slot's sum into the neuron's S16.15 input by a left shift chosen per
//! (population, receptor); every core of a population uses its population's shifts. One weight
//! unit is therefore `2^(shift − 15)` (nA for current inputs), and a synapse's weight is stored
//! as `rint(|w| · 2^(15 − shift))` — round half to even, as numpy's `rint` in sPyNNaker's host —
//! saturated at 65535. A weight that is not 0 but becomes 0 is *rounded to zero*.
//!
//! The shift is sPyNNaker's (`PopulationVertex._get_ring_buffer_shifts` with its `_Stats` helper,
//! `_ring_buffer_expected_upper_bound`, `utilities/running_stats.py`). For every projection onto
//! a population the host notes, per receptor: the mean, variance and maximum of the weights (a
//! plastic projection counts as all at its rule's `w_max`, with no variance), the largest number
//! of synapses onto one post neuron, the variance of the delays, and how often the source spikes
//! (30 spikes/s and one per tick for neurons and spike arrays, sPyNNaker's defaults; a Poisson
//! source's rate, and per tick its 99.9 % quantile plus one). Then, per receptor, the largest sum
//! one ring-buffer slot is expected to hold is:
//! * if no projection's delays vary: `max(Σ spikes_per_tick · w_max · n, biggest w_max)`;
//! * otherwise the Poisson bound `mean + 5 σ` of the summed input, capped by that sum.
//!
//! The shift is the smallest power of two above it.

use serde::Serialize;
use sim_core::{ModelKind, Network, Projection, SourceKind};

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

/// Weight units per unit of weight at `shift` (`__get_weight_scale`): `2^(15 − shift)`.
pub fn weight_scale(shift: u32) -> f64 {
    2f64.powi(15 - shift as i32)
}

/// The weight of one 16-bit unit at `shift`: `2^(shift − 15)`.
pub fn weight_unit(shift: u32) -> f64 {
    2f64.powi(shift as i32 - 15)
}

/// A weight as the board stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedWeight {
    /// `rint(|w| · 2^(15 − shift))`, at most 65535.
    pub units: u16,
    /// Whether `|w|` needed more than 65535 units.
    pub saturated: bool,
}

/// `w` in 16-bit units at `shift` (round half to even, saturating).
pub fn quantise(w: f64, shift: u32) -> FixedWeight {
    let x = (w.abs() * weight_scale(shift)).round_ties_even();
    if x > u16::MAX as f64 {
        FixedWeight {
            units: u16::MAX,
            saturated: true,
        }
    } else {
        FixedWeight {
            units: x as u16,
            saturated: false,
        }
    }
}

/// What quantisation did to a group of synapses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Rounding {
    pub synapses: u64,
    /// Synapses with a non-zero weight stored as 0.
    pub rounded_to_zero: u64,
    /// Synapses whose weight did not fit in 16 bits.
    pub saturated: u64,
    /// Largest |stored − exact| / |exact| over the non-zero weights.
    pub max_relative_error: f64,
}

impl Rounding {
    /// Counts one synapse of weight `w` stored as `q` at `shift`.
    pub fn add(&mut self, w: f64, q: FixedWeight, shift: u32) {
        self.synapses += 1;
        if q.saturated {
            self.saturated += 1;
        }
        if w != 0.0 {
            if q.units == 0 {
                self.rounded_to_zero += 1;
            }
            let err = (q.units as f64 * weight_unit(shift) - w.abs()).abs() / w.abs();
            self.max_relative_error = self.max_relative_error.max(err);
        }
    }
}

/// The ring-buffer left shift of every (population, receptor) of a network.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightScaling {
    /// Per population, per receptor.
    shifts: Vec<Vec<u32>>,
}

impl WeightScaling {
    /// sPyNNaker's shifts for `net` (see the module documentation).
    pub fn of(net: &Network) -> Self {
        let ticks_per_second = 1000.0 / net.grid.dt_ms();
        let mut stats: Vec<Vec<ReceptorStats>> = net
            .populations
            .iter()
            .map(|p| vec![ReceptorStats::default(); p.model.receptors().len()])
            .collect();
        for proj in &net.projections {
            if proj.synapses.is_empty() {
                continue;
            }
            let receptors = &mut stats[proj.post];
            if receptors.len() <= proj.receptor {
                receptors.resize(proj.receptor + 1, ReceptorStats::default());
            }
            let p = projection_stats(net, proj, ticks_per_second);
            receptors[proj.receptor].add(&p);
        }
        WeightScaling {
            shifts: stats
                .iter()
                .map(|receptors| {
                    receptors
                        .iter()
                        .map(|r| ring_buffer_shift(r.max_weight(ticks_per_second)))
                        .collect()
                })
                .collect(),
        }
    }

    /// The left shift of `receptor` of population `pop` (0 for a receptor nothing projects to).
    pub fn shift(&self, pop: usize, receptor: usize) -> u32 {
        self.shifts[pop].get(receptor).copied().unwrap_or(0)
    }

    /// How the board stores weight `w` of projection `proj`.
    pub fn quantise(&self, proj: &Projection, w: f64) -> FixedWeight {
        quantise(w, self.shift(proj.post, proj.receptor))
    }
}

/// The `w_max` a plastic projection's rule keeps its weights below, if it has one.
pub fn plastic_w_max(proj: &Projection) -> Option<f64> {
    proj.plasticity.as_ref().map(|rule| rule.describe().w_max)
}

/// What the host notes about one projection.
fn projection_stats(net: &Network, proj: &Projection, ticks_per_second: f64) -> ProjectionStats {
    let mut fan_in = vec![0u64; net.populations[proj.post].size as usize];
    let (mut w, mut d) = (RunningStats::default(), RunningStats::default());
    let mut biggest = 0.0f64;
    for (_, j, wt, delay) in proj.synapses.iter() {
        fan_in[j as usize] += 1;
        w.add_items(wt.abs(), 0.0, 1);
        d.add_items(delay as f64, 0.0, 1);
        biggest = biggest.max(wt.abs());
    }
    // A plastic projection counts as all at its maximum, with no spread.
    let (mean, variance, max) = match plastic_w_max(proj) {
        Some(m) => (biggest.max(m), 0.0, biggest.max(m)),
        None => (w.mean(), w.variance(), biggest),
    };
    let source = match net.populations[proj.pre].model.describe().kind {
        ModelKind::SpikeSource(SourceKind::Poisson {
            probability_per_step,
            ..
        }) => SourceRate::poisson(probability_per_step * ticks_per_second, ticks_per_second),
        _ => SourceRate::default_for(ticks_per_second),
    };
    ProjectionStats {
        weight_mean: mean,
        weight_variance: variance,
        weight_max: max,
        n_connections: fan_in.iter().copied().max().unwrap_or(0),
        delay_variance: d.variance(),
        source,
    }
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
    fn weights_round_half_to_even_and_saturate() {
        // Half a unit at shift 0 (2^-16) rounds to 0 as numpy's rint does (ties away from 0
        // would keep it as 1); one and a half units round to 2.
        assert_eq!(quantise(2f64.powi(-16), 0).units, 0);
        assert_eq!(quantise(3.0 * 2f64.powi(-16), 0).units, 2);
        assert_eq!(quantise(-0.5, 0).units, 16384);
        let mut r = Rounding::default();
        r.add(2f64.powi(-16), quantise(2f64.powi(-16), 0), 0);
        assert_eq!((r.rounded_to_zero, r.max_relative_error), (1, 1.0));
        // 65535 units of 2^-15 is the most shift 0 holds.
        assert_eq!(
            quantise(2.0, 0),
            FixedWeight {
                units: u16::MAX,
                saturated: true
            }
        );
        assert_eq!(weight_unit(7) * weight_scale(7), 1.0);
    }

    #[test]
    fn the_incomplete_gamma_sums_the_poisson_tail() {
        // Q(1, x) = e^(−x); Q(3, 2) = e^(−2)(1 + 2 + 2) = 0.676676.
        assert!((upper_incomplete_gamma_regularised(1, 0.7) - (-0.7f64).exp()).abs() < 1e-15);
        assert!((upper_incomplete_gamma_regularised(3, 2.0) - 0.676_676_416).abs() < 1e-8);
    }
}
