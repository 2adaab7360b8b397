//! `NoisyCurrentSource`: from `start` until `stop` (excluded), `mean + stdev·ξ` with ξ a
//! standard normal drawn anew every `dt` ms (NEST's `noise_generator`) and held in between.
//! The draw of interval `m` comes from the stream keyed by (seed, source population, unit,
//! m), so it does not depend on threads, checkpoints or when a run was split.

use rand_distr::{Distribution as _, StandardNormal};
use serde::{Deserialize, Serialize};
use sim_core::describe::Quantity;
use sim_core::rng::{stream, Domain};
use sim_core::{Step, TimeGrid};

use super::{quantities, CurrentSource, Waveform, Window};
use crate::params::{self, ParamError};

/// The cell type's name, as model files and PyNN write it.
pub const NAME: &str = "NoisyCurrentSource";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NoisyCurrentSourceParams {
    /// nA
    pub mean: f64,
    /// nA
    pub stdev: f64,
    /// ms
    pub start: f64,
    /// ms
    pub stop: f64,
    /// Interval between draws (ms), a whole number of steps.
    pub dt: f64,
}

impl Default for NoisyCurrentSourceParams {
    fn default() -> Self {
        Self {
            mean: 0.0,
            stdev: 1.0,
            start: 0.0,
            stop: 1e12,
            dt: 0.1,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NoisyCurrentSource {
    params: NoisyCurrentSourceParams,
    window: Window,
    /// Steps per draw.
    every: Step,
}

impl NoisyCurrentSource {
    pub fn new(
        params: NoisyCurrentSourceParams,
        grid: &TimeGrid,
    ) -> Result<CurrentSource<Self>, ParamError> {
        params::finite("mean", params.mean, "nA")?;
        params::non_negative("stdev", params.stdev, "nA")?;
        let every = grid
            .steps(params.dt)
            .ok()
            .filter(|&s| s >= 1)
            .ok_or_else(|| {
                ParamError::new(
                    "dt",
                    params.dt,
                    format!(
                        "must be a whole number (>= 1) of time steps of {} ms",
                        grid.dt_ms()
                    ),
                )
            })?;
        let window = Window::new(params.start, params.stop, grid)?;
        Ok(CurrentSource {
            waveform: Self {
                params,
                window,
                every,
            },
        })
    }
}

/// Keeps the noise streams apart from other users of [`Domain::Other`].
const NOISE_GROUP: u64 = 0x6e6f_6973_7900_0000;

impl Waveform for NoisyCurrentSource {
    const NAME: &'static str = NAME;
    fn quantities(&self) -> Vec<Quantity> {
        let p = &self.params;
        quantities(&[
            ("mean", "nA", p.mean),
            ("stdev", "nA", p.stdev),
            ("start", "ms", p.start),
            ("stop", "ms", p.stop),
            ("dt", "ms", p.dt),
        ])
    }
    fn current(&self, step: Step, seed: u64, pop: usize, unit: u32) -> f64 {
        if !self.window.contains(step) {
            return 0.0;
        }
        let interval = (step - self.window.start) / self.every;
        let group = NOISE_GROUP ^ ((pop as u64) << 32 | unit as u64);
        let xi: f64 = StandardNormal.sample(&mut stream(seed, Domain::Other, group, interval));
        self.params.mean + self.params.stdev * xi
    }
}
