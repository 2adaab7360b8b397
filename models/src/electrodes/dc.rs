//! `DCSource`: a constant current `amplitude` from `start` until `stop` (excluded).

use serde::{Deserialize, Serialize};
use sim_core::describe::Quantity;
use sim_core::{Step, TimeGrid};

use super::{quantities, CurrentSource, Waveform, Window};
use crate::params::{self, ParamError};

/// The cell type's name, as model files and PyNN write it.
pub const NAME: &str = "DCSource";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DcSourceParams {
    /// nA
    pub amplitude: f64,
    /// ms
    pub start: f64,
    /// ms
    pub stop: f64,
}

impl Default for DcSourceParams {
    fn default() -> Self {
        Self {
            amplitude: 1.0,
            start: 0.0,
            stop: 1e12,
        }
    }
}

#[derive(Debug, Clone)]
pub struct DcSource {
    params: DcSourceParams,
    window: Window,
}

impl DcSource {
    pub fn new(params: DcSourceParams, grid: &TimeGrid) -> Result<CurrentSource<Self>, ParamError> {
        params::finite("amplitude", params.amplitude, "nA")?;
        let window = Window::new(params.start, params.stop, grid)?;
        Ok(CurrentSource {
            waveform: Self { params, window },
        })
    }
}

impl Waveform for DcSource {
    const NAME: &'static str = NAME;
    fn quantities(&self) -> Vec<Quantity> {
        let p = &self.params;
        quantities(&[
            ("amplitude", "nA", p.amplitude),
            ("start", "ms", p.start),
            ("stop", "ms", p.stop),
        ])
    }
    fn current(&self, step: Step, _seed: u64, _pop: usize, _unit: u32) -> f64 {
        if self.window.contains(step) {
            self.params.amplitude
        } else {
            0.0
        }
    }
}
