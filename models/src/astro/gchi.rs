//! Brian2 G-ChI astrocyte with gliotransmitter release (Stimberg et al. 2018/2019, examples 3,
//! 4 and 6 of `brian2/examples/frompapers/Stimberg_et_al_2018`) and the COBA LIF target neuron
//! of example 6; spec §3, §4.2 (RK4 astrocyte, no clamp) and §4.5 (release re-arm rule).
//!
//! Units: ms, µM, mV, nS, pA, pF (Brian rates per second are divided by 1000).

/// G-ChI + gliotransmission parameters (Brian2 example names, converted to ms/µM).
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[allow(non_snake_case)]
pub struct GchiParams {
    pub O_P: f64,
    pub K_P: f64,
    pub C_T: f64,
    pub rho_A: f64,
    pub Omega_C: f64,
    pub Omega_L: f64,
    pub d_1: f64,
    pub d_2: f64,
    pub O_2: f64,
    pub d_3: f64,
    pub d_5: f64,
    pub O_beta: f64,
    pub O_N: f64,
    pub Omega_N: f64,
    pub K_KC: f64,
    pub zeta: f64,
    pub O_delta: f64,
    pub kappa_delta: f64,
    pub K_delta: f64,
    pub Omega_5P: f64,
    pub K_D: f64,
    pub K_3K: f64,
    pub O_3K: f64,
    /// Ca threshold for gliotransmitter release (µM).
    pub C_Theta: f64,
    pub Omega_A: f64,
    pub U_A: f64,
    pub G_T: f64,
    pub rho_e: f64,
    pub Omega_e: f64,
}

impl Default for GchiParams {
    fn default() -> Self {
        Self {
            O_P: 0.9e-3,
            K_P: 0.05,
            C_T: 2.0,
            rho_A: 0.18,
            Omega_C: 6e-3,
            Omega_L: 0.1e-3,
            d_1: 0.13,
            d_2: 1.05,
            O_2: 0.2e-3,
            d_3: 0.9434,
            d_5: 0.08,
            O_beta: 3.2e-3,
            O_N: 0.3e-3,
            Omega_N: 0.5e-3,
            K_KC: 0.5,
            zeta: 10.0,
            O_delta: 0.6e-3,
            kappa_delta: 1.5,
            K_delta: 0.1,
            Omega_5P: 0.05e-3,
            K_D: 0.7,
            K_3K: 1.0,
            O_3K: 4.5e-3,
            C_Theta: 0.5,
            Omega_A: 0.6e-3,
            U_A: 0.6,
            G_T: 200e3,
            rho_e: 6.5e-4,
            Omega_e: 60e-3,
        }
    }
}

impl GchiParams {
    /// RHS over `[Gamma_A, I, C, h, x_A, G_A]` with the synaptic glutamate `y_s` (µM) held fixed.
    #[inline]
    pub fn rhs(&self, y: &[f64; 6], y_s: f64) -> [f64; 6] {
        let [gamma_a, i, c, h, x_a, g_a] = *y;
        let c2 = c * c;
        let j_beta = self.O_beta * gamma_a;
        let j_delta =
            self.O_delta / (1.0 + i / self.kappa_delta) * c2 / (c2 + self.K_delta * self.K_delta);
        let kd2 = self.K_D * self.K_D;
        let j_3k = self.O_3K * (c2 * c2) / (c2 * c2 + kd2 * kd2) * i / (i + self.K_3K);
        let j_5p = self.Omega_5P * i;
        let m_inf = i / (i + self.d_1) * c / (c + self.d_5);
        let q_2 = self.d_2 * (i + self.d_1) / (i + self.d_3);
        let h_inf = q_2 / (q_2 + c);
        let tau_h = 1.0 / (self.O_2 * (q_2 + c));
        let mh = m_inf * h;
        let free = self.C_T - (1.0 + self.rho_A) * c;
        let j_r = self.Omega_C * mh * mh * mh * free;
        let j_l = self.Omega_L * free;
        let j_p = self.O_P * c2 / (c2 + self.K_P * self.K_P);
        [
            self.O_N * y_s * (1.0 - gamma_a)
                - self.Omega_N * (1.0 + self.zeta * c / (c + self.K_KC)) * gamma_a,
            j_beta + j_delta - j_3k - j_5p,
            j_r + j_l - j_p,
            (h_inf - h) / tau_h,
            self.Omega_A * (1.0 - x_a),
            -self.Omega_e * g_a,
        ]
    }
}

