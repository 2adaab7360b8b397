//! `EIF_cond_alpha_isfa_ista`: adaptive exponential integrate-and-fire neuron with alpha-shaped
//! conductances (Brette & Gerstner 2005), NEST's `aeif_cond_alpha`.
//!
//! The dynamics and the integration are those of `aeif_cond_alpha_astro` without its slow
//! inward current (`astro/aeif_cond_alpha_astro.rs`: GSL's adaptive rkf45 with NEST's control
//! and `gsl_error_tol` = 1e-6, spike check, refractory clamp and instability abort after every
//! internal step); this file translates PyNN's parameters and units (nF, nA, µS) to NEST's (pF,
//! pA, nS) and back for the recorded variables. The refractory period is rounded up to whole
//! steps, as NEST rounds `t_ref`. Spikes are stamped at the end of the step. Current sources
//! drive it through the graded input `I_inj` (NEST's `I_stim`).
//!
//! [`EifCond`] is also `EIF_cond_exp_isfa_ista` (`eif_cond_exp_isfa_ista.rs`), which differs
//! only in its synapse shape.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use sim_core::describe::{ModelDescription, Quantity};
use sim_core::model::{ModelError, NeuronKernel, PopulationModel, StepContext};
use sim_core::state::{StateTable, StateVar};
use sim_core::{Step, TimeGrid};

use super::{initial_values, pynn_neuron};
use crate::astro::aeif_cond_alpha_astro::{
    initial_v_and_w, AeifCondAlphaAstro, AeifCondAlphaAstroParams, SynapseShape,
};
use crate::astro::lr1994::astro_param_error;
use crate::dist::Value;
use crate::electrodes::InjectedCurrent;
use crate::params::{non_negative, positive, ParamError};

/// The cell type's name, as model files and PyNN write it.
pub const NAME: &str = "EIF_cond_alpha_isfa_ista";

/// PyNN's units to NEST's: nF → pF, nA → pA, µS → nS.
const TO_NEST: f64 = 1000.0;

/// NEST's default tolerance of the adaptive integrator.
const GSL_ERROR_TOL: f64 = 1e-6;

/// PyNN's parameters and defaults for `EIF_cond_alpha_isfa_ista`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EifCondAlphaParams {
    pub cm: f64,
    pub tau_refrac: f64,
    pub v_spike: f64,
    pub v_reset: f64,
    pub v_rest: f64,
    pub tau_m: f64,
    pub i_offset: f64,
    /// Subthreshold adaptation (nS).
    pub a: f64,
    /// Spike-triggered adaptation (nA).
    pub b: f64,
    #[serde(rename = "delta_T")]
    pub delta_t: f64,
    pub tau_w: f64,
    pub v_thresh: f64,
    #[serde(rename = "e_rev_E")]
    pub e_rev_e: f64,
    #[serde(rename = "tau_syn_E")]
    pub tau_syn_e: f64,
    #[serde(rename = "e_rev_I")]
    pub e_rev_i: f64,
    #[serde(rename = "tau_syn_I")]
    pub tau_syn_i: f64,
}

impl Default for EifCondAlphaParams {
    fn default() -> Self {
        Self {
            cm: 0.281,
            tau_refrac: 0.1,
            v_spike: -40.0,
            v_reset: -70.6,
            v_rest: -70.6,
            tau_m: 9.3667,
            i_offset: 0.0,
            a: 4.0,
            b: 0.0805,
            delta_t: 2.0,
            tau_w: 144.0,
            v_thresh: -50.4,
            e_rev_e: 0.0,
            tau_syn_e: 5.0,
            e_rev_i: -80.0,
            tau_syn_i: 5.0,
        }
    }
}

impl EifCondAlphaParams {
    /// The parameters under their PyNN names, with units.
    pub fn quantities(&self) -> Vec<Quantity> {
        let q = |name, unit, value| Quantity { name, unit, value };
        vec![
            q("cm", "nF", self.cm),
            q("tau_refrac", "ms", self.tau_refrac),
            q("v_spike", "mV", self.v_spike),
            q("v_reset", "mV", self.v_reset),
            q("v_rest", "mV", self.v_rest),
            q("tau_m", "ms", self.tau_m),
            q("i_offset", "nA", self.i_offset),
            q("a", "nS", self.a),
            q("b", "nA", self.b),
            q("delta_T", "mV", self.delta_t),
            q("tau_w", "ms", self.tau_w),
            q("v_thresh", "mV", self.v_thresh),
            q("e_rev_E", "mV", self.e_rev_e),
            q("tau_syn_E", "ms", self.tau_syn_e),
            q("e_rev_I", "mV", self.e_rev_i),
            q("tau_syn_I", "ms", self.tau_syn_i),
        ]
    }
}

/// PyNN's name of a NEST parameter of `aeif_cond_alpha`, for error messages.
fn pynn_name(nest: &str) -> &str {
    match nest {
        "E_L" => "v_rest",
        "V_th" => "v_thresh",
        "V_peak" => "v_spike",
        "V_reset" => "v_reset",
        "Delta_T" => "delta_T",
        "E_ex" => "e_rev_E",
        "E_in" => "e_rev_I",
        "I_e" => "i_offset",
        "C_m" => "cm",
        "g_L" => "tau_m",
        "t_ref" => "tau_refrac",
        "tau_syn_ex" => "tau_syn_E",
        "tau_syn_in" => "tau_syn_I",
        other => other,
    }
}

/// A population of `EIF_cond_alpha_isfa_ista` or `EIF_cond_exp_isfa_ista` neurons.
#[derive(Debug, Clone)]
pub struct EifCond {
    shape: SynapseShape,
    p: EifCondAlphaParams,
    nest: AeifCondAlphaAstroParams,
    v_init: Value,
    w_init: Value,
}

