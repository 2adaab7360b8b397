//! `HH_cond_exp`: single-compartment Hodgkin–Huxley neuron with the Traub & Miles (1991)
//! channel kinetics and exponentially decaying conductances, NEST's `hh_cond_exp_traub` (the
//! model pyNN.nest runs for it).
//!
//! The membrane, the gating variables m, h, n and the conductances are integrated over each
//! step by GSL's adaptive rkf45 with NEST's control (absolute error 1e-3 in NEST's units: mV, nS),
//! the step size carried from step to step; then the step's spike input (µS, held in nS) is added
//! to the conductances; then, unless the neuron is refractory, it fires when the potential is at
//! least `v_offset + 30` mV and fell during the step (a maximum has passed). There is no reset:
//! the refractory period only keeps the neuron from firing again; PyNN gives it no parameter, so
//! it is NEST's default, 2 ms. The injected current (`I_inj`) of a step acts during that step.
//! The state is held in NEST's units (pF, nS, pA), so every step-size decision is NEST's. Spikes
//! are stamped at the end of the step.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use sim_core::describe::{ModelDescription, Quantity};
use sim_core::model::{ModelError, NeuronKernel, PopulationModel, StepContext};
use sim_core::state::{StateTable, StateVar};
use sim_core::{Step, TimeGrid};

use super::{initial_values, non_finite, pynn_neuron};
use crate::dist::Value;
use crate::electrodes::InjectedCurrent;
use crate::gsl_rkf45::{self, Control};
use crate::params::{finite, non_negative, positive, ParamError};

/// The cell type's name, as model files and PyNN write it.
pub const NAME: &str = "HH_cond_exp";

/// NEST's control for `hh_cond_exp_traub`: `gsl_odeiv_control_y_new(1e-3, 0)`.
const CONTROL: Control = Control::y(1e-3, 0.0);

/// PyNN's units to NEST's: nF → pF, µS → nS, nA → pA.
const TO_NEST: f64 = 1000.0;

/// NEST's `t_ref` of `hh_cond_exp_traub`, which PyNN's `HH_cond_exp` leaves at its default (ms).
const REFRACTORY_MS: f64 = 2.0;

/// How far above `v_offset` the potential must be for a spike (mV), as in NEST.
const SPIKE_ABOVE_OFFSET: f64 = 30.0;

/// Internal steps in one simulation step beyond which the state is taken to be diverging.
const MAX_INTERNAL_STEPS: u32 = 100_000;

/// PyNN's parameters and defaults for `HH_cond_exp`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HhCondExpParams {
    #[serde(rename = "gbar_Na")]
    pub gbar_na: f64,
    #[serde(rename = "gbar_K")]
    pub gbar_k: f64,
    pub g_leak: f64,
    pub cm: f64,
    pub v_offset: f64,
    #[serde(rename = "e_rev_Na")]
    pub e_rev_na: f64,
    #[serde(rename = "e_rev_K")]
    pub e_rev_k: f64,
    pub e_rev_leak: f64,
    #[serde(rename = "e_rev_E")]
    pub e_rev_e: f64,
    #[serde(rename = "e_rev_I")]
    pub e_rev_i: f64,
    #[serde(rename = "tau_syn_E")]
    pub tau_syn_e: f64,
    #[serde(rename = "tau_syn_I")]
    pub tau_syn_i: f64,
    pub i_offset: f64,
}

impl Default for HhCondExpParams {
    fn default() -> Self {
        Self {
            gbar_na: 20.0,
            gbar_k: 6.0,
            g_leak: 0.01,
            cm: 0.2,
            v_offset: -63.0,
            e_rev_na: 50.0,
            e_rev_k: -90.0,
            e_rev_leak: -65.0,
            e_rev_e: 0.0,
            e_rev_i: -80.0,
            tau_syn_e: 0.2,
            tau_syn_i: 2.0,
            i_offset: 0.0,
        }
    }
}

impl HhCondExpParams {
    /// The parameters under their PyNN names, with units.
    pub fn quantities(&self) -> Vec<Quantity> {
        let q = |name, unit, value| Quantity { name, unit, value };
        vec![
            q("gbar_Na", "uS", self.gbar_na),
            q("gbar_K", "uS", self.gbar_k),
            q("g_leak", "uS", self.g_leak),
            q("cm", "nF", self.cm),
            q("v_offset", "mV", self.v_offset),
            q("e_rev_Na", "mV", self.e_rev_na),
            q("e_rev_K", "mV", self.e_rev_k),
            q("e_rev_leak", "mV", self.e_rev_leak),
            q("e_rev_E", "mV", self.e_rev_e),
            q("e_rev_I", "mV", self.e_rev_i),
            q("tau_syn_E", "ms", self.tau_syn_e),
            q("tau_syn_I", "ms", self.tau_syn_i),
            q("i_offset", "nA", self.i_offset),
        ]
    }
}

