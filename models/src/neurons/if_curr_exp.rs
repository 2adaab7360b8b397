//! `IF_curr_exp`: leaky integrate-and-fire neuron with exponentially decaying current synapses.
//!
//! Two integration conventions, selectable per population, because the reference simulators
//! differ and users compare against both:
//!
//! * [`Integration::Nest`] — NEST `iaf_psc_exp`: exact propagators; in a step the membrane
//!   integrates the synaptic currents held at the start of the step, then the currents decay and
//!   the input arriving in this step is added to them (it acts from the next step on), then the
//!   threshold is checked. Spikes are stamped at the end of the step, as NEST does.
//! * [`Integration::Spynnaker`] — sPyNNaker's neuron kernel (specs/ca3-cam.md §2): the arriving
//!   input is injected first as `init·w` with `init = (tau_syn/dt)(1 − e^(−dt/tau_syn))`, the
//!   membrane relaxes towards `(I_E − I_I + i_offset)·R + v_rest`, the threshold is checked, and
//!   the currents decay last. Refractory time is `ceil(tau_refrac/dt)` steps, as sPyNNaker
//!   computes it. Spikes are stamped at the start of the step.
//!
//! Inhibitory input arrives as a magnitude and is subtracted.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use sim_core::model::{KernelState, ModelError, NeuronKernel, PopulationModel, StepContext};
use sim_core::{Step, TimeGrid};

use super::{f64_array, initial_values, non_finite, take_f64, take_u64, u64_array};
use crate::dist::Value;
use crate::params::{non_negative, positive, ParamError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Integration {
    #[default]
    Nest,
    Spynnaker,
}

/// PyNN `IF_curr_exp` parameters (defaults from PyNN 0.13).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IfCurrExpParams {
    /// Membrane capacitance (nF).
    pub cm: f64,
    /// Membrane time constant (ms).
    pub tau_m: f64,
    /// Refractory period (ms).
    pub tau_refrac: f64,
    /// Excitatory / inhibitory synaptic time constants (ms).
    #[serde(rename = "tau_syn_E")]
    pub tau_syn_e: f64,
    #[serde(rename = "tau_syn_I")]
    pub tau_syn_i: f64,
    /// Resting, reset and threshold potentials (mV).
    pub v_rest: f64,
    pub v_reset: f64,
    pub v_thresh: f64,
    /// Constant injected current (nA).
    pub i_offset: f64,
}

impl Default for IfCurrExpParams {
    fn default() -> Self {
        Self {
            cm: 1.0,
            tau_m: 20.0,
            tau_refrac: 0.1,
            tau_syn_e: 5.0,
            tau_syn_i: 5.0,
            v_rest: -65.0,
            v_reset: -65.0,
            v_thresh: -50.0,
            i_offset: 0.0,
        }
    }
}

/// A population of `IF_curr_exp` neurons.
#[derive(Debug, Clone)]
pub struct IfCurrExp {
    params: IfCurrExpParams,
    integration: Integration,
    /// Initial membrane potential (mV); PyNN's default is `v_rest`.
    v_init: Value,
    refractory_steps: u64,
    c: Coefficients,
}

/// Per-step constants derived from the parameters and dt.
#[derive(Debug, Clone, Copy)]
struct Coefficients {
    decay_e: f64,
    decay_i: f64,
    /// NEST: membrane propagator, current-to-membrane propagators, offset propagator.
    p22: f64,
    p21e: f64,
    p21i: f64,
    p20: f64,
    /// sPyNNaker: injection factors and membrane decay, resistance.
    init_e: f64,
    init_i: f64,
    exp_tc: f64,
    r: f64,
}

/// NEST's propagator from a current with time constant `tau_syn` to the membrane over `h`,
/// with the limit taken when the two time constants coincide.
fn propagator_32(tau_syn: f64, tau_m: f64, c_m: f64, h: f64) -> f64 {
    let beta = tau_syn * tau_m / (tau_m - tau_syn);
    let gamma = beta / c_m;
    let inv_beta = (tau_m - tau_syn) / (tau_syn * tau_m);
    // gamma·(e^(-h/tau_m) - e^(-h/tau_syn)) written as gamma·e^(-h/tau_syn)·expm1(h/beta),
    // which stays accurate as tau_m approaches tau_syn.
    let p = gamma * (-h / tau_syn).exp() * (h * inv_beta).exp_m1();
    if p.is_finite() && (tau_m - tau_syn).abs() > 1e-12 * tau_m {
        p
    } else {
        h / c_m * (-h / tau_m).exp()
    }
}

