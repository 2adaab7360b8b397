//! `SpikeSourcePoissonRefractory`: independent Poisson trains with a dead time: each interval is
//! `tau_refrac` plus an exponential interval whose mean makes the mean rate `rate`
//! (1000/rate − tau_refrac ms), NEST's `ppd_sup_generator` for one process. Spikes are stamped
//! on the grid by the renewal kernel (`renewal.rs`).

use serde::{Deserialize, Serialize};
use sim_core::describe::Quantity;
use sim_core::rng::StreamRng;
use sim_core::TimeGrid;

use super::renewal::{open_unit, Intervals, RenewalParams, RenewalSource};
use crate::params::{non_negative, ParamError};

/// The cell type's name, as model files and PyNN write it.
pub const NAME: &str = "SpikeSourcePoissonRefractory";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpikeSourcePoissonRefractoryParams {
    /// Mean rate (Hz).
    pub rate: f64,
    /// Dead time after each spike (ms).
    pub tau_refrac: f64,
    /// Start time (ms).
    pub start: f64,
    /// Duration (ms).
    pub duration: f64,
}

impl Default for SpikeSourcePoissonRefractoryParams {
    fn default() -> Self {
        Self {
            rate: 1.0,
            tau_refrac: 0.0,
            start: 0.0,
            duration: 1e10,
        }
    }
}

/// A population of `SpikeSourcePoissonRefractory` sources.
pub type SpikeSourcePoissonRefractory = RenewalSource<SpikeSourcePoissonRefractoryParams>;

impl RenewalParams for SpikeSourcePoissonRefractoryParams {
    const NAME: &'static str = NAME;
    fn rate_hz(&self) -> f64 {
        self.rate
    }
    fn quantities(&self) -> Vec<Quantity> {
        let q = |name, unit, value| Quantity { name, unit, value };
        vec![
            q("rate", "Hz", self.rate),
            q("tau_refrac", "ms", self.tau_refrac),
            q("start", "ms", self.start),
            q("duration", "ms", self.duration),
        ]
    }
    fn start_and_duration(&self) -> (f64, f64) {
        (self.start, self.duration)
    }
}

/// Dead time `a` plus an exponential interval of mean `b` (ms); no spike at rate 0.
fn dead_time_interval(d: &Intervals, r: &mut StreamRng) -> f64 {
    d.a - d.b * open_unit(r).ln()
}

impl SpikeSourcePoissonRefractory {
    pub fn new(
        params: &SpikeSourcePoissonRefractoryParams,
        _grid: &TimeGrid,
    ) -> Result<Self, ParamError> {
        non_negative("rate", params.rate, "Hz")?;
        non_negative("tau_refrac", params.tau_refrac, "ms")?;
        non_negative("start", params.start, "ms")?;
        non_negative("duration", params.duration, "ms")?;
        let mean_ms = 1000.0 / params.rate;
        if params.tau_refrac >= mean_ms {
            return Err(ParamError::new(
                "rate",
                params.rate,
                format!(
                    "must be below 1/tau_refrac = {} Hz (the mean interval includes the dead time)",
                    1000.0 / params.tau_refrac
                ),
            ));
        }
        Ok(Self {
            params: params.clone(),
            intervals: Intervals {
                a: params.tau_refrac,
                b: mean_ms - params.tau_refrac,
                draw: dead_time_interval,
            },
        })
    }
}
