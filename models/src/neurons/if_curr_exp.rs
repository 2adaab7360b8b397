//! `IF_curr_exp`: leaky integrate-and-fire neuron with exponentially decaying current synapses.
//!
//! Two integration conventions, selectable per population, because the reference simulators
//! differ and users compare against both:
//!
//! * [`Integration::Nest`] — NEST `iaf_psc_exp`: exact propagators; in a step the membrane
//!   integrates the synaptic currents held at the start of the step, then the currents decay and
//!   the input arriving in this step is added to them (it acts from the next step on), then the
//!   threshold is checked. Spikes are stamped at the end of the step, as NEST does. Refractory
//!   time is `tau_refrac` rounded up to whole steps, as NEST rounds `t_ref`.
//! * [`Integration::Spynnaker`] — sPyNNaker's neuron kernel (specs/ca3-cam.md §2): the arriving
//!   input is injected first as `init·w` with `init = (tau_syn/dt)(1 − e^(−dt/tau_syn))`, the
//!   membrane relaxes towards `(I_E − I_I + i_offset)·R + v_rest`, the threshold is checked, and
//!   the currents decay last. Refractory time is `ceil(tau_refrac/dt)` steps, as sPyNNaker
//!   computes it. Spikes are stamped at the start of the step.
//!
//! Inhibitory input arrives as a magnitude and is subtracted.
//!
//! The NEST kernel keeps its state in f64 by default: NEST 3.10's arithmetic bit for bit (its
//! propagators, its order of operations; `models/tests/nest_iaf_psc_exp.rs` compares a NEST
//! trace step by step) when given NEST's numbers (pF, pA), within 1e-13 mV with PyNN's (nF, nA,
//! which round differently on the ÷1000); with
//! [`Precision::F32`] it keeps it in f32, which halves the bytes moved per neuron-step — for
//! throughput benchmarks, where the firing statistics matter but not the last bits of `v`.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use sim_core::describe::{ModelDescription, Quantity};
use sim_core::model::{ModelError, NeuronKernel, PopulationModel, StepContext};
use sim_core::state::{StateTable, StateVar};
use sim_core::{Step, TimeGrid};

mod anchored;

use super::{initial_values, non_finite};
use crate::dist::Value;
use crate::params::{non_negative, positive, ParamError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Integration {
    #[default]
    Nest,
    Spynnaker,
}

/// Floating-point width of the NEST kernel's state (the sPyNNaker kernel is always f64).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// NEST 3.10's arithmetic, bit for bit (in NEST's units; see the module documentation).
    #[default]
    F64,
    /// State, propagators and per-step arithmetic in f32; inputs are summed in f64 and rounded
    /// once per step.
    F32,
}

/// Refractory ends are kept as wrapping u32 step counts compared within this window.
const REFRACTORY_WINDOW: u64 = 1 << 30;

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