impl IfCurrExp {
    pub fn new(
        params: IfCurrExpParams,
        integration: Integration,
        v_init: Option<Value>,
        grid: &TimeGrid,
    ) -> Result<Self, ParamError> {
        let p = &params;
        positive("cm", p.cm, "nF")?;
        positive("tau_m", p.tau_m, "ms")?;
        positive("tau_syn_E", p.tau_syn_e, "ms")?;
        positive("tau_syn_I", p.tau_syn_i, "ms")?;
        non_negative("tau_refrac", p.tau_refrac, "ms")?;
        for (k, v) in [
            ("v_rest", p.v_rest),
            ("v_reset", p.v_reset),
            ("v_thresh", p.v_thresh),
            ("i_offset", p.i_offset),
        ] {
            crate::params::finite(k, v, if k == "i_offset" { "nA" } else { "mV" })?;
        }
        if p.v_reset >= p.v_thresh {
            return Err(ParamError::new(
                "v_reset",
                p.v_reset,
                format!("must be below v_thresh = {} (mV)", p.v_thresh),
            ));
        }
        let v_init = v_init.unwrap_or(Value::Constant(p.v_rest));
        v_init.validate("v")?;
        let h = grid.dt_ms();
        let refractory_steps = match integration {
            Integration::Nest => grid.steps(p.tau_refrac).map_err(|e| {
                ParamError::new("tau_refrac", p.tau_refrac, format!("{e} (NEST convention)"))
            })?,
            Integration::Spynnaker => (p.tau_refrac / h - 1e-9).ceil().max(0.0) as u64,
        };
        let decay_e = (-h / p.tau_syn_e).exp();
        let decay_i = (-h / p.tau_syn_i).exp();
        let c = Coefficients {
            decay_e,
            decay_i,
            p22: (-h / p.tau_m).exp(),
            p21e: propagator_32(p.tau_syn_e, p.tau_m, p.cm, h),
            p21i: propagator_32(p.tau_syn_i, p.tau_m, p.cm, h),
            p20: p.tau_m / p.cm * -(-h / p.tau_m).exp_m1(),
            init_e: p.tau_syn_e / h * (1.0 - decay_e),
            init_i: p.tau_syn_i / h * (1.0 - decay_i),
            exp_tc: (-h / p.tau_m).exp(),
            r: p.tau_m / p.cm,
        };
        Ok(Self {
            params,
            integration,
            v_init,
            refractory_steps,
            c,
        })
    }

    pub fn params(&self) -> &IfCurrExpParams {
        &self.params
    }

    pub fn integration(&self) -> Integration {
        self.integration
    }
}

impl PopulationModel for IfCurrExp {
    fn type_name(&self) -> &str {
        "IF_curr_exp"
    }
    fn receptors(&self) -> &[&'static str] {
        &["excitatory", "inhibitory"]
    }
    fn state_vars(&self) -> &[&'static str] {
        &["v", "isyn_exc", "isyn_inh"]
    }
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
    fn spike_stamp_offset(&self) -> Step {
        match self.integration {
            Integration::Nest => 1,
            Integration::Spynnaker => 0,
        }
    }
    fn instantiate(
        &self,
        pop: usize,
        range: Range<u32>,
        _grid: &TimeGrid,
        seed: u64,
    ) -> Box<dyn NeuronKernel> {
        let n = (range.end - range.start) as usize;
        let v_rest = self.params.v_rest;
        Box::new(IfCurrExpKernel {
            p: self.params.clone(),
            c: self.c,
            integration: self.integration,
            refractory_steps: self.refractory_steps as f64,
            v: initial_values(&self.v_init, seed, pop, 0, &range)
                .into_iter()
                .map(|v| v - v_rest)
                .collect(),
            i_e: vec![0.0; n],
            i_i: vec![0.0; n],
            refr: vec![0.0; n],
            fired: vec![0; n],
        })
    }
}

/// Neurons are updated in chunks of this many: the chunk's arithmetic is branch-free (the
/// compiler vectorises it) and only a chunk in which some neuron crossed threshold takes the
/// scalar path for reset and spike emission.
const CHUNK: usize = 16;

struct IfCurrExpKernel {
    p: IfCurrExpParams,
    c: Coefficients,
    integration: Integration,
    refractory_steps: f64,
    /// Membrane potential relative to v_rest (mV), as NEST keeps it.
    v: Vec<f64>,
    /// Synaptic currents (nA); with NEST integration i_i is signed (<= 0), with sPyNNaker's it
    /// is the positive inhibitory current that is subtracted.
    i_e: Vec<f64>,
    i_i: Vec<f64>,
    /// Remaining refractory steps (whole numbers held in f64 so all lanes have one width).
    refr: Vec<f64>,
    /// Scratch: which neurons fired in the current step.
    fired: Vec<u8>,
}

