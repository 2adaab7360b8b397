//! `SpikeSourcePoisson`: independent Poisson spike trains on the time grid.
//!
//! Each step is a Bernoulli trial with probability `rate·dt` (at most one spike per step); the
//! gap to the next spike is drawn geometrically, so a step costs one comparison per neuron.
//! The k-th gap of neuron i is drawn from a stream keyed by (seed, population, neuron, k): the
//! state is just (next spike step, k), which makes checkpoints exact and threads irrelevant.

use std::ops::Range;

use crate::params::{non_negative, ParamError};
use rand::RngExt;
use serde::{Deserialize, Serialize};
use sim_core::describe::{ModelDescription, ModelKind, Quantity, SourceKind};
use sim_core::model::{ModelError, NeuronKernel, PopulationModel, StepContext};
use sim_core::rng::{self, Domain};
use sim_core::state::StateTable;
use sim_core::{Step, TimeGrid};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpikeSourcePoissonParams {
    /// Rate (Hz).
    pub rate: f64,
    /// Start time (ms).
    pub start: f64,
    /// Duration (ms).
    pub duration: f64,
}

impl SpikeSourcePoissonParams {
    /// The parameters under their PyNN names, with units.
    pub fn quantities(&self) -> Vec<Quantity> {
        let q = |name, unit, value| Quantity { name, unit, value };
        vec![
            q("rate", "Hz", self.rate),
            q("start", "ms", self.start),
            q("duration", "ms", self.duration),
        ]
    }
}

impl Default for SpikeSourcePoissonParams {
    fn default() -> Self {
        Self {
            rate: 1.0,
            start: 0.0,
            duration: 1e10,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SpikeSourcePoisson {
    params: SpikeSourcePoissonParams,
    p_spike: f64,
    start: Step,
    end: Step,
}

impl SpikeSourcePoisson {
    pub fn new(params: &SpikeSourcePoissonParams, grid: &TimeGrid) -> Result<Self, ParamError> {
        non_negative("rate", params.rate, "Hz")?;
        non_negative("duration", params.duration, "ms")?;
        let start = grid
            .steps(params.start)
            .map_err(|e| ParamError::new("start", params.start, e.to_string()))?;
        // A duration need not be on the grid: the train stops at the last step before it ends.
        let end = start.saturating_add((params.duration / grid.dt_ms()).floor().min(1e18) as Step);
        let p_spike = params.rate * grid.dt_ms() / 1000.0;
        if p_spike > 1.0 {
            return Err(ParamError::new(
                "rate",
                params.rate,
                format!(
                    "must be <= 1/dt = {} Hz (one spike per step at most)",
                    1000.0 / grid.dt_ms()
                ),
            ));
        }
        Ok(Self {
            params: params.clone(),
            p_spike,
            start,
            end,
        })
    }

    /// The probability of a spike in one step (`rate·dt`).
    pub fn spike_probability(&self) -> f64 {
        self.p_spike
    }
}

/// The cell type's name, as model files and PyNN write it.
pub const NAME: &str = "SpikeSourcePoisson";

impl PopulationModel for SpikeSourcePoisson {
    fn describe(&self) -> ModelDescription {
        let p = &self.params;
        ModelDescription {
            kind: ModelKind::SpikeSource(SourceKind::Poisson {
                rate_hz: p.rate,
                start_ms: p.start,
                duration_ms: p.duration,
                probability_per_step: self.p_spike,
            }),
            parameters: p.quantities(),
            state: STATE.recordable(),
            pynn_standard: true,
            ..ModelDescription::neuron(NAME)
        }
    }
    fn instantiate(
        &self,
        pop: usize,
        range: Range<u32>,
        _grid: &TimeGrid,
        seed: u64,
    ) -> Box<dyn NeuronKernel> {
        let mut k = PoissonKernel {
            p: self.p_spike,
            end: self.end,
            seed,
            pop: pop as u64,
            first: range.start,
            next: Vec::new(),
            draws: vec![0; range.len()],
        };
        // The first trial is at `start`: the first spike is at start + gap - 1.
        k.next = (0..range.len())
            .map(|i| k.next_after(i, self.start, 1))
            .collect();
        Box::new(k)
    }
}

struct PoissonKernel {
    p: f64,
    end: Step,
    seed: u64,
    pop: u64,
    first: u32,
    /// Next spike step per neuron (u64::MAX: none).
    next: Vec<Step>,
    /// Gaps drawn so far per neuron (the stream counter).
    draws: Vec<u64>,
}

impl PoissonKernel {
    /// `from + gap - back`, where gap >= 1 is the next geometric gap of neuron `i`, or
    /// `Step::MAX` when that is past the end of the train.
    fn next_after(&mut self, i: usize, from: Step, back: Step) -> Step {
        if self.p <= 0.0 {
            return Step::MAX;
        }
        let key = ((self.pop) << 32) | (self.first as u64 + i as u64);
        let mut r = rng::stream(self.seed, Domain::Neuron, key, self.draws[i]);
        self.draws[i] += 1;
        let gap = if self.p >= 1.0 {
            1
        } else {
            let u: f64 = 1.0 - r.random::<f64>(); // in (0, 1]
            (u.ln() / (-self.p).ln_1p()).floor() as Step + 1
        };
        let t = from.saturating_add(gap) - back;
        if t >= self.end {
            Step::MAX
        } else {
            t
        }
    }
}

impl NeuronKernel for PoissonKernel {
    fn update(
        &mut self,
        ctx: &StepContext,
        _input: &mut [f64],
        spikes: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        for i in 0..self.next.len() {
            if self.next[i] == ctx.step {
                spikes.push(i as u32);
                self.next[i] = self.next_after(i, ctx.step, 0);
            }
        }
        Ok(())
    }
    sim_core::state_io!(STATE, |k: &Self| k.next.len());
}

const STATE: StateTable<PoissonKernel> = StateTable(&[
    sim_core::u64_field!("next", next),
    sim_core::u64_field!("draws", draws),
]);
