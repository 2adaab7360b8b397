//! `IF_curr_alpha`: leaky integrate-and-fire neuron with alpha-shaped current synapses, NEST
//! `iaf_psc_alpha`'s exact integration.
//!
//! Each synapse is the linear pair `dI'/dt = −dI'/tau_syn`, `dI/dt = dI' − I/tau_syn`; a spike of
//! weight w (nA) adds `w·e/tau_syn` to dI', so I peaks at w after tau_syn. The membrane, the
//! pair and the offset current are advanced by their exact propagators. In a step (NEST's order):
//! the membrane integrates the state held at the start of the step unless refractory, the
//! synaptic pairs are propagated and this step's input is added (it acts from the next step on),
//! then the threshold is checked. Spikes are stamped at the end of the step.
//!
//! The propagators are the closed forms, written to stay accurate as tau_syn approaches tau_m
//! (they do not use NEST's expressions, so agreement with NEST is to rounding, not bit for bit;
//! `models/tests/nest_iaf_psc_alpha.rs` compares a NEST trace step by step).

use std::ops::Range;

use serde::{Deserialize, Serialize};
use sim_core::describe::{ModelDescription, Quantity};
use sim_core::model::{ModelError, NeuronKernel, PopulationModel, StepContext};
use sim_core::state::{StateTable, StateVar};
use sim_core::{Step, TimeGrid};

use super::{initial_values, lif_core, non_finite, pynn_neuron};
use crate::dist::Value;
use crate::electrodes::InjectedCurrent;
use crate::params::ParamError;

/// The cell type's name, as model files and PyNN write it.
pub const NAME: &str = "IF_curr_alpha";

/// PyNN's parameters and defaults for `IF_curr_alpha`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IfCurrAlphaParams {
    pub cm: f64,
    pub tau_m: f64,
    pub tau_refrac: f64,
    #[serde(rename = "tau_syn_E")]
    pub tau_syn_e: f64,
    #[serde(rename = "tau_syn_I")]
    pub tau_syn_i: f64,
    pub v_rest: f64,
    pub v_reset: f64,
    pub v_thresh: f64,
    pub i_offset: f64,
}

impl Default for IfCurrAlphaParams {
    fn default() -> Self {
        Self {
            cm: 1.0,
            tau_m: 20.0,
            tau_refrac: 0.1,
            tau_syn_e: 0.5,
            tau_syn_i: 0.5,
            v_rest: -65.0,
            v_reset: -65.0,
            v_thresh: -50.0,
            i_offset: 0.0,
        }
    }
}

impl IfCurrAlphaParams {
    /// The parameters under their PyNN names, with units.
    pub fn quantities(&self) -> Vec<Quantity> {
        let q = |name, unit, value| Quantity { name, unit, value };
        vec![
            q("cm", "nF", self.cm),
            q("tau_m", "ms", self.tau_m),
            q("tau_refrac", "ms", self.tau_refrac),
            q("tau_syn_E", "ms", self.tau_syn_e),
            q("tau_syn_I", "ms", self.tau_syn_i),
            q("v_rest", "mV", self.v_rest),
            q("v_reset", "mV", self.v_reset),
            q("v_thresh", "mV", self.v_thresh),
            q("i_offset", "nA", self.i_offset),
        ]
    }
}

/// The exact propagators of one alpha synapse over a step h.
#[derive(Debug, Clone, Copy)]
struct AlphaPropagators {
    /// e^(−h/tau_syn): dI' → dI', I → I.
    decay: f64,
    /// h·e^(−h/tau_syn): dI' → I.
    di_to_i: f64,
    /// dI' → v and I → v.
    di_to_v: f64,
    i_to_v: f64,
    /// What a spike of weight 1 adds to dI': e/tau_syn.
    jump: f64,
}

impl AlphaPropagators {
    fn new(tau_syn: f64, tau_m: f64, c_m: f64, h: f64) -> Self {
        let decay = (-h / tau_syn).exp();
        // With a = 1/tau_syn − 1/tau_m and x = a·h, the membrane's response to the current
        // I(s) = I₀·e^(−s/tau_syn) and to I(s) = dI'₀·s·e^(−s/tau_syn) over the step is
        // (e^(−h/tau_m)/c_m)·∫₀ʰ e^(−a·s)·{1, s} ds, written via g and f, finite as a → 0.
        let x = (1.0 / tau_syn - 1.0 / tau_m) * h;
        let scale = (-h / tau_m).exp() / c_m;
        Self {
            decay,
            di_to_i: h * decay,
            di_to_v: scale * h * h * ramp_integral(x),
            i_to_v: scale * h * exp_integral(x),
            jump: std::f64::consts::E / tau_syn,
        }
    }
}

/// (1 − e^(−x))/x, 1 at x = 0.
fn exp_integral(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else {
        -(-x).exp_m1() / x
    }
}

/// (1 − e^(−x)(1 + x))/x², ½ at x = 0; its Taylor series near 0, where the closed form cancels.
fn ramp_integral(x: f64) -> f64 {
    if x.abs() < 1e-2 {
        // Σ (−x)^k (k+1)/(k+2)!, to x⁵ (the next term is below 1e-14·x⁶/x⁵ relative).
        let mut sum = 0.0;
        let mut power = 1.0;
        let mut factorial = 2.0;
        for k in 0..6 {
            sum += power * (k + 1) as f64 / factorial;
            power *= -x;
            factorial *= (k + 3) as f64;
        }
        sum
    } else {
        (-(-x).exp_m1() - x * (-x).exp()) / (x * x)
    }
}

