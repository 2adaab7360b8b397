//! Astrocyte models and tripartite-synapse machinery (spec `shared/specs/astrocytes.md`).
//!
//! * [`lr1994`]: NEST `astrocyte_lr_1994` (Li–Rinzel calcium dynamics, SIC output).
//! * [`aeif_cond_alpha_astro`]: NEST `aeif_cond_alpha_astro` (AdEx, alpha conductances, I_SIC).
//! * [`sic`]: NEST `sic_connection` as a per-step delay line.
//! * [`tripartite`]: NEST `third_factor_bernoulli_with_pool` connectivity.
//! * [`gchi`], [`tm_glio`]: Brian2 G-ChI astrocyte with gliotransmission, TM synapse, COBA LIF.
//! * [`amsu`]: engram's Astrocyte-Modulated Spiking Unit formulation (arXiv:2312.07625).
//!
//! All state is f64, struct-of-arrays over a population, stepped one simulation step at a
//! time with per-neuron input sums, in NEST units (ms, µM, mV, pA, nS, pF).

pub mod aeif_cond_alpha_astro;
pub mod amsu;
pub mod gchi;
pub mod lr1994;
pub mod sic;
pub mod tm_glio;
pub mod tripartite;

use thiserror::Error;

/// Errors raised by the astrocyte models.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum AstroError {
    /// A parameter has a value outside its allowed range.
    #[error("{model}: invalid parameter {name} = {value}: {allowed}")]
    InvalidParameter {
        model: &'static str,
        name: &'static str,
        value: f64,
        allowed: String,
    },
    /// An input (e.g. a spike weight) has an illegal value.
    #[error("{model}: invalid input {name} = {value} for element {index}: {allowed}")]
    InvalidInput {
        model: &'static str,
        name: &'static str,
        index: usize,
        value: f64,
        allowed: &'static str,
    },
    /// Integration diverged (NEST `NumericalInstability`).
    #[error("{model}: numerical instability in neuron {index}: {variable} = {value} at t = {time_ms} ms")]
    NumericalInstability {
        model: &'static str,
        index: usize,
        variable: &'static str,
        value: f64,
        time_ms: f64,
    },
}

pub(crate) fn check(
    model: &'static str,
    name: &'static str,
    value: f64,
    ok: bool,
    allowed: impl Into<String>,
) -> Result<(), AstroError> {
    if ok && value.is_finite() {
        Ok(())
    } else {
        Err(AstroError::InvalidParameter {
            model,
            name,
            value,
            allowed: allowed.into(),
        })
    }
}
