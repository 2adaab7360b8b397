//! NEST `aeif_cond_alpha_astro`: adaptive exponential integrate-and-fire neuron with alpha
//! conductances and a slow inward current (I_SIC) from astrocytes, spec §2.2 and §4.3.
//!
//! Two integrators, both with the spike check, refractory clamp and instability abort after
//! every internal step: NEST's own (GSL's adaptive rkf45 with its standard step control and
//! `gsl_error_tol`, the step size carried from step to step; the default of the engine
//! population, it reproduces NEST's traces to about 1e-12), or fixed-step classic RK4 (the
//! struct's default, 1 substep per step, the spec's Tier A: NEST's spike times, V_m within
//! 0.5 mV next to spikes).
//!
//! The same struct integrates NEST's `aeif_cond_exp` (without SIC) when its
//! [`SynapseShape`] is `Exp`: the conductances then decay exponentially and a spike adds its
//! weight to them; `dg_ex`/`dg_in` stay 0 and change neither the solution nor the integrator's
//! step-size decisions (their error estimates are exactly 0).

use std::ops::Range;

use serde::{Deserialize, Serialize};
use sim_core::describe::{ModelDescription, Quantity};
use sim_core::model::{ModelError, NeuronKernel, PopulationModel, StepContext};
use sim_core::state::StateTable;
use sim_core::TimeGrid;

use super::lr1994::{astro_model_error, astro_param_error};
use super::{check, AstroError};
use crate::dist::Value;
use crate::gsl_rkf45::{self, Control};
use crate::neurons::initial_values;
use crate::params::ParamError;

/// The cell type's name, as model files write it.
pub const MODEL: &str = "aeif_cond_alpha_astro";

/// How a spike changes the conductances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SynapseShape {
    /// `aeif_cond_alpha`: a spike of weight w adds `w·e/tau_syn` to dg; g peaks at w.
    #[default]
    Alpha,
    /// `aeif_cond_exp`: a spike adds w to g, which decays with tau_syn.
    Exp,
}

/// Parameters with NEST names and defaults (NEST 3.10).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[allow(non_snake_case)]
pub struct AeifCondAlphaAstroParams {
    pub C_m: f64,
    pub g_L: f64,
    pub E_L: f64,
    pub V_th: f64,
    pub Delta_T: f64,
    pub V_peak: f64,
    pub V_reset: f64,
    pub t_ref: f64,
    pub a: f64,
    pub b: f64,
    pub tau_w: f64,
    pub E_ex: f64,
    pub E_in: f64,
    pub tau_syn_ex: f64,
    pub tau_syn_in: f64,
    pub I_e: f64,
    /// Error tolerance of NEST's adaptive integrator (GSL rkf45).
    pub gsl_error_tol: f64,
}

impl Default for AeifCondAlphaAstroParams {
    fn default() -> Self {
        Self {
            C_m: 281.0,
            g_L: 30.0,
            E_L: -70.6,
            V_th: -50.4,
            Delta_T: 2.0,
            V_peak: 0.0,
            V_reset: -60.0,
            t_ref: 0.0,
            a: 4.0,
            b: 80.5,
            tau_w: 144.0,
            E_ex: 0.0,
            E_in: -85.0,
            tau_syn_ex: 0.2,
            tau_syn_in: 2.0,
            I_e: 0.0,
            gsl_error_tol: 1e-6,
        }
    }
}

