//! Astrocyte-Modulated Spiking Unit (AM-SU), **engram's formulation**.
//!
//! The AM-SU was introduced in G. Shen, D. Zhao, Y. Dong, Y. Li, J. Li, K. Sun, Y. Zeng,
//! "Astrocyte-Enabled Advancements in Spiking Neural Networks for Large Language Modeling",
//! arXiv:2312.07625 (2023). **The paper's equations were not available to us**; what follows is
//! engram's own placeholder formulation (spec `astrocytes.md` §4.6), assembled from the
//! validated NEST/Brian2 mechanisms, and not a reproduction of the paper:
//!
//! ```text
//! neuron:    u_i[t] = β u_i[t-1] (1 - s_i[t-1]) + x_i[t] + κ_I · a_g(i)[t-1]
//!            s_i[t] = H(u_i[t] - θ_i[t]),  θ_i[t] = θ0 (1 - κ_θ · a_g(i)[t-1])     (H(0) = 1)
//! astrocyte: a_g[t] = λ a_g[t-1] + (1 - λ) mean_{i∈g} s_i[t],  λ = exp(-Δt/τ_a)
//! synapses:  x_i[t] = Σ_j W_ij (1 + κ_W · a_g(i)[t-1]) s_j[t]                      (optional)
//! ```
//!
//! The three parts are separate traits ([`AmsuNeuron`], [`AmsuAstrocyte`]) and a struct
//! ([`AmsuModulation`]) so another formulation can be dropped in. Every gain may be 0; with all
//! gains 0 the unit is exactly a plain discrete LIF.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use sim_core::describe::{ModelDescription, ModelKind, Quantity};
use sim_core::model::{ModelError, NeuronKernel, PopulationModel, StepContext};
use sim_core::state::{StateTable, StateVar};
use sim_core::TimeGrid;

use crate::dist::Value;
use crate::neurons::initial_values;
use crate::params::{finite, positive, ParamError};

/// Neuron part: one discrete step given the modulated input current and threshold factor.
pub trait AmsuNeuron {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// `input[i]` already includes the astrocytic current; `theta_factor[i]` multiplies θ0.
    fn step(&mut self, input: &[f64], theta_factor: &[f64]);
    fn spikes(&self) -> &[bool];
}

/// Astrocyte part: one step from the units' spikes, grouped by `group_of[i]`.
pub trait AmsuAstrocyte {
    fn n_groups(&self) -> usize;
    fn step(&mut self, spikes: &[bool], group_of: &[usize]);
    fn activity(&self) -> &[f64];
}

/// Discrete LIF with soft-free hard reset: `u = β u (1-s) + I`, `s = H(u - θ0·factor)`.
#[derive(Debug, Clone)]
pub struct DiscreteLif {
    pub beta: f64,
    pub theta0: f64,
    pub u: Vec<f64>,
    pub s: Vec<bool>,
}

impl DiscreteLif {
    pub fn new(n: usize, beta: f64, theta0: f64) -> Self {
        Self {
            beta,
            theta0,
            u: vec![0.0; n],
            s: vec![false; n],
        }
    }
}

impl AmsuNeuron for DiscreteLif {
    fn len(&self) -> usize {
        self.u.len()
    }
    fn step(&mut self, input: &[f64], theta_factor: &[f64]) {
        for i in 0..self.u.len() {
            let keep = if self.s[i] { 0.0 } else { 1.0 };
            self.u[i] = self.beta * self.u[i] * keep + input[i];
            self.s[i] = self.u[i] >= self.theta0 * theta_factor[i];
        }
    }
    fn spikes(&self) -> &[bool] {
        &self.s
    }
}

/// Leaky trace of each group's mean spike rate: `a = λ a + (1-λ) mean(s)`.
#[derive(Debug, Clone)]
pub struct TraceAstrocyte {
    pub lambda: f64,
    pub a: Vec<f64>,
    sums: Vec<f64>,
    counts: Vec<usize>,
}

impl TraceAstrocyte {
    /// `lambda = exp(-dt/tau_a)`.
    pub fn new(n_groups: usize, dt: f64, tau_a: f64) -> Self {
        Self {
            lambda: (-dt / tau_a).exp(),
            a: vec![0.0; n_groups],
            sums: vec![0.0; n_groups],
            counts: vec![0; n_groups],
        }
    }
}