impl IfCurrExpParams {
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
    precision: Precision,
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

/// NEST's propagator from a current with time constant `tau_syn` to the membrane over `h`, as
/// NEST 3.10 computes it (`IAFPropagatorExp`): `gamma·e^(-h/tau_syn)·expm1(h/beta)`, which stays
/// accurate as tau_m approaches tau_syn, and `h/c_m·e^(-h/tau_m)` where that is not a positive
/// normal number (tau_m = tau_syn).
fn propagator_32(tau_syn: f64, tau_m: f64, c_m: f64, h: f64) -> f64 {
    let beta = tau_syn * tau_m / (tau_m - tau_syn);
    let gamma = beta / c_m;
    let inv_beta = (tau_m - tau_syn) / (tau_syn * tau_m);
    let p = gamma * (-h * (1.0 / tau_syn)).exp() * nest_expm1(h * inv_beta);
    if p.is_normal() && p > 0.0 {
        p
    } else {
        h * (1.0 / c_m) * (-h * (1.0 / tau_m)).exp()
    }
}

/// e^x − 1 as NEST 3.10's PyPI build computes it: that build has no `HAVE_EXPM1`, so NEST sums
/// the Taylor series x + x²/2! + … until a term no longer changes the sum (e^x − 1 beyond ln 2).
/// It differs from libm's `expm1` in the last bit for some x, and so would every propagator.
fn nest_expm1(x: f64) -> f64 {
    if x == 0.0 {
        return 0.0;
    }
    if x.abs() > std::f64::consts::LN_2 {
        return x.exp() - 1.0;
    }
    let mut sum = x;
    let mut term = x * x / 2.0;
    let mut n = 2.0;
    while term.abs() > sum.abs() * f64::EPSILON {
        sum += term;
        n += 1.0;
        term *= x / n;
    }
    sum
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
            Integration::Nest => grid.steps_at_least(p.tau_refrac).map_err(|e| {
                ParamError::new("tau_refrac", p.tau_refrac, format!("{e} (NEST convention)"))
            })?,
            Integration::Spynnaker => (p.tau_refrac / h - 1e-9).ceil().max(0.0) as u64,
        };
        if refractory_steps >= REFRACTORY_WINDOW {
            return Err(ParamError::new(
                "tau_refrac",
                p.tau_refrac,
                format!("must be shorter than {REFRACTORY_WINDOW} steps of dt = {h} ms"),
            ));
        }
        let decay_e = (-h / p.tau_syn_e).exp();
        let decay_i = (-h / p.tau_syn_i).exp();
        let p22 = (-h / p.tau_m).exp();
        let c = Coefficients {
            decay_e,
            decay_i,
            p22,
            p21e: propagator_32(p.tau_syn_e, p.tau_m, p.cm, h),
            p21i: propagator_32(p.tau_syn_i, p.tau_m, p.cm, h),
            // As NEST 3.10 computes it (not with expm1), so that the offset current's drive is
            // NEST's to the last bit.
            p20: p.tau_m / p.cm * (1.0 - p22),
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
            precision: Precision::F64,
        })
    }

    /// The same population with its NEST kernel state held in `precision`. The sPyNNaker
    /// kernel exists in f64 only.
    pub fn with_precision(mut self, precision: Precision) -> Result<Self, ParamError> {
        if precision == Precision::F32 && self.integration != Integration::Nest {
            return Err(ParamError::new(
                "precision",
                "f32",
                "needs integration = \"nest\" (the sPyNNaker kernel is f64 only)",
            ));
        }
        if precision == Precision::F32 {
            // The f32 kernel keeps the state against an epoch of at least one step; a time
            // constant under dt/ln(8) decays by more than 8 within a step and would amplify its
            // rounding errors beyond that bound.
            let h = -self.c.p22.ln() * self.params.tau_m;
            for (key, tau, decay) in [
                ("tau_syn_E", self.params.tau_syn_e, self.c.decay_e),
                ("tau_syn_I", self.params.tau_syn_i, self.c.decay_i),
                ("tau_m", self.params.tau_m, self.c.p22),
            ] {
                if decay < 1.0 / anchored::EPOCH_DECAY {
                    return Err(ParamError::new(
                        key,
                        tau,
                        format!(
                            "must be at least dt/ln({}) = {:.4} ms for precision = \"f32\" (use f64)",
                            anchored::EPOCH_DECAY,
                            h / anchored::EPOCH_DECAY.ln()
                        ),
                    ));
                }
            }
        }
        self.precision = precision;
        Ok(self)
    }

    pub fn precision(&self) -> Precision {
        self.precision
    }

    pub fn params(&self) -> &IfCurrExpParams {
        &self.params
    }

    pub fn integration(&self) -> Integration {
        self.integration
    }
}

/// The cell type's name, as model files and PyNN write it.
pub const NAME: &str = "IF_curr_exp";