impl AeifCondAlphaAstroParams {
    /// Validate as NEST's `Parameters_::set` (spec §4.5).
    pub fn validate(&self) -> Result<(), AstroError> {
        for (n, v) in [
            ("E_L", self.E_L),
            ("V_th", self.V_th),
            ("V_peak", self.V_peak),
            ("V_reset", self.V_reset),
            ("a", self.a),
            ("b", self.b),
            ("E_ex", self.E_ex),
            ("E_in", self.E_in),
            ("I_e", self.I_e),
        ] {
            check(MODEL, n, v, true, "must be finite")?;
        }
        check(
            MODEL,
            "V_reset",
            self.V_reset,
            self.V_reset < self.V_peak,
            format!("must be < V_peak = {}", self.V_peak),
        )?;
        check(
            MODEL,
            "V_peak",
            self.V_peak,
            self.V_peak >= self.V_th,
            format!("must be >= V_th = {}", self.V_th),
        )?;
        check(
            MODEL,
            "Delta_T",
            self.Delta_T,
            self.Delta_T >= 0.0,
            "must be >= 0",
        )?;
        if self.Delta_T > 0.0 {
            let bound = (f64::MAX / 1e20).ln();
            let ratio = (self.V_peak - self.V_th) / self.Delta_T;
            check(
                MODEL,
                "Delta_T",
                self.Delta_T,
                ratio < bound,
                format!(
                    "(V_peak - V_th)/Delta_T = {ratio} must be < ln(DBL_MAX/1e20) = {bound} \
                     (exponential term would overflow)"
                ),
            )?;
        }
        check(MODEL, "C_m", self.C_m, self.C_m > 0.0, "must be > 0")?;
        check(MODEL, "g_L", self.g_L, self.g_L > 0.0, "must be > 0")?;
        check(
            MODEL,
            "t_ref",
            self.t_ref,
            self.t_ref >= 0.0,
            "must be >= 0",
        )?;
        check(MODEL, "tau_w", self.tau_w, self.tau_w > 0.0, "must be > 0")?;
        check(
            MODEL,
            "gsl_error_tol",
            self.gsl_error_tol,
            self.gsl_error_tol > 0.0,
            "must be > 0",
        )?;
        check(
            MODEL,
            "tau_syn_ex",
            self.tau_syn_ex,
            self.tau_syn_ex > 0.0,
            "must be > 0",
        )?;
        check(
            MODEL,
            "tau_syn_in",
            self.tau_syn_in,
            self.tau_syn_in > 0.0,
            "must be > 0",
        )?;
        Ok(())
    }

    /// RHS over `[V, dg_ex, g_ex, dg_in, g_in, w]` with alpha conductances.
    #[inline]
    pub fn rhs(&self, y: &[f64; 6], refractory: bool, i_in: f64) -> [f64; 6] {
        self.rhs_shaped(SynapseShape::Alpha, y, refractory, i_in)
    }

    /// RHS over `[V, dg_ex, g_ex, dg_in, g_in, w]`; with exponential conductances the dg
    /// components are constant (0).
    #[inline]
    pub fn rhs_shaped(
        &self,
        shape: SynapseShape,
        y: &[f64; 6],
        refractory: bool,
        i_in: f64,
    ) -> [f64; 6] {
        let v = if refractory {
            self.V_reset
        } else {
            y[0].min(self.V_peak)
        };
        let [_, dg_ex, g_ex, dg_in, g_in, w] = *y;
        let i_spike = if self.Delta_T == 0.0 {
            0.0
        } else {
            self.g_L * self.Delta_T * ((v - self.V_th) / self.Delta_T).exp()
        };
        let dv = if refractory {
            0.0
        } else {
            (-self.g_L * (v - self.E_L) + i_spike
                - g_ex * (v - self.E_ex)
                - g_in * (v - self.E_in)
                - w
                + self.I_e
                + i_in)
                / self.C_m
        };
        let dw = (self.a * (v - self.E_L) - w) / self.tau_w;
        match shape {
            SynapseShape::Alpha => [
                dv,
                -dg_ex / self.tau_syn_ex,
                dg_ex - g_ex / self.tau_syn_ex,
                -dg_in / self.tau_syn_in,
                dg_in - g_in / self.tau_syn_in,
                dw,
            ],
            SynapseShape::Exp => [
                dv,
                0.0,
                -g_ex / self.tau_syn_ex,
                0.0,
                -g_in / self.tau_syn_in,
                dw,
            ],
        }
    }
}

