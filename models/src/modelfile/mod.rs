//! Model files: a network as TOML, with PyNN names, defaults and units.
//!
//! ```toml
//! dt = 0.1            # ms
//! duration = 1000.0   # ms
//! seed = 1234
//!
//! [populations.exc]
//! cell_type = "IF_curr_exp"        # IF_curr_exp, IF_cond_exp, Izhikevich,
//! size = 3200                      # SpikeSourcePoisson, SpikeSourceArray
//! integration = "nest"             # IF_curr_exp only: "nest" or "spynnaker"
//! params = { tau_m = 20.0, cm = 0.02 }
//! initial_values = { v = { distribution = "uniform", low = -60.0, high = -50.0 } }
//! record = ["spikes", "v"]
//! record_neurons = [0, 1, 2]       # or "all" (default), or a count of the first k
//! sampling_interval = 1.0          # ms
//!
//! [projections.exc_exc]
//! pre = "exc"
//! post = "exc"
//! connector = { type = "FixedProbabilityConnector", p_connect = 0.02 }
//! receptor_type = "excitatory"
//! weight = 0.00162                 # nA (current-based) or µS (conductance-based)
//! delay = 0.1                      # ms
//! synapse = { type = "STDPMechanism", semantics = "nest",
//!             timing_dependence = { type = "SpikePairRule", tau_plus = 20.0, A_plus = 0.01 },
//!             weight_dependence = { type = "AdditiveWeightDependence", w_max = 0.01 } }
//! ```
//!
//! Stimuli are spike-source populations (`SpikeSourcePoisson`, `SpikeSourceArray`) projected
//! onto their targets, as in PyNN. Unknown keys are rejected. Every error names the file, the
//! key path, the bad value and what is allowed.

mod schema;

use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use sim_core::network::{Network, Projection, RecordSpec};
use sim_core::{PopulationModel, Step, TimeGrid};
use toml::{Table, Value as Toml};

use crate::connectors::ConnectContext;
use crate::neurons::{IfCondExp, IfCurrExp, Izhikevich, SpikeSourceArray, SpikeSourcePoisson};
use crate::params::ParamError;
use crate::synapses::Stdp;
use schema::{CellType, ModelFile, PopulationEntry, ProjectionEntry, RecordNeurons};

/// Largest population this loader builds (a guard against typos such as `size = 4e12`).
pub const MAX_POPULATION: u64 = 1 << 31;
/// Largest number of synapses one projection may be expected to have before it is built.
pub const MAX_SYNAPSES_PER_PROJECTION: f64 = 4e9;

/// A loaded model, ready to run.
#[derive(Debug)]
pub struct ModelSpec {
    pub network: Network,
    pub dt_ms: f64,
    pub duration_steps: Step,
    pub seed: u64,
    /// SHA-256 of the file as read (hex).
    pub sha256: String,
    /// The file's text as read.
    pub source: String,
}

/// A model-file error: `file: key.path = value: what is allowed`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct ModelFileError {
    pub file: String,
    /// The key path, e.g. `populations.exc.params.tau_m` (empty for whole-file errors).
    pub key: String,
    pub message: String,
}

/// Loads `path`, applies `overrides` (`key.path=value`) and an optional seed.
pub fn load(
    path: &Path,
    overrides: &[String],
    seed: Option<u64>,
) -> Result<ModelSpec, ModelFileError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| ModelFileError {
        file: name.clone(),
        key: String::new(),
        message: format!("cannot read: {e}"),
    })?;
    let text = String::from_utf8(bytes).map_err(|_| ModelFileError {
        file: name.clone(),
        key: String::new(),
        message: "not UTF-8 text (a model file is TOML)".into(),
    })?;
    parse_str(&name, &text, overrides, seed)
}

