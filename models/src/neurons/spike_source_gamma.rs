//! `SpikeSourceGamma`: independent trains whose intervals are gamma distributed, shape `alpha`
//! and rate `beta` (Hz): mean interval alpha/beta, mean rate beta/alpha (NEST's
//! `gamma_sup_generator` with `rate = beta/alpha`, `gamma_shape = alpha`). Integer and
//! non-integer shapes alike; alpha = 1 is a Poisson train. Spikes are stamped on the grid by the
//! renewal kernel (`renewal.rs`).

use rand_distr::{Distribution as _, Gamma};
use serde::{Deserialize, Serialize};
use sim_core::describe::Quantity;
use sim_core::rng::StreamRng;
use sim_core::TimeGrid;

use super::renewal::{Intervals, RenewalParams, RenewalSource};
use crate::params::{non_negative, positive, ParamError};

/// The cell type's name, as model files and PyNN write it.
pub const NAME: &str = "SpikeSourceGamma";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpikeSourceGammaParams {
    /// Shape (dimensionless).
    pub alpha: f64,
    /// Rate parameter (Hz).
    pub beta: f64,
    /// Start time (ms).
    pub start: f64,
    /// Duration (ms).
    pub duration: f64,
}

impl Default for SpikeSourceGammaParams {
    fn default() -> Self {
        Self {
            alpha: 2.0,
            beta: 1.0,
            start: 0.0,
            duration: 1e10,
        }
    }
}

/// A population of `SpikeSourceGamma` sources.
pub type SpikeSourceGamma = RenewalSource<SpikeSourceGammaParams>;

impl RenewalParams for SpikeSourceGammaParams {
    const NAME: &'static str = NAME;
    fn rate_hz(&self) -> f64 {
        self.beta / self.alpha
    }
    fn quantities(&self) -> Vec<Quantity> {
        let q = |name, unit, value| Quantity { name, unit, value };
        vec![
            q("alpha", "", self.alpha),
            q("beta", "Hz", self.beta),
            q("start", "ms", self.start),
            q("duration", "ms", self.duration),
        ]
    }
    fn start_and_duration(&self) -> (f64, f64) {
        (self.start, self.duration)
    }
}

/// A gamma interval (ms): shape `a`, scale `b` (ms).
fn gamma_interval(d: &Intervals, r: &mut StreamRng) -> f64 {
    // Checked in `new`: the shape and scale are positive and finite.
    Gamma::new(d.a, d.b).map_or(f64::INFINITY, |g| g.sample(r))
}

impl SpikeSourceGamma {
    pub fn new(params: &SpikeSourceGammaParams, _grid: &TimeGrid) -> Result<Self, ParamError> {
        positive("alpha", params.alpha, "")?;
        positive("beta", params.beta, "Hz")?;
        non_negative("start", params.start, "ms")?;
        non_negative("duration", params.duration, "ms")?;
        Ok(Self {
            params: params.clone(),
            intervals: Intervals {
                a: params.alpha,
                b: 1000.0 / params.beta,
                draw: gamma_interval,
            },
        })
    }
}