/// The right-hand side in NEST's units, state `[V_m, m, h, n, g_ex, g_in]`.
#[derive(Debug, Clone, Copy)]
struct Dynamics {
    g_na: f64,
    g_k: f64,
    g_l: f64,
    c_m: f64,
    e_na: f64,
    e_k: f64,
    e_l: f64,
    v_t: f64,
    e_ex: f64,
    e_in: f64,
    tau_ex: f64,
    tau_in: f64,
    i_e: f64,
}

impl Dynamics {
    /// `i_stim` is the injected current (pA), added before `i_e` as NEST adds `I_stim_`.
    fn rhs(&self, y: &[f64; 6], i_stim: f64) -> [f64; 6] {
        let [v, m, h, n, g_ex, g_in] = *y;
        let i_na = self.g_na * m * m * m * h * (v - self.e_na);
        let i_k = self.g_k * n * n * n * n * (v - self.e_k);
        let i_l = self.g_l * (v - self.e_l);
        let i_syn_exc = g_ex * (v - self.e_ex);
        let i_syn_inh = g_in * (v - self.e_in);
        let dv = (-i_na - i_k - i_l - i_syn_exc - i_syn_inh + i_stim + self.i_e) / self.c_m;
        // Traub & Miles' rate functions (1/ms) of the potential relative to V_T.
        let u = v - self.v_t;
        let alpha_n = 0.032 * (15.0 - u) / (((15.0 - u) / 5.0).exp() - 1.0);
        let beta_n = 0.5 * ((10.0 - u) / 40.0).exp();
        let alpha_m = 0.32 * (13.0 - u) / (((13.0 - u) / 4.0).exp() - 1.0);
        let beta_m = 0.28 * (u - 40.0) / (((u - 40.0) / 5.0).exp() - 1.0);
        let alpha_h = 0.128 * ((17.0 - u) / 18.0).exp();
        let beta_h = 4.0 / (1.0 + ((40.0 - u) / 5.0).exp());
        [
            dv,
            alpha_m - (alpha_m + beta_m) * m,
            alpha_h - (alpha_h + beta_h) * h,
            alpha_n - (alpha_n + beta_n) * n,
            -g_ex / self.tau_ex,
            -g_in / self.tau_in,
        ]
    }
}

/// Initial values: v (mV), gsyn_exc and gsyn_inh (µS), m, h, n.
#[derive(Debug, Clone)]
struct Initial {
    v: Value,
    gsyn_exc: Value,
    gsyn_inh: Value,
    m: Value,
    h: Value,
    n: Value,
}

/// A population of `HH_cond_exp` neurons.
#[derive(Debug, Clone)]
pub struct HhCondExp {
    p: HhCondExpParams,
    init: Initial,
    refractory_steps: Step,
    dynamics: Dynamics,
}

impl HhCondExp {
    /// `initial` gives a variable's initial value by name (`v`, `gsyn_exc`, `gsyn_inh`, `m`,
    /// `h`, `n`), `None` for PyNN's default (-65 mV, 0 µS, 0 µS, 0, 1, 0).
    pub fn new(
        p: HhCondExpParams,
        initial: impl Fn(&str) -> Option<Value>,
        grid: &TimeGrid,
    ) -> Result<Self, ParamError> {
        positive("cm", p.cm, "nF")?;
        positive("tau_syn_E", p.tau_syn_e, "ms")?;
        positive("tau_syn_I", p.tau_syn_i, "ms")?;
        non_negative("gbar_Na", p.gbar_na, "uS")?;
        non_negative("gbar_K", p.gbar_k, "uS")?;
        non_negative("g_leak", p.g_leak, "uS")?;
        for (k, v) in [
            ("v_offset", p.v_offset),
            ("e_rev_Na", p.e_rev_na),
            ("e_rev_K", p.e_rev_k),
            ("e_rev_leak", p.e_rev_leak),
            ("e_rev_E", p.e_rev_e),
            ("e_rev_I", p.e_rev_i),
        ] {
            finite(k, v, "mV")?;
        }
        finite("i_offset", p.i_offset, "nA")?;
        let refractory_steps = grid
            .steps_at_least(REFRACTORY_MS)
            .map_err(|e| ParamError::new("dt", grid.dt_ms(), e.to_string()))?;
        let value = |name: &str, default: f64| -> Result<Value, ParamError> {
            let v = initial(name).unwrap_or(Value::Constant(default));
            v.validate(name)?;
            Ok(v)
        };
        let init = Initial {
            v: value("v", -65.0)?,
            gsyn_exc: value("gsyn_exc", 0.0)?,
            gsyn_inh: value("gsyn_inh", 0.0)?,
            m: value("m", 0.0)?,
            h: value("h", 1.0)?,
            n: value("n", 0.0)?,
        };
        for (name, v) in [("m", &init.m), ("h", &init.h), ("n", &init.n)] {
            if let Value::Constant(x) = v {
                if !(0.0..=1.0).contains(x) {
                    return Err(ParamError::new(
                        name,
                        x,
                        "must be in [0, 1] (a gating variable)",
                    ));
                }
            }
        }
        let dynamics = Dynamics {
            g_na: p.gbar_na * TO_NEST,
            g_k: p.gbar_k * TO_NEST,
            g_l: p.g_leak * TO_NEST,
            c_m: p.cm * TO_NEST,
            e_na: p.e_rev_na,
            e_k: p.e_rev_k,
            e_l: p.e_rev_leak,
            v_t: p.v_offset,
            e_ex: p.e_rev_e,
            e_in: p.e_rev_i,
            tau_ex: p.tau_syn_e,
            tau_in: p.tau_syn_i,
            i_e: p.i_offset * TO_NEST,
        };
        Ok(Self {
            p,
            init,
            refractory_steps,
            dynamics,
        })
    }

