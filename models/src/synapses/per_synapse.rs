//! A synapse parameter with one value for a whole projection or one per synapse.

use crate::params::ParamError;

#[derive(Debug, Clone, PartialEq)]
pub enum PerSynapse {
    One(f64),
    /// In the projection's synapse order.
    Each(Vec<f64>),
}

impl PerSynapse {
    #[inline]
    pub fn at(&self, syn: usize) -> f64 {
        match self {
            PerSynapse::One(v) => *v,
            PerSynapse::Each(v) => v[syn],
        }
    }

    /// Every value, for `n` synapses.
    pub fn values(&self, n: usize) -> Vec<f64> {
        match self {
            PerSynapse::One(v) => vec![*v; n],
            PerSynapse::Each(v) => v.clone(),
        }
    }

    /// Checks every value with `check` and, for a list, its length against `n` synapses.
    pub fn validate(
        &self,
        param: &str,
        n: usize,
        check: impl Fn(f64) -> Result<(), ParamError>,
    ) -> Result<(), ParamError> {
        match self {
            PerSynapse::One(v) => check(*v),
            PerSynapse::Each(v) => {
                if v.len() != n {
                    return Err(ParamError::new(
                        param,
                        format!("a list of {} values", v.len()),
                        format!("one number, or a list of one value per synapse ({n})"),
                    ));
                }
                v.iter().try_for_each(|&x| check(x))
            }
        }
    }
}
