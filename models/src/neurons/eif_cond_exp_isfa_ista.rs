//! `EIF_cond_exp_isfa_ista`: adaptive exponential integrate-and-fire neuron with exponentially
//! decaying conductances (Brette & Gerstner 2005), NEST's `aeif_cond_exp`.
//!
//! PyNN gives it the parameters, defaults and units of `EIF_cond_alpha_isfa_ista`, and NEST
//! integrates both the same way (GSL's adaptive rkf45, `gsl_error_tol` = 1e-6, spike check,
//! refractory clamp and instability abort after every internal step); only a spike's effect
//! differs: it adds its weight (µS) to the conductance, which decays with `tau_syn`. So the
//! population is an [`EifCond`] with [`SynapseShape::Exp`] (`eif_cond_alpha_isfa_ista.rs`
//! translates the parameters, `astro/aeif_cond_alpha_astro.rs` integrates).

use sim_core::TimeGrid;

pub use super::eif_cond_alpha_isfa_ista::EifCondAlphaParams as EifCondExpParams;
use super::EifCond;
use crate::astro::aeif_cond_alpha_astro::SynapseShape;
use crate::dist::Value;
use crate::params::ParamError;

/// The cell type's name, as model files and PyNN write it.
pub const NAME: &str = "EIF_cond_exp_isfa_ista";

/// A population of `EIF_cond_exp_isfa_ista` neurons with initial `v` (mV, default `v_rest`) and
/// `w` (nA, default 0).
pub fn new(
    p: EifCondExpParams,
    v_init: Option<Value>,
    w_init: Option<Value>,
    grid: &TimeGrid,
) -> Result<EifCond, ParamError> {
    EifCond::new(SynapseShape::Exp, p, v_init, w_init, grid)
}