/// A population of `aeif_cond_alpha_astro` neurons (struct of arrays, shared parameters).
#[derive(Debug, Clone)]
#[allow(non_snake_case)]
pub struct AeifCondAlphaAstro {
    pub params: AeifCondAlphaAstroParams,
    /// Alpha (`aeif_cond_alpha_astro`, `aeif_cond_alpha`) or exponential (`aeif_cond_exp`).
    pub shape: SynapseShape,
    /// RK4 substeps per simulation step (default 1).
    pub substeps: usize,
    /// `Some(gsl_error_tol)`: integrate as NEST does, with GSL's adaptive RKF45 and its standard
    /// step control (`gsl_odeiv_control_yp_new(tol, tol)`), the step size carried from step to
    /// step; `None` (default): `substeps` classic RK4 steps.
    pub gsl_error_tol: Option<f64>,
    /// The adaptive integrator's current step size per neuron (ms; NEST's `IntegrationStep_`).
    pub integration_step: Vec<f64>,
    pub V_m: Vec<f64>,
    pub dg_ex: Vec<f64>,
    pub g_ex: Vec<f64>,
    pub dg_in: Vec<f64>,
    pub g_in: Vec<f64>,
    pub w: Vec<f64>,
    /// Refractory counter (steps).
    pub r: Vec<u64>,
    /// I_stim used during the next step (pA), set at the end of each step.
    pub I_stim: Vec<f64>,
    /// I_SIC used during the next step (pA), set at the end of each step.
    pub I_SIC: Vec<f64>,
    /// Number of spikes each neuron emitted in the last step (several possible if t_ref = 0).
    pub spike_count: Vec<u32>,
}

impl AeifCondAlphaAstro {
    /// `n` neurons at the NEST initial state (V_m = E_L, everything else 0).
    pub fn new(n: usize, params: AeifCondAlphaAstroParams) -> Result<Self, AstroError> {
        params.validate()?;
        Ok(Self {
            params,
            shape: SynapseShape::Alpha,
            substeps: 1,
            gsl_error_tol: None,
            integration_step: vec![0.0; n],
            V_m: vec![params.E_L; n],
            dg_ex: vec![0.0; n],
            g_ex: vec![0.0; n],
            dg_in: vec![0.0; n],
            g_in: vec![0.0; n],
            w: vec![0.0; n],
            r: vec![0; n],
            I_stim: vec![0.0; n],
            I_SIC: vec![0.0; n],
            spike_count: vec![0; n],
        })
    }

    pub fn len(&self) -> usize {
        self.V_m.len()
    }

    pub fn is_empty(&self) -> bool {
        self.V_m.is_empty()
    }