impl TraceAstrocyte {
    /// One step from each group's mean spike indicator (the engine delivers it as the sum of
    /// weight `1/|g|` spikes): `a = λ a + (1-λ) mean`.
    pub fn step_mean(&mut self, mean: &[f64]) {
        for (a, &m) in self.a.iter_mut().zip(mean) {
            *a = self.lambda * *a + (1.0 - self.lambda) * m;
        }
    }
}

impl AmsuAstrocyte for TraceAstrocyte {
    fn n_groups(&self) -> usize {
        self.a.len()
    }
    fn step(&mut self, spikes: &[bool], group_of: &[usize]) {
        self.sums.iter_mut().for_each(|x| *x = 0.0);
        self.counts.iter_mut().for_each(|x| *x = 0);
        for (&s, &g) in spikes.iter().zip(group_of) {
            self.sums[g] += if s { 1.0 } else { 0.0 };
            self.counts[g] += 1;
        }
        for (sum, &count) in self.sums.iter_mut().zip(&self.counts) {
            if count > 0 {
                *sum /= count as f64;
            }
        }
        let means = std::mem::take(&mut self.sums);
        self.step_mean(&means);
        self.sums = means;
    }
    fn activity(&self) -> &[f64] {
        &self.a
    }
}

/// Modulation gains; each may be 0.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AmsuModulation {
    /// Astrocytic current gain κ_I (SIC analogue).
    pub kappa_i: f64,
    /// Threshold gain κ_θ.
    pub kappa_theta: f64,
    /// Synaptic-efficacy gain κ_W (gliotransmitter → release probability analogue).
    pub kappa_w: f64,
}

impl AmsuModulation {
    pub fn current(&self, a: f64) -> f64 {
        self.kappa_i * a
    }
    pub fn theta_factor(&self, a: f64) -> f64 {
        1.0 - self.kappa_theta * a
    }
    pub fn weight_factor(&self, a: f64) -> f64 {
        1.0 + self.kappa_w * a
    }
}

/// A layer of AM-SUs: neurons, astrocytes over groups, and the modulation between them.
#[derive(Debug, Clone)]
pub struct Amsu<N: AmsuNeuron, A: AmsuAstrocyte> {
    pub neuron: N,
    pub astro: A,
    pub modulation: AmsuModulation,
    /// Group (astrocyte) of each unit, e.g. a tripartite pool assignment.
    pub group_of: Vec<usize>,
    input: Vec<f64>,
    theta: Vec<f64>,
}

impl<N: AmsuNeuron, A: AmsuAstrocyte> Amsu<N, A> {
    pub fn new(neuron: N, astro: A, modulation: AmsuModulation, group_of: Vec<usize>) -> Self {
        assert_eq!(group_of.len(), neuron.len());
        assert!(group_of.iter().all(|&g| g < astro.n_groups()));
        let n = neuron.len();
        Self {
            neuron,
            astro,
            modulation,
            group_of,
            input: vec![0.0; n],
            theta: vec![1.0; n],
        }
    }

    /// Synaptic efficacy factor `1 + κ_W a_g(i)[t-1]` for postsynaptic unit `i`; call before
    /// [`Self::step`] to scale this step's input `x_i[t] = Σ_j W_ij factor_i s_j[t]`.
    pub fn weight_factor(&self, i: usize) -> f64 {
        self.modulation
            .weight_factor(self.astro.activity()[self.group_of[i]])
    }

    /// One step with external input `x[i]`; uses `a[t-1]` for all modulation, then updates
    /// the astrocytes with the new spikes. Returns the spikes.
    pub fn step(&mut self, x: &[f64]) -> &[bool] {
        let a = self.astro.activity();
        for i in 0..x.len() {
            let ag = a[self.group_of[i]];
            self.input[i] = x[i] + self.modulation.current(ag);
            self.theta[i] = self.modulation.theta_factor(ag);
        }
        self.neuron.step(&self.input, &self.theta);
        self.astro.step(self.neuron.spikes(), &self.group_of);
        self.neuron.spikes()
    }
}