impl PopulationModel for IfCurrExp {
    fn describe(&self) -> ModelDescription {
        let state = match (self.integration, self.precision) {
            (Integration::Nest, Precision::F64) => NEST_STATE.recordable(),
            (Integration::Nest, Precision::F32) => anchored::STATE.recordable(),
            (Integration::Spynnaker, _) => SPYNNAKER_STATE.recordable(),
        };
        ModelDescription {
            parameters: self.params.quantities(),
            state,
            receptors: vec!["excitatory", "inhibitory"],
            options: vec![
                (
                    "integration",
                    match self.integration {
                        Integration::Nest => "nest",
                        Integration::Spynnaker => "spynnaker",
                    },
                ),
                (
                    "precision",
                    match self.precision {
                        Precision::F64 => "f64",
                        Precision::F32 => "f32",
                    },
                ),
            ],
            pynn_standard: true,
            ..ModelDescription::neuron(NAME)
        }
    }
    fn graded_inputs(&self) -> &[&'static str] {
        // Current sources (electrodes) drive the NEST-order f64 kernel.
        match (self.integration, self.precision) {
            (Integration::Nest, Precision::F64) => crate::electrodes::INJECTED_INPUTS,
            _ => &[],
        }
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
        let v: Vec<f64> = initial_values(&self.v_init, seed, pop, 0, &range)
            .into_iter()
            .map(|v| v - v_rest)
            .collect();
        match (self.integration, self.precision) {
            (Integration::Nest, Precision::F64) => Box::new(NestKernel::new(self, v)),
            (Integration::Nest, Precision::F32) => Box::new(anchored::AnchoredKernel::new(self, v)),
            (Integration::Spynnaker, _) => Box::new(SpynnakerKernel {
                p: self.params.clone(),
                c: self.c,
                refractory_steps: self.refractory_steps as f64,
                v,
                i_e: vec![0.0; n],
                i_i: vec![0.0; n],
                refr: vec![0.0; n],
            }),
        }
    }
}

/// The sPyNNaker-order kernel (f64, dense input).
struct SpynnakerKernel {
    p: IfCurrExpParams,
    c: Coefficients,
    refractory_steps: f64,
    /// Membrane potential relative to v_rest (mV).
    v: Vec<f64>,
    /// Synaptic currents (nA); i_i is the positive inhibitory current that is subtracted.
    i_e: Vec<f64>,
    i_i: Vec<f64>,
    /// Remaining refractory steps (whole numbers).
    refr: Vec<f64>,
}

impl SpynnakerKernel {
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

impl NeuronKernel for SpynnakerKernel {
    fn update(
        &mut self,
        _ctx: &StepContext,
        input: &mut [f64],
        spikes: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        let n = self.v.len();
        let (exc, inh) = input.split_at_mut(n);
        if !self.update_spynnaker(exc, inh, spikes) {
            if let Some(i) = self.v.iter().position(|v| !v.is_finite()) {
                return Err(non_finite(i, "v", self.v[i]));
            }
        }
        Ok(())
    }

