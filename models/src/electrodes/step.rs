//! `StepCurrentSource`: the current is `amplitudes[k]` from `times[k]` until the next time;
//! 0 before the first. Times are rounded to the grid (PyNN's rule); of several times on one
//! step the last amplitude holds.

use serde::{Deserialize, Serialize};
use sim_core::describe::Quantity;
use sim_core::{Step, TimeGrid};

use super::{grid_step, CurrentSource, Waveform};
use crate::params::{self, ParamError};

/// The cell type's name, as model files and PyNN write it.
pub const NAME: &str = "StepCurrentSource";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct StepCurrentSourceParams {
    /// ms, increasing
    pub times: Vec<f64>,
    /// nA, one per time
    pub amplitudes: Vec<f64>,
}

#[derive(Debug, Clone)]
pub struct StepCurrentSource {
    /// (step, amplitude), steps strictly increasing.
    changes: Vec<(Step, f64)>,
}

impl StepCurrentSource {
    pub fn new(
        params: StepCurrentSourceParams,
        grid: &TimeGrid,
    ) -> Result<CurrentSource<Self>, ParamError> {
        if params.times.len() != params.amplitudes.len() {
            return Err(ParamError::new(
                "amplitudes",
                format!("{} values", params.amplitudes.len()),
                format!("needs one per time ({} times)", params.times.len()),
            ));
        }
        let mut changes: Vec<(Step, f64)> = Vec::with_capacity(params.times.len());
        let mut previous = f64::NEG_INFINITY;
        for (k, (&t, &a)) in params.times.iter().zip(&params.amplitudes).enumerate() {
            let step = grid_step(&format!("times[{k}]"), t, grid.dt_ms())?;
            if t <= previous {
                return Err(ParamError::new(
                    &format!("times[{k}]"),
                    t,
                    format!("times must increase (the previous is {previous} ms)"),
                ));
            }
            previous = t;
            params::finite(&format!("amplitudes[{k}]"), a, "nA")?;
            match changes.last_mut() {
                Some(last) if last.0 == step => last.1 = a,
                _ => changes.push((step, a)),
            }
        }
        Ok(CurrentSource {
            waveform: Self { changes },
        })
    }
}

impl Waveform for StepCurrentSource {
    const NAME: &'static str = NAME;
    fn quantities(&self) -> Vec<Quantity> {
        // Its parameters are lists (times, amplitudes), not quantities; as SpikeSourceArray.
        Vec::new()
    }
    fn current(&self, step: Step, _seed: u64, _pop: usize, _unit: u32) -> f64 {
        match self.changes.partition_point(|&(s, _)| s <= step) {
            0 => 0.0,
            k => self.changes[k - 1].1,
        }
    }
}