// ---------------------------------------------------------------------------------------------
// The AM-SU on the engine: units and astrocytes are two populations, coupled both ways through
// the engine (units -> astrocyte: spikes of weight 1/|g|, astrocyte -> units: the graded output
// `activity`). Every engine coupling has a delay of at least one step, so the astrocyte sees the
// units' spikes one step later than in [`Amsu`]: a_g[t] = λ a_g[t-1] + (1-λ) mean s[t-1], and
// the units use a_g[t-1] (activity delay 1 step) exactly as in [`Amsu`].

/// Parameters of `amsu_neuron` (dimensionless potentials in units of input weight).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[allow(non_snake_case)]
pub struct AmsuNeuronParams {
    /// Membrane time constant (ms): β = exp(-dt/tau_m).
    pub tau_m: f64,
    /// Resting threshold θ0.
    pub theta0: f64,
    /// Astrocytic current gain κ_I.
    pub kappa_I: f64,
    /// Threshold gain κ_θ (θ = θ0 (1 - κ_θ a)).
    pub kappa_theta: f64,
    /// Synaptic-efficacy gain κ_W (input × (1 + κ_W a)).
    pub kappa_W: f64,
}

impl Default for AmsuNeuronParams {
    fn default() -> Self {
        Self {
            tau_m: 10.0,
            theta0: 1.0,
            kappa_I: 0.0,
            kappa_theta: 0.0,
            kappa_W: 0.0,
        }
    }
}

/// `amsu_neuron`: the AM-SU's discrete LIF unit on the engine. Spike input (receptors
/// `excitatory`, `inhibitory`, summed weights) is scaled by `1 + κ_W a`; graded input
/// `activity` is the unit's astrocyte activity `a_g[t-1]`.
#[derive(Debug, Clone)]
pub struct AmsuNeuronModel {
    params: AmsuNeuronParams,
    u_init: Value,
}

impl AmsuNeuronModel {
    pub fn new(params: AmsuNeuronParams, u_init: Option<Value>) -> Result<Self, ParamError> {
        positive("tau_m", params.tau_m, "ms")?;
        positive("theta0", params.theta0, "threshold units")?;
        finite(
            "kappa_I",
            params.kappa_I,
            "threshold units per unit activity",
        )?;
        finite("kappa_theta", params.kappa_theta, "per unit activity")?;
        finite("kappa_W", params.kappa_W, "per unit activity")?;
        let u_init = u_init.unwrap_or(Value::Constant(0.0));
        u_init.validate("u")?;
        Ok(Self { params, u_init })
    }
}

impl AmsuNeuronParams {
    /// The parameters, with units ("" for the dimensionless ones).
    pub fn quantities(&self) -> Vec<Quantity> {
        let q = |name, unit, value| Quantity { name, unit, value };
        vec![
            q("tau_m", "ms", self.tau_m),
            q("theta0", "", self.theta0),
            q("kappa_I", "", self.kappa_I),
            q("kappa_theta", "", self.kappa_theta),
            q("kappa_W", "", self.kappa_W),
        ]
    }
}

/// The cell type's name, as model files write it.
pub const NEURON_NAME: &str = "amsu_neuron";

impl PopulationModel for AmsuNeuronModel {
    fn describe(&self) -> ModelDescription {
        ModelDescription {
            parameters: self.params.quantities(),
            state: NEURON_STATE.recordable(),
            receptors: vec!["excitatory", "inhibitory"],
            ..ModelDescription::neuron(NEURON_NAME)
        }
    }
    fn graded_inputs(&self) -> &[&'static str] {
        &["activity"]
    }
    fn instantiate(
        &self,
        pop: usize,
        range: Range<u32>,
        grid: &TimeGrid,
        seed: u64,
    ) -> Box<dyn NeuronKernel> {
        let n = range.len();
        let p = self.params;
        let mut lif = DiscreteLif::new(n, (-grid.dt_ms() / p.tau_m).exp(), p.theta0);
        lif.u = initial_values(&self.u_init, seed, pop, 0, &range);
        Box::new(AmsuNeuronKernel {
            lif,
            modulation: AmsuModulation {
                kappa_i: p.kappa_I,
                kappa_theta: p.kappa_theta,
                kappa_w: p.kappa_W,
            },
            activity: vec![0.0; n],
            input: vec![0.0; n],
            theta: vec![1.0; n],
        })
    }
}

