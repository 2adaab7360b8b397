//! The `[microcircuit]` section: the cortical microcircuit of Potjans & Diesmann (2014) as
//! data (population sizes, the connection-probability table, PSPs, delays, drive), expanded
//! into ordinary `[populations]` and `[projections]` by the rules of the reference PyNEST
//! implementation (INM-6 `microcircuit-PD14-model`, `network.py` and `helpers.py`):
//!
//! * synapse numbers `N_syn = ln(1 − p) / ln(1 − 1 / (N_pre·N_post))` of the full-scale sizes,
//!   times `scale · k_scale`, connected by `FixedTotalNumberConnector` with multapses;
//! * neuron numbers `round(N · scale)`; in-degrees scale with `k_scale`, weights with
//!   `1 / sqrt(k_scale)`, and the DC drive gains the mean input the lost synapses carried
//!   (at the full-scale rates `full_mean_rates`);
//! * PSC amplitudes from PSPs through the peak of the PSP of an exponential current;
//! * weights normal with SD `weight_rel_sd · |mean|`, redrawn to keep their sign; delays normal
//!   with SD `delay_rel_sd · mean`, redrawn below `dt / 2` (so at least one step after rounding);
//! * background as DC (`I = ν·K_ext·PSC_ext·τ_syn`) or as independent Poisson trains
//!   (`ν·K_ext` per neuron); optional thalamic input.
//!
//! Everything is written into the TOML tree before the schema reads it, so the expanded
//! network is checked, built and recorded like any other model file.

use serde::Deserialize;
use toml::{Table, Value as Toml};

use super::schema::{de, SchemaError};

const SECTION: &str = "microcircuit";

