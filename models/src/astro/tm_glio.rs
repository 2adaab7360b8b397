//! Tsodyks–Markram synapse whose basal release probability is modulated by astrocytic
//! gliotransmitter (Brian2 Stimberg et al. examples 3/4/6; spec §3.1, §4.2 exact integration).
//!
//! Units: ms, µM. Between events, with the astrocyte's G_A frozen over the step:
//! `Y ← Y e^{-Ω_c h}`, `Γ ← Γ∞ + (Γ-Γ∞) e^{-(a+b)h}` (a = O_G·G_A, b = Ω_G),
//! `u ← u e^{-Ω_f h}`, `x ← 1 + (x-1) e^{-Ω_d h}`. On a presynaptic spike:
//! `U_0 = (1-Γ) U_0* + α Γ`, `u += U_0 (1-u)`, `r = u x`, `x -= r`, `Y += ρ_c Y_T r`.

/// Parameters (Brian2 names, ms/µM).
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[allow(non_snake_case)]
pub struct TmGlioParams {
    pub rho_c: f64,
    pub Y_T: f64,
    pub Omega_c: f64,
    pub U_0__star: f64,
    pub Omega_f: f64,
    pub Omega_d: f64,
    pub O_G: f64,
    pub Omega_G: f64,
    pub alpha: f64,
}

impl Default for TmGlioParams {
    fn default() -> Self {
        Self {
            rho_c: 0.005,
            Y_T: 500e3,
            Omega_c: 40e-3,
            U_0__star: 0.6,
            Omega_f: 3.33e-3,
            Omega_d: 2.0e-3,
            O_G: 1.5e-3,
            Omega_G: 0.5 / 60e3,
            alpha: 0.0,
        }
    }
}

/// A population of TM synapses with gliotransmitter modulation (struct of arrays).
#[derive(Debug, Clone)]
#[allow(non_snake_case)]
pub struct TmGlioSynapses {
    pub params: TmGlioParams,
    pub Y_S: Vec<f64>,
    pub Gamma_S: Vec<f64>,
    pub u_S: Vec<f64>,
    pub x_S: Vec<f64>,
    pub r_S: Vec<f64>,
}

impl TmGlioSynapses {
    pub fn new(n: usize, params: TmGlioParams) -> Self {
        Self {
            params,
            Y_S: vec![0.0; n],
            Gamma_S: vec![0.0; n],
            u_S: vec![0.0; n],
            x_S: vec![1.0; n],
            r_S: vec![0.0; n],
        }
    }

    pub fn len(&self) -> usize {
        self.Y_S.len()
    }

    pub fn is_empty(&self) -> bool {
        self.Y_S.is_empty()
    }

    /// Exact update over `dt` with the gliotransmitter `g_a[i]` (µM) frozen (Brian2 `groups`).
    #[allow(clippy::needless_range_loop)]
    pub fn update(&mut self, dt: f64, g_a: &[f64]) {
        let p = self.params;
        let ey = (-p.Omega_c * dt).exp();
        let ef = (-p.Omega_f * dt).exp();
        let ed = (-p.Omega_d * dt).exp();
        for i in 0..self.len() {
            self.Y_S[i] *= ey;
            let a = p.O_G * g_a[i];
            let b = p.Omega_G;
            let g_inf = a / (a + b);
            self.Gamma_S[i] = g_inf + (self.Gamma_S[i] - g_inf) * (-(a + b) * dt).exp();
            self.u_S[i] *= ef;
            self.x_S[i] = 1.0 + (self.x_S[i] - 1.0) * ed;
        }
    }

    /// Presynaptic spike on synapse `i` (Brian2 `on_pre`); returns the released fraction r_S.
    pub fn on_pre(&mut self, i: usize) -> f64 {
        let p = self.params;
        let u0 = (1.0 - self.Gamma_S[i]) * p.U_0__star + p.alpha * self.Gamma_S[i];
        self.u_S[i] += u0 * (1.0 - self.u_S[i]);
        self.r_S[i] = self.u_S[i] * self.x_S[i];
        self.x_S[i] -= self.r_S[i];
        self.Y_S[i] += p.rho_c * p.Y_T * self.r_S[i];
        self.r_S[i]
    }
}
