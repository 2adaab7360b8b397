//! Integer simulation time. A run has one fixed `dt`; every delay, duration and spike time is a
//! whole number of steps. Converting a millisecond value that is not a multiple of `dt` is an
//! error, never a silent rounding.

use serde::{Deserialize, Serialize};

use crate::readable::Readable;

/// A step index. Step `t` covers the interval `(t·dt, (t+1)·dt]` of biological time.
pub type Step = u64;

/// Relative tolerance used to decide that a millisecond value is a whole number of steps
/// (accounts for decimal literals such as 0.3 ms at dt = 0.1 ms).
const MULTIPLE_TOLERANCE: f64 = 1e-9;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TimeError {
    #[error("{} ms is not a multiple of dt = {} ms", Readable(*value), Readable(*dt))]
    NotMultiple { value: f64, dt: f64 },
    #[error("{} ms must be finite and >= 0", Readable(*value))]
    Negative { value: f64 },
    #[error("dt = {} ms must be finite and > 0", Readable(*dt))]
    BadDt { dt: f64 },
    #[error("{} ms is {} steps, above the limit of {limit} steps", Readable(*value), Readable(*steps))]
    TooLarge { value: f64, steps: f64, limit: u64 },
}

/// The fixed time grid of a run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TimeGrid {
    dt_ms: f64,
}

impl TimeGrid {
    pub fn new(dt_ms: f64) -> Result<Self, TimeError> {
        if !(dt_ms.is_finite() && dt_ms > 0.0) {
            return Err(TimeError::BadDt { dt: dt_ms });
        }
        Ok(Self { dt_ms })
    }

    pub fn dt_ms(&self) -> f64 {
        self.dt_ms
    }

    /// Converts a non-negative duration in ms to a whole number of steps.
    pub fn steps(&self, ms: f64) -> Result<Step, TimeError> {
        self.steps_bounded(ms, u64::MAX >> 11)
    }

    /// As [`TimeGrid::steps`], with an upper bound (e.g. a delay ring buffer length).
    pub fn steps_bounded(&self, ms: f64, limit: u64) -> Result<Step, TimeError> {
        if !(ms.is_finite() && ms >= 0.0) {
            return Err(TimeError::Negative { value: ms });
        }
        let exact = ms / self.dt_ms;
        let rounded = exact.round();
        if (exact - rounded).abs() > MULTIPLE_TOLERANCE * exact.abs().max(1.0) {
            return Err(TimeError::NotMultiple {
                value: ms,
                dt: self.dt_ms,
            });
        }
        if rounded > limit as f64 {
            return Err(TimeError::TooLarge {
                value: ms,
                steps: rounded,
                limit,
            });
        }
        Ok(rounded as Step)
    }

    /// The fewest whole steps that last at least `ms` (≥ 0): `ceil(ms/dt)`, a value within the
    /// whole-multiple tolerance of a multiple counting as that multiple. NEST's rule for
    /// refractory periods (`Time::get_steps` of `t_ref` rounds up: at dt = 1 ms, t_ref = 0.1 ms is
    /// one step and 1.01 ms two), used by the cell types that follow NEST's integration.
    pub fn steps_at_least(&self, ms: f64) -> Result<Step, TimeError> {
        if !(ms.is_finite() && ms >= 0.0) {
            return Err(TimeError::Negative { value: ms });
        }
        let exact = ms / self.dt_ms;
        let rounded = exact.round();
        if (exact - rounded).abs() <= MULTIPLE_TOLERANCE * exact.abs().max(1.0) {
            return self.steps(ms);
        }
        self.steps_bounded(exact.ceil() * self.dt_ms, u64::MAX >> 11)
    }

    /// The biological time of a step index, `t·dt` (ms).
    pub fn ms(&self, step: Step) -> f64 {
        step as f64 * self.dt_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiples_are_accepted_and_others_rejected() {
        let g = TimeGrid::new(0.1).unwrap();
        assert_eq!(g.steps(0.3).unwrap(), 3);
        assert_eq!(g.steps(1000.0).unwrap(), 10_000);
        assert!(matches!(g.steps(0.15), Err(TimeError::NotMultiple { .. })));
        assert!(matches!(g.steps(-1.0), Err(TimeError::Negative { .. })));
        assert!(matches!(g.steps(f64::NAN), Err(TimeError::Negative { .. })));
        assert!(TimeGrid::new(0.0).is_err());
        assert!(matches!(
            g.steps_bounded(2.0, 10),
            Err(TimeError::TooLarge { .. })
        ));
    }

    /// NEST 3.10's refractory steps at dt = 1 ms, measured from the spike intervals of
    /// iaf_psc_exp, iaf_psc_alpha, iaf_cond_exp and iaf_cond_alpha (interval = 1 + steps).
    #[test]
    fn steps_at_least_rounds_up_as_nest_does() {
        let g = TimeGrid::new(1.0).unwrap();
        for (ms, nest_steps) in [
            (0.0, 0),
            (0.1, 1),
            (0.9, 1),
            (1.0, 1),
            (1.01, 2),
            (1.4, 2),
            (2.5, 3),
        ] {
            assert_eq!(g.steps_at_least(ms).unwrap(), nest_steps, "{ms} ms");
        }
        // Decimal literals that are multiples stay exact.
        let g = TimeGrid::new(0.1).unwrap();
        assert_eq!(g.steps_at_least(0.3).unwrap(), 3);
        assert_eq!(g.steps_at_least(2.0).unwrap(), 20);
        assert!(matches!(
            g.steps_at_least(-0.1),
            Err(TimeError::Negative { .. })
        ));
    }
}