/// The largest spike probability per step of one background source: a neuron's Poisson drive
/// is split over as many sources as that needs.
const POISSON_P_MAX: f64 = 0.05;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Microcircuit {
    /// Population names, in order (rows and columns of `conn_probs` follow it).
    pub populations: Vec<String>,
    /// Full-scale population sizes.
    pub full_num_neurons: Vec<f64>,
    /// Factor on the neuron numbers (the reference's `N_scaling`).
    #[serde(default = "one")]
    pub scale: f64,
    /// Factor on the in-degrees (the reference's `K_scaling`).
    #[serde(default = "one")]
    pub k_scale: f64,
    /// Connection probabilities, rows are targets, columns sources.
    pub conn_probs: Vec<Vec<f64>>,
    /// Mean excitatory PSP (mV).
    pub psp_exc: f64,
    /// Factors on single entries of the PSP table: `[[post, pre, factor]]`, e.g. L4E -> L23E
    /// doubled.
    #[serde(default)]
    pub psp_factors: Vec<(String, String, f64)>,
    /// Relative inhibitory weight.
    pub g: f64,
    pub weight_rel_sd: f64,
    /// Mean delays (ms) of excitatory and inhibitory sources, and their relative SD.
    pub delay_exc: f64,
    pub delay_inh: f64,
    pub delay_rel_sd: f64,
    /// Whether each population is excitatory (its outgoing PSPs are `psp_exc`, else
    /// `g · psp_exc`).
    pub excitatory: Vec<bool>,
    /// Full-scale mean rates (Hz): the DC compensation when `k_scale` != 1.
    pub full_mean_rates: Vec<f64>,
    /// `"dc"` or `"poisson"`.
    pub background: Background,
    pub k_ext: Vec<f64>,
    /// Rate of each external input (Hz).
    pub bg_rate: f64,
    /// Delay of the Poisson background (ms).
    pub delay_poisson: f64,
    /// Initial membrane potentials: normal, per population (mV).
    pub v0_mean: Vec<f64>,
    pub v0_sd: Vec<f64>,
    pub neuron: NeuronParams,
    /// What every population records (as a population's `record`).
    #[serde(default = "spikes")]
    pub record: Vec<String>,
    /// Model-file options of the cell type (as a population's `integration`, `precision`).
    #[serde(default = "nest")]
    pub integration: String,
    #[serde(default)]
    pub thalamus: Option<Thalamus>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Background {
    Dc,
    Poisson,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeuronParams {
    /// pF, ms, ms, ms, mV, mV, mV.
    pub c_m: f64,
    pub tau_m: f64,
    pub tau_syn: f64,
    pub tau_refrac: f64,
    pub e_l: f64,
    pub v_reset: f64,
    pub v_th: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thalamus {
    #[serde(default)]
    pub enabled: bool,
    /// Thalamic neurons (not scaled, as in the reference).
    pub size: u32,
    pub rate: f64,
    /// Start and duration of the input (ms).
    pub start: f64,
    pub duration: f64,
    /// Connection probability to each population.
    pub conn_probs: Vec<f64>,
    pub psp: f64,
    pub delay: f64,
    pub delay_rel_sd: f64,
}

fn one() -> f64 {
    1.0
}
fn spikes() -> Vec<String> {
    vec!["spikes".into()]
}
fn nest() -> String {
    "nest".into()
}

/// PSC amplitude per PSP peak (pA/mV) of an exponential current into a LIF membrane
/// (`helpers.postsynaptic_potential_to_current`).
pub fn psc_over_psp(c_m: f64, tau_m: f64, tau_syn: f64) -> f64 {
    let sub = 1.0 / (tau_syn - tau_m);
    let pre = tau_m * tau_syn / c_m * sub;
    let frac = (tau_m / tau_syn).powf(sub);
    1.0 / (pre * (frac.powf(tau_m) - frac.powf(tau_syn)))
}

/// Expected synapse count for connection probability `p` between `a` and `b` neurons when
/// synapses are placed independently with multapses (`helpers.num_synapses_from_conn_probs`).
pub fn synapses_from_probability(p: f64, a: f64, b: f64) -> f64 {
    let pairs = a * b;
    (1.0 - p).ln() / ((pairs - 1.0) / pairs).ln()
}

/// The network the section describes, in the reference's derived quantities.
#[derive(Debug, Clone)]
pub struct Derived {
    pub num_neurons: Vec<u32>,
    /// `[post][pre]` synapse numbers (scaled, rounded).
    pub num_synapses: Vec<Vec<u64>>,
    /// `[post][pre]` mean PSC (pA), after scaling.
    pub weight_mean: Vec<Vec<f64>>,
    /// `[post][pre]` mean delay (ms).
    pub delay_mean: Vec<Vec<f64>>,
    /// DC drive per population (pA).
    pub dc: Vec<f64>,
    /// External weight (pA) and Poisson rate per neuron (Hz) of the Poisson background.
    pub weight_ext: f64,
    pub poisson_rate: Vec<f64>,
    /// Thalamic synapse numbers and weight (pA), when enabled.
    pub thalamic: Option<(Vec<u64>, f64)>,
}

impl Microcircuit {
    fn check(&self) -> Result<(), SchemaError> {
        let n = self.populations.len();
        let bad = |key: &str, msg: String| Err((format!("{SECTION}.{key}"), msg));
        if n == 0 {
            return bad("populations", ": needs at least one population".into());
        }
        for (key, len) in [
            ("full_num_neurons", self.full_num_neurons.len()),
            ("excitatory", self.excitatory.len()),
            ("full_mean_rates", self.full_mean_rates.len()),
            ("k_ext", self.k_ext.len()),
            ("v0_mean", self.v0_mean.len()),
            ("v0_sd", self.v0_sd.len()),
            ("conn_probs", self.conn_probs.len()),
        ] {
            if len != n {
                return bad(
                    key,
                    format!(": has {len} entries; needs one per population ({n})"),
                );
            }
        }
        for (i, row) in self.conn_probs.iter().enumerate() {
            if row.len() != n {
                return bad(
                    &format!("conn_probs[{i}]"),
                    format!(
                        ": has {} entries; needs one per population ({n})",
                        row.len()
                    ),
                );
            }
            if let Some(p) = row.iter().find(|p| !(0.0..1.0).contains(*p)) {
                return bad(
                    &format!("conn_probs[{i}]"),
                    format!(": {p}: must be in [0, 1)"),
                );
            }
        }
        for (key, v) in [("scale", self.scale), ("k_scale", self.k_scale)] {
            if !(v > 0.0 && v <= 1.0) {
                return bad(key, format!(" = {v}: must be in (0, 1]"));
            }
        }
        if let Some(x) = self
            .full_num_neurons
            .iter()
            .find(|x| x.is_nan() || **x < 1.0)
        {
            return bad("full_num_neurons", format!(": {x}: sizes must be >= 1"));
        }
        for (key, v) in [
            ("delay_exc", self.delay_exc),
            ("delay_inh", self.delay_inh),
            ("delay_poisson", self.delay_poisson),
            ("neuron.tau_m", self.neuron.tau_m),
            ("neuron.tau_syn", self.neuron.tau_syn),
            ("neuron.c_m", self.neuron.c_m),
        ] {
            if !(v > 0.0 && v.is_finite()) {
                return bad(key, format!(" = {v}: must be > 0"));
            }
        }
        if self.neuron.tau_m == self.neuron.tau_syn {
            return bad("neuron.tau_syn", ": must differ from tau_m".into());
        }
        for (post, pre, _) in &self.psp_factors {
            for name in [post, pre] {
                if !self.populations.contains(name) {
                    return bad(
                        "psp_factors",
                        format!(": '{name}' is not one of {}", self.populations.join(", ")),
                    );
                }
            }
        }
        if let Some(th) = self.thalamus.as_ref().filter(|t| t.enabled) {
            if th.conn_probs.len() != n {
                return bad(
                    "thalamus.conn_probs",
                    format!(
                        ": has {} entries; needs one per population ({n})",
                        th.conn_probs.len()
                    ),
                );
            }
        }
        Ok(())
    }

    fn index(&self, name: &str) -> usize {
        self.populations
            .iter()
            .position(|p| p == name)
            .expect("checked")
    }

    /// The reference's derived quantities (`Network.__derive_parameters`); counts are rounded
    /// half to even, as numpy's `round`.
    pub fn derive(&self) -> Derived {
        let n = self.populations.len();
        let full = &self.full_num_neurons;
        let factor = psc_over_psp(self.neuron.c_m, self.neuron.tau_m, self.neuron.tau_syn);
        let full_syn: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| synapses_from_probability(self.conn_probs[i][j], full[i], full[j]))
                    .collect()
            })
            .collect();
        let mut psc: Vec<Vec<f64>> = (0..n)
            .map(|_| {
                (0..n)
                    .map(|j| {
                        let psp = if self.excitatory[j] {
                            self.psp_exc
                        } else {
                            self.psp_exc * self.g
                        };
                        psp * factor
                    })
                    .collect()
            })
            .collect();
        for (post, pre, f) in &self.psp_factors {
            psc[self.index(post)][self.index(pre)] *= f;
        }
        let psc_ext = self.psp_exc * factor;
        let tau = self.neuron.tau_syn;
        let mut dc: Vec<f64> = (0..n)
            .map(|i| match self.background {
                Background::Dc => self.bg_rate * self.k_ext[i] * psc_ext * tau * 0.001,
                Background::Poisson => 0.0,
            })
            .collect();
        let sqrt_k = self.k_scale.sqrt();
        let weight_mean: Vec<Vec<f64>> = psc
            .iter()
            .map(|row| row.iter().map(|w| w / sqrt_k).collect())
            .collect();
        if self.k_scale != 1.0 {
            for (i, dc) in dc.iter_mut().enumerate() {
                let input_rec: f64 = (0..n)
                    .map(|j| psc[i][j] * full_syn[i][j] / full[i] * self.full_mean_rates[j])
                    .sum();
                *dc += 0.001 * tau * (1.0 - sqrt_k) * input_rec;
                if self.background == Background::Poisson {
                    *dc += 0.001 * tau * (1.0 - sqrt_k) * psc_ext * self.k_ext[i] * self.bg_rate;
                }
            }
        }
        let delay_mean = (0..n)
            .map(|_| {
                (0..n)
                    .map(|j| {
                        if self.excitatory[j] {
                            self.delay_exc
                        } else {
                            self.delay_inh
                        }
                    })
                    .collect()
            })
            .collect();
        let thalamic = self.thalamus.as_ref().filter(|t| t.enabled).map(|th| {
            let counts = (0..n)
                .map(|i| {
                    let s = synapses_from_probability(th.conn_probs[i], th.size as f64, full[i]);
                    (s * self.k_scale).round_ties_even() as u64
                })
                .collect();
            (counts, th.psp * factor / sqrt_k)
        });
        Derived {
            num_neurons: full
                .iter()
                .map(|x| (x * self.scale).round_ties_even() as u32)
                .collect(),
            num_synapses: full_syn
                .iter()
                .map(|row| {
                    row.iter()
                        .map(|s| (s * self.scale * self.k_scale).round_ties_even() as u64)
                        .collect()
                })
                .collect(),
            weight_mean,
            delay_mean,
            dc,
            weight_ext: psc_ext / sqrt_k,
            poisson_rate: self
                .k_ext
                .iter()
                .map(|k| self.bg_rate * (k * self.k_scale).round_ties_even())
                .collect(),
            thalamic,
        }
    }
}

