//! `IF_cond_exp`: leaky integrate-and-fire neuron with exponentially decaying conductances.
//!
//! Per step: the membrane is advanced by exponential Euler with the conductances held at their
//! start-of-step values (exact for constant conductances; the scheme Brian2 picks for this
//! equation), then conductances decay exactly and the arriving input (µS) is added, then the
//! threshold is checked — NEST's order for `iaf_cond_exp`. Spikes are stamped at the end of the
//! step.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use sim_core::describe::{ModelDescription, Quantity};
use sim_core::model::{ModelError, NeuronKernel, PopulationModel, StepContext};
use sim_core::state::StateTable;
use sim_core::{Step, TimeGrid};

use super::{initial_values, lif_core, non_finite, pynn_neuron};
use crate::dist::Value;
use crate::electrodes::InjectedCurrent;
use crate::params::{finite, ParamError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IfCondExpParams {
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

impl IfCondExpParams {
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

impl Default for IfCondExpParams {
    fn default() -> Self {
        Self {
            cm: 1.0,
            tau_m: 20.0,
            tau_refrac: 0.1,
            tau_syn_e: 5.0,
            tau_syn_i: 5.0,
            e_rev_e: 0.0,
            e_rev_i: -70.0,
            v_rest: -65.0,
            v_reset: -65.0,
            v_thresh: -50.0,
            i_offset: 0.0,
        }
    }
}

#[derive(Debug, Clone)]
pub struct IfCondExp {
    p: IfCondExpParams,
    v_init: Value,
    ge_init: Value,
    gi_init: Value,
    refractory_steps: Step,
}

impl IfCondExp {
    pub fn new(
        p: IfCondExpParams,
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
        Ok(Self {
            p,
            v_init,
            ge_init,
            gi_init,
            refractory_steps,
        })
    }
}

impl IfCondExp {
    /// The PyNN parameters (for exporters).
    pub fn params(&self) -> &IfCondExpParams {
        &self.p
    }
}

/// The cell type's name, as model files and PyNN write it.
pub const NAME: &str = "IF_cond_exp";

impl PopulationModel for IfCondExp {
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
        let h = grid.dt_ms();
        Box::new(CondKernel {
            g_l: self.p.cm / self.p.tau_m,
            decay_e: (-h / self.p.tau_syn_e).exp(),
            decay_i: (-h / self.p.tau_syn_i).exp(),
            refractory_steps: self.refractory_steps,
            v: initial_values(&self.v_init, seed, pop, 0, &range),
            ge: initial_values(&self.ge_init, seed, pop, 1, &range),
            gi: initial_values(&self.gi_init, seed, pop, 2, &range),
            refr: vec![0; n],
            injected: InjectedCurrent::default(),
            p: self.p.clone(),
        })
    }
}

struct CondKernel {
    p: IfCondExpParams,
    /// Leak conductance (µS).
    g_l: f64,
    decay_e: f64,
    decay_i: f64,
    refractory_steps: Step,
    v: Vec<f64>,
    ge: Vec<f64>,
    gi: Vec<f64>,
    refr: Vec<u64>,
    /// Current injected in this step (nA, graded input `I_inj`); empty without current source.
    injected: InjectedCurrent,
}

impl NeuronKernel for CondKernel {
    fn update(
        &mut self,
        ctx: &StepContext,
        input: &mut [f64],
        spikes: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        let n = self.v.len();
        let (exc, inh) = input.split_at_mut(n);
        let p = &self.p;
        let h = ctx.dt_ms;
        for i in 0..n {
            if self.refr[i] == 0 {
                let g_tot = self.g_l + self.ge[i] + self.gi[i];
                let v_inf = (self.g_l * p.v_rest
                    + self.ge[i] * p.e_rev_e
                    + self.gi[i] * p.e_rev_i
                    + p.i_offset
                    + self.injected.at(i))
                    / g_tot;
                self.v[i] = v_inf + (self.v[i] - v_inf) * (-h * g_tot / p.cm).exp();
            } else {
                self.refr[i] -= 1;
            }
            self.ge[i] = self.ge[i] * self.decay_e + std::mem::take(&mut exc[i]);
            self.gi[i] = self.gi[i] * self.decay_i + std::mem::take(&mut inh[i]);
            // Before the threshold: a reset must not hide a potential that ran away.
            if !self.v[i].is_finite() {
                return Err(non_finite(i, "v", self.v[i]));
            }
            if self.v[i] >= p.v_thresh {
                self.v[i] = p.v_reset;
                self.refr[i] = self.refractory_steps;
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

const STATE: StateTable<CondKernel> = StateTable(&[
    sim_core::recorded!("v", "mV", v),
    sim_core::recorded!("gsyn_exc", "uS", ge),
    sim_core::recorded!("gsyn_inh", "uS", gi),
    sim_core::f64_field!("v", v),
    sim_core::f64_field!("gsyn_exc", ge),
    sim_core::f64_field!("gsyn_inh", gi),
    sim_core::u64_field!("refractory", refr),
]);
