//! The model-file schema, read section by section so that every error carries its key path.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use toml::{Table, Value as Toml};

use crate::connectors::Connector;
use crate::dist::Value;
use crate::neurons::if_cond_exp::IfCondExpParams;
use crate::neurons::if_curr_exp::IfCurrExpParams;
use crate::neurons::izhikevich::IzhikevichParams;
use crate::neurons::spike_source_array::SpikeSourceArrayParams;
use crate::neurons::spike_source_poisson::SpikeSourcePoissonParams;
use crate::neurons::{Integration, Precision};
use crate::synapses::{Semantics, SpikePairRule, WeightDependence};

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
}

#[derive(Debug)]
pub enum CellType {
    IfCurrExp(IfCurrExpParams),
    IfCondExp(IfCondExpParams),
    Izhikevich(IzhikevichParams),
    SpikeSourcePoisson(SpikeSourcePoissonParams),
    SpikeSourceArray(SpikeSourceArrayParams),
}

pub const CELL_TYPES: &[&str] = &[
    "IF_curr_exp",
    "IF_cond_exp",
    "Izhikevich",
    "SpikeSourcePoisson",
    "SpikeSourceArray",
];

#[derive(Debug)]
pub struct PopulationEntry {
    pub cell_type: CellType,
    pub size: u64,
    pub integration: Option<Integration>,
    /// IF_curr_exp with NEST integration only: f64 (default) or f32 state.
    pub precision: Option<Precision>,
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
    pub receptor_type: String,
    pub weight: Value,
    pub delay: Value,
    pub synapse: Option<StdpEntry>,
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
        other => other.to_string(),
    }
}

fn de<T: DeserializeOwned>(path: &str, v: Toml) -> Result<T, SchemaError> {
    let copy = v.clone();
    T::deserialize(v).map_err(|e| {
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
pub fn parse(mut t: Table) -> Result<ModelFile, SchemaError> {
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
    no_leftovers(
        &t,
        "",
        &["dt", "duration", "seed", "populations", "projections"],
    )?;
    let mut populations = Vec::new();
    for (name, v) in pops {
        check_name(&name, "populations")?;
        let path = format!("populations.{name}");
        populations.push((name.clone(), population(table(v, &path)?, &path)?));
    }
    let mut projections = Vec::new();
    for (name, v) in projs {
        check_name(&name, "projections")?;
        let path = format!("projections.{name}");
        projections.push((name.clone(), projection(table(v, &path)?, &path)?));
    }
    Ok(ModelFile {
        dt,
        duration,
        seed,
        populations,
        projections,
    })
}

fn population(mut t: Table, path: &str) -> Result<PopulationEntry, SchemaError> {
    let cell = match t.remove("cell_type") {
        Some(Toml::String(s)) => s,
        Some(v) => {
            return Err((
                join(path, "cell_type"),
                format!(" = {}: must be one of {}", show(&v), CELL_TYPES.join(", ")),
            ))
        }
        None => {
            return Err((
                join(path, "cell_type"),
                format!(": missing; one of {}", CELL_TYPES.join(", ")),
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
    let cell_type = match cell.as_str() {
        "IF_curr_exp" => CellType::IfCurrExp(de(&ppath, params).map_err(named)?),
        "IF_cond_exp" => CellType::IfCondExp(de(&ppath, params).map_err(named)?),
        "Izhikevich" => CellType::Izhikevich(de(&ppath, params).map_err(named)?),
        "SpikeSourcePoisson" => CellType::SpikeSourcePoisson(de(&ppath, params).map_err(named)?),
        "SpikeSourceArray" => CellType::SpikeSourceArray(de(&ppath, params).map_err(named)?),
        other => {
            return Err((
                join(path, "cell_type"),
                format!(
                    " = \"{other}\": unknown cell type; expected one of {}",
                    CELL_TYPES.join(", ")
                ),
            ))
        }
    };
    let integration = t
        .remove("integration")
        .map(|v| de(&join(path, "integration"), v))
        .transpose()?;
    let precision = t
        .remove("precision")
        .map(|v| de(&join(path, "precision"), v))
        .transpose()?;
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
            "cell_type",
            "size",
            "params",
            "integration",
            "precision",
            "initial_values",
            "record",
            "record_neurons",
            "sampling_interval",
        ],
    )?;
    Ok(PopulationEntry {
        cell_type,
        size,
        integration,
        precision,
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
    let receptor_type = string(&mut t, "receptor_type", Some("excitatory"))?;
    let connector: Connector = match t.remove("connector") {
        Some(v) => de(&join(path, "connector"), v)?,
        None => {
            return Err((
                join(path, "connector"),
                ": missing, e.g. { type = \"AllToAllConnector\" }".into(),
            ))
        }
    };
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
    let weight = value(&mut t, "weight", 0.0)?;
    if !t.contains_key("delay") {
        return Err((
            join(path, "delay"),
            ": missing (ms, a multiple of dt)".to_string(),
        ));
    }
    let delay = value(&mut t, "delay", 0.0)?;
    let synapse = t
        .remove("synapse")
        .map(|v| de(&join(path, "synapse"), v))
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