struct AmsuNeuronKernel {
    lif: DiscreteLif,
    modulation: AmsuModulation,
    /// a_g(i)[t-1], fed every step.
    activity: Vec<f64>,
    input: Vec<f64>,
    theta: Vec<f64>,
}

impl NeuronKernel for AmsuNeuronKernel {
    fn update(
        &mut self,
        _ctx: &StepContext,
        input: &mut [f64],
        spikes: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        let n = self.activity.len();
        let (exc, inh) = input.split_at_mut(n);
        let m = self.modulation;
        for i in 0..n {
            let a = self.activity[i];
            let x =
                (std::mem::take(&mut exc[i]) - std::mem::take(&mut inh[i])) * m.weight_factor(a);
            self.input[i] = x + m.current(a);
            self.theta[i] = m.theta_factor(a);
        }
        self.lif.step(&self.input, &self.theta);
        for (i, &s) in self.lif.s.iter().enumerate() {
            if !self.lif.u[i].is_finite() {
                return Err(crate::neurons::non_finite(i, "u", self.lif.u[i]));
            }
            if s {
                spikes.push(i as u32);
            }
        }
        Ok(())
    }
    fn graded_input(&mut self, _port: usize, values: &[f64]) {
        self.activity.copy_from_slice(values);
    }
    sim_core::state_io!(NEURON_STATE, |k: &Self| k.activity.len());
}

const NEURON_STATE: StateTable<AmsuNeuronKernel> = StateTable(&[
    sim_core::recorded!("u", "", lif.u),
    StateVar::Recorded {
        name: "theta",
        unit: "",
        value: |k, i| k.lif.theta0 * k.theta[i],
    },
    sim_core::recorded!("activity", "", activity),
    sim_core::f64_field!("u", lif.u),
    StateVar::U64 {
        name: "s",
        save: |k| k.lif.s.iter().map(|&b| b as u64).collect(),
        load: |k, s| {
            k.lif.s = s.iter().map(|&b| b != 0).collect();
            Ok(())
        },
    },
    sim_core::f64_field!("activity", activity),
    sim_core::f64_field!("theta", theta),
]);

/// Parameters of `amsu_astrocyte`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AmsuAstrocyteParams {
    /// Time constant of the activity trace (ms): λ = exp(-dt/tau_a).
    pub tau_a: f64,
}

impl Default for AmsuAstrocyteParams {
    fn default() -> Self {
        Self { tau_a: 1000.0 }
    }
}

/// `amsu_astrocyte`: one astrocyte per group; its spike input (receptor `excitatory`, weight
/// `1/|g|` from each unit of its group) is the group's mean spike indicator, and its graded
/// output `activity` is the trace a_g.
#[derive(Debug, Clone)]
pub struct AmsuAstrocyteModel {
    params: AmsuAstrocyteParams,
    a_init: Value,
}

impl AmsuAstrocyteModel {
    pub fn new(params: AmsuAstrocyteParams, a_init: Option<Value>) -> Result<Self, ParamError> {
        positive("tau_a", params.tau_a, "ms")?;
        let a_init = a_init.unwrap_or(Value::Constant(0.0));
        a_init.validate("activity")?;
        Ok(Self { params, a_init })
    }
}

/// The cell type's name, as model files write it.
pub const ASTROCYTE_NAME: &str = "amsu_astrocyte";

