//! NEST `astrocyte_lr_1994` (Li & Rinzel 1994 / De Young & Keizer 1992 calcium dynamics with
//! the Nadkarni & Jung 2003 slow inward current output), spec §2.1 and §4.3.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use sim_core::describe::{ModelDescription, ModelKind, Quantity};
use sim_core::model::{ModelError, NeuronKernel, PopulationModel, StepContext};
use sim_core::state::StateTable;
use sim_core::TimeGrid;

use super::{check, AstroError};
use crate::dist::Value;
use crate::neurons::initial_values;
use crate::params::ParamError;

/// The cell type's name, as model files write it.
pub const MODEL: &str = "astrocyte_lr_1994";

/// Parameters with NEST names and defaults (NEST 3.10).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[allow(non_snake_case)]
pub struct AstrocyteLr1994Params {
    /// Total free Ca in cytosolic-volume terms (µM).
    pub Ca_tot: f64,
    /// IP3 baseline (µM).
    pub IP3_0: f64,
    pub Kd_IP3_1: f64,
    pub Kd_IP3_2: f64,
    pub Kd_act: f64,
    pub Kd_inh: f64,
    pub Km_SERCA: f64,
    pub SIC_scale: f64,
    /// Ca threshold for SIC (µM).
    pub SIC_th: f64,
    /// IP3 increment per unit input weight (µM).
    pub delta_IP3: f64,
    pub k_IP3R: f64,
    pub rate_IP3R: f64,
    pub rate_L: f64,
    pub rate_SERCA: f64,
    pub ratio_ER_cyt: f64,
    /// IP3 decay time constant (ms).
    pub tau_IP3: f64,
}

impl Default for AstrocyteLr1994Params {
    fn default() -> Self {
        Self {
            Ca_tot: 2.0,
            IP3_0: 0.16,
            Kd_IP3_1: 0.13,
            Kd_IP3_2: 0.9434,
            Kd_act: 0.08234,
            Kd_inh: 1.049,
            Km_SERCA: 0.1,
            SIC_scale: 1.0,
            SIC_th: 0.19669,
            delta_IP3: 0.0002,
            k_IP3R: 0.0002,
            rate_IP3R: 0.006,
            rate_L: 0.00011,
            rate_SERCA: 0.0009,
            ratio_ER_cyt: 0.185,
            tau_IP3: 7142.0,
        }
    }
}

impl AstrocyteLr1994Params {
    /// Validate (NEST's `Parameters_::set` checks plus finiteness).
    pub fn validate(&self) -> Result<(), AstroError> {
        let pos = |n: &'static str, v: f64| check(MODEL, n, v, v > 0.0, "must be > 0");
        let nonneg = |n: &'static str, v: f64| check(MODEL, n, v, v >= 0.0, "must be >= 0");
        pos("Ca_tot", self.Ca_tot)?;
        nonneg("IP3_0", self.IP3_0)?;
        pos("Kd_IP3_1", self.Kd_IP3_1)?;
        pos("Kd_IP3_2", self.Kd_IP3_2)?;
        pos("Kd_act", self.Kd_act)?;
        pos("Kd_inh", self.Kd_inh)?;
        pos("Km_SERCA", self.Km_SERCA)?;
        nonneg("SIC_scale", self.SIC_scale)?;
        nonneg("SIC_th", self.SIC_th)?;
        nonneg("delta_IP3", self.delta_IP3)?;
        nonneg("k_IP3R", self.k_IP3R)?;
        nonneg("rate_IP3R", self.rate_IP3R)?;
        nonneg("rate_L", self.rate_L)?;
        nonneg("rate_SERCA", self.rate_SERCA)?;
        pos("ratio_ER_cyt", self.ratio_ER_cyt)?;
        pos("tau_IP3", self.tau_IP3)?;
        Ok(())
    }

    /// Right-hand side `(dIP3, dCa, dh)` with Ca clamped to `[0, Ca_tot]` inside (NEST C++).
    #[inline]
    pub fn rhs(&self, ip3: f64, ca_raw: f64, h: f64, j_noise: f64) -> [f64; 3] {
        let ca = ca_raw.clamp(0.0, self.Ca_tot);
        let alpha = self.k_IP3R * self.Kd_inh * (ip3 + self.Kd_IP3_1) / (ip3 + self.Kd_IP3_2);
        let beta = self.k_IP3R * ca;
        let j_pump = self.rate_SERCA * ca * ca / (self.Km_SERCA * self.Km_SERCA + ca * ca);
        let m_inf = ip3 / (ip3 + self.Kd_IP3_1);
        let n_inf = ca / (ca + self.Kd_act);
        let ca_er = (self.Ca_tot - ca) / self.ratio_ER_cyt;
        let j_leak = self.ratio_ER_cyt * self.rate_L * (ca_er - ca);
        let mnh = m_inf * n_inf * h;
        let j_chan = self.ratio_ER_cyt * self.rate_IP3R * mnh * mnh * mnh * (ca_er - ca);
        [
            (self.IP3_0 - ip3) / self.tau_IP3,
            j_chan - j_pump + j_leak + j_noise,
            alpha * (1.0 - h) - beta * h,
        ]
    }