impl EifCond {
    /// `shape` picks the cell type: alpha conductances (`EIF_cond_alpha_isfa_ista`) or
    /// exponential ones (`EIF_cond_exp_isfa_ista`); both take PyNN's same parameters.
    pub fn new(
        shape: SynapseShape,
        p: EifCondAlphaParams,
        v_init: Option<Value>,
        w_init: Option<Value>,
        grid: &TimeGrid,
    ) -> Result<Self, ParamError> {
        positive("cm", p.cm, "nF")?;
        positive("tau_m", p.tau_m, "ms")?;
        positive("tau_w", p.tau_w, "ms")?;
        positive("tau_syn_E", p.tau_syn_e, "ms")?;
        positive("tau_syn_I", p.tau_syn_i, "ms")?;
        non_negative("tau_refrac", p.tau_refrac, "ms")?;
        let refractory_steps: Step = grid
            .steps_at_least(p.tau_refrac)
            .map_err(|e| ParamError::new("tau_refrac", p.tau_refrac, e.to_string()))?;
        let nest = AeifCondAlphaAstroParams {
            C_m: p.cm * TO_NEST,
            g_L: p.cm / p.tau_m * TO_NEST,
            E_L: p.v_rest,
            V_th: p.v_thresh,
            Delta_T: p.delta_t,
            V_peak: p.v_spike,
            V_reset: p.v_reset,
            t_ref: refractory_steps as f64 * grid.dt_ms(),
            a: p.a,
            b: p.b * TO_NEST,
            tau_w: p.tau_w,
            E_ex: p.e_rev_e,
            E_in: p.e_rev_i,
            tau_syn_ex: p.tau_syn_e,
            tau_syn_in: p.tau_syn_i,
            I_e: p.i_offset * TO_NEST,
            gsl_error_tol: GSL_ERROR_TOL,
        };
        nest.validate().map_err(|e| {
            let e = astro_param_error(e);
            ParamError::new(pynn_name(&e.param), e.value, e.allowed)
        })?;
        let (v_init, w_init) = initial_v_and_w(v_init, w_init, p.v_rest, "v")?;
        Ok(Self {
            shape,
            p,
            nest,
            v_init,
            w_init,
        })
    }
}

impl PopulationModel for EifCond {
    fn describe(&self) -> ModelDescription {
        let name = match self.shape {
            SynapseShape::Alpha => NAME,
            SynapseShape::Exp => super::eif_cond_exp_isfa_ista::NAME,
        };
        pynn_neuron(name, self.p.quantities(), STATE.recordable())
    }
    fn spike_stamp_offset(&self) -> Step {
        1
    }
    fn graded_inputs(&self) -> &[&'static str] {
        crate::electrodes::INJECTED_INPUTS
    }
    fn instantiate(
        &self,
        pop: usize,
        range: Range<u32>,
        _grid: &TimeGrid,
        seed: u64,
    ) -> Box<dyn NeuronKernel> {
        let mut state = AeifCondAlphaAstro::new(range.len(), self.nest)
            .expect("parameters validated in EifCond::new");
        state.shape = self.shape;
        state.gsl_error_tol = Some(GSL_ERROR_TOL);
        state.V_m = initial_values(&self.v_init, seed, pop, 0, &range);
        state.w = initial_values(&self.w_init, seed, pop, 1, &range)
            .into_iter()
            .map(|w| w * TO_NEST)
            .collect();
        Box::new(EifKernel {
            state,
            injected: InjectedCurrent::default(),
        })
    }
}

struct EifKernel {
    /// The state in NEST's units.
    state: AeifCondAlphaAstro,
    /// Current injected in this step (nA, graded input `I_inj`); empty without current source.
    injected: InjectedCurrent,
}

impl NeuronKernel for EifKernel {
    fn update(
        &mut self,
        ctx: &StepContext,
        input: &mut [f64],
        spikes: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        // Weights arrive in µS; the state takes nS.
        for x in input.iter_mut() {
            *x *= TO_NEST;
        }
        // The injected current of this step is NEST's I_stim during it (pA); the step resets it.
        for (i_stim, &c) in self.state.I_stim.iter_mut().zip(self.injected.values()) {
            *i_stim = c * TO_NEST;
        }
        self.state.engine_step(ctx, input, &[], spikes)
    }
    fn graded_input(&mut self, _port: usize, values: &[f64]) {
        self.injected.set(values);
    }
    sim_core::state_io!(STATE, |k: &Self| k.state.len());
}

const STATE: StateTable<EifKernel> = StateTable(&[
    sim_core::recorded!("v", "mV", state.V_m),
    StateVar::Recorded {
        name: "w",
        unit: "nA",
        value: |k, i| k.state.w[i] / TO_NEST,
    },
    StateVar::Recorded {
        name: "gsyn_exc",
        unit: "uS",
        value: |k, i| k.state.g_ex[i] / TO_NEST,
    },
    StateVar::Recorded {
        name: "gsyn_inh",
        unit: "uS",
        value: |k, i| k.state.g_in[i] / TO_NEST,
    },
    // NEST's units, exactly as held.
    sim_core::f64_field!("V_m", state.V_m),
    sim_core::f64_field!("dg_ex", state.dg_ex),
    sim_core::f64_field!("g_ex", state.g_ex),
    sim_core::f64_field!("dg_in", state.dg_in),
    sim_core::f64_field!("g_in", state.g_in),
    sim_core::f64_field!("w", state.w),
    sim_core::u64_field!("r", state.r),
    sim_core::f64_field!("integration_step", state.integration_step),
]);