impl PopulationModel for AmsuAstrocyteModel {
    fn describe(&self) -> ModelDescription {
        ModelDescription {
            kind: ModelKind::Graded { unit: "" },
            parameters: vec![Quantity {
                name: "tau_a",
                unit: "ms",
                value: self.params.tau_a,
            }],
            state: ASTROCYTE_STATE.recordable(),
            receptors: vec!["excitatory"],
            ..ModelDescription::neuron(ASTROCYTE_NAME)
        }
    }
    fn graded_outputs(&self) -> &[&'static str] {
        &["activity"]
    }
    fn instantiate(
        &self,
        pop: usize,
        range: Range<u32>,
        grid: &TimeGrid,
        seed: u64,
    ) -> Box<dyn NeuronKernel> {
        let mut trace = TraceAstrocyte::new(range.len(), grid.dt_ms(), self.params.tau_a);
        trace.a = initial_values(&self.a_init, seed, pop, 0, &range);
        Box::new(AmsuAstrocyteKernel { trace })
    }
}

struct AmsuAstrocyteKernel {
    trace: TraceAstrocyte,
}

impl NeuronKernel for AmsuAstrocyteKernel {
    fn update(
        &mut self,
        _ctx: &StepContext,
        input: &mut [f64],
        _spikes: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        self.trace.step_mean(input);
        input.fill(0.0);
        Ok(())
    }
    fn graded_output(&self, _port: usize, out: &mut [f64]) {
        out.copy_from_slice(&self.trace.a);
    }
    sim_core::state_io!(ASTROCYTE_STATE, |k: &Self| k.trace.a.len());
}

const ASTROCYTE_STATE: StateTable<AmsuAstrocyteKernel> = StateTable(&[
    sim_core::recorded!("activity", "", trace.a),
    sim_core::f64_field!("activity", trace.a),
]);

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(t: usize, n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| 0.4 + 0.3 * (((t * 7 + i * 13) % 11) as f64 / 11.0))
            .collect()
    }

    #[test]
    fn zero_gains_is_plain_lif() {
        let n = 6;
        let mut amsu = Amsu::new(
            DiscreteLif::new(n, 0.9, 1.0),
            TraceAstrocyte::new(2, 1.0, 50.0),
            AmsuModulation::default(),
            vec![0, 0, 0, 1, 1, 1],
        );
        let (mut u, mut s) = (vec![0.0; n], vec![false; n]);
        let mut total = 0;
        for t in 0..500 {
            let x = inputs(t, n);
            let out = amsu.step(&x).to_vec();
            for i in 0..n {
                u[i] = 0.9 * u[i] * if s[i] { 0.0 } else { 1.0 } + x[i];
                s[i] = u[i] >= 1.0;
            }
            assert_eq!(out, s, "t = {t}");
            assert_eq!(amsu.neuron.u, u);
            total += s.iter().filter(|&&b| b).count();
        }
        assert!(total > 0);
    }

    #[test]
    fn astrocyte_trace_closed_form_constant_input() {
        // Constant spiking fraction m: a[t] = m (1 - λ^t) + λ^t a[0].
        let mut astro = TraceAstrocyte::new(1, 1.0, 20.0);
        astro.a[0] = 0.3;
        let spikes = [true, false, true, true]; // m = 0.75
        let groups = [0usize; 4];
        let lam = astro.lambda;
        for t in 1..=200 {
            astro.step(&spikes, &groups);
            let exact = 0.75 * (1.0 - lam.powi(t)) + lam.powi(t) * 0.3;
            assert!((astro.a[0] - exact).abs() < 1e-12, "t = {t}");
        }
    }

    #[test]
    fn positive_kappa_i_and_theta_increase_firing() {
        let run = |m: AmsuModulation| {
            let n = 4;
            let mut amsu = Amsu::new(
                DiscreteLif::new(n, 0.9, 1.0),
                TraceAstrocyte::new(1, 1.0, 50.0),
                m,
                vec![0; n],
            );
            (0..1000)
                .map(|t| amsu.step(&inputs(t, n)).iter().filter(|&&b| b).count())
                .sum::<usize>()
        };
        let base = run(AmsuModulation::default());
        let ki = run(AmsuModulation {
            kappa_i: 0.5,
            ..Default::default()
        });
        let kt = run(AmsuModulation {
            kappa_theta: 0.5,
            ..Default::default()
        });
        assert!(ki > base && kt > base, "{base} {ki} {kt}");
        let m = AmsuModulation {
            kappa_w: 2.0,
            ..Default::default()
        };
        assert_eq!(m.weight_factor(0.25), 1.5);
    }
}