#[derive(Debug, Clone)]
pub struct IfCurrAlpha {
    p: IfCurrAlphaParams,
    v_init: Value,
    refractory_steps: Step,
    exc: AlphaPropagators,
    inh: AlphaPropagators,
    /// e^(−h/tau_m), and the membrane's response over a step to a constant current (NEST's
    /// P30), which multiplies i_offset plus the injected current.
    v_decay: f64,
    current_to_v: f64,
}

impl IfCurrAlpha {
    pub fn new(
        p: IfCurrAlphaParams,
        v_init: Option<Value>,
        grid: &TimeGrid,
    ) -> Result<Self, ParamError> {
        let refractory_steps = lif_core!(p).check(grid)?;
        let v_init = v_init.unwrap_or(Value::Constant(p.v_rest));
        v_init.validate("v")?;
        let h = grid.dt_ms();
        Ok(Self {
            exc: AlphaPropagators::new(p.tau_syn_e, p.tau_m, p.cm, h),
            inh: AlphaPropagators::new(p.tau_syn_i, p.tau_m, p.cm, h),
            v_decay: (-h / p.tau_m).exp(),
            current_to_v: -p.tau_m / p.cm * (-h / p.tau_m).exp_m1(),
            p,
            v_init,
            refractory_steps,
        })
    }

    /// The PyNN parameters (for exporters).
    pub fn params(&self) -> &IfCurrAlphaParams {
        &self.p
    }
}

impl PopulationModel for IfCurrAlpha {
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
        _grid: &TimeGrid,
        seed: u64,
    ) -> Box<dyn NeuronKernel> {
        let n = range.len();
        let v_rest = self.p.v_rest;
        Box::new(AlphaKernel {
            m: self.clone(),
            v: initial_values(&self.v_init, seed, pop, 0, &range)
                .into_iter()
                .map(|v| v - v_rest)
                .collect(),
            di_e: vec![0.0; n],
            i_e: vec![0.0; n],
            di_i: vec![0.0; n],
            i_i: vec![0.0; n],
            refr: vec![0; n],
            injected: InjectedCurrent::default(),
        })
    }
}

struct AlphaKernel {
    m: IfCurrAlpha,
    /// Membrane potential relative to v_rest (mV).
    v: Vec<f64>,
    /// Synaptic currents (nA) and their derivatives (nA/ms); the inhibitory pair holds the
    /// magnitude that is subtracted.
    di_e: Vec<f64>,
    i_e: Vec<f64>,
    di_i: Vec<f64>,
    i_i: Vec<f64>,
    refr: Vec<u64>,
    /// Current injected in this step (nA, graded input `I_inj`); empty without current source.
    injected: InjectedCurrent,
}

impl NeuronKernel for AlphaKernel {
    fn update(
        &mut self,
        _ctx: &StepContext,
        input: &mut [f64],
        spikes: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        let n = self.v.len();
        let (exc, inh) = input.split_at_mut(n);
        let m = &self.m;
        let (e, h) = (&m.exc, &m.inh);
        let theta = m.p.v_thresh - m.p.v_rest;
        let reset = m.p.v_reset - m.p.v_rest;
        for i in 0..n {
            if self.refr[i] == 0 {
                let current = m.p.i_offset + self.injected.at(i);
                self.v[i] = self.v[i] * m.v_decay
                    + m.current_to_v * current
                    + e.di_to_v * self.di_e[i]
                    + e.i_to_v * self.i_e[i]
                    - h.di_to_v * self.di_i[i]
                    - h.i_to_v * self.i_i[i];
            } else {
                self.refr[i] -= 1;
            }
            self.i_e[i] = e.di_to_i * self.di_e[i] + e.decay * self.i_e[i];
            self.di_e[i] = self.di_e[i] * e.decay + e.jump * std::mem::take(&mut exc[i]);
            self.i_i[i] = h.di_to_i * self.di_i[i] + h.decay * self.i_i[i];
            self.di_i[i] = self.di_i[i] * h.decay + h.jump * std::mem::take(&mut inh[i]);
            if !self.v[i].is_finite() {
                return Err(non_finite(i, "v", self.v[i] + m.p.v_rest));
            }
            if self.v[i] >= theta {
                self.v[i] = reset;
                self.refr[i] = m.refractory_steps;
                spikes.push(i as u32);
            }
        }
        Ok(())
    }
    fn graded_input(&mut self, _port: usize, values: &[f64]) {
        self.injected.set(values);
    }
    sim_core::state_io!(STATE, |k: &Self| k.v.len());
}

const STATE: StateTable<AlphaKernel> = StateTable(&[
    StateVar::Recorded {
        name: "v",
        unit: "mV",
        value: |k, i| k.v[i] + k.m.p.v_rest,
    },
    sim_core::recorded!("isyn_exc", "nA", i_e),
    sim_core::recorded!("isyn_inh", "nA", i_i),
    // Relative to v_rest, exactly as held, so a restore is bit-identical.
    sim_core::f64_field!("v_minus_v_rest", v),
    sim_core::f64_field!("isyn_exc", i_e),
    sim_core::f64_field!("isyn_inh", i_i),
    sim_core::f64_field!("disyn_exc", di_e),
    sim_core::f64_field!("disyn_inh", di_i),
    sim_core::u64_field!("refractory", refr),
]);

#[cfg(test)]
mod tests {
    use super::*;

    /// The series and the closed form agree where they meet, and the limits hold.
    #[test]
    fn propagator_integrals_are_continuous() {
        assert_eq!(exp_integral(0.0), 1.0);
        assert_eq!(ramp_integral(0.0), 0.5);
        for x in [1e-2_f64, -1e-2] {
            let closed = (-(-x).exp_m1() - x * (-x).exp()) / (x * x);
            assert!((ramp_integral(x * (1.0 - 1e-12)) - closed).abs() < 1e-12);
        }
    }
}
