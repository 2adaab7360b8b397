//! `SpikeSourcePoisson`: independent Poisson spike trains on the time grid.
//!
//! Each step is a Bernoulli trial with probability `rate·dt` (at most one spike per step); the
//! gap to the next spike is drawn geometrically, so a step costs one comparison per neuron.
//! The k-th gap of neuron i is drawn from a stream keyed by (seed, population, neuron, k): the
//! state is just (next spike step, k), which makes checkpoints exact and threads irrelevant.

use std::ops::Range;

use rand::RngExt;
use serde::{Deserialize, Serialize};
use sim_core::model::{KernelState, ModelError, NeuronKernel, PopulationModel, StepContext};
use sim_core::rng::{self, Domain};
use sim_core::{Step, TimeGrid};

use super::{take_u64, u64_array};
use crate::params::{non_negative, ParamError};

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

impl PopulationModel for SpikeSourcePoisson {
    fn type_name(&self) -> &str {
        "SpikeSourcePoisson"
    }
    fn poisson_spike_probability(&self) -> Option<f64> {
        Some(self.p_spike)
    }
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
    fn receptors(&self) -> &[&'static str] {
        &[]
    }
    fn state_vars(&self) -> &[&'static str] {
        &[]
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
    fn read(&self, _var: usize, _i: usize) -> f64 {
        f64::NAN
    }
    fn save(&self) -> KernelState {
        vec![
            u64_array("next", &self.next),
            u64_array("draws", &self.draws),
        ]
    }
    fn load(&mut self, state: &KernelState) -> Result<(), String> {
        let n = self.next.len();
        self.next = take_u64(state, "next", n)?;
        self.draws = take_u64(state, "draws", n)?;
        Ok(())
    }
}
