//! The model-file schema, read section by section so that every error carries its key path.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use toml::{Table, Value as Toml};

use models::astro::tripartite::PoolType;
use models::catalogue::{Catalogue, CellType, ParsedParams};
use models::connectors::Connector;
use models::dist::Value;
use models::synapses::{
    simple_stochastic, tsodyks_markram, PerSynapse, Semantics, SpikePairRule, WeightDependence,
};

/// (key path, message starting with ": " or " = value: ").
pub type SchemaError = (String, String);

#[derive(Debug)]
pub struct ModelFile {
    pub dt: f64,
    pub duration: f64,
    pub seed: u64,
    /// In file order.
    pub populations: Vec<(String, PopulationEntry)>,
    pub projections: Vec<(String, ProjectionEntry)>,
    /// `[tripartite.*]`, in file order after sorting by the caller.
    pub tripartite: Vec<(String, TripartiteEntry)>,
    pub experiment: Option<ExperimentEntry>,
}

/// A population's cell type from the catalogue and its parameters as read.
pub struct Cell {
    pub cell_type: CellType,
    pub params: Box<dyn ParsedParams>,
}

impl std::fmt::Debug for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cell({})", self.cell_type.name)
    }
}

#[derive(Debug)]
pub struct PopulationEntry {
    pub cell: Cell,
    pub size: u64,
    /// Options given (`integration = "nest"`), whichever cell types accept them.
    pub options: BTreeMap<&'static str, &'static str>,
    pub initial_values: BTreeMap<String, Value>,
    pub record: Vec<String>,
    pub record_neurons: Option<RecordNeurons>,
    pub sampling_interval: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum RecordNeurons {
    All(AllKeyword),
    First(u64),
    List(Vec<u64>),
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AllKeyword {
    All,
}

#[derive(Debug)]
pub struct ProjectionEntry {
    pub pre: String,
    pub post: String,
    pub connector: Connector,
    /// `None`: "excitatory" for spike projections; graded projections have no receptor.
    pub receptor_type: Option<String>,
    pub weight: Value,
    pub delay: Value,
    pub synapse: Option<SynapseEntry>,
}

/// `synapse = { ... }` of a projection: plasticity, synapse dynamics, or a graded (continuous)
/// connection.
#[derive(Debug)]
pub enum SynapseEntry {
    Stdp(StdpEntry),
    Graded(GradedEntry),
    Dynamics(DynamicsEntry),
}

/// `synapse = { type = "TsodyksMarkramSynapse", U = 0.5, tau_rec = 100.0, tau_facil = 0.0 }`
/// (optionally `tau_psc`; by default the post cell's `tau_syn_E`/`tau_syn_I` of the receptor,
/// as PyNN's NEST backend sets it) or `{ type = "SimpleStochasticSynapse", p = 0.5 }`. Each
/// parameter is a number, or a list with one value per synapse in the connector's order.
#[derive(Debug, Clone, PartialEq)]
pub enum DynamicsEntry {
    TsodyksMarkram {
        u_use: PerSynapse,
        tau_rec: PerSynapse,
        tau_facil: PerSynapse,
        tau_psc: Option<f64>,
    },
    SimpleStochastic {
        p: PerSynapse,
    },
}

/// `synapse = { type = "sic_connection" }` (NEST: astrocyte_lr_1994 -> aeif_cond_alpha_astro)
/// or `{ type = "graded_connection", output = "...", input = "..." }` (any graded ports; the
/// first port of each side by default).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradedEntry {
    #[serde(rename = "type")]
    pub kind: GradedKind,
    pub output: Option<String>,
    pub input: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum GradedKind {
    #[serde(rename = "sic_connection")]
    Sic,
    #[serde(rename = "graded_connection")]
    Graded,
}

/// `[tripartite.name]`: NEST's `TripartiteConnect` with `third_factor_bernoulli_with_pool`.
#[derive(Debug)]
pub struct TripartiteEntry {
    pub pre: String,
    pub post: String,
    pub astrocytes: String,
    /// The primary (pre -> post) connector.
    pub connector: Connector,
    /// Probability that a primary connection gets an astrocyte pair.
    pub p_third: f64,
    /// Astrocytes per target pool (`None`: all of them, NEST's default).
    pub pool_size: Option<u64>,
    pub pool_type: PoolType,
    pub primary: LinkEntry,
    pub third_in: LinkEntry,
    pub third_out: LinkEntry,
}

/// Weight, delay and (spike links only) receptor of one part of a tripartite connection.
#[derive(Debug)]
pub struct LinkEntry {
    pub weight: Value,
    pub delay: Value,
    pub receptor_type: Option<String>,
}

/// `[experiment]`: a protocol run over the model instead of one plain run.
#[derive(Debug, Clone)]
pub struct ExperimentEntry {
    /// "delayed_recall".
    pub readout: String,
    pub items: u64,
    pub settle: f64,
    pub cue: Drive,
    pub probe: Drive,
    pub delays: Vec<f64>,
    pub trials: u64,
    /// (name, `--set` overrides), in file order.
    pub conditions: Vec<(String, Vec<String>)>,
}

/// A Poisson drive of some readout neurons for a while.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drive {
    /// Hz.
    pub rate: f64,
    /// ms.
    pub duration: f64,
    /// Input weight per spike (the readout model's units).
    pub weight: f64,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StdpEntry {
    #[serde(rename = "type")]
    pub _kind: StdpKind,
    #[serde(default)]
    pub semantics: Semantics,
    pub timing_dependence: TimingEntry,
    pub weight_dependence: WeightDependence,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub enum StdpKind {
    #[serde(rename = "STDPMechanism")]
    StdpMechanism,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum TimingEntry {
    SpikePairRule {
        #[serde(default = "d20")]
        tau_plus: f64,
        #[serde(default = "d20")]
        tau_minus: f64,
        #[serde(default = "d001", rename = "A_plus")]
        a_plus: f64,
        #[serde(default = "d001", rename = "A_minus")]
        a_minus: f64,
    },
}

fn d20() -> f64 {
    20.0
}
fn d001() -> f64 {
    0.01
}

impl StdpEntry {
    pub fn timing(&self) -> SpikePairRule {
        let TimingEntry::SpikePairRule {
            tau_plus,
            tau_minus,
            a_plus,
            a_minus,
        } = self.timing_dependence;
        SpikePairRule {
            tau_plus,
            tau_minus,
            a_plus,
            a_minus,
        }
    }
}

/// Turns serde's message into ours: `: <what>` with the offending key appended to the path.
fn serde_error(path: &str, e: &str) -> SchemaError {
    let e = e.trim();
    if let Some(rest) = e.strip_prefix("unknown field `") {
        if let Some((field, expected)) = rest.split_once('`') {
            let expected = expected.trim_start_matches(',').trim();
            return (
                join(path, field),
                format!(
                    ": unknown key; {}",
                    if expected.is_empty() {
                        "no keys are allowed here".into()
                    } else {
                        expected.replace('`', "")
                    }
                ),
            );
        }
    }
    if let Some(rest) = e.strip_prefix("missing field `") {
        if let Some((field, _)) = rest.split_once('`') {
            return (join(path, field), ": missing (required)".to_string());
        }
    }
    if let Some(rest) = e.strip_prefix("unknown variant `") {
        if let Some((v, expected)) = rest.split_once('`') {
            return (
                path.to_string(),
                format!(
                    " = \"{v}\": {}",
                    expected.trim_start_matches(',').trim().replace('`', "\"")
                ),
            );
        }
    }
    (path.to_string(), format!(": {e}"))
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

pub fn show(v: &Toml) -> String {
    match v {
        Toml::String(s) => format!("\"{s}\""),
        Toml::Table(_) => "{…}".to_string(),
        Toml::Float(x) => sim_core::readable::Readable(*x).to_string(),
        other => other.to_string(),
    }
}

pub(super) fn de<T: DeserializeOwned>(path: &str, v: Toml) -> Result<T, SchemaError> {
    de_with(path, v, T::deserialize)
}

/// Reads `v` with `read` (a deserialiser), turning its error into ours.
fn de_with<T, E: std::fmt::Display>(
    path: &str,
    v: Toml,
    read: impl FnOnce(Toml) -> Result<T, E>,
) -> Result<T, SchemaError> {
    let copy = v.clone();
    read(v).map_err(|e| {
        let e = e.to_string();
        // toml appends where below `v` the problem is: "…\nin `tau_m`", "…\nin timing_dependence".
        let (msg, inner) = match e.trim().rsplit_once("\nin ") {
            Some((m, at)) => (m.to_string(), at.trim().replace(['`', '"'], "")),
            None => (e.trim().to_string(), String::new()),
        };
        let mut at = &copy;
        let mut full = path.to_string();
        for k in inner.split('.').filter(|k| !k.is_empty()) {
            full = join(&full, k);
            if let Some(next) = at.as_table().and_then(|t| t.get(k)) {
                at = next;
            }
        }
        let shown = show(at);
        let (k, m) = serde_error(&full, &msg);
        let m = if m.contains("untagged enum Value") {
            ": must be a number or a distribution such as { distribution = \"uniform\", low = 0.0, high = 1.0 } (uniform, normal, normal_clipped, exponential)".to_string()
        } else if m.contains("untagged enum RecordNeurons") {
            ": must be \"all\", a count of the first neurons, or a list of neuron indices".to_string()
        } else {
            let m = match m.find(", expected struct ") {
                Some(i) => format!("{}, expected a table", &m[..i]),
                None => m,
            };
            m.replace("expected f64", "expected a number")
                .replace("expected a sequence", "expected a list")
                .replace("expected u64", "expected an integer >= 0")
                .replace("expected u32", "expected an integer >= 0")
        };
        if m.starts_with(": must be a number or") || m.starts_with(": must be \"all\"") {
            return (k, format!(" = {shown}{m}"));
        }
        if m.starts_with(": invalid type") || m.starts_with(": data did not match") {
            (k, format!(" = {shown}{m}"))
        } else {
            (k, m)
        }
    })
}

/// Takes `key` from `t` as a number.
fn number(
    t: &mut Table,
    path: &str,
    key: &str,
    default: Option<f64>,
    unit: &str,
) -> Result<f64, SchemaError> {
    let p = join(path, key);
    match t.remove(key) {
        None => default.ok_or((p, format!(": missing; give it in {unit}"))),
        Some(Toml::Float(f)) if f.is_finite() => Ok(f),
        Some(Toml::Integer(i)) => Ok(i as f64),
        Some(v) => Err((
            p,
            format!(" = {}: must be a finite number ({unit})", show(&v)),
        )),
    }
}

fn table(v: Toml, path: &str) -> Result<Table, SchemaError> {
    match v {
        Toml::Table(t) => Ok(t),
        other => Err((
            path.to_string(),
            format!(" = {}: must be a table", show(&other)),
        )),
    }
}

fn no_leftovers(t: &Table, path: &str, allowed: &[&str]) -> Result<(), SchemaError> {
    match t.keys().next() {
        Some(k) => Err((
            join(path, k),
            format!(": unknown key; expected one of {}", allowed.join(", ")),
        )),
        None => Ok(()),
    }
}

/// Population and projection names become file names in run directories: letters, digits,
/// `_` and `-`, starting with a letter or `_`, at most 64 characters.
fn check_name(name: &str, section: &str) -> Result<(), SchemaError> {
    let ok = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err((
            format!("{section}.\"{}\"", name.escape_debug()),
            ": bad name; use letters, digits, '_' and '-', starting with a letter or '_' (at most 64 characters)".into(),
        ))
    }
}

/// Reads the whole file.
pub fn parse(mut t: Table, catalogue: &Catalogue) -> Result<ModelFile, SchemaError> {
    let dt = number(&mut t, "", "dt", Some(0.1), "ms")?;
    if dt <= 0.0 {
        return Err(("dt".into(), format!(" = {dt}: must be > 0 (ms)")));
    }
    let duration = number(&mut t, "", "duration", None, "ms")?;
    if duration < 0.0 {
        return Err((
            "duration".into(),
            format!(" = {duration}: must be >= 0 (ms)"),
        ));
    }
    let seed = match t.remove("seed") {
        None => 1234,
        Some(Toml::Integer(i)) if i >= 0 => i as u64,
        Some(v) => {
            return Err((
                "seed".into(),
                format!(" = {}: must be an integer >= 0", show(&v)),
            ))
        }
    };
    let pops = match t.remove("populations") {
        Some(v) => table(v, "populations")?,
        None => {
            return Err((
                "populations".into(),
                ": missing; a model needs at least one population".into(),
            ))
        }
    };
    let projs = match t.remove("projections") {
        Some(v) => table(v, "projections")?,
        None => Table::new(),
    };
    let tri = match t.remove("tripartite") {
        Some(v) => table(v, "tripartite")?,
        None => Table::new(),
    };
    let experiment = t
        .remove("experiment")
        .map(|v| experiment(table(v, "experiment")?))
        .transpose()?;
    // The NIR graph an imported model came from: kept for `export nir`, not simulated.
    if let Some(v) = t.remove("nir") {
        table(v, "nir")?;
    }
    no_leftovers(
        &t,
        "",
        &[
            "dt",
            "duration",
            "seed",
            "populations",
            "projections",
            "tripartite",
            "experiment",
            "nir",
        ],
    )?;
    let mut populations = Vec::new();
    for (name, v) in pops {
        check_name(&name, "populations")?;
        let path = format!("populations.{name}");
        populations.push((
            name.clone(),
            population(table(v, &path)?, &path, catalogue)?,
        ));
    }
    let mut projections = Vec::new();
    for (name, v) in projs {
        check_name(&name, "projections")?;
        let path = format!("projections.{name}");
        projections.push((name.clone(), projection(table(v, &path)?, &path)?));
    }
    let mut tripartite = Vec::new();
    for (name, v) in tri {
        check_name(&name, "tripartite")?;
        let path = format!("tripartite.{name}");
        tripartite.push((name.clone(), tripartite_entry(table(v, &path)?, &path)?));
    }
    Ok(ModelFile {
        dt,
        duration,
        seed,
        populations,
        projections,
        tripartite,
        experiment,
    })
}

fn population(
    mut t: Table,
    path: &str,
    catalogue: &Catalogue,
) -> Result<PopulationEntry, SchemaError> {
    let cell_types = catalogue.names().join(", ");
    let cell = match t.remove("cell_type") {
        Some(Toml::String(s)) => s,
        Some(v) => {
            return Err((
                join(path, "cell_type"),
                format!(" = {}: must be one of {cell_types}", show(&v)),
            ))
        }
        None => {
            return Err((
                join(path, "cell_type"),
                format!(": missing; one of {cell_types}"),
            ))
        }
    };
    let size = match t.remove("size") {
        Some(Toml::Integer(i)) if i >= 1 => i as u64,
        Some(v) => {
            return Err((
                join(path, "size"),
                format!(" = {}: must be an integer >= 1", show(&v)),
            ))
        }
        None => return Err((join(path, "size"), ": missing (number of neurons)".into())),
    };
    let params = t.remove("params").unwrap_or(Toml::Table(Table::new()));
    let ppath = join(path, "params");
    // Unknown keys under `params` are parameters of this cell type.
    let named = |(k, m): SchemaError| {
        (
            k,
            m.replacen(
                ": unknown key;",
                &format!(": unknown parameter of {cell};"),
                1,
            ),
        )
    };
    let Some(cell_type) = catalogue.get(&cell) else {
        return Err((
            join(path, "cell_type"),
            format!(" = \"{cell}\": unknown cell type; expected one of {cell_types}"),
        ));
    };
    let params = de_with(&ppath, params, |v| cell_type.parse(v)).map_err(named)?;
    let cell = Cell {
        cell_type: cell_type.clone(),
        params,
    };
    let mut options = BTreeMap::new();
    for name in catalogue.option_names() {
        if let Some(v) = t.remove(name) {
            let (spec, _) = catalogue.option(name).expect("a catalogue option");
            options.insert(name, option_value(&join(path, name), v, spec.values)?);
        }
    }
    let initial_values = match t.remove("initial_values") {
        None => BTreeMap::new(),
        Some(v) => {
            let ipath = join(path, "initial_values");
            let mut out = BTreeMap::new();
            for (k, v) in table(v, &ipath)? {
                let kp = join(&ipath, &k);
                let val: Value = de(&kp, v)?;
                val.validate(&kp)
                    .map_err(|e| (kp.clone(), format!(" = {}: {}", e.value, e.allowed)))?;
                out.insert(k, val);
            }
            out
        }
    };
    let record = t
        .remove("record")
        .map(|v| de(&join(path, "record"), v))
        .transpose()?
        .unwrap_or_default();
    let record_neurons = t
        .remove("record_neurons")
        .map(|v| de(&join(path, "record_neurons"), v))
        .transpose()?;
    let sampling_interval = match t.contains_key("sampling_interval") {
        true => Some(number(&mut t, path, "sampling_interval", None, "ms")?),
        false => None,
    };
    no_leftovers(
        &t,
        path,
        &[
            &["cell_type", "size", "params"][..],
            &catalogue.option_names(),
            &[
                "initial_values",
                "record",
                "record_neurons",
                "sampling_interval",
            ],
        ]
        .concat(),
    )?;
    Ok(PopulationEntry {
        cell,
        size,
        options,
        initial_values,
        record,
        record_neurons,
        sampling_interval,
    })
}

fn projection(mut t: Table, path: &str) -> Result<ProjectionEntry, SchemaError> {
    let string = |t: &mut Table, key: &str, default: Option<&str>| -> Result<String, SchemaError> {
        match t.remove(key) {
            Some(Toml::String(s)) => Ok(s),
            Some(v) => Err((
                join(path, key),
                format!(" = {}: must be a string", show(&v)),
            )),
            None => default
                .map(str::to_string)
                .ok_or((join(path, key), ": missing (a population name)".to_string())),
        }
    };
    let pre = string(&mut t, "pre", None)?;
    let post = string(&mut t, "post", None)?;
    let receptor_type = optional_string(&mut t, path, "receptor_type")?;
    let connector = connector(&mut t, path)?;
    let (weight, delay) = weight_delay(&mut t, path)?;
    let synapse = t
        .remove("synapse")
        .map(|v| synapse_entry(v, &join(path, "synapse")))
        .transpose()?;
    no_leftovers(
        &t,
        path,
        &[
            "pre",
            "post",
            "connector",
            "receptor_type",
            "weight",
            "delay",
            "synapse",
        ],
    )?;
    Ok(ProjectionEntry {
        pre,
        post,
        connector,
        receptor_type,
        weight,
        delay,
        synapse,
    })
}

/// An option's value: one of `allowed`, as serde words the error for an enum.
fn option_value(
    path: &str,
    v: Toml,
    allowed: &'static [&'static str],
) -> Result<&'static str, SchemaError> {
    use serde::de::Error;
    de_with(path, v, |v| match &v {
        Toml::String(s) => allowed
            .iter()
            .find(|a| **a == s.as_str())
            .copied()
            .ok_or_else(|| toml::de::Error::unknown_variant(s, allowed)),
        other => Err(toml::de::Error::invalid_type(
            serde::de::Unexpected::Other(other.type_str()),
            &format!("one of {}", allowed.join(", ")).as_str(),
        )),
    })
}

fn optional_string(t: &mut Table, path: &str, key: &str) -> Result<Option<String>, SchemaError> {
    match t.remove(key) {
        None => Ok(None),
        Some(Toml::String(s)) => Ok(Some(s)),
        Some(v) => Err((
            join(path, key),
            format!(" = {}: must be a string", show(&v)),
        )),
    }
}

fn required_string(
    t: &mut Table,
    path: &str,
    key: &str,
    what: &str,
) -> Result<String, SchemaError> {
    optional_string(t, path, key)?.ok_or((join(path, key), format!(": missing ({what})")))
}

fn connector(t: &mut Table, path: &str) -> Result<Connector, SchemaError> {
    match t.remove("connector") {
        Some(v) => de(&join(path, "connector"), v),
        None => Err((
            join(path, "connector"),
            ": missing, e.g. { type = \"AllToAllConnector\" }".into(),
        )),
    }
}

/// `weight` (default 0) and `delay` (required, ms) of a connection.
fn weight_delay(t: &mut Table, path: &str) -> Result<(Value, Value), SchemaError> {
    let value = |t: &mut Table, key: &str, default: f64| -> Result<Value, SchemaError> {
        let kp = join(path, key);
        let v: Value = match t.remove(key) {
            None => Value::Constant(default),
            Some(Toml::Integer(i)) => Value::Constant(i as f64),
            Some(v) => de(&kp, v)?,
        };
        v.validate(&kp)
            .map_err(|e| (kp.clone(), format!(" = {}: {}", e.value, e.allowed)))?;
        Ok(v)
    };
    let weight = value(t, "weight", 0.0)?;
    if !t.contains_key("delay") {
        return Err((
            join(path, "delay"),
            ": missing (ms, a multiple of dt)".to_string(),
        ));
    }
    let delay = value(t, "delay", 0.0)?;
    Ok((weight, delay))
}

fn synapse_entry(v: Toml, path: &str) -> Result<SynapseEntry, SchemaError> {
    let kind = v
        .as_table()
        .and_then(|t| t.get("type"))
        .and_then(|k| k.as_str());
    match kind {
        Some("sic_connection" | "graded_connection") => Ok(SynapseEntry::Graded(de(path, v)?)),
        Some("STDPMechanism") | None => Ok(SynapseEntry::Stdp(de(path, v)?)),
        Some(k @ (tsodyks_markram::NAME | simple_stochastic::NAME)) => {
            let kind = k.to_string();
            dynamics_entry(&kind, table(v, path)?, path).map(SynapseEntry::Dynamics)
        }
        Some(other) => Err((
            join(path, "type"),
            format!(
                " = \"{other}\": expected \"STDPMechanism\", \"{}\", \"{}\", \"sic_connection\" or \"graded_connection\"",
                tsodyks_markram::NAME,
                simple_stochastic::NAME
            ),
        )),
    }
}

/// The parameters of a synapse type with dynamics (`kind`, already checked).
fn dynamics_entry(kind: &str, mut t: Table, path: &str) -> Result<DynamicsEntry, SchemaError> {
    t.remove("type");
    let entry = if kind == tsodyks_markram::NAME {
        let tau_psc = match t.contains_key("tau_psc") {
            true => Some(number(&mut t, path, "tau_psc", None, "ms")?),
            false => None,
        };
        DynamicsEntry::TsodyksMarkram {
            u_use: per_synapse(&mut t, path, "U", 0.5)?,
            tau_rec: per_synapse(&mut t, path, "tau_rec", 100.0)?,
            tau_facil: per_synapse(&mut t, path, "tau_facil", 0.0)?,
            tau_psc,
        }
    } else {
        DynamicsEntry::SimpleStochastic {
            p: per_synapse(&mut t, path, "p", 0.5)?,
        }
    };
    let allowed: &[&str] = match entry {
        DynamicsEntry::TsodyksMarkram { .. } => &["type", "U", "tau_rec", "tau_facil", "tau_psc"],
        DynamicsEntry::SimpleStochastic { .. } => &["type", "p"],
    };
    no_leftovers(&t, path, allowed)?;
    Ok(entry)
}

/// Takes `key` (PyNN's default `default`) as a number or a list of numbers, one per synapse.
fn per_synapse(
    t: &mut Table,
    path: &str,
    key: &str,
    default: f64,
) -> Result<PerSynapse, SchemaError> {
    let bad = |v: &Toml| {
        (
            join(path, key),
            format!(
                " = {}: must be a number or a list of numbers (one per synapse)",
                show(v)
            ),
        )
    };
    let number = |v: &Toml| match v {
        Toml::Float(f) if f.is_finite() => Ok(*f),
        Toml::Integer(i) => Ok(*i as f64),
        other => Err(bad(other)),
    };
    match t.remove(key) {
        None => Ok(PerSynapse::One(default)),
        Some(Toml::Array(a)) => a
            .iter()
            .map(number)
            .collect::<Result<_, _>>()
            .map(PerSynapse::Each),
        Some(v) => number(&v).map(PerSynapse::One),
    }
}

/// One `primary`, `third_in` or `third_out` table of a tripartite connection.
fn link(t: &mut Table, path: &str, key: &str, receptor: bool) -> Result<LinkEntry, SchemaError> {
    let lpath = join(path, key);
    let mut lt = match t.remove(key) {
        Some(v) => table(v, &lpath)?,
        None => {
            return Err((
                lpath,
                ": missing, e.g. { weight = 1.0, delay = 1.0 }".into(),
            ))
        }
    };
    let receptor_type = if receptor {
        optional_string(&mut lt, &lpath, "receptor_type")?
    } else {
        None
    };
    let (weight, delay) = weight_delay(&mut lt, &lpath)?;
    let allowed: &[&str] = if receptor {
        &["weight", "delay", "receptor_type"]
    } else {
        &["weight", "delay"]
    };
    no_leftovers(&lt, &lpath, allowed)?;
    Ok(LinkEntry {
        weight,
        delay,
        receptor_type,
    })
}

fn tripartite_entry(mut t: Table, path: &str) -> Result<TripartiteEntry, SchemaError> {
    let pre = required_string(&mut t, path, "pre", "a population name")?;
    let post = required_string(&mut t, path, "post", "a population name")?;
    let astrocytes = required_string(&mut t, path, "astrocytes", "a population name")?;
    let connector = connector(&mut t, path)?;
    let tpath = join(path, "third_factor");
    let mut tf = match t.remove("third_factor") {
        Some(v) => table(v, &tpath)?,
        None => {
            return Err((
                tpath,
                ": missing, e.g. { p = 0.5, pool_size = 1, pool_type = \"block\" }".into(),
            ))
        }
    };
    if tf.contains_key("p") && tf.contains_key("p_third_if_primary") {
        return Err((
            join(&tpath, "p_third_if_primary"),
            ": give either p (NEST 3.10) or p_third_if_primary (its older name), not both".into(),
        ));
    }
    let key = if tf.contains_key("p_third_if_primary") {
        "p_third_if_primary"
    } else {
        "p"
    };
    let p_third = number(&mut tf, &tpath, key, Some(1.0), "probability")?;
    if !(0.0..=1.0).contains(&p_third) {
        return Err((
            join(&tpath, key),
            format!(" = {p_third}: must be in [0, 1]"),
        ));
    }
    let pool_size = match tf.remove("pool_size") {
        None => None,
        Some(Toml::Integer(i)) if i >= 1 => Some(i as u64),
        Some(v) => {
            return Err((
                join(&tpath, "pool_size"),
                format!(" = {}: must be an integer >= 1", show(&v)),
            ))
        }
    };
    let pool_type = match tf.remove("pool_type") {
        None => PoolType::Random,
        Some(Toml::String(s)) if s == "random" => PoolType::Random,
        Some(Toml::String(s)) if s == "block" => PoolType::Block,
        Some(v) => {
            return Err((
                join(&tpath, "pool_type"),
                format!(" = {}: must be \"random\" or \"block\"", show(&v)),
            ))
        }
    };
    no_leftovers(
        &tf,
        &tpath,
        &["p", "p_third_if_primary", "pool_size", "pool_type"],
    )?;
    let primary = link(&mut t, path, "primary", true)?;
    let third_in = link(&mut t, path, "third_in", false)?;
    let third_out = link(&mut t, path, "third_out", false)?;
    no_leftovers(
        &t,
        path,
        &[
            "pre",
            "post",
            "astrocytes",
            "connector",
            "third_factor",
            "primary",
            "third_in",
            "third_out",
        ],
    )?;
    Ok(TripartiteEntry {
        pre,
        post,
        astrocytes,
        connector,
        p_third,
        pool_size,
        pool_type,
        primary,
        third_in,
        third_out,
    })
}

const EXPERIMENT_KEYS: &[&str] = &[
    "type",
    "readout",
    "items",
    "settle",
    "cue",
    "probe",
    "delays",
    "trials",
    "conditions",
];

fn experiment(mut t: Table) -> Result<ExperimentEntry, SchemaError> {
    let path = "experiment";
    match t.remove("type") {
        Some(Toml::String(s)) if s == "delayed_recall" => {}
        Some(v) => {
            return Err((
                "experiment.type".into(),
                format!(" = {}: expected \"delayed_recall\"", show(&v)),
            ))
        }
        None => {
            return Err((
                "experiment.type".into(),
                ": missing; expected \"delayed_recall\"".into(),
            ))
        }
    }
    let readout = required_string(&mut t, path, "readout", "the population read out")?;
    let count = |t: &mut Table, key: &str, min: i64| -> Result<u64, SchemaError> {
        match t.remove(key) {
            Some(Toml::Integer(i)) if i >= min => Ok(i as u64),
            Some(v) => Err((
                join(path, key),
                format!(" = {}: must be an integer >= {min}", show(&v)),
            )),
            None => Err((join(path, key), format!(": missing (an integer >= {min})"))),
        }
    };
    let items = count(&mut t, "items", 2)?;
    let trials = count(&mut t, "trials", 1)?;
    let settle = number(&mut t, path, "settle", Some(0.0), "ms")?;
    if settle < 0.0 {
        return Err((
            "experiment.settle".into(),
            format!(" = {settle}: must be >= 0 (ms)"),
        ));
    }
    let drive = |t: &mut Table, key: &str| -> Result<Drive, SchemaError> {
        let kp = join(path, key);
        let d: Drive = match t.remove(key) {
            Some(v) => de(&kp, v)?,
            None => {
                return Err((
                    kp,
                    ": missing, e.g. { rate = 200.0, duration = 100.0, weight = 0.5 }".into(),
                ))
            }
        };
        for (k, v, ok, allowed) in [
            ("rate", d.rate, d.rate >= 0.0, "must be >= 0 (Hz)"),
            ("duration", d.duration, d.duration > 0.0, "must be > 0 (ms)"),
            ("weight", d.weight, d.weight >= 0.0, "must be >= 0"),
        ] {
            if !(ok && v.is_finite()) {
                return Err((join(&kp, k), format!(" = {v}: {allowed}")));
            }
        }
        Ok(d)
    };
    let cue = drive(&mut t, "cue")?;
    let probe = drive(&mut t, "probe")?;
    let delays: Vec<f64> = match t.remove("delays") {
        Some(v) => de("experiment.delays", v)?,
        None => {
            return Err((
                "experiment.delays".into(),
                ": missing (a list of delays in ms)".into(),
            ))
        }
    };
    if delays.is_empty() {
        return Err((
            "experiment.delays".into(),
            ": must list at least one delay (ms)".into(),
        ));
    }
    if let Some((k, d)) = delays
        .iter()
        .enumerate()
        .find(|(_, d)| !(d.is_finite() && **d >= 0.0))
    {
        return Err((
            format!("experiment.delays[{k}]"),
            format!(" = {d}: must be >= 0 (ms)"),
        ));
    }
    let conditions = match t.remove("conditions") {
        None => vec![("default".to_string(), Vec::new())],
        Some(v) => {
            let ct = table(v, "experiment.conditions")?;
            let mut out = Vec::new();
            for (name, v) in ct {
                check_name(&name, "experiment.conditions")?;
                let sets: Vec<String> = de(&format!("experiment.conditions.{name}"), v)?;
                out.push((name, sets));
            }
            if out.is_empty() {
                return Err((
                    "experiment.conditions".into(),
                    ": must name at least one condition".into(),
                ));
            }
            out
        }
    };
    no_leftovers(&t, path, EXPERIMENT_KEYS)?;
    Ok(ExperimentEntry {
        readout,
        items,
        settle,
        cue,
        probe,
        delays,
        trials,
        conditions,
    })
}
