//! `IF_curr_delta`: leaky integrate-and-fire with delta-current synapses, integrated exactly as
//! NEST's `iaf_psc_delta`: over a step the potential relaxes towards `v_rest + i_offset·tau_m/cm`
//! with the exact exponential, then the input arriving in this step jumps `v` by its weight (mV;
//! inhibitory input is subtracted), then the threshold is checked. During the refractory period
//! `v` is held at `v_reset` and input is discarded. `tau_m = inf` makes a perfect integrator
//! (`dv/dt = i_offset/cm`), as NIR's `IF` and `I` nodes need.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use sim_core::describe::{ModelDescription, Quantity};
use sim_core::model::{ModelError, NeuronKernel, PopulationModel, StepContext};
use sim_core::state::StateTable;
use sim_core::{Step, TimeGrid};

use super::{initial_values, non_finite, pynn_neuron};
use crate::dist::Value;
use crate::params::{finite, non_negative, positive, ParamError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IfCurrDeltaParams {
    pub v_rest: f64,
    pub cm: f64,
    pub tau_m: f64,
    pub tau_refrac: f64,
    pub i_offset: f64,
    pub v_reset: f64,
    pub v_thresh: f64,
}

impl IfCurrDeltaParams {
    /// The parameters under their PyNN names, with units.
    pub fn quantities(&self) -> Vec<Quantity> {
        let q = |name, unit, value| Quantity { name, unit, value };
        vec![
            q("v_rest", "mV", self.v_rest),
            q("cm", "nF", self.cm),
            q("tau_m", "ms", self.tau_m),
            q("tau_refrac", "ms", self.tau_refrac),
            q("i_offset", "nA", self.i_offset),
            q("v_reset", "mV", self.v_reset),
            q("v_thresh", "mV", self.v_thresh),
        ]
    }
}

/// PyNN 0.13's defaults.
impl Default for IfCurrDeltaParams {
    fn default() -> Self {
        Self {
            v_rest: -65.0,
            cm: 1.0,
            tau_m: 20.0,
            tau_refrac: 0.1,
            i_offset: 0.0,
            v_reset: -65.0,
            v_thresh: -50.0,
        }
    }
}

#[derive(Debug, Clone)]
pub struct IfCurrDelta {
    p: IfCurrDeltaParams,
    v_init: Value,
    refractory_steps: Step,
}

impl IfCurrDelta {
    pub fn new(
        p: IfCurrDeltaParams,
        v_init: Option<Value>,
        grid: &TimeGrid,
    ) -> Result<Self, ParamError> {
        positive("cm", p.cm, "nF")?;
        if p.tau_m != f64::INFINITY {
            positive("tau_m", p.tau_m, "ms, or inf for a perfect integrator")?;
        }
        non_negative("tau_refrac", p.tau_refrac, "ms")?;
        for (k, v) in [
            ("v_rest", p.v_rest),
            ("v_reset", p.v_reset),
            ("v_thresh", p.v_thresh),
            ("i_offset", p.i_offset),
        ] {
            finite(k, v, if k == "i_offset" { "nA" } else { "mV" })?;
        }
        if p.v_reset >= p.v_thresh {
            return Err(ParamError::new(
                "v_reset",
                p.v_reset,
                format!("must be below v_thresh = {} (mV)", p.v_thresh),
            ));
        }
        let refractory_steps = grid
            .steps(p.tau_refrac)
            .map_err(|e| ParamError::new("tau_refrac", p.tau_refrac, e.to_string()))?;
        let v_init = v_init.unwrap_or(Value::Constant(p.v_rest));
        v_init.validate("v")?;
        Ok(Self {
            p,
            v_init,
            refractory_steps,
        })
    }
}

/// The cell type's name, as model files and PyNN write it.
pub const NAME: &str = "IF_curr_delta";

impl PopulationModel for IfCurrDelta {
    fn describe(&self) -> ModelDescription {
        pynn_neuron(NAME, self.p.quantities(), STATE.recordable())
    }
    fn spike_stamp_offset(&self) -> Step {
        1
    }
    fn instantiate(
        &self,
        pop: usize,
        range: Range<u32>,
        grid: &TimeGrid,
        seed: u64,
    ) -> Box<dyn NeuronKernel> {
        let h = grid.dt_ms();
        let p = &self.p;
        // v(t+h) = v_rest + (v - v_rest)·decay + drive, exact for a constant i_offset.
        let (decay, drive) = if p.tau_m == f64::INFINITY {
            (1.0, p.i_offset * h / p.cm)
        } else {
            let e = (-h / p.tau_m).exp_m1();
            (1.0 + e, -e * p.i_offset * p.tau_m / p.cm)
        };
        Box::new(DeltaKernel {
            decay,
            drive,
            refractory_steps: self.refractory_steps,
            v: initial_values(&self.v_init, seed, pop, 0, &range),
            refr: vec![0; range.len()],
            p: self.p.clone(),
        })
    }
}

struct DeltaKernel {
    p: IfCurrDeltaParams,
    decay: f64,
    drive: f64,
    refractory_steps: Step,
    v: Vec<f64>,
    refr: Vec<u64>,
}

impl NeuronKernel for DeltaKernel {
    fn update(
        &mut self,
        _ctx: &StepContext,
        input: &mut [f64],
        spikes: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        let n = self.v.len();
        let (exc, inh) = input.split_at_mut(n);
        let p = &self.p;
        for i in 0..n {
            let jump = std::mem::take(&mut exc[i]) - std::mem::take(&mut inh[i]);
            if self.refr[i] > 0 {
                self.refr[i] -= 1;
                continue;
            }
            self.v[i] = p.v_rest + (self.v[i] - p.v_rest) * self.decay + self.drive + jump;
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
    sim_core::state_io!(STATE, |k: &Self| k.v.len());
}

const STATE: StateTable<DeltaKernel> = StateTable(&[
    sim_core::recorded!("v", "mV", v),
    sim_core::f64_field!("v", v),
    sim_core::u64_field!("refractory", refr),
]);
