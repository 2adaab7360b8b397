//! `IF_cond_alpha`: leaky integrate-and-fire neuron with alpha-shaped conductances, NEST
//! `iaf_cond_alpha`'s integration.
//!
//! Each conductance is the linear pair `dg'/dt = −dg'/tau_syn`, `dg/dt = dg' − g/tau_syn`; a
//! spike of weight w (µS) adds `w·e/tau_syn` to dg', so g peaks at w after tau_syn. Per step, in
//! NEST's order: the membrane and conductances are integrated over the step by GSL's adaptive
//! rkf45 with NEST's control (absolute error 1e-3 in NEST's units: mV, nS, nS/ms), the step size
//! carried from step to step; then a refractory neuron is clamped to v_reset (its count goes
//! down) or a neuron at threshold fires and is reset; then the arriving input is added to dg'.
//! The state is held in NEST's units (pF, nS, pA), so the integrator's step-size decisions are
//! NEST's. Spikes are stamped at the end of the step.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use sim_core::describe::{ModelDescription, Quantity};
use sim_core::model::{ModelError, NeuronKernel, PopulationModel, StepContext};
use sim_core::state::{StateTable, StateVar};
use sim_core::{Step, TimeGrid};

use super::{initial_values, lif_core, non_finite, pynn_neuron};
use crate::dist::Value;
use crate::electrodes::InjectedCurrent;
use crate::gsl_rkf45::{self, Control};
use crate::params::{finite, ParamError};

/// The cell type's name, as model files and PyNN write it.
pub const NAME: &str = "IF_cond_alpha";

/// NEST's control for `iaf_cond_alpha`: `gsl_odeiv_control_y_new(1e-3, 0)`.
const CONTROL: Control = Control::y(1e-3, 0.0);

/// PyNN's units to NEST's: nF → pF, µS → nS, nA → pA.
const TO_NEST: f64 = 1000.0;

/// Internal steps in one simulation step beyond which the state is taken to be diverging.
const MAX_INTERNAL_STEPS: u32 = 100_000;

/// PyNN's parameters and defaults for `IF_cond_alpha`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IfCondAlphaParams {
    pub cm: f64,
    pub tau_m: f64,
    pub tau_refrac: f64,
    #[serde(rename = "tau_syn_E")]
    pub tau_syn_e: f64,
    #[serde(rename = "tau_syn_I")]
    pub tau_syn_i: f64,
    #[serde(rename = "e_rev_E")]
    pub e_rev_e: f64,
    #[serde(rename = "e_rev_I")]
    pub e_rev_i: f64,
    pub v_rest: f64,
    pub v_reset: f64,
    pub v_thresh: f64,
    pub i_offset: f64,
}

impl Default for IfCondAlphaParams {
    fn default() -> Self {
        Self {
            cm: 1.0,
            tau_m: 20.0,
            tau_refrac: 0.1,
            tau_syn_e: 0.3,
            tau_syn_i: 0.5,
            e_rev_e: 0.0,
            e_rev_i: -70.0,
            v_rest: -65.0,
            v_reset: -65.0,
            v_thresh: -50.0,
            i_offset: 0.0,
        }
    }
}

impl IfCondAlphaParams {
    /// The parameters under their PyNN names, with units.
    pub fn quantities(&self) -> Vec<Quantity> {
        let q = |name, unit, value| Quantity { name, unit, value };
        vec![
            q("cm", "nF", self.cm),
            q("tau_m", "ms", self.tau_m),
            q("tau_refrac", "ms", self.tau_refrac),
            q("tau_syn_E", "ms", self.tau_syn_e),
            q("tau_syn_I", "ms", self.tau_syn_i),
            q("e_rev_E", "mV", self.e_rev_e),
            q("e_rev_I", "mV", self.e_rev_i),
            q("v_rest", "mV", self.v_rest),
            q("v_reset", "mV", self.v_reset),
            q("v_thresh", "mV", self.v_thresh),
            q("i_offset", "nA", self.i_offset),
        ]
    }
}

/// The right-hand side in NEST's units, state `[V_m, dg_ex, g_ex, dg_in, g_in]`.
#[derive(Debug, Clone, Copy)]
struct Dynamics {
    c_m: f64,
    g_l: f64,
    e_l: f64,
    e_ex: f64,
    e_in: f64,
    i_e: f64,
    tau_ex: f64,
    tau_in: f64,
}

impl Dynamics {
    /// `i_stim` is the injected current (pA), added before `i_e` as NEST adds `I_stim_`.
    fn rhs(&self, y: &[f64; 5], i_stim: f64) -> [f64; 5] {
        let v = y[0];
        let i_leak = self.g_l * (v - self.e_l);
        let i_ex = y[2] * (v - self.e_ex);
        let i_in = y[4] * (v - self.e_in);
        [
            (-i_leak - i_ex - i_in + i_stim + self.i_e) / self.c_m,
            -y[1] / self.tau_ex,
            y[1] - y[2] / self.tau_ex,
            -y[3] / self.tau_in,
            y[3] - y[4] / self.tau_in,
        ]
    }
}

#[derive(Debug, Clone)]
pub struct IfCondAlpha {
    p: IfCondAlphaParams,
    v_init: Value,
    ge_init: Value,
    gi_init: Value,
    refractory_steps: Step,
    dynamics: Dynamics,
}