    sim_core::state_io!(SPYNNAKER_STATE, |k: &Self| k.v.len());
}

/// Refractory steps are whole numbers; checkpoints hold them as integers.
const SPYNNAKER_STATE: StateTable<SpynnakerKernel> = StateTable(&[
    StateVar::Recorded {
        name: "v",
        unit: "mV",
        value: |k, i| k.v[i] + k.p.v_rest,
    },
    sim_core::recorded!("isyn_exc", "nA", i_e),
    sim_core::recorded!("isyn_inh", "nA", i_i),
    // Relative to v_rest, exactly as held, so a restore is bit-identical.
    sim_core::f64_field!("v_minus_v_rest", v),
    sim_core::f64_field!("isyn_exc", i_e),
    sim_core::f64_field!("isyn_inh", i_i),
    StateVar::U64 {
        name: "refractory",
        save: |k| k.refr.iter().map(|&r| r as u64).collect(),
        load: |k, r| {
            k.refr = r.into_iter().map(|r| r as f64).collect();
            Ok(())
        },
    },
]);

/// The membrane step `v·p22 + i_e·p21e + i_i·p21i + drive`, in NEST's expression and order,
/// unfused.
#[inline(always)]
fn integrate(k: &NestConstants, v: f64, ie: f64, ii: f64) -> f64 {
    v * k.p22 + ie * k.p21e + ii * k.p21i + k.drive
}

/// The excitatory current after its decay, before this step's input is added. `+ 0` is where
/// NEST adds this step's input (0 for the neurons it did not reach): it turns −0 into +0 exactly
/// as NEST's sum does.
#[inline(always)]
fn decay_exc(k: &NestConstants, ie: f64) -> f64 {
    ie * k.decay_e + 0.0
}

/// Neurons are updated in chunks of this many: the chunk's arithmetic is branch-free (the
/// compiler vectorises it) and only a chunk in which some neuron crossed threshold takes the
/// scalar path for spike emission and the refractory end.
const CHUNK: usize = 16;

/// Constants of one NEST-order step, relative to v_rest.
#[derive(Clone, Copy)]
struct NestConstants {
    p22: f64,
    p21e: f64,
    p21i: f64,
    decay_e: f64,
    decay_i: f64,
    drive: f64,
    theta: f64,
    reset: f64,
    refractory_steps: u32,
}

/// The NEST `iaf_psc_exp`-order kernel: in a step the membrane integrates with the currents
/// held, the currents decay, the threshold is checked, and the input arriving in this step is
/// added to the currents (it acts from the next step on).
///
/// The dense pass reads `v`, `i_e`, `i_i` and the refractory ends and writes the first three;
/// the input is added afterwards for the neurons it reached only. In f64 this is NEST's
/// arithmetic exactly: `(i_e·decay + 0) + input` equals `i_e·decay + input` for every input
/// a sum of weights can take (never −0), and `i_i·decay − input` is computed as written.
struct NestKernel {
    v_rest: f64,
    k: NestConstants,
    /// Membrane potential relative to v_rest (mV), as NEST keeps it.
    v: Vec<f64>,
    /// Synaptic currents (nA); i_i is signed (<= 0) as in NEST.
    i_e: Vec<f64>,
    i_i: Vec<f64>,
    /// The kernel's own step count at which each neuron's refractory period ends (it
    /// integrates again from that step on): read every step, written only at a spike.
    until: Vec<u32>,
    /// Steps this kernel has taken, wrapping; `until` is compared within REFRACTORY_WINDOW.
    clock: u32,
    /// i_offset and P20, for the drive of a neuron with injected current.
    i_offset: f64,
    p20: f64,
    /// Current injected in this step (nA, graded input `I_inj`); empty when the population
    /// has no current source, which keeps it on the vectorised path.
    injected: Vec<f64>,
}

impl NestKernel {
    fn new(m: &IfCurrExp, v: Vec<f64>) -> Self {
        let (p, c) = (&m.params, &m.c);
        let n = v.len();
        Self {
            v_rest: p.v_rest,
            k: NestConstants {
                p22: c.p22,
                p21e: c.p21e,
                p21i: c.p21i,
                decay_e: c.decay_e,
                decay_i: c.decay_i,
                drive: p.i_offset * c.p20,
                theta: p.v_thresh - p.v_rest,
                reset: p.v_reset - p.v_rest,
                refractory_steps: m.refractory_steps as u32,
            },
            v: v.into_iter().collect(),
            i_e: vec![0.0; n],
            i_i: vec![0.0; n],
            until: vec![0; n],
            clock: 0,
            i_offset: p.i_offset,
            p20: c.p20,
            injected: Vec::new(),
        }
    }