impl IfCurrExpKernel {
    /// NEST `iaf_psc_exp` order: integrate with the currents held, decay the currents, add the
    /// input arriving now, check the threshold. Returns false if a potential became non-finite.
    fn update_nest(&mut self, exc: &mut [f64], inh: &mut [f64], spikes: &mut Vec<u32>) -> bool {
        let k = NestLaneConstants {
            c: self.c,
            drive: self.p.i_offset * self.c.p20,
            theta: self.p.v_thresh - self.p.v_rest,
            reset: self.p.v_reset - self.p.v_rest,
            refractory_steps: self.refractory_steps,
        };
        let n = self.v.len();
        let full = n / CHUNK;
        let mut lane_sum = [0.0f64; CHUNK];
        {
            let v = self.v.as_chunks_mut::<CHUNK>().0;
            let ie = self.i_e.as_chunks_mut::<CHUNK>().0;
            let ii = self.i_i.as_chunks_mut::<CHUNK>().0;
            let refr = self.refr.as_chunks_mut::<CHUNK>().0;
            let fired = self.fired.as_chunks_mut::<CHUNK>().0;
            let ex = exc.as_chunks_mut::<CHUNK>().0;
            let ih = inh.as_chunks_mut::<CHUNK>().0;
            for j in 0..full {
                nest_lanes(
                    &k,
                    &mut v[j],
                    &mut ie[j],
                    &mut ii[j],
                    &mut refr[j],
                    &mut ex[j],
                    &mut ih[j],
                    &mut fired[j],
                    &mut lane_sum,
                );
            }
        }
        let tail = full * CHUNK;
        if tail < n {
            // The tail goes through the same lane code, padded with inert neurons.
            let r = n - tail;
            let mut t = [[0.0f64; CHUNK]; 6];
            let mut tf = [0u8; CHUNK];
            t[0][..r].copy_from_slice(&self.v[tail..]);
            t[1][..r].copy_from_slice(&self.i_e[tail..]);
            t[2][..r].copy_from_slice(&self.i_i[tail..]);
            t[3][..r].copy_from_slice(&self.refr[tail..]);
            t[4][..r].copy_from_slice(&exc[tail..]);
            t[5][..r].copy_from_slice(&inh[tail..]);
            t[3][r..].fill(1.0); // padding stays refractory at 0 mV: it never fires
            let [tv, tie, tii, tr, tex, tih] = &mut t;
            nest_lanes(&k, tv, tie, tii, tr, tex, tih, &mut tf, &mut lane_sum);
            self.v[tail..].copy_from_slice(&t[0][..r]);
            self.i_e[tail..].copy_from_slice(&t[1][..r]);
            self.i_i[tail..].copy_from_slice(&t[2][..r]);
            self.refr[tail..].copy_from_slice(&t[3][..r]);
            self.fired[tail..].copy_from_slice(&tf[..r]);
            exc[tail..].fill(0.0);
            inh[tail..].fill(0.0);
        }
        collect_spikes(&self.fired, spikes);
        lane_sum.iter().sum::<f64>().is_finite()
    }

    /// sPyNNaker order (specs/ca3-cam.md §2): inject init·w, integrate unless refractory, fire,
    /// decay the currents.
    fn update_spynnaker(
        &mut self,
        exc: &mut [f64],
        inh: &mut [f64],
        spikes: &mut Vec<u32>,
    ) -> bool {
        let c = self.c;
        let theta = self.p.v_thresh - self.p.v_rest;
        let reset = self.p.v_reset - self.p.v_rest;
        let offset = self.p.i_offset;
        let mut finite = true;
        for i in 0..self.v.len() {
            self.i_e[i] += c.init_e * exc[i];
            self.i_i[i] += c.init_i * inh[i];
            exc[i] = 0.0;
            inh[i] = 0.0;
            if self.refr[i] == 0.0 {
                // alpha is the potential the membrane relaxes to, relative to v_rest.
                let alpha = (self.i_e[i] - self.i_i[i] + offset) * c.r;
                self.v[i] = alpha - c.exp_tc * (alpha - self.v[i]);
            } else {
                self.refr[i] -= 1.0;
            }
            finite &= self.v[i].abs() < f64::INFINITY;
            if self.v[i] >= theta {
                self.v[i] = reset;
                self.refr[i] = self.refractory_steps;
                spikes.push(i as u32);
            }
            self.i_e[i] *= c.decay_e;
            self.i_i[i] *= c.decay_i;
        }
        finite
    }
}