    /// Nadkarni & Jung SIC output (before the connection weight): `SIC_scale·ln(1000(C-SIC_th))`
    /// if the argument is > 1, else 0 (continuous at 1).
    #[inline]
    pub fn sic(&self, ca: f64) -> f64 {
        let x = (ca - self.SIC_th) * 1000.0;
        if x > 1.0 {
            self.SIC_scale * x.ln()
        } else {
            0.0
        }
    }
}

/// Initial state of one astrocyte.
#[derive(Debug, Clone, Copy, PartialEq)]
#[allow(non_snake_case)]
pub struct AstrocyteLr1994Init {
    pub IP3: f64,
    pub Ca_astro: f64,
    pub h_IP3R: f64,
}

impl Default for AstrocyteLr1994Init {
    fn default() -> Self {
        Self {
            IP3: 0.16,
            Ca_astro: 0.073,
            h_IP3R: 0.793,
        }
    }
}

/// A population of `astrocyte_lr_1994` (struct of arrays, shared parameters).
#[derive(Debug, Clone)]
#[allow(non_snake_case)]
pub struct AstrocyteLr1994 {
    pub params: AstrocyteLr1994Params,
    /// RK4 substeps per simulation step (default 1; one step of h reproduces NEST).
    pub substeps: usize,
    pub IP3: Vec<f64>,
    pub Ca_astro: Vec<f64>,
    pub h_IP3R: Vec<f64>,
    /// SIC output computed at the end of the last step (without connection weight).
    pub sic: Vec<f64>,
    /// Current input (µM/ms) received in the last step, used as J_noise in the next one.
    pub j_noise: Vec<f64>,
}

impl AstrocyteLr1994 {
    /// `n` astrocytes with the given parameters and initial state.
    pub fn new(
        n: usize,
        params: AstrocyteLr1994Params,
        init: AstrocyteLr1994Init,
    ) -> Result<Self, AstroError> {
        params.validate()?;
        let sic0 = params.sic(init.Ca_astro);
        Ok(Self {
            params,
            substeps: 1,
            IP3: vec![init.IP3; n],
            Ca_astro: vec![init.Ca_astro; n],
            h_IP3R: vec![init.h_IP3R; n],
            sic: vec![sic0; n],
            j_noise: vec![0.0; n],
        })
    }

    pub fn len(&self) -> usize {
        self.IP3.len()
    }

    pub fn is_empty(&self) -> bool {
        self.IP3.is_empty()
    }

    /// One step of length `h` ms, NEST order (§2.1/§4.3):
    /// RK4 (clamp in RHS) → clamp Ca → `IP3 += delta_IP3·arrivals_weighted[i]` → SIC from the new
    /// Ca → `J_noise = currents[i]` for the next step.
    ///
    /// `arrivals_weighted[i]` is Σ weight·multiplicity of the spikes arriving at the end of this
    /// step; each weight must be ≥ 0 (checked here on the sum; use [`Self::check_weight`] per
    /// spike). `currents` (µM/ms) may be empty (no current input).
    pub fn step(
        &mut self,
        h: f64,
        arrivals_weighted: &[f64],
        currents: &[f64],
    ) -> Result<(), AstroError> {
        let n = self.len();
        assert_eq!(arrivals_weighted.len(), n, "arrivals_weighted length");
        assert!(
            currents.is_empty() || currents.len() == n,
            "currents length"
        );
        for (i, &w) in arrivals_weighted.iter().enumerate() {
            Self::check_weight(i, w)?;
        }
        let p = self.params;
        let sub = self.substeps.max(1);
        let dt = h / sub as f64;
        for i in 0..n {
            let mut y = [self.IP3[i], self.Ca_astro[i], self.h_IP3R[i]];
            let jn = self.j_noise[i];
            for _ in 0..sub {
                y = rk4_3(&p, y, dt, jn);
            }
            y[1] = y[1].clamp(0.0, p.Ca_tot);
            y[0] += p.delta_IP3 * arrivals_weighted[i];
            self.IP3[i] = y[0];
            self.Ca_astro[i] = y[1];
            self.h_IP3R[i] = y[2];
            self.sic[i] = p.sic(y[1]);
            self.j_noise[i] = if currents.is_empty() {
                0.0
            } else {
                currents[i]
            };
        }
        Ok(())
    }