    /// [`NestKernel::dense_step`]'s update of every neuron, neuron by neuron, with the injected
    /// current added to i_offset as NEST adds its current generators' `I_stim`.
    fn injected_lanes(&mut self, spikes: &mut Vec<u32>, end: u32) -> f64 {
        let k = self.k;
        let mut sum = 0.0;
        for j in 0..self.v.len() {
            let driven = NestConstants {
                drive: (self.i_offset + self.injected[j]) * self.p20,
                ..k
            };
            let integrated = integrate(&driven, self.v[j], self.i_e[j], self.i_i[j]);
            let free = self.until[j].wrapping_sub(self.clock) as i32 <= 0;
            let v = if free { integrated } else { self.v[j] };
            self.i_e[j] = decay_exc(&k, self.i_e[j]);
            self.i_i[j] *= k.decay_i;
            sum += v;
            if v >= k.theta {
                self.v[j] = k.reset;
                self.until[j] = end;
                spikes.push(j as u32);
            } else {
                self.v[j] = v;
            }
        }
        sum
    }

    /// Integration, decay, threshold and reset of every neuron; spikes are appended. Returns
    /// false if a potential became non-finite.
    fn dense_step(&mut self, spikes: &mut Vec<u32>) -> bool {
        let k = self.k;
        let clock = self.clock;
        let n = self.v.len();
        let full = n / CHUNK;
        let mut lane_sum = [0.0; CHUNK];
        let end = clock.wrapping_add(k.refractory_steps).wrapping_add(1);
        if !self.injected.is_empty() {
            lane_sum[0] = self.injected_lanes(spikes, end);
        } else {
            let v = self.v.as_chunks_mut::<CHUNK>().0;
            let ie = self.i_e.as_chunks_mut::<CHUNK>().0;
            let ii = self.i_i.as_chunks_mut::<CHUNK>().0;
            let until = self.until.as_chunks_mut::<CHUNK>().0;
            for j in 0..full {
                let mask = nest_lanes(
                    &k,
                    clock,
                    &mut v[j],
                    &mut ie[j],
                    &mut ii[j],
                    &until[j],
                    &mut lane_sum,
                );
                if mask != 0 {
                    emit(mask, j * CHUNK, &mut until[j], end, spikes);
                }
            }
        }
        let tail = full * CHUNK;
        if tail < n && self.injected.is_empty() {
            // The tail goes through the same lane code, padded with neurons held at reset.
            let r = n - tail;
            let mut t = [[k.reset; CHUNK]; 3];
            let mut tu = [clock.wrapping_add(1); CHUNK];
            t[0][..r].copy_from_slice(&self.v[tail..]);
            t[1][..r].copy_from_slice(&self.i_e[tail..]);
            t[2][..r].copy_from_slice(&self.i_i[tail..]);
            tu[..r].copy_from_slice(&self.until[tail..]);
            let [tv, tie, tii] = &mut t;
            let lanes = (1u128 << (8 * r)) - 1;
            let mask = nest_lanes(&k, clock, tv, tie, tii, &tu, &mut lane_sum) & lanes;
            if mask != 0 {
                emit(mask, tail, &mut tu, end, spikes);
            }
            self.v[tail..].copy_from_slice(&t[0][..r]);
            self.i_e[tail..].copy_from_slice(&t[1][..r]);
            self.i_i[tail..].copy_from_slice(&t[2][..r]);
            self.until[tail..].copy_from_slice(&tu[..r]);
        }
        self.clock = clock.wrapping_add(1);
        if (self.clock as u64).is_multiple_of(REFRACTORY_WINDOW) {
            // Keep every refractory end within the comparison window of the clock.
            for u in &mut self.until {
                if (u.wrapping_sub(self.clock) as i32) < 0 {
                    *u = self.clock;
                }
            }
        }
        let mut sum = 0.0;
        for x in lane_sum {
            sum += x;
        }
        sum.is_finite()
    }