    /// One step `(t_end - h, t_end]`, NEST order (§2.2/§4.3):
    /// RK4 substeps with I_stim/I_SIC from the previous step (spike check, refractory clamp and
    /// instability check after each) → decrement refractory counter → conductance jumps for
    /// spikes arriving at `t_end` (`syn_ex[i]` = Σ positive weights in nS, `syn_in[i]` = Σ |negative
    /// weights| in nS) → store `i_stim`/`i_sic` (pA) for the next step.
    ///
    /// Spikes are stamped at `t_end`; `spike_count[i]` says how many neuron i emitted.
    /// Empty `syn_in`, `i_stim` or `i_sic` slices mean zero.
    #[allow(clippy::too_many_arguments)]
    pub fn step(
        &mut self,
        h: f64,
        t_end: f64,
        syn_ex: &[f64],
        syn_in: &[f64],
        i_stim: &[f64],
        i_sic: &[f64],
    ) -> Result<(), AstroError> {
        let n = self.len();
        let p = self.params;
        let shape = self.shape;
        let sub = self.substeps.max(1);
        let dt = h / sub as f64;
        let ref_counts = (p.t_ref / h).round() as u64;
        let v_spike = if p.Delta_T > 0.0 { p.V_peak } else { p.V_th };
        let e = std::f64::consts::E;
        for i in 0..n {
            let mut y = [
                self.V_m[i],
                self.dg_ex[i],
                self.g_ex[i],
                self.dg_in[i],
                self.g_in[i],
                self.w[i],
            ];
            let i_in = self.I_stim[i] + self.I_SIC[i];
            let mut r = self.r[i];
            let mut spikes = 0;
            // After every internal step: refractory clamp or spike, then the instability bounds.
            let mut after = |y: &mut [f64; 6], r: &mut u64| {
                if *r > 0 {
                    y[0] = p.V_reset;
                } else if y[0] >= v_spike {
                    y[0] = p.V_reset;
                    y[5] += p.b;
                    *r = if ref_counts > 0 { ref_counts + 1 } else { 0 };
                    spikes += 1;
                }
                if y[0] < -1e3 || !y[0].is_finite() {
                    return Err(instability(i, "V_m", y[0], t_end));
                }
                if y[5].abs() > 1e6 || !y[5].is_finite() {
                    return Err(instability(i, "w", y[5], t_end));
                }
                Ok(())
            };
            match self.gsl_error_tol {
                None => {
                    for _ in 0..sub {
                        y = rk4_6(&|y| p.rhs_shaped(shape, y, r > 0, i_in), &y, dt);
                        after(&mut y, &mut r)?;
                    }
                }
                Some(tol) => {
                    let hi = &mut self.integration_step[i];
                    if *hi <= 0.0 {
                        *hi = h;
                    }
                    let mut t = 0.0;
                    let mut internal = 0u32;
                    while t < h {
                        let rhs = |y: &[f64; 6]| p.rhs_shaped(shape, y, r > 0, i_in);
                        (y, t) =
                            gsl_rkf45::evolve_apply(&rhs, &y, t, h, hi, &Control::yp(tol, tol));
                        after(&mut y, &mut r)?;
                        // A step size collapsing towards 0 means the state is diverging.
                        internal += 1;
                        if internal > MAX_INTERNAL_STEPS {
                            return Err(instability(i, "V_m", y[0], t_end));
                        }
                    }
                }
            }
            r = r.saturating_sub(1);
            match shape {
                SynapseShape::Alpha => {
                    if !syn_ex.is_empty() {
                        y[1] += syn_ex[i] * e / p.tau_syn_ex;
                    }
                    if !syn_in.is_empty() {
                        y[3] += syn_in[i] * e / p.tau_syn_in;
                    }
                }
                SynapseShape::Exp => {
                    if !syn_ex.is_empty() {
                        y[2] += syn_ex[i];
                    }
                    if !syn_in.is_empty() {
                        y[4] += syn_in[i];
                    }
                }
            }
            [
                self.V_m[i],
                self.dg_ex[i],
                self.g_ex[i],
                self.dg_in[i],
                self.g_in[i],
                self.w[i],
            ] = y;
            self.r[i] = r;
            self.spike_count[i] = spikes;
            self.I_stim[i] = if i_stim.is_empty() { 0.0 } else { i_stim[i] };
            self.I_SIC[i] = if i_sic.is_empty() { 0.0 } else { i_sic[i] };
        }
        Ok(())
    }
}

impl AeifCondAlphaAstro {
    /// One engine step: [`AeifCondAlphaAstro::step`] with the step's spike input (excitatory
    /// then inhibitory, nS; consumed) and `i_sic` (pA), then the spikes, each neuron listed once
    /// per spike.
    pub(crate) fn engine_step(
        &mut self,
        ctx: &StepContext,
        input: &mut [f64],
        i_sic: &[f64],
        spikes: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        let (exc, inh) = input.split_at(self.len());
        let t_end = (ctx.step + 1) as f64 * ctx.dt_ms;
        let res = self.step(ctx.dt_ms, t_end, exc, inh, &[], i_sic);
        input.fill(0.0);
        res.map_err(astro_model_error)?;
        for (i, &c) in self.spike_count.iter().enumerate() {
            for _ in 0..c {
                spikes.push(i as u32);
            }
        }
        Ok(())
    }
}