/// Parses a model file's text; `name` is used in errors.
pub fn parse_str(
    name: &str,
    text: &str,
    overrides: &[String],
    seed: Option<u64>,
) -> Result<ModelSpec, ModelFileError> {
    let fail = |key: &str, message: String| ModelFileError {
        file: name.to_string(),
        key: key.to_string(),
        message: if key.is_empty() {
            message
        } else {
            format!("{key}{message}")
        },
    };
    if text.trim().is_empty() {
        return Err(fail(
            "",
            "the file is empty; a model needs dt, duration and populations".into(),
        ));
    }
    let mut table: Table = text.parse().map_err(|e: toml::de::Error| {
        fail("", format!("not valid TOML: {}", e.to_string().trim()))
    })?;
    for o in overrides {
        apply_override(&mut table, o).map_err(|(key, msg)| fail(&key, msg))?;
    }
    let file = schema::parse(table).map_err(|(key, msg)| fail(&key, msg))?;
    let sha256 = Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    build(file, seed)
        .map(|(network, dt_ms, duration_steps, seed)| ModelSpec {
            network,
            dt_ms,
            duration_steps,
            seed,
            sha256,
            source: text.to_string(),
        })
        .map_err(|(key, msg)| fail(&key, msg))
}

/// `key.path=value`: the value is read as TOML (`15`, `"nest"`, `[1, 2]`), else as a string.
/// Tables on the path must exist; the last key may be new (the schema then checks it).
fn apply_override(table: &mut Table, o: &str) -> Result<(), (String, String)> {
    let Some((path, raw)) = o.split_once('=') else {
        return Err((String::new(), format!("--set {o}: expected key.path=value")));
    };
    let path = path.trim();
    let value = format!("v = {}", raw.trim())
        .parse::<Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| Toml::String(raw.trim().to_string()));
    let keys: Vec<&str> = path.split('.').collect();
    if keys.iter().any(|k| k.is_empty()) {
        return Err((String::new(), format!("--set {o}: empty key in '{path}'")));
    }
    let mut cur = table;
    for (i, k) in keys[..keys.len() - 1].iter().enumerate() {
        cur = match cur.get_mut(*k) {
            Some(Toml::Table(t)) => t,
            _ => {
                return Err((
                    keys[..=i].join("."),
                    format!(
                        ": --set {o}: there is no table '{}' in the model file",
                        keys[..=i].join(".")
                    ),
                ))
            }
        };
    }
    cur.insert(keys[keys.len() - 1].to_string(), value);
    Ok(())
}

type BuildResult = Result<(Network, f64, Step, u64), (String, String)>;

fn param_err(prefix: &str, e: ParamError) -> (String, String) {
    let key = if prefix.is_empty() {
        e.param.clone()
    } else {
        format!("{prefix}.{}", e.param)
    };
    (key, format!(" = {}: {}", e.value, e.allowed))
}

fn build(file: ModelFile, seed_override: Option<u64>) -> BuildResult {
    let grid = TimeGrid::new(file.dt).map_err(|_| {
        (
            "dt".to_string(),
            format!(" = {}: must be > 0 (ms)", file.dt),
        )
    })?;
    let duration_steps = grid
        .steps(file.duration)
        .map_err(|e| ("duration".to_string(), format!(" = {}: {e}", file.duration)))?;
    let seed = seed_override.unwrap_or(file.seed);
    let mut net = Network::new(grid, seed);
    if file.populations.is_empty() {
        return Err((
            "populations".into(),
            ": at least one population is needed".into(),
        ));
    }

    for (name, pop) in &file.populations {
        let prefix = format!("populations.{name}");
        if pop.size == 0 || pop.size > MAX_POPULATION {
            return Err((
                format!("{prefix}.size"),
                format!(" = {}: must be between 1 and {MAX_POPULATION}", pop.size),
            ));
        }
        let model = make_model(pop, &grid).map_err(|(k, m)| {
            if k.is_empty() {
                (prefix.clone(), m)
            } else {
                (format!("{prefix}.{k}"), m)
            }
        })?;
        let id = net
            .add_population(name, pop.size as u32, model.clone())
            .map_err(|e| (prefix.clone(), format!(": {e}")))?;
        let record = record_spec(pop, model.as_ref(), &grid, &prefix)?;
        net.set_record(id, record)
            .map_err(|e| (format!("{prefix}.record"), format!(": {e}")))?;
    }

    for (k, (name, proj)) in file.projections.iter().enumerate() {
        let prefix = format!("projections.{name}");
        net.add_projection(make_projection(&net, name, proj, k as u64, &prefix)?)
            .map_err(|e| (prefix.clone(), format!(": {e}")))?;
    }
    Ok((net, grid.dt_ms(), duration_steps, seed))
}