    fn check_finite(&self, finite: bool) -> Result<(), ModelError> {
        if !finite {
            if let Some(i) = self.v.iter().position(|v| !v.is_finite()) {
                return Err(non_finite(i, "v", self.v[i]));
            }
        }
        Ok(())
    }
}

/// One chunk of NEST-order updates, threshold and reset included, branch-free so that it
/// compiles to vector instructions. Adds each potential to a per-lane sum (non-finite iff some
/// potential is) and returns the spike mask.
#[inline(always)]
fn nest_lanes(
    k: &NestConstants,
    clock: u32,
    v: &mut [f64; CHUNK],
    ie: &mut [f64; CHUNK],
    ii: &mut [f64; CHUNK],
    until: &[u32; CHUNK],
    lane_sum: &mut [f64; CHUNK],
) -> u128 {
    let mut fired = [0u8; CHUNK];
    for l in 0..CHUNK {
        let integrated = integrate(k, v[l], ie[l], ii[l]);
        let free = until[l].wrapping_sub(clock) as i32 <= 0;
        let vl = if free { integrated } else { v[l] };
        ie[l] = decay_exc(k, ie[l]);
        ii[l] *= k.decay_i;
        lane_sum[l] += vl;
        let spike = vl >= k.theta;
        v[l] = if spike { k.reset } else { vl };
        fired[l] = spike as u8;
    }
    // One byte per lane: testing the word is one vector compare, no horizontal reduction.
    u128::from_le_bytes(fired)
}

/// Appends the spiking lanes of a chunk starting at neuron `base` (one byte per lane in `mask`)
/// and starts their refractory periods.
#[cold]
fn emit(mut mask: u128, base: usize, until: &mut [u32; CHUNK], end: u32, spikes: &mut Vec<u32>) {
    while mask != 0 {
        let l = (mask.trailing_zeros() / 8) as usize;
        spikes.push((base + l) as u32);
        until[l] = end;
        mask &= !(0xFFu128 << (l * 8));
    }
}

impl NeuronKernel for NestKernel {
    fn update(
        &mut self,
        _ctx: &StepContext,
        input: &mut [f64],
        spikes: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        let finite = self.dense_step(spikes);
        let n = self.v.len();
        let (exc, inh) = input.split_at_mut(n);
        for j in 0..n {
            self.i_e[j] += exc[j];
            self.i_i[j] -= inh[j];
        }
        exc.fill(0.0);
        inh.fill(0.0);
        self.check_finite(finite)
    }

    fn sparse_input(&self) -> bool {
        true
    }

    fn update_sparse(
        &mut self,
        _ctx: &StepContext,
        input: &mut [f64],
        touched: &[Vec<u32>],
        spikes: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        let finite = self.dense_step(spikes);
        let n = self.v.len();
        let (exc, inh) = input.split_at_mut(n);
        for &j in &touched[0] {
            let j = j as usize;
            self.i_e[j] += exc[j];
            exc[j] = 0.0;
        }
        for &j in &touched[1] {
            let j = j as usize;
            self.i_i[j] -= inh[j];
            inh[j] = 0.0;
        }
        self.check_finite(finite)
    }

    fn graded_input(&mut self, _port: usize, values: &[f64]) {
        self.injected.clear();
        self.injected.extend_from_slice(values);
    }

