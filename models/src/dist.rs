//! Values that are either constant or drawn from a distribution (weights, delays, initial
//! values), as PyNN's `RandomDistribution` offers them.

use rand::Rng;
use rand_distr::{Distribution as _, Exp, Normal, Uniform};
use serde::{Deserialize, Serialize};

use crate::params::ParamError;

/// Standard deviations of a normal distribution that [`Value::practical_bounds`] keeps.
pub const TAIL_SDS: f64 = 8.0;

/// A constant or a random distribution. In TOML: a number, or a table such as
/// `{ distribution = "uniform", low = -60.0, high = -50.0 }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Constant(f64),
    Random(Distribution),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "distribution", rename_all = "snake_case", deny_unknown_fields)]
pub enum Distribution {
    Uniform {
        low: f64,
        high: f64,
    },
    Normal {
        mu: f64,
        sigma: f64,
    },
    /// A normal distribution redrawn until the value falls in [low, high] (PyNN's
    /// `normal_clipped`).
    NormalClipped {
        mu: f64,
        sigma: f64,
        low: f64,
        high: f64,
    },
    Exponential {
        beta: f64,
    },
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Constant(v)
    }
}

impl Value {
    /// Checks the distribution's parameters; `param` names the value in errors.
    pub fn validate(&self, param: &str) -> Result<(), ParamError> {
        let bad = |v: f64, allowed: &str| Err(ParamError::new(param, v, allowed));
        match *self {
            Value::Constant(v) if !v.is_finite() => bad(v, "must be a finite number"),
            Value::Constant(_) => Ok(()),
            Value::Random(Distribution::Uniform { low, high }) => {
                if !(low.is_finite() && high.is_finite() && low <= high) {
                    return Err(ParamError::new(
                        param,
                        format!("uniform({low}, {high})"),
                        "needs finite low <= high",
                    ));
                }
                Ok(())
            }
            Value::Random(Distribution::Normal { mu, sigma }) => {
                if !(mu.is_finite() && sigma.is_finite() && sigma >= 0.0) {
                    return Err(ParamError::new(
                        param,
                        format!("normal({mu}, {sigma})"),
                        "needs finite mu and sigma >= 0",
                    ));
                }
                Ok(())
            }
            Value::Random(Distribution::NormalClipped {
                mu,
                sigma,
                low,
                high,
            }) => {
                if !(mu.is_finite() && sigma.is_finite() && sigma >= 0.0 && low < high)
                    || high < mu - 6.0 * sigma
                    || low > mu + 6.0 * sigma
                {
                    return Err(ParamError::new(
                        param,
                        format!("normal_clipped({mu}, {sigma}, {low}, {high})"),
                        "needs sigma >= 0, low < high, and [low, high] within 6 sigma of mu",
                    ));
                }
                Ok(())
            }
            Value::Random(Distribution::Exponential { beta }) => {
                if !(beta.is_finite() && beta > 0.0) {
                    return bad(beta, "exponential beta must be > 0");
                }
                Ok(())
            }
        }
    }

    pub fn is_constant(&self) -> bool {
        matches!(self, Value::Constant(_))
    }

    /// The smallest and largest value it can take (for range checks before drawing).
    pub fn bounds(&self) -> (f64, f64) {
        match *self {
            Value::Constant(v) => (v, v),
            Value::Random(Distribution::Uniform { low, high }) => (low, high),
            Value::Random(Distribution::Normal { .. }) => (f64::NEG_INFINITY, f64::INFINITY),
            Value::Random(Distribution::NormalClipped { low, high, .. }) => (low, high),
            Value::Random(Distribution::Exponential { .. }) => (0.0, f64::INFINITY),
        }
    }

    /// The range values fall in in practice: [`Value::bounds`] with normal tails cut at
    /// [`TAIL_SDS`] standard deviations and the exponential's at 40 β (a draw beyond has a
    /// probability below 1e-15).
    pub fn practical_bounds(&self) -> (f64, f64) {
        let (lo, hi) = self.bounds();
        match *self {
            Value::Random(Distribution::Normal { mu, sigma })
            | Value::Random(Distribution::NormalClipped { mu, sigma, .. }) => {
                (lo.max(mu - TAIL_SDS * sigma), hi.min(mu + TAIL_SDS * sigma))
            }
            Value::Random(Distribution::Exponential { beta }) => (0.0, 40.0 * beta),
            _ => (lo, hi),
        }
    }

    /// Draws one value (a constant draws nothing from `rng`). Assumes [`Value::validate`] passed.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match *self {
            Value::Constant(v) => v,
            Value::Random(Distribution::Uniform { low, high }) => {
                if low == high {
                    low
                } else {
                    Uniform::new(low, high).expect("validated").sample(rng)
                }
            }
            Value::Random(Distribution::Normal { mu, sigma }) => {
                Normal::new(mu, sigma).expect("validated").sample(rng)
            }
            Value::Random(Distribution::NormalClipped {
                mu,
                sigma,
                low,
                high,
            }) => {
                let n = Normal::new(mu, sigma).expect("validated");
                loop {
                    let v = n.sample(rng);
                    if (low..=high).contains(&v) {
                        return v;
                    }
                }
            }
            Value::Random(Distribution::Exponential { beta }) => {
                Exp::new(1.0 / beta).expect("validated").sample(rng)
            }
        }
    }
}