    /// Reject a negative (or non-finite) spike weight, as NEST does.
    pub fn check_weight(index: usize, weight: f64) -> Result<(), AstroError> {
        if weight >= 0.0 && weight.is_finite() {
            Ok(())
        } else {
            Err(AstroError::InvalidInput {
                model: MODEL,
                name: "weight",
                index,
                value: weight,
                allowed: "astrocyte input spike weights must be >= 0 and finite",
            })
        }
    }
}

/// `astrocyte_lr_1994` as an engine population: spike input (receptor `excitatory`, weights
/// at least 0) raises IP3 at the end of the step it arrives in; the SIC computed from the new Ca
/// is the graded output `SIC` (before the connection weight, which `sic_connection` applies).
/// Engine step `t` is NEST's step `(t h, (t+1) h]`: values recorded at step `t` are NEST's row
/// `t + 1`.
#[derive(Debug, Clone)]
pub struct AstrocyteLr1994Model {
    params: AstrocyteLr1994Params,
    init: [Value; 3],
}

/// Initial-value names (NEST state variables), in [`AstrocyteLr1994Model::new`]'s order.
pub const LR1994_INITIAL: [&str; 3] = ["IP3", "Ca_astro", "h_IP3R"];

impl AstrocyteLr1994Model {
    /// Parameters and optional initial values of `IP3`, `Ca_astro`, `h_IP3R` (NEST defaults
    /// otherwise).
    pub fn new(
        params: AstrocyteLr1994Params,
        initial: [Option<Value>; 3],
    ) -> Result<Self, ParamError> {
        params.validate().map_err(astro_param_error)?;
        let d = AstrocyteLr1994Init::default();
        let defaults = [d.IP3, d.Ca_astro, d.h_IP3R];
        let mut init = defaults.map(Value::Constant);
        for (k, v) in initial.into_iter().enumerate() {
            if let Some(v) = v {
                v.validate(LR1994_INITIAL[k])?;
                let (lo, hi) = v.bounds();
                let ok = match k {
                    1 => lo >= 0.0 && hi <= params.Ca_tot,
                    2 => (0.0..=1.0).contains(&lo) && hi <= 1.0,
                    _ => lo >= 0.0,
                };
                if !ok {
                    let shown = match v {
                        Value::Constant(c) => c.to_string(),
                        other => format!("{other:?}"),
                    };
                    return Err(ParamError::new(
                        LR1994_INITIAL[k],
                        shown,
                        match k {
                            1 => format!("must lie in [0, Ca_tot = {}] (µM)", params.Ca_tot),
                            2 => "must lie in [0, 1]".to_string(),
                            _ => "must be >= 0 (µM)".to_string(),
                        },
                    ));
                }
                init[k] = v;
            }
        }
        Ok(Self { params, init })
    }
}

/// An [`AstroError::InvalidParameter`] as the [`ParamError`] every model reports.
pub(crate) fn astro_param_error(e: AstroError) -> ParamError {
    match e {
        AstroError::InvalidParameter {
            name,
            value,
            allowed,
            ..
        } => ParamError::new(name, value, allowed),
        other => ParamError::new("params", "", other.to_string()),
    }
}

/// An astrocyte-model run-time error as the engine's [`ModelError`].
pub(crate) fn astro_model_error(e: AstroError) -> ModelError {
    match e {
        AstroError::InvalidInput {
            name,
            index,
            value,
            allowed,
            ..
        } => ModelError {
            neuron: index as u32,
            variable: format!("input {name}"),
            value,
            reason: allowed.to_string(),
        },
        AstroError::NumericalInstability {
            index,
            variable,
            value,
            ..
        } => ModelError {
            neuron: index as u32,
            variable: variable.to_string(),
            value,
            reason: "numerical instability (V_m < -1000 mV or |w| > 1e6 pA)".to_string(),
        },
        AstroError::InvalidParameter {
            name,
            value,
            allowed,
            ..
        } => ModelError {
            neuron: 0,
            variable: name.to_string(),
            value,
            reason: allowed,
        },
    }
}

