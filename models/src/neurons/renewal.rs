//! The kernel of the spike sources whose intervals are drawn from a continuous distribution
//! (`SpikeSourceGamma`, `SpikeSourcePoissonRefractory`): renewal trains in continuous time,
//! stamped on the grid.
//!
//! A train starts at `start`; each spike follows the previous one by an interval drawn from the
//! source's distribution, and a spike at time t (ms) is emitted in the step that stamps it at the
//! first grid time ≥ t (at most one spike per step: a second spike in the same step is merged
//! into the first). Spikes at or after `start + duration` are not emitted. The k-th interval of
//! neuron i is drawn from a stream keyed by (seed, population, neuron, k), as for
//! `SpikeSourcePoisson`, so a train does not depend on threads or slicing and the state (next
//! spike time, k) checkpoints exactly.
//!
//! [`RenewalSource`] is the population model of every such source: its parameter type says
//! what differs (name, parameters, mean rate, window) through [`RenewalParams`].

use std::ops::Range;

use rand::RngExt;
use sim_core::describe::{ModelDescription, ModelKind, Quantity, SourceKind};
use sim_core::model::{ModelError, NeuronKernel, PopulationModel, StepContext};
use sim_core::rng::{self, Domain, StreamRng};
use sim_core::state::StateTable;
use sim_core::{Step, TimeGrid};

/// Draws one interval (ms) from a stream.
pub(crate) type IntervalFn = fn(&Intervals, &mut StreamRng) -> f64;

/// A source's interval distribution: its parameters in ms and the function drawing from them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Intervals {
    /// Two parameters whose meaning the draw knows (shape and scale; dead time and mean).
    pub a: f64,
    pub b: f64,
    pub draw: IntervalFn,
}

/// What a renewal source's parameters say about it.
pub trait RenewalParams: std::fmt::Debug + Clone + Send + Sync + 'static {
    /// The cell type's name.
    const NAME: &'static str;
    /// The mean rate (Hz).
    fn rate_hz(&self) -> f64;
    /// The parameters under their PyNN names, with units.
    fn quantities(&self) -> Vec<Quantity>;
    /// The train's start and duration (ms).
    fn start_and_duration(&self) -> (f64, f64);
}

/// A population of renewal sources with parameters `P` and their interval distribution.
#[derive(Debug, Clone)]
pub struct RenewalSource<P> {
    pub(crate) params: P,
    pub(crate) intervals: Intervals,
}

impl<P: RenewalParams> PopulationModel for RenewalSource<P> {
    fn describe(&self) -> ModelDescription {
        ModelDescription {
            kind: ModelKind::SpikeSource(SourceKind::Renewal {
                rate_hz: self.params.rate_hz(),
            }),
            parameters: self.params.quantities(),
            pynn_standard: true,
            ..ModelDescription::neuron(P::NAME)
        }
    }
    fn instantiate(
        &self,
        pop: usize,
        range: Range<u32>,
        grid: &TimeGrid,
        seed: u64,
    ) -> Box<dyn NeuronKernel> {
        let (start, duration) = self.params.start_and_duration();
        instantiate(
            self.intervals,
            start,
            start + duration,
            pop,
            range,
            grid,
            seed,
        )
    }
}

fn instantiate(
    intervals: Intervals,
    start_ms: f64,
    end_ms: f64,
    pop: usize,
    range: Range<u32>,
    grid: &TimeGrid,
    seed: u64,
) -> Box<dyn NeuronKernel> {
    let mut k = RenewalKernel {
        intervals,
        end_ms,
        dt: grid.dt_ms(),
        seed,
        pop: pop as u64,
        first: range.start,
        next_ms: Vec::new(),
        draws: vec![0; range.len()],
    };
    k.next_ms = (0..range.len()).map(|i| k.after(i, start_ms)).collect();
    Box::new(k)
}

struct RenewalKernel {
    intervals: Intervals,
    end_ms: f64,
    dt: f64,
    seed: u64,
    pop: u64,
    first: u32,
    /// Next spike time per neuron (ms; infinite: none).
    next_ms: Vec<f64>,
    /// Intervals drawn so far per neuron (the stream counter).
    draws: Vec<u64>,
}

impl RenewalKernel {
    /// The time of the spike after one at `t` (ms), infinite past the end of the train.
    fn after(&mut self, i: usize, t: f64) -> f64 {
        let key = (self.pop << 32) | (self.first as u64 + i as u64);
        let mut r = rng::stream(self.seed, Domain::Neuron, key, self.draws[i]);
        self.draws[i] += 1;
        let next = t + (self.intervals.draw)(&self.intervals, &mut r);
        if next < self.end_ms {
            next
        } else {
            f64::INFINITY
        }
    }

    /// The step whose stamp is the first grid time at or after `t`.
    fn step_of(&self, t: f64) -> Step {
        // A time within rounding of a grid time belongs to it.
        (t / self.dt - 1e-9).ceil().max(0.0) as Step
    }
}

impl NeuronKernel for RenewalKernel {
    fn update(
        &mut self,
        ctx: &StepContext,
        _input: &mut [f64],
        spikes: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        for i in 0..self.next_ms.len() {
            if self.next_ms[i].is_finite() && self.step_of(self.next_ms[i]) <= ctx.step {
                spikes.push(i as u32);
                while self.next_ms[i].is_finite() && self.step_of(self.next_ms[i]) <= ctx.step {
                    self.next_ms[i] = self.after(i, self.next_ms[i]);
                }
            }
        }
        Ok(())
    }
    sim_core::state_io!(STATE, |k: &Self| k.next_ms.len());
}

const STATE: StateTable<RenewalKernel> = StateTable(&[
    sim_core::f64_field!("next_ms", next_ms),
    sim_core::u64_field!("draws", draws),
]);

/// Uniform in (0, 1].
pub(crate) fn open_unit(r: &mut StreamRng) -> f64 {
    1.0 - r.random::<f64>()
}