/// How an engine population of `aeif_cond_alpha_astro` integrates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AeifIntegrator {
    /// NEST's: GSL rkf45, adaptive, tolerance `gsl_error_tol`.
    #[default]
    Nest,
    /// Classic RK4 with this many substeps per step.
    Rk4 { substeps: usize },
}

/// `aeif_cond_alpha_astro` as an engine population. Spike input: receptor `excitatory` (nS,
/// added to `dg_ex`) and `inhibitory` (nS magnitudes, added to `dg_in`) at the end of the step
/// they arrive in; graded input `SIC` (pA, from `sic_connection`s) arriving in step `t` is the
/// `I_SIC` used during step `t + 1`, as in NEST. Spikes are stamped at the end of the step; with
/// `t_ref = 0` a neuron may fire several times in one step and is then listed once per spike.
#[derive(Debug, Clone)]
pub struct AeifCondAlphaAstroModel {
    params: AeifCondAlphaAstroParams,
    v_init: Value,
    w_init: Value,
    pub integrator: AeifIntegrator,
}

impl AeifCondAlphaAstroModel {
    /// Parameters and optional initial `V_m` (mV, default `E_L`) and `w` (pA, default 0).
    pub fn new(
        params: AeifCondAlphaAstroParams,
        v_init: Option<Value>,
        w_init: Option<Value>,
        grid: &TimeGrid,
    ) -> Result<Self, ParamError> {
        params.validate().map_err(astro_param_error)?;
        if grid.steps(params.t_ref).is_err() {
            return Err(ParamError::new(
                "t_ref",
                params.t_ref,
                format!("must be a multiple of dt = {} ms", grid.dt_ms()),
            ));
        }
        let (v_init, w_init) = initial_v_and_w(v_init, w_init, params.E_L, "V_m")?;
        Ok(Self {
            params,
            v_init,
            w_init,
            integrator: AeifIntegrator::default(),
        })
    }
}

/// The initial membrane potential (default `v_default`, named `v_name` in errors) and
/// adaptation current (default 0) of an adaptive exponential population, validated.
pub(crate) fn initial_v_and_w(
    v_init: Option<Value>,
    w_init: Option<Value>,
    v_default: f64,
    v_name: &str,
) -> Result<(Value, Value), ParamError> {
    let v_init = v_init.unwrap_or(Value::Constant(v_default));
    let w_init = w_init.unwrap_or(Value::Constant(0.0));
    v_init.validate(v_name)?;
    w_init.validate("w")?;
    Ok((v_init, w_init))
}

impl AeifCondAlphaAstroParams {
    /// The parameters under their NEST names, with units.
    pub fn quantities(&self) -> Vec<Quantity> {
        let q = |name, unit, value| Quantity { name, unit, value };
        vec![
            q("C_m", "pF", self.C_m),
            q("g_L", "nS", self.g_L),
            q("E_L", "mV", self.E_L),
            q("V_th", "mV", self.V_th),
            q("Delta_T", "mV", self.Delta_T),
            q("V_peak", "mV", self.V_peak),
            q("V_reset", "mV", self.V_reset),
            q("t_ref", "ms", self.t_ref),
            q("a", "nS", self.a),
            q("b", "pA", self.b),
            q("tau_w", "ms", self.tau_w),
            q("E_ex", "mV", self.E_ex),
            q("E_in", "mV", self.E_in),
            q("tau_syn_ex", "ms", self.tau_syn_ex),
            q("tau_syn_in", "ms", self.tau_syn_in),
            q("I_e", "pA", self.I_e),
            q("gsl_error_tol", "", self.gsl_error_tol),
        ]
    }
}