/// Initial state of one G-ChI astrocyte.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[allow(non_snake_case)]
pub struct GchiInit {
    pub Gamma_A: f64,
    pub I: f64,
    pub C: f64,
    pub h: f64,
    pub x_A: f64,
    pub G_A: f64,
}

impl Default for GchiInit {
    fn default() -> Self {
        Self {
            Gamma_A: 0.0,
            I: 0.01,
            C: 0.01,
            h: 0.9,
            x_A: 1.0,
            G_A: 0.0,
        }
    }
}

/// A population of G-ChI astrocytes (struct of arrays).
#[derive(Debug, Clone)]
#[allow(non_snake_case)]
pub struct GchiAstrocyte {
    pub params: GchiParams,
    pub Gamma_A: Vec<f64>,
    pub I: Vec<f64>,
    pub C: Vec<f64>,
    pub h: Vec<f64>,
    pub x_A: Vec<f64>,
    pub G_A: Vec<f64>,
    /// Brian2 `not_refractory` of the release threshold.
    pub not_refractory: Vec<bool>,
    /// Whether each astrocyte crossed the release threshold in the last step (release is applied
    /// by [`GchiAstrocyte::reset`]).
    pub released: Vec<bool>,
}

impl GchiAstrocyte {
    pub fn new(n: usize, params: GchiParams, init: GchiInit) -> Self {
        Self {
            params,
            Gamma_A: vec![init.Gamma_A; n],
            I: vec![init.I; n],
            C: vec![init.C; n],
            h: vec![init.h; n],
            x_A: vec![init.x_A; n],
            G_A: vec![init.G_A; n],
            not_refractory: vec![true; n],
            released: vec![false; n],
        }
    }

    pub fn len(&self) -> usize {
        self.C.len()
    }

    pub fn is_empty(&self) -> bool {
        self.C.is_empty()
    }

    /// Brian2 `groups` slot (state updater) and `thresholds` slot for one step of `dt`:
    /// re-arm (`not_refractory |= !(C > C_Theta)` with the pre-update C), RK4 with the summed
    /// synaptic glutamate `y_s[i]` frozen, then the threshold `C > C_Theta && not_refractory`.
    #[allow(clippy::needless_range_loop)]
    pub fn update_and_threshold(&mut self, dt: f64, y_s: &[f64]) {
        let p = self.params;
        for i in 0..self.len() {
            self.not_refractory[i] = self.not_refractory[i] || self.C[i] <= p.C_Theta;
            let y = [
                self.Gamma_A[i],
                self.I[i],
                self.C[i],
                self.h[i],
                self.x_A[i],
                self.G_A[i],
            ];
            let ys = y_s[i];
            let y = rk4(|z| p.rhs(z, ys), &y, dt);
            [
                self.Gamma_A[i],
                self.I[i],
                self.C[i],
                self.h[i],
                self.x_A[i],
                self.G_A[i],
            ] = y;
            let spike = self.C[i] > p.C_Theta && self.not_refractory[i];
            if spike {
                self.not_refractory[i] = false;
            }
            self.released[i] = spike;
        }
    }

    /// Brian2 `resets` slot: gliotransmitter release of the astrocytes that crossed threshold.
    pub fn reset(&mut self) {
        let p = self.params;
        for i in 0..self.len() {
            if self.released[i] {
                self.G_A[i] += p.rho_e * p.G_T * p.U_A * self.x_A[i];
                self.x_A[i] -= p.U_A * self.x_A[i];
            }
        }
    }
}