fn table(entries: Vec<(&str, Toml)>) -> Toml {
    Toml::Table(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

/// A normal distribution redrawn outside [low, high] (PyNN's `normal_clipped`, NEST's
/// `redraw`).
fn normal_redrawn(mu: f64, sigma: f64, low: f64, high: f64) -> Toml {
    table(vec![
        ("distribution", Toml::String("normal_clipped".into())),
        ("mu", Toml::Float(mu)),
        ("sigma", Toml::Float(sigma)),
        ("low", Toml::Float(low)),
        ("high", Toml::Float(high)),
    ])
}

/// A weight (pA, written in nA) normal with SD `rel_sd · |mean|`, redrawn to keep its sign.
fn signed_weight(mean_pa: f64, rel_sd: f64) -> Toml {
    let (mu, sigma) = (mean_pa / 1000.0, (mean_pa * rel_sd).abs() / 1000.0);
    if mean_pa < 0.0 {
        normal_redrawn(mu, sigma, f64::NEG_INFINITY, 0.0)
    } else {
        normal_redrawn(mu, sigma, 0.0, f64::INFINITY)
    }
}

/// A delay normal with SD `rel_sd · mean`, redrawn below half a step (NEST's
/// `min = resolution − 0.5 · resolution`), so it rounds to at least one step.
fn delay(mean: f64, rel_sd: f64, dt: f64) -> Toml {
    if rel_sd == 0.0 {
        return Toml::Float(mean);
    }
    normal_redrawn(mean, mean * rel_sd, 0.5 * dt, f64::INFINITY)
}

fn projection(pre: &str, post: &str, n: u64, receptor: &str, weight: Toml, delay: Toml) -> Toml {
    table(vec![
        ("pre", Toml::String(pre.into())),
        ("post", Toml::String(post.into())),
        (
            "connector",
            table(vec![
                ("type", Toml::String("FixedTotalNumberConnector".into())),
                ("n", Toml::Integer(n as i64)),
            ]),
        ),
        ("receptor_type", Toml::String(receptor.into())),
        ("weight", weight),
        ("delay", delay),
    ])
}

/// Replaces a `[microcircuit]` section of `t` by the populations and projections it describes.
/// `t` must not define populations or projections of the same names.
pub fn expand(t: &mut Table) -> Result<(), SchemaError> {
    let Some(section) = t.remove(SECTION) else {
        return Ok(());
    };
    let mc: Microcircuit = de(SECTION, section)?;
    mc.check()?;
    let dt = match t.get("dt") {
        Some(Toml::Float(x)) => *x,
        Some(Toml::Integer(i)) => *i as f64,
        _ => 0.1,
    };
    let d = mc.derive();
    let mut pops = Table::new();
    let mut projs = Table::new();
    let p = &mc.neuron;
    for (i, name) in mc.populations.iter().enumerate() {
        let params = table(vec![
            ("cm", Toml::Float(p.c_m / 1000.0)),
            ("tau_m", Toml::Float(p.tau_m)),
            ("tau_syn_E", Toml::Float(p.tau_syn)),
            ("tau_syn_I", Toml::Float(p.tau_syn)),
            ("tau_refrac", Toml::Float(p.tau_refrac)),
            ("v_rest", Toml::Float(p.e_l)),
            ("v_reset", Toml::Float(p.v_reset)),
            ("v_thresh", Toml::Float(p.v_th)),
            ("i_offset", Toml::Float(d.dc[i] / 1000.0)),
        ]);
        let v0 = table(vec![
            ("distribution", Toml::String("normal".into())),
            ("mu", Toml::Float(mc.v0_mean[i])),
            ("sigma", Toml::Float(mc.v0_sd[i])),
        ]);
        pops.insert(
            name.clone(),
            table(vec![
                ("cell_type", Toml::String("IF_curr_exp".into())),
                ("size", Toml::Integer(d.num_neurons[i] as i64)),
                ("integration", Toml::String(mc.integration.clone())),
                ("params", params),
                ("initial_values", table(vec![("v", v0)])),
                (
                    "record",
                    Toml::Array(mc.record.iter().cloned().map(Toml::String).collect()),
                ),
            ]),
        );
        for (j, pre) in mc.populations.iter().enumerate() {
            let n = d.num_synapses[i][j];
            if n == 0 {
                continue;
            }
            let receptor = if mc.excitatory[j] {
                "excitatory"
            } else {
                "inhibitory"
            };
            projs.insert(
                format!("{pre}_to_{name}"),
                projection(
                    pre,
                    name,
                    n,
                    receptor,
                    signed_weight(d.weight_mean[i][j], mc.weight_rel_sd),
                    delay(d.delay_mean[i][j], mc.delay_rel_sd, dt),
                ),
            );
        }
        if mc.background == Background::Poisson {
            // Each neuron its own train of rate ν·K_ext (NEST's poisson_generator sends
            // independent trains), split over `m` sources of at most one spike per step, so
            // that a step's count is near Poisson (variance 1 − p of it, p <= POISSON_P_MAX).
            let rate = d.poisson_rate[i];
            let m = ((rate * dt / 1000.0) / POISSON_P_MAX).ceil().max(1.0) as u32;
            let bg = format!("{name}_bg");
            pops.insert(
                bg.clone(),
                table(vec![
                    ("cell_type", Toml::String("SpikeSourcePoisson".into())),
                    ("size", Toml::Integer(d.num_neurons[i] as i64 * m as i64)),
                    (
                        "params",
                        table(vec![("rate", Toml::Float(rate / m as f64))]),
                    ),
                ]),
            );
            projs.insert(
                format!("{bg}_to_{name}"),
                table(vec![
                    ("pre", Toml::String(bg)),
                    ("post", Toml::String(name.clone())),
                    (
                        "connector",
                        table(vec![
                            ("type", Toml::String("BlockConnector".into())),
                            ("blocks", Toml::Integer(d.num_neurons[i] as i64)),
                        ]),
                    ),
                    ("receptor_type", Toml::String("excitatory".into())),
                    ("weight", Toml::Float(d.weight_ext / 1000.0)),
                    ("delay", Toml::Float(mc.delay_poisson)),
                ]),
            );
        }
    }
    if let (Some(th), Some((counts, weight))) = (&mc.thalamus, &d.thalamic) {
        pops.insert(
            "TC".into(),
            table(vec![
                ("cell_type", Toml::String("SpikeSourcePoisson".into())),
                ("size", Toml::Integer(th.size as i64)),
                (
                    "params",
                    table(vec![
                        ("rate", Toml::Float(th.rate)),
                        ("start", Toml::Float(th.start)),
                        ("duration", Toml::Float(th.duration)),
                    ]),
                ),
            ]),
        );
        for (i, name) in mc.populations.iter().enumerate() {
            if counts[i] > 0 {
                projs.insert(
                    format!("TC_to_{name}"),
                    projection(
                        "TC",
                        name,
                        counts[i],
                        "excitatory",
                        signed_weight(*weight, mc.weight_rel_sd),
                        delay(th.delay, th.delay_rel_sd, dt),
                    ),
                );
            }
        }
    }
    for (key, new) in [("populations", pops), ("projections", projs)] {
        let section = t.entry(key).or_insert_with(|| Toml::Table(Table::new()));
        let Toml::Table(existing) = section else {
            return Err((key.into(), ": must be a table".into()));
        };
        for (name, v) in new {
            if existing.contains_key(&name) {
                return Err((
                    format!("{key}.{name}"),
                    ": defined by the file and by [microcircuit]; rename it".into(),
                ));
            }
            existing.insert(name, v);
        }
    }
    Ok(())
}