    sim_core::state_io!(NEST_STATE, |k: &Self| k.v.len());
}

/// The refractory steps left per neuron, from refractory ends kept as wrapping step counts.
fn steps_left(until: &[u32], clock: u32) -> Vec<u64> {
    until
        .iter()
        .map(|u| (u.wrapping_sub(clock) as i32).max(0) as u64)
        .collect()
}

/// Refractory periods are checkpointed as the steps left, not as the kernel's clock.
const NEST_STATE: StateTable<NestKernel> = StateTable(&[
    StateVar::Recorded {
        name: "v",
        unit: "mV",
        value: |k, i| k.v[i] + k.v_rest,
    },
    sim_core::recorded!("isyn_exc", "nA", i_e),
    // NEST keeps the inhibitory current signed; report it as a magnitude, like sPyNNaker.
    StateVar::Recorded {
        name: "isyn_inh",
        unit: "nA",
        value: |k, i| -k.i_i[i],
    },
    // Relative to v_rest, exactly as held, so a restore is bit-identical.
    sim_core::f64_field!("v_minus_v_rest", v),
    sim_core::f64_field!("isyn_exc", i_e),
    sim_core::f64_field!("isyn_inh", i_i),
    StateVar::U64 {
        name: "refractory",
        save: |k| steps_left(&k.until, k.clock),
        load: |k, refr| {
            if let Some(r) = refr.iter().find(|&&r| r >= REFRACTORY_WINDOW) {
                return Err(format!(
                    "state array 'refractory' holds {r} steps (must be < {REFRACTORY_WINDOW})"
                ));
            }
            k.until = refr
                .into_iter()
                .map(|r| k.clock.wrapping_add(r as u32))
                .collect();
            Ok(())
        },
    },
]);

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// The sparse-input update (what the engine calls) is bit-identical to the dense one: the
    /// input is added after the threshold in both, in the same arithmetic.
    #[test]
    fn sparse_input_update_equals_the_dense_update() {
        let grid = TimeGrid::new(0.1).unwrap();
        let params = IfCurrExpParams {
            tau_refrac: 2.0,
            i_offset: 0.8,
            ..Default::default()
        };
        let v0 = Value::Random(crate::dist::Distribution::Uniform {
            low: -65.0,
            high: -50.0,
        });
        let m = IfCurrExp::new(params, Integration::Nest, Some(v0), &grid).unwrap();
        let n = 203; // not a multiple of the chunk: the tail path too
        let mut dense = m.instantiate(0, 0..n, &grid, 7);
        let mut sparse = m.instantiate(0, 0..n, &grid, 7);
        assert!(sparse.sparse_input());
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let ctx = StepContext {
            step: 0,
            dt_ms: 0.1,
        };
        let (mut sd, mut ss) = (Vec::new(), Vec::new());
        let mut fired = 0;
        for _ in 0..2000 {
            let mut input = vec![0.0; 2 * n as usize];
            let mut touched = vec![Vec::new(), Vec::new()];
            for _ in 0..20 {
                let j = rng.random_range(0..n);
                let r = rng.random_range(0..2usize);
                input[r * n as usize + j as usize] += rng.random::<f64>() * 0.5;
                touched[r].push(j);
            }
            let mut input2 = input.clone();
            sd.clear();
            ss.clear();
            dense.update(&ctx, &mut input, &mut sd).unwrap();
            sparse
                .update_sparse(&ctx, &mut input2, &touched, &mut ss)
                .unwrap();
            assert_eq!(sd, ss);
            assert!(input.iter().chain(&input2).all(|&x| x == 0.0));
            fired += sd.len();
        }
        assert!(fired > 100, "the neurons fire ({fired} spikes)");
        assert_eq!(dense.save(), sparse.save());
    }

    #[test]
    fn f32_needs_nest_integration() {
        let grid = TimeGrid::new(0.1).unwrap();
        let m = IfCurrExp::new(
            IfCurrExpParams::default(),
            Integration::Spynnaker,
            None,
            &grid,
        )
        .unwrap();
        let e = m.with_precision(Precision::F32).unwrap_err();
        assert_eq!(e.param, "precision");
    }

    /// The f32 kernel's error bound needs every decay within a step to be at most 8-fold:
    /// time constants down to dt/ln(8) = 0.048 ms at dt = 0.1 ms are accepted, shorter refused.
    #[test]
    fn f32_needs_time_constants_of_half_a_step() {
        let grid = TimeGrid::new(0.1).unwrap();
        let with = |tau_syn_e: f64| {
            let params = IfCurrExpParams {
                tau_syn_e,
                ..Default::default()
            };
            IfCurrExp::new(params, Integration::Nest, None, &grid)
                .unwrap()
                .with_precision(Precision::F32)
        };
        assert!(with(0.05).is_ok());
        let e = with(0.04).unwrap_err();
        assert_eq!(e.param, "tau_syn_E");
        assert!(e.allowed.contains("0.0481"), "{}", e.allowed);
    }
}