/// COBA LIF neuron of Brian2 example 6 (Euler there; integrated here by RK4, as the fixture).
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[allow(non_snake_case)]
pub struct LifCondParams {
    pub E_l: f64,
    pub g_l: f64,
    pub E_e: f64,
    pub E_i: f64,
    pub C_m: f64,
    pub tau_e: f64,
    pub tau_i: f64,
    pub tau_r: f64,
    pub I_ex: f64,
    pub V_th: f64,
    pub V_r: f64,
}

impl Default for LifCondParams {
    /// Values of the Brian2 reference fixture (`brian2_gchi_trace_meta.json`, I_ex = 80 pA).
    fn default() -> Self {
        Self {
            E_l: -60.0,
            g_l: 9.99,
            E_e: 0.0,
            E_i: -80.0,
            C_m: 198.0,
            tau_e: 5.0,
            tau_i: 10.0,
            tau_r: 5.0,
            I_ex: 80.0,
            V_th: -50.0,
            V_r: -60.0,
        }
    }
}

/// Population of COBA LIF neurons (struct of arrays).
#[derive(Debug, Clone)]
pub struct LifCond {
    pub params: LifCondParams,
    pub v: Vec<f64>,
    pub g_e: Vec<f64>,
    pub g_i: Vec<f64>,
    /// Time of the last spike (ms), for the refractory period.
    pub last_spike: Vec<f64>,
    pub spiked: Vec<bool>,
}

impl LifCond {
    pub fn new(n: usize, params: LifCondParams) -> Self {
        Self {
            params,
            v: vec![params.E_l; n],
            g_e: vec![0.0; n],
            g_i: vec![0.0; n],
            last_spike: vec![f64::NEG_INFINITY; n],
            spiked: vec![false; n],
        }
    }

    /// State update (RK4, v frozen while refractory) and threshold/reset at time `t` (start of
    /// the step, Brian2 convention). Synaptic jumps are added by the caller afterwards
    /// (`synapses` slot).
    pub fn update_and_threshold(&mut self, dt: f64, t: f64) {
        let p = self.params;
        for i in 0..self.v.len() {
            let not_ref = if t - self.last_spike[i] >= p.tau_r {
                1.0
            } else {
                0.0
            };
            let f = |y: &[f64; 3]| {
                let [v, ge, gi] = *y;
                let dv =
                    (p.g_l * (p.E_l - v) + ge * (p.E_e - v) + gi * (p.E_i - v) + p.I_ex) / p.C_m;
                [dv * not_ref, -ge / p.tau_e, -gi / p.tau_i]
            };
            let y = rk4(f, &[self.v[i], self.g_e[i], self.g_i[i]], dt);
            [self.v[i], self.g_e[i], self.g_i[i]] = y;
            let spike = self.v[i] > p.V_th && not_ref > 0.0;
            self.spiked[i] = spike;
            if spike {
                self.last_spike[i] = t;
                self.v[i] = p.V_r;
            }
        }
    }
}

#[inline]
pub(crate) fn rk4<const N: usize>(
    f: impl Fn(&[f64; N]) -> [f64; N],
    y: &[f64; N],
    dt: f64,
) -> [f64; N] {
    let add = |a: &[f64; N], k: &[f64; N], s: f64| {
        let mut o = [0.0; N];
        for j in 0..N {
            o[j] = a[j] + s * k[j];
        }
        o
    };
    let k1 = f(y);
    let k2 = f(&add(y, &k1, dt / 2.0));
    let k3 = f(&add(y, &k2, dt / 2.0));
    let k4 = f(&add(y, &k3, dt));
    let mut o = [0.0; N];
    for j in 0..N {
        o[j] = y[j] + dt / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j]);
    }
    o
}