impl IfCondAlpha {
    pub fn new(
        p: IfCondAlphaParams,
        v_init: Option<Value>,
        gsyn_exc_init: Option<Value>,
        gsyn_inh_init: Option<Value>,
        grid: &TimeGrid,
    ) -> Result<Self, ParamError> {
        let refractory_steps = lif_core!(p).check(grid)?;
        finite("e_rev_E", p.e_rev_e, "mV")?;
        finite("e_rev_I", p.e_rev_i, "mV")?;
        let v_init = v_init.unwrap_or(Value::Constant(p.v_rest));
        let ge_init = gsyn_exc_init.unwrap_or(Value::Constant(0.0));
        let gi_init = gsyn_inh_init.unwrap_or(Value::Constant(0.0));
        v_init.validate("v")?;
        ge_init.validate("gsyn_exc")?;
        gi_init.validate("gsyn_inh")?;
        let dynamics = Dynamics {
            c_m: p.cm * TO_NEST,
            g_l: p.cm / p.tau_m * TO_NEST,
            e_l: p.v_rest,
            e_ex: p.e_rev_e,
            e_in: p.e_rev_i,
            i_e: p.i_offset * TO_NEST,
            tau_ex: p.tau_syn_e,
            tau_in: p.tau_syn_i,
        };
        Ok(Self {
            p,
            v_init,
            ge_init,
            gi_init,
            refractory_steps,
            dynamics,
        })
    }

    /// The PyNN parameters (for exporters).
    pub fn params(&self) -> &IfCondAlphaParams {
        &self.p
    }
}

impl PopulationModel for IfCondAlpha {
    fn describe(&self) -> ModelDescription {
        pynn_neuron(NAME, self.p.quantities(), STATE.recordable())
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
        grid: &TimeGrid,
        seed: u64,
    ) -> Box<dyn NeuronKernel> {
        let n = range.len();
        let nest_units = |values: Vec<f64>| values.into_iter().map(|g| g * TO_NEST).collect();
        Box::new(CondAlphaKernel {
            m: self.clone(),
            v: initial_values(&self.v_init, seed, pop, 0, &range),
            dg_e: vec![0.0; n],
            g_e: nest_units(initial_values(&self.ge_init, seed, pop, 1, &range)),
            dg_i: vec![0.0; n],
            g_i: nest_units(initial_values(&self.gi_init, seed, pop, 2, &range)),
            step_size: vec![grid.dt_ms(); n],
            refr: vec![0; n],
            injected: InjectedCurrent::default(),
        })
    }
}

struct CondAlphaKernel {
    m: IfCondAlpha,
    /// Membrane potential (mV); conductances (nS) and their derivatives (nS/ms), NEST's units.
    v: Vec<f64>,
    dg_e: Vec<f64>,
    g_e: Vec<f64>,
    dg_i: Vec<f64>,
    g_i: Vec<f64>,
    /// The integrator's step size, carried from step to step (ms).
    step_size: Vec<f64>,
    refr: Vec<u64>,
    /// Current injected in this step (nA, graded input `I_inj`); empty without current source.
    injected: InjectedCurrent,
}

impl NeuronKernel for CondAlphaKernel {
    fn update(
        &mut self,
        ctx: &StepContext,
        input: &mut [f64],
        spikes: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        let n = self.v.len();
        let (exc, inh) = input.split_at_mut(n);
        let m = &self.m;
        let jump_e = std::f64::consts::E / m.p.tau_syn_e * TO_NEST;
        let jump_i = std::f64::consts::E / m.p.tau_syn_i * TO_NEST;
        let h = ctx.dt_ms;
        for i in 0..n {
            let mut y = [
                self.v[i],
                self.dg_e[i],
                self.g_e[i],
                self.dg_i[i],
                self.g_i[i],
            ];
            let i_stim = self.injected.at(i) * TO_NEST;
            let rhs = |y: &[f64; 5]| m.dynamics.rhs(y, i_stim);
            let mut t = 0.0;
            let mut internal = 0;
            while t < h {
                (y, t) = gsl_rkf45::evolve_apply(&rhs, &y, t, h, &mut self.step_size[i], &CONTROL);
                internal += 1;
                if internal > MAX_INTERNAL_STEPS || !y[0].is_finite() {
                    return Err(non_finite(i, "v", y[0]));
                }
            }
            if self.refr[i] > 0 {
                self.refr[i] -= 1;
                y[0] = m.p.v_reset;
            } else if y[0] >= m.p.v_thresh {
                self.refr[i] = m.refractory_steps;
                y[0] = m.p.v_reset;
                spikes.push(i as u32);
            }
            y[1] += std::mem::take(&mut exc[i]) * jump_e;
            y[3] += std::mem::take(&mut inh[i]) * jump_i;
            [
                self.v[i],
                self.dg_e[i],
                self.g_e[i],
                self.dg_i[i],
                self.g_i[i],
            ] = y;
        }
        Ok(())
    }
    fn graded_input(&mut self, _port: usize, values: &[f64]) {
        self.injected.set(values);
    }
    sim_core::state_io!(STATE, |k: &Self| k.v.len());
}

const STATE: StateTable<CondAlphaKernel> = StateTable(&[
    sim_core::recorded!("v", "mV", v),
    StateVar::Recorded {
        name: "gsyn_exc",
        unit: "uS",
        value: |k, i| k.g_e[i] / TO_NEST,
    },
    StateVar::Recorded {
        name: "gsyn_inh",
        unit: "uS",
        value: |k, i| k.g_i[i] / TO_NEST,
    },
    sim_core::f64_field!("v", v),
    sim_core::f64_field!("dgsyn_exc_nS_per_ms", dg_e),
    sim_core::f64_field!("gsyn_exc_nS", g_e),
    sim_core::f64_field!("dgsyn_inh_nS_per_ms", dg_i),
    sim_core::f64_field!("gsyn_inh_nS", g_i),
    sim_core::f64_field!("integration_step", step_size),
    sim_core::u64_field!("refractory", refr),
]);