impl AstrocyteLr1994Params {
    /// The parameters under their NEST names, with units.
    pub fn quantities(&self) -> Vec<Quantity> {
        let q = |name, unit, value| Quantity { name, unit, value };
        vec![
            q("Ca_tot", "uM", self.Ca_tot),
            q("IP3_0", "uM", self.IP3_0),
            q("Kd_IP3_1", "uM", self.Kd_IP3_1),
            q("Kd_IP3_2", "uM", self.Kd_IP3_2),
            q("Kd_act", "uM", self.Kd_act),
            q("Kd_inh", "uM", self.Kd_inh),
            q("Km_SERCA", "uM", self.Km_SERCA),
            q("SIC_scale", "", self.SIC_scale),
            q("SIC_th", "uM", self.SIC_th),
            q("delta_IP3", "uM", self.delta_IP3),
            q("k_IP3R", "1/(uM ms)", self.k_IP3R),
            q("rate_IP3R", "1/ms", self.rate_IP3R),
            q("rate_L", "1/ms", self.rate_L),
            q("rate_SERCA", "uM/ms", self.rate_SERCA),
            q("ratio_ER_cyt", "", self.ratio_ER_cyt),
            q("tau_IP3", "ms", self.tau_IP3),
        ]
    }
}

impl PopulationModel for AstrocyteLr1994Model {
    fn describe(&self) -> ModelDescription {
        ModelDescription {
            kind: ModelKind::Graded { unit: "" },
            parameters: self.params.quantities(),
            state: STATE.recordable(),
            receptors: vec!["excitatory"],
            ..ModelDescription::neuron(MODEL)
        }
    }
    fn spike_stamp_offset(&self) -> sim_core::Step {
        1
    }
    fn graded_outputs(&self) -> &[&'static str] {
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
        let mut state = AstrocyteLr1994::new(n, self.params, AstrocyteLr1994Init::default())
            .expect("parameters validated in AstrocyteLr1994Model::new");
        state.IP3 = initial_values(&self.init[0], seed, pop, 0, &range);
        state.Ca_astro = initial_values(&self.init[1], seed, pop, 1, &range);
        state.h_IP3R = initial_values(&self.init[2], seed, pop, 2, &range);
        state.sic = state.Ca_astro.iter().map(|&c| self.params.sic(c)).collect();
        Box::new(Lr1994Kernel { state })
    }
}

struct Lr1994Kernel {
    state: AstrocyteLr1994,
}

impl NeuronKernel for Lr1994Kernel {
    fn update(
        &mut self,
        ctx: &StepContext,
        input: &mut [f64],
        _spikes: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        // Spike weights arriving now: the IP3 jump at the end of this step (NEST order).
        let res = self.state.step(ctx.dt_ms, input, &[]);
        input.fill(0.0);
        res.map_err(astro_model_error)
    }
    fn graded_output(&self, _port: usize, out: &mut [f64]) {
        out.copy_from_slice(&self.state.sic);
    }
    sim_core::state_io!(STATE, |k: &Self| k.state.len());
}

const STATE: StateTable<Lr1994Kernel> = StateTable(&[
    sim_core::recorded!("IP3", "uM", state.IP3),
    sim_core::recorded!("Ca_astro", "uM", state.Ca_astro),
    sim_core::recorded!("h_IP3R", "", state.h_IP3R),
    sim_core::recorded!("SIC", "", state.sic),
    sim_core::f64_field!("IP3", state.IP3),
    sim_core::f64_field!("Ca_astro", state.Ca_astro),
    sim_core::f64_field!("h_IP3R", state.h_IP3R),
    sim_core::f64_field!("SIC", state.sic),
    sim_core::f64_field!("J_noise", state.j_noise),
]);

#[inline]
fn rk4_3(p: &AstrocyteLr1994Params, y: [f64; 3], dt: f64, jn: f64) -> [f64; 3] {
    let f = |y: [f64; 3]| p.rhs(y[0], y[1], y[2], jn);
    let k1 = f(y);
    let k2 = f([
        y[0] + 0.5 * dt * k1[0],
        y[1] + 0.5 * dt * k1[1],
        y[2] + 0.5 * dt * k1[2],
    ]);
    let k3 = f([
        y[0] + 0.5 * dt * k2[0],
        y[1] + 0.5 * dt * k2[1],
        y[2] + 0.5 * dt * k2[2],
    ]);
    let k4 = f([y[0] + dt * k3[0], y[1] + dt * k3[1], y[2] + dt * k3[2]]);
    let mut out = [0.0; 3];
    for j in 0..3 {
        out[j] = y[j] + dt / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sic_zero_at_threshold_and_continuous() {
        let p = AstrocyteLr1994Params::default();
        assert_eq!(p.sic(p.SIC_th), 0.0);
        assert_eq!(p.sic(p.SIC_th + 0.0009), 0.0);
        // continuous at x = 1: ln(1 + ε) ≈ ε just above
        let v = p.sic(p.SIC_th + 0.001 * (1.0 + 1e-6));
        assert!((0.0..2e-6).contains(&v), "{v}");
    }
}