fn make_model(
    pop: &PopulationEntry,
    grid: &TimeGrid,
) -> Result<Arc<dyn PopulationModel>, (String, String)> {
    let init = |k: &str| pop.initial_values.get(k).cloned();
    let p = |e: ParamError| {
        // Initial-value errors name the variable; everything else is a parameter.
        let in_init = pop.initial_values.contains_key(&e.param);
        param_err(if in_init { "initial_values" } else { "params" }, e)
    };
    let model: Arc<dyn PopulationModel> = match &pop.cell_type {
        CellType::IfCurrExp(params) => Arc::new(
            IfCurrExp::new(
                params.clone(),
                pop.integration.unwrap_or_default(),
                init("v"),
                grid,
            )
            .map_err(p)?,
        ),
        CellType::IfCondExp(params) => Arc::new(
            IfCondExp::new(
                params.clone(),
                init("v"),
                init("gsyn_exc"),
                init("gsyn_inh"),
                grid,
            )
            .map_err(p)?,
        ),
        CellType::Izhikevich(params) => {
            Arc::new(Izhikevich::new(params.clone(), init("v"), init("u")).map_err(p)?)
        }
        CellType::SpikeSourcePoisson(params) => {
            Arc::new(SpikeSourcePoisson::new(params, grid).map_err(p)?)
        }
        CellType::SpikeSourceArray(params) => {
            Arc::new(SpikeSourceArray::new(&params.spike_times, pop.size as u32, grid).map_err(p)?)
        }
    };
    if pop.integration.is_some() && !matches!(pop.cell_type, CellType::IfCurrExp(_)) {
        return Err((
            "integration".into(),
            format!(
                ": only IF_curr_exp has a choice of integration, not {}",
                model.type_name()
            ),
        ));
    }
    for var in pop.initial_values.keys() {
        if !model.state_vars().contains(&var.as_str()) {
            return Err((
                format!("initial_values.{var}"),
                format!(
                    ": {} has no state variable '{var}'; expected one of {:?}",
                    model.type_name(),
                    model.state_vars()
                ),
            ));
        }
    }
    Ok(model)
}

fn record_spec(
    pop: &PopulationEntry,
    model: &dyn PopulationModel,
    grid: &TimeGrid,
    prefix: &str,
) -> Result<RecordSpec, (String, String)> {
    let mut spec = RecordSpec {
        interval: 1,
        ..Default::default()
    };
    for (i, what) in pop.record.iter().enumerate() {
        if what == "spikes" {
            spec.spikes = true;
        } else if let Some(v) = model.state_vars().iter().position(|s| s == what) {
            spec.vars.push(v);
        } else {
            return Err((
                format!("{prefix}.record[{i}]"),
                format!(
                    " = \"{what}\": {} records \"spikes\"{}",
                    model.type_name(),
                    model
                        .state_vars()
                        .iter()
                        .map(|s| format!(", \"{s}\""))
                        .collect::<String>()
                ),
            ));
        }
    }
    if let Some(si) = pop.sampling_interval {
        spec.interval = grid.steps(si).ok().filter(|&s| s >= 1).ok_or_else(|| {
            (
                format!("{prefix}.sampling_interval"),
                format!(
                    " = {si}: must be a positive multiple of dt = {} ms",
                    grid.dt_ms()
                ),
            )
        })?;
    }
    if !spec.vars.is_empty() {
        spec.neurons = match &pop.record_neurons {
            None | Some(RecordNeurons::All(_)) => (0..pop.size as u32).collect(),
            Some(RecordNeurons::First(k)) => {
                if *k == 0 || *k > pop.size {
                    return Err((
                        format!("{prefix}.record_neurons"),
                        format!(" = {k}: must be between 1 and the size {}", pop.size),
                    ));
                }
                (0..*k as u32).collect()
            }
            Some(RecordNeurons::List(list)) => {
                let mut l = list.clone();
                l.sort_unstable();
                l.dedup();
                if let Some(&bad) = l.iter().find(|&&i| i >= pop.size) {
                    return Err((
                        format!("{prefix}.record_neurons"),
                        format!(" contains {bad}: indices must be < size {}", pop.size),
                    ));
                }
                l.into_iter().map(|i| i as u32).collect()
            }
        };
    }
    Ok(spec)
}

