//! `Izhikevich` (2003) neuron with delta-current synapses, integrated as NEST's `izhikevich`
//! with `consistent_integration = true` (forward Euler on the values at the start of the step).
//! Input weights jump `v` directly (mV); inhibitory input is subtracted. `i_offset` (nA) enters
//! the equation in pA, as PyNN's NEST backend maps it.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use sim_core::describe::{ModelDescription, Quantity};
use sim_core::model::{ModelError, NeuronKernel, PopulationModel, StepContext};
use sim_core::state::StateTable;
use sim_core::TimeGrid;

use super::{initial_values, non_finite, pynn_neuron};
use crate::dist::Value;
use crate::params::{finite, ParamError};

const V_PEAK: f64 = 30.0;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IzhikevichParams {
    /// Recovery time scale (1/ms), sensitivity of u to v (1/ms), reset of v (mV), reset jump of
    /// u (mV/ms), offset current (nA).
    pub a: f64,
    pub b: f64,
    pub c: f64,
    pub d: f64,
    pub i_offset: f64,
}

impl IzhikevichParams {
    /// The parameters under their PyNN names, with units.
    pub fn quantities(&self) -> Vec<Quantity> {
        let q = |name, unit, value| Quantity { name, unit, value };
        vec![
            q("a", "1/ms", self.a),
            q("b", "1/ms", self.b),
            q("c", "mV", self.c),
            q("d", "mV/ms", self.d),
            q("i_offset", "nA", self.i_offset),
        ]
    }
}

impl Default for IzhikevichParams {
    fn default() -> Self {
        Self {
            a: 0.02,
            b: 0.2,
            c: -65.0,
            d: 2.0,
            i_offset: 0.0,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Izhikevich {
    p: IzhikevichParams,
    v_init: Value,
    u_init: Value,
}

impl Izhikevich {
    pub fn new(
        p: IzhikevichParams,
        v_init: Option<Value>,
        u_init: Option<Value>,
    ) -> Result<Self, ParamError> {
        for (k, v) in [
            ("a", p.a),
            ("b", p.b),
            ("c", p.c),
            ("d", p.d),
            ("i_offset", p.i_offset),
        ] {
            finite(k, v, "PyNN units")?;
        }
        let v_init = v_init.unwrap_or(Value::Constant(-70.0));
        let u_init = u_init.unwrap_or(Value::Constant(-14.0));
        v_init.validate("v")?;
        u_init.validate("u")?;
        Ok(Self { p, v_init, u_init })
    }
}

/// The cell type's name, as model files and PyNN write it.
pub const NAME: &str = "Izhikevich";

impl PopulationModel for Izhikevich {
    fn describe(&self) -> ModelDescription {
        pynn_neuron(NAME, self.p.quantities(), STATE.recordable())
    }
    fn spike_stamp_offset(&self) -> sim_core::Step {
        1
    }
    fn instantiate(
        &self,
        pop: usize,
        range: Range<u32>,
        _grid: &TimeGrid,
        seed: u64,
    ) -> Box<dyn NeuronKernel> {
        Box::new(IzhKernel {
            p: self.p.clone(),
            v: initial_values(&self.v_init, seed, pop, 0, &range),
            u: initial_values(&self.u_init, seed, pop, 1, &range),
        })
    }
}

struct IzhKernel {
    p: IzhikevichParams,
    v: Vec<f64>,
    u: Vec<f64>,
}

impl NeuronKernel for IzhKernel {
    fn update(
        &mut self,
        ctx: &StepContext,
        input: &mut [f64],
        spikes: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        let n = self.v.len();
        let (exc, inh) = input.split_at_mut(n);
        let h = ctx.dt_ms;
        let i_e = self.p.i_offset * 1000.0;
        for i in 0..n {
            let (v, u) = (self.v[i], self.u[i]);
            self.v[i] = v + h * (0.04 * v * v + 5.0 * v + 140.0 - u + i_e);
            self.u[i] = u + h * self.p.a * (self.p.b * v - u);
            self.v[i] += std::mem::take(&mut exc[i]) - std::mem::take(&mut inh[i]);
            // Before the threshold: a reset must not hide a potential that ran away.
            if !self.v[i].is_finite() {
                return Err(non_finite(i, "v", self.v[i]));
            }
            if self.v[i] >= V_PEAK {
                self.v[i] = self.p.c;
                self.u[i] += self.p.d;
                spikes.push(i as u32);
            }
        }
        Ok(())
    }
    sim_core::state_io!(STATE, |k: &Self| k.v.len());
}

const STATE: StateTable<IzhKernel> = StateTable(&[
    sim_core::recorded!("v", "mV", v),
    sim_core::recorded!("u", "mV/ms", u),
    sim_core::f64_field!("v", v),
    sim_core::f64_field!("u", u),
]);