    /// The PyNN parameters (for exporters).
    pub fn params(&self) -> &HhCondExpParams {
        &self.p
    }
}

impl PopulationModel for HhCondExp {
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
        let init = |value: &Value, salt: u64| initial_values(value, seed, pop, salt, &range);
        let nest_units = |values: Vec<f64>| values.into_iter().map(|g| g * TO_NEST).collect();
        Box::new(HhKernel {
            dynamics: self.dynamics,
            spike_threshold: self.p.v_offset + SPIKE_ABOVE_OFFSET,
            refractory_steps: self.refractory_steps,
            v: init(&self.init.v, 0),
            g_e: nest_units(init(&self.init.gsyn_exc, 1)),
            g_i: nest_units(init(&self.init.gsyn_inh, 2)),
            m: init(&self.init.m, 3),
            h: init(&self.init.h, 4),
            n: init(&self.init.n, 5),
            step_size: vec![grid.dt_ms(); n],
            refr: vec![0; n],
            injected: InjectedCurrent::default(),
        })
    }
}

struct HhKernel {
    dynamics: Dynamics,
    /// v_offset + 30 mV.
    spike_threshold: f64,
    refractory_steps: Step,
    /// Membrane potential (mV); conductances (nS, NEST's units); gating variables.
    v: Vec<f64>,
    g_e: Vec<f64>,
    g_i: Vec<f64>,
    m: Vec<f64>,
    h: Vec<f64>,
    n: Vec<f64>,
    /// The integrator's step size, carried from step to step (ms).
    step_size: Vec<f64>,
    refr: Vec<u64>,
    /// Current injected in this step (nA, graded input `I_inj`); empty without current source.
    injected: InjectedCurrent,
}

impl NeuronKernel for HhKernel {
    fn update(
        &mut self,
        ctx: &StepContext,
        input: &mut [f64],
        spikes: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        let count = self.v.len();
        let (exc, inh) = input.split_at_mut(count);
        let step = ctx.dt_ms;
        for i in 0..count {
            let v_old = self.v[i];
            let mut y = [
                self.v[i],
                self.m[i],
                self.h[i],
                self.n[i],
                self.g_e[i],
                self.g_i[i],
            ];
            let i_stim = self.injected.at(i) * TO_NEST;
            let rhs = |y: &[f64; 6]| self.dynamics.rhs(y, i_stim);
            let mut t = 0.0;
            let mut internal = 0;
            while t < step {
                (y, t) =
                    gsl_rkf45::evolve_apply(&rhs, &y, t, step, &mut self.step_size[i], &CONTROL);
                internal += 1;
                if internal > MAX_INTERNAL_STEPS || !y[0].is_finite() {
                    return Err(non_finite(i, "v", y[0]));
                }
            }
            y[4] += std::mem::take(&mut exc[i]) * TO_NEST;
            y[5] += std::mem::take(&mut inh[i]) * TO_NEST;
            if self.refr[i] > 0 {
                self.refr[i] -= 1;
            } else if y[0] >= self.spike_threshold && v_old > y[0] {
                self.refr[i] = self.refractory_steps;
                spikes.push(i as u32);
            }
            [
                self.v[i],
                self.m[i],
                self.h[i],
                self.n[i],
                self.g_e[i],
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

const STATE: StateTable<HhKernel> = StateTable(&[
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
    sim_core::recorded!("m", "", m),
    sim_core::recorded!("h", "", h),
    sim_core::recorded!("n", "", n),
    sim_core::f64_field!("v", v),
    sim_core::f64_field!("gsyn_exc_nS", g_e),
    sim_core::f64_field!("gsyn_inh_nS", g_i),
    sim_core::f64_field!("m", m),
    sim_core::f64_field!("h", h),
    sim_core::f64_field!("n", n),
    sim_core::f64_field!("integration_step", step_size),
    sim_core::u64_field!("refractory", refr),
]);
