//! `ACSource`: `offset + amplitude·sin(2π·frequency·(t − start) + phase)` from `start` until
//! `stop` (excluded); the phase (degrees) holds at `start`, as PyNN specifies.

use serde::{Deserialize, Serialize};
use sim_core::describe::Quantity;
use sim_core::{Step, TimeGrid};

use super::{quantities, CurrentSource, Waveform, Window};
use crate::params::{self, ParamError};

/// The cell type's name, as model files and PyNN write it.
pub const NAME: &str = "ACSource";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AcSourceParams {
    /// nA
    pub amplitude: f64,
    /// ms
    pub start: f64,
    /// ms
    pub stop: f64,
    /// Hz
    pub frequency: f64,
    /// nA
    pub offset: f64,
    /// degrees
    pub phase: f64,
}

impl Default for AcSourceParams {
    fn default() -> Self {
        Self {
            amplitude: 1.0,
            start: 0.0,
            stop: 1e12,
            frequency: 10.0,
            offset: 0.0,
            phase: 0.0,
        }
    }
}

#[derive(Debug, Clone)]
pub struct AcSource {
    params: AcSourceParams,
    window: Window,
    dt: f64,
}

impl AcSource {
    pub fn new(params: AcSourceParams, grid: &TimeGrid) -> Result<CurrentSource<Self>, ParamError> {
        params::finite("amplitude", params.amplitude, "nA")?;
        params::finite("offset", params.offset, "nA")?;
        params::non_negative("frequency", params.frequency, "Hz")?;
        params::finite("phase", params.phase, "degrees")?;
        let window = Window::new(params.start, params.stop, grid)?;
        Ok(CurrentSource {
            waveform: Self {
                params,
                window,
                dt: grid.dt_ms(),
            },
        })
    }
}

impl Waveform for AcSource {
    const NAME: &'static str = NAME;
    fn quantities(&self) -> Vec<Quantity> {
        let p = &self.params;
        quantities(&[
            ("amplitude", "nA", p.amplitude),
            ("start", "ms", p.start),
            ("stop", "ms", p.stop),
            ("frequency", "Hz", p.frequency),
            ("offset", "nA", p.offset),
            ("phase", "deg", p.phase),
        ])
    }
    fn current(&self, step: Step, _seed: u64, _pop: usize, _unit: u32) -> f64 {
        if !self.window.contains(step) {
            return 0.0;
        }
        let p = &self.params;
        let since_start_s = (step - self.window.start) as f64 * self.dt * 1e-3;
        let angle = 2.0 * std::f64::consts::PI * p.frequency * since_start_s + p.phase.to_radians();
        p.offset + p.amplitude * angle.sin()
    }
}