/// Constants of one NEST-order step, relative to v_rest.
struct NestLaneConstants {
    c: Coefficients,
    drive: f64,
    theta: f64,
    reset: f64,
    refractory_steps: f64,
}

/// One chunk of NEST-order updates, threshold and reset included, branch-free so that it
/// compiles to vector instructions. Writes the spike mask and adds each potential to a per-lane
/// sum (non-finite iff some potential is, or absurdly large) — no horizontal operation.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn nest_lanes(
    k: &NestLaneConstants,
    v: &mut [f64; CHUNK],
    ie: &mut [f64; CHUNK],
    ii: &mut [f64; CHUNK],
    refr: &mut [f64; CHUNK],
    ex: &mut [f64; CHUNK],
    ih: &mut [f64; CHUNK],
    fired: &mut [u8; CHUNK],
    lane_sum: &mut [f64; CHUNK],
) {
    let c = &k.c;
    for l in 0..CHUNK {
        let integrated = v[l] * c.p22 + ie[l] * c.p21e + ii[l] * c.p21i + k.drive;
        let vl = if refr[l] == 0.0 { integrated } else { v[l] };
        let r = if refr[l] > 1.0 { refr[l] - 1.0 } else { 0.0 };
        ie[l] = ie[l] * c.decay_e + ex[l];
        ii[l] = ii[l] * c.decay_i - ih[l];
        ex[l] = 0.0;
        ih[l] = 0.0;
        lane_sum[l] += vl;
        let spike = vl >= k.theta;
        v[l] = if spike { k.reset } else { vl };
        refr[l] = if spike { k.refractory_steps } else { r };
        fired[l] = spike as u8;
    }
}

/// Appends the indices of the set bytes of `mask`, scanning eight neurons per word.
fn collect_spikes(mask: &[u8], spikes: &mut Vec<u32>) {
    let (words, rest) = mask.as_chunks::<8>();
    for (w, bytes) in words.iter().enumerate() {
        let mut bits = u64::from_le_bytes(*bytes);
        while bits != 0 {
            let byte = bits.trailing_zeros() / 8;
            spikes.push((w * 8) as u32 + byte);
            bits &= !(0xFFu64 << (byte * 8));
        }
    }
    let base = words.len() * 8;
    spikes.extend(
        rest.iter()
            .enumerate()
            .filter(|(_, &m)| m != 0)
            .map(|(k, _)| (base + k) as u32),
    );
}

impl NeuronKernel for IfCurrExpKernel {
    fn update(
        &mut self,
        _ctx: &StepContext,
        input: &mut [f64],
        spikes: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        let n = self.v.len();
        let (exc, inh) = input.split_at_mut(n);
        let finite = match self.integration {
            Integration::Nest => self.update_nest(exc, inh, spikes),
            Integration::Spynnaker => self.update_spynnaker(exc, inh, spikes),
        };
        if !finite {
            if let Some(i) = self.v.iter().position(|v| !v.is_finite()) {
                return Err(non_finite(i, "v", self.v[i]));
            }
        }
        Ok(())
    }

    fn read(&self, var: usize, i: usize) -> f64 {
        match var {
            0 => self.v[i] + self.p.v_rest,
            1 => self.i_e[i],
            _ => match self.integration {
                // NEST keeps the inhibitory current signed; report it as a magnitude, like sPyNNaker.
                Integration::Nest => -self.i_i[i],
                Integration::Spynnaker => self.i_i[i],
            },
        }
    }

    fn save(&self) -> KernelState {
        let refr: Vec<u64> = self.refr.iter().map(|&r| r as u64).collect();
        vec![
            // Relative to v_rest, exactly as held, so a restore is bit-identical.
            f64_array("v_minus_v_rest", &self.v),
            f64_array("isyn_exc", &self.i_e),
            f64_array("isyn_inh", &self.i_i),
            u64_array("refractory", &refr),
        ]
    }

    fn load(&mut self, state: &KernelState) -> Result<(), String> {
        let n = self.v.len();
        self.v = take_f64(state, "v_minus_v_rest", n)?;
        self.i_e = take_f64(state, "isyn_exc", n)?;
        self.i_i = take_f64(state, "isyn_inh", n)?;
        self.refr = take_u64(state, "refractory", n)?
            .into_iter()
            .map(|r| r as f64)
            .collect();
        Ok(())
    }
}