fn make_projection(
    net: &Network,
    name: &str,
    proj: &ProjectionEntry,
    index: u64,
    prefix: &str,
) -> Result<Projection, (String, String)> {
    let defined = || {
        net.populations
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let find = |which: &str, pop: &str| {
        net.population_id(pop).ok_or_else(|| {
            (
                format!("{prefix}.{which}"),
                format!(" = \"{pop}\": no such population; defined: {}", defined()),
            )
        })
    };
    let pre = find("pre", &proj.pre)?;
    let post = find("post", &proj.post)?;
    let post_model = &net.populations[post].model;
    let receptor = post_model
        .receptors()
        .iter()
        .position(|r| *r == proj.receptor_type)
        .ok_or_else(|| {
            (
                format!("{prefix}.receptor_type"),
                format!(
                    " = \"{}\": {} (population '{}') accepts {}",
                    proj.receptor_type,
                    post_model.type_name(),
                    proj.post,
                    if post_model.receptors().is_empty() {
                        "no input (it is a spike source)".to_string()
                    } else {
                        format!("{:?}", post_model.receptors())
                    }
                ),
            )
        })?;
    let conductance = post_model.type_name() == "IF_cond_exp";
    let inhibitory = proj.receptor_type == "inhibitory";
    let (wmin, wmax) = proj.weight.bounds();
    // PyNN's check_weights: excitatory and conductance-based weights are >= 0; current-based
    // inhibitory weights may be negative (PyNN) or positive (sPyNNaker) and act as magnitudes.
    if (!inhibitory || conductance) && wmin < 0.0 {
        return Err((
            format!("{prefix}.weight"),
            format!(
                " = {}: must be >= 0 for {} synapses",
                if proj.weight.is_constant() {
                    wmin.to_string()
                } else {
                    format!("{:?}", proj.weight)
                },
                if conductance {
                    "conductance-based"
                } else {
                    "excitatory"
                }
            ),
        ));
    }
    if inhibitory && !conductance && wmin < 0.0 && wmax > 0.0 {
        return Err((
            format!("{prefix}.weight"),
            ": an inhibitory current-based weight distribution must not change sign".to_string(),
        ));
    }
    let n_pre = net.populations[pre].size;
    let n_post = net.populations[post].size;
    let expected = proj.connector.expected_synapses(n_pre, n_post);
    if expected > MAX_SYNAPSES_PER_PROJECTION {
        return Err((
            format!("{prefix}.connector"),
            format!(": about {expected:.3e} synapses expected, above the limit of {MAX_SYNAPSES_PER_PROJECTION:.0e}; use a sparser connector or smaller populations"),
        ));
    }
    let cx = ConnectContext {
        n_pre,
        n_post,
        same_population: pre == post,
        weight: &proj.weight,
        delay: &proj.delay,
        grid: &net.grid,
        seed: net.seed,
        projection: index,
        magnitude: inhibitory && !conductance,
    };
    let synapses = proj.connector.connect(&cx).map_err(|e| {
        let field = match e.param.as_str() {
            "weight" | "delay" => e.param.clone(),
            p if p.starts_with("conn_list") => format!("connector.{p}"),
            p => format!("connector.{p}"),
        };
        (
            format!("{prefix}.{field}"),
            format!(" = {}: {}", e.value, e.allowed),
        )
    })?;
    let plasticity = match &proj.synapse {
        None => None,
        Some(s) => {
            let rule = Stdp::new(s.timing(), s.weight_dependence, s.semantics)
                .map_err(|e| param_err(&format!("{prefix}.synapse"), e))?;
            let (lo, hi) = s.weight_dependence.bounds();
            if wmin < lo || wmax > hi {
                return Err((
                    format!("{prefix}.weight"),
                    format!(": initial weights [{wmin}, {wmax}] must lie within [w_min, w_max] = [{lo}, {hi}]"),
                ));
            }
            if !proj.delay.is_constant() {
                return Err((
                    format!("{prefix}.delay"),
                    ": a plastic projection needs a constant delay (its post spikes are back-propagated by it)".into(),
                ));
            }
            let rule: Arc<dyn sim_core::plasticity::PairRule> = Arc::new(rule);
            Some(rule)
        }
    };
    Ok(Projection {
        name: name.to_string(),
        pre,
        post,
        receptor,
        synapses,
        plasticity,
    })
}