impl PopulationModel for AeifCondAlphaAstroModel {
    fn describe(&self) -> ModelDescription {
        ModelDescription {
            parameters: self.params.quantities(),
            state: STATE.recordable(),
            receptors: vec!["excitatory", "inhibitory"],
            ..ModelDescription::neuron(MODEL)
        }
    }
    fn spike_stamp_offset(&self) -> sim_core::Step {
        1
    }
    fn graded_inputs(&self) -> &[&'static str] {
        &["SIC"]
    }
    fn instantiate(
        &self,
        pop: usize,
        range: Range<u32>,
        _grid: &TimeGrid,
        seed: u64,
    ) -> Box<dyn NeuronKernel> {
        let n = range.len();
        let mut state = AeifCondAlphaAstro::new(n, self.params)
            .expect("parameters validated in AeifCondAlphaAstroModel::new");
        match self.integrator {
            AeifIntegrator::Nest => state.gsl_error_tol = Some(self.params.gsl_error_tol),
            AeifIntegrator::Rk4 { substeps } => state.substeps = substeps.max(1),
        }
        state.V_m = initial_values(&self.v_init, seed, pop, 0, &range);
        state.w = initial_values(&self.w_init, seed, pop, 1, &range);
        Box::new(AeifKernel {
            state,
            sic_in: vec![0.0; n],
        })
    }
}

struct AeifKernel {
    state: AeifCondAlphaAstro,
    /// Graded SIC input of this step: becomes I_SIC at the end of the update.
    sic_in: Vec<f64>,
}

impl NeuronKernel for AeifKernel {
    fn update(
        &mut self,
        ctx: &StepContext,
        input: &mut [f64],
        spikes: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        self.state.engine_step(ctx, input, &self.sic_in, spikes)
    }
    fn graded_input(&mut self, _port: usize, values: &[f64]) {
        self.sic_in.copy_from_slice(values);
    }
    sim_core::state_io!(STATE, |k: &Self| k.state.len());
}

const STATE: StateTable<AeifKernel> = StateTable(&[
    sim_core::recorded!("V_m", "mV", state.V_m),
    sim_core::recorded!("w", "pA", state.w),
    sim_core::recorded!("g_ex", "nS", state.g_ex),
    sim_core::recorded!("g_in", "nS", state.g_in),
    sim_core::recorded!("I_SIC", "pA", state.I_SIC),
    sim_core::f64_field!("V_m", state.V_m),
    sim_core::f64_field!("dg_ex", state.dg_ex),
    sim_core::f64_field!("g_ex", state.g_ex),
    sim_core::f64_field!("dg_in", state.dg_in),
    sim_core::f64_field!("g_in", state.g_in),
    sim_core::f64_field!("w", state.w),
    sim_core::u64_field!("r", state.r),
    sim_core::f64_field!("I_stim", state.I_stim),
    sim_core::f64_field!("I_SIC", state.I_SIC),
    sim_core::f64_field!("integration_step", state.integration_step),
]);

/// Internal adaptive steps allowed in one simulation step before the run is stopped.
const MAX_INTERNAL_STEPS: u32 = 100_000;

fn instability(index: usize, variable: &'static str, value: f64, time_ms: f64) -> AstroError {
    AstroError::NumericalInstability {
        model: MODEL,
        index,
        variable,
        value,
        time_ms,
    }
}

#[inline]
fn rk4_6(rhs: &impl Fn(&[f64; 6]) -> [f64; 6], y: &[f64; 6], dt: f64) -> [f64; 6] {
    let add = |a: &[f64; 6], k: &[f64; 6], s: f64| {
        let mut o = [0.0; 6];
        for j in 0..6 {
            o[j] = a[j] + s * k[j];
        }
        o
    };
    let k1 = rhs(y);
    let k2 = rhs(&add(y, &k1, 0.5 * dt));
    let k3 = rhs(&add(y, &k2, 0.5 * dt));
    let k4 = rhs(&add(y, &k3, dt));
    let mut o = [0.0; 6];
    for j in 0..6 {
        o[j] = y[j] + dt / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j]);
    }
    o
}
