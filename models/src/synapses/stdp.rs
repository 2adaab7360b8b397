//! PyNN `STDPMechanism(SpikePairRule, Additive|MultiplicativeWeightDependence)` in two semantics.
//!
//! * [`Semantics::Nest`] — NEST `stdp_synapse` as PyNN's NEST backend configures it:
//!   `lambda = A_plus`, `alpha = A_minus / A_plus`, so amplitudes are relative to `w_max`
//!   (additive: Δw+ = A+·w_max·x, Δw− = A−·w_max·y; multiplicative: Δw+ = A+·(w_max − w)·x,
//!   Δw− = A−·(w − w_min)·y); a post spike arriving at the same time as a pre spike does not
//!   depress.
//! * [`Semantics::Spynnaker`] — sPyNNaker's STDP as verified against hardware in
//!   specs/ca3-cam.md §4: amplitudes are absolute weights (additive: Δw+ = A+·x, Δw− = A−·y;
//!   multiplicative: Δw+ = A+·(w_max − w)·x, Δw− = A−·(w − w_min)·y), and a post arrival at the
//!   step of a pre spike depresses with factor e^0 = 1.
//!
//! Both clamp to [w_min, w_max] after every elementary update, and both see post spikes delayed
//! by the synaptic delay (engine, `sim_core::plasticity`).

use serde::{Deserialize, Serialize};
use sim_core::describe::{RuleDescription, WeightDependenceKind};
use sim_core::plasticity::PairRule;

use crate::params::{non_negative, positive, ParamError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Semantics {
    #[default]
    Nest,
    Spynnaker,
}

/// PyNN `SpikePairRule` (defaults from PyNN 0.13).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpikePairRule {
    pub tau_plus: f64,
    pub tau_minus: f64,
    #[serde(rename = "A_plus")]
    pub a_plus: f64,
    #[serde(rename = "A_minus")]
    pub a_minus: f64,
}

impl Default for SpikePairRule {
    fn default() -> Self {
        Self {
            tau_plus: 20.0,
            tau_minus: 20.0,
            a_plus: 0.01,
            a_minus: 0.01,
        }
    }
}

/// PyNN weight dependences (w_min = 0, w_max = 1 by default, in weight units).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum WeightDependence {
    #[serde(rename = "AdditiveWeightDependence")]
    Additive {
        #[serde(default)]
        w_min: f64,
        #[serde(default = "one")]
        w_max: f64,
    },
    #[serde(rename = "MultiplicativeWeightDependence")]
    Multiplicative {
        #[serde(default)]
        w_min: f64,
        #[serde(default = "one")]
        w_max: f64,
    },
}

fn one() -> f64 {
    1.0
}

impl WeightDependence {
    pub fn bounds(&self) -> (f64, f64) {
        match *self {
            WeightDependence::Additive { w_min, w_max }
            | WeightDependence::Multiplicative { w_min, w_max } => (w_min, w_max),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stdp {
    pub timing: SpikePairRule,
    pub weight: WeightDependence,
    pub semantics: Semantics,
}

impl Stdp {
    pub fn new(
        timing: SpikePairRule,
        weight: WeightDependence,
        semantics: Semantics,
    ) -> Result<Self, ParamError> {
        positive("tau_plus", timing.tau_plus, "ms")?;
        positive("tau_minus", timing.tau_minus, "ms")?;
        non_negative("A_plus", timing.a_plus, "")?;
        non_negative("A_minus", timing.a_minus, "")?;
        let (w_min, w_max) = weight.bounds();
        crate::params::finite("w_min", w_min, "weight units")?;
        crate::params::finite("w_max", w_max, "weight units")?;
        if w_min > w_max {
            return Err(ParamError::new(
                "w_min",
                w_min,
                format!("must be <= w_max = {w_max}"),
            ));
        }
        if semantics == Semantics::Nest && w_min != 0.0 {
            // NEST's stdp_synapse has no lower bound other than 0 (PyNN enforces w_min = 0).
            return Err(ParamError::new(
                "w_min",
                w_min,
                "must be 0 with NEST semantics (stdp_synapse has no w_min)",
            ));
        }
        Ok(Self {
            timing,
            weight,
            semantics,
        })
    }
}

impl PairRule for Stdp {
    fn tau_plus(&self) -> f64 {
        self.timing.tau_plus
    }
    fn tau_minus(&self) -> f64 {
        self.timing.tau_minus
    }
    fn depress_at_zero_lag(&self) -> bool {
        self.semantics == Semantics::Spynnaker
    }
    fn potentiate(&self, w: f64, x: f64) -> f64 {
        let a = self.timing.a_plus;
        let w = match (self.weight, self.semantics) {
            (WeightDependence::Additive { w_max, .. }, Semantics::Nest) => w + a * w_max * x,
            (WeightDependence::Additive { .. }, Semantics::Spynnaker) => w + a * x,
            (WeightDependence::Multiplicative { w_max, .. }, _) => w + a * (w_max - w) * x,
        };
        w.min(self.weight.bounds().1)
    }
    fn depress(&self, w: f64, y: f64) -> f64 {
        let a = self.timing.a_minus;
        let w = match (self.weight, self.semantics) {
            (WeightDependence::Additive { w_max, .. }, Semantics::Nest) => w - a * w_max * y,
            (WeightDependence::Additive { .. }, Semantics::Spynnaker) => w - a * y,
            (WeightDependence::Multiplicative { w_min, .. }, _) => w - a * (w - w_min) * y,
        };
        w.max(self.weight.bounds().0)
    }
    fn describe(&self) -> RuleDescription {
        let (w_min, w_max) = self.weight.bounds();
        RuleDescription {
            tau_plus: self.timing.tau_plus,
            tau_minus: self.timing.tau_minus,
            a_plus: self.timing.a_plus,
            a_minus: self.timing.a_minus,
            weight_dependence: match self.weight {
                WeightDependence::Additive { .. } => WeightDependenceKind::Additive,
                WeightDependence::Multiplicative { .. } => WeightDependenceKind::Multiplicative,
            },
            w_min,
            w_max,
            // PyNN's NEST backend sets lambda = A_plus and alpha = A_minus / A_plus.
            additive_amplitudes_scaled_by_w_max: self.semantics == Semantics::Nest,
            depress_at_zero_lag: self.depress_at_zero_lag(),
        }
    }
}
