//! A NIR graph -> an engram model file (TOML text).
//!
//! Nested graphs are flattened (`outer.inner` names, their Input/Output nodes pass values
//! through). The top graph's `Input` nodes become `SpikeSourceArray` populations (no spikes until
//! given), neuron nodes become populations, and every chain of stateless nodes (Affine, Linear,
//! Scale, Conv, pooling, Flatten, Delay) between two of those is composed into one sparse map:
//! a `FromListConnector` projection per sign. docs/NIR.md has the units and the discretisation.

use std::collections::{BTreeMap, BTreeSet};

use toml::{Table, Value as Toml};

use super::graph::{Array, Data, Graph, Node};
use super::linear::{identity, linear_map, LinearMap, LINEAR_KINDS};
use super::NirError;

/// Time, run length and seed of the model file an import writes, and what a spike is.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    /// ms.
    pub dt_ms: f64,
    /// ms.
    pub duration_ms: f64,
    pub seed: u64,
    /// `None`: a spike is NIR's unit-area Dirac pulse. `Some(w)`: a spike is a pulse of height 1
    /// lasting `w` seconds (area `w`), the convention of discrete-time trainers such as snnTorch
    /// and Norse, whose spike is a 1 held for one of their steps; every weight from a spiking
    /// node or an Input is then scaled by `w`.
    pub spike_width_s: Option<f64>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            dt_ms: 0.1,
            duration_ms: 100.0,
            seed: 1,
            spike_width_s: None,
        }
    }
}

/// The key of a model file's `[nir]` section that records [`ImportOptions::spike_width_s`].
pub const SPIKE_WIDTH_KEY: &str = "spike_width";

/// NIR time is in seconds, engram's in ms.
pub const MS_PER_NIR_TIME: f64 = 1000.0;

/// Neuron nodes engram maps, and those it recognises but cannot map yet (with the reason).
pub const NEURON_KINDS: &[&str] = &["CubaLIF", "CubaLI", "LIF", "LI", "IF", "I"];
const UNMAPPED: &[(&str, &str)] = &[(
    "Threshold",
    "a stateless Heaviside of a continuous value; engram's populations exchange spikes, not values",
)];

/// Appended to the name of the inhibitory half of a projection.
pub const INHIBITORY_SUFFIX: &str = "__inh";

/// A potential no input reaches: the threshold of CubaLI, which never spikes.
pub const NO_THRESHOLD: f64 = 1e300;

/// Per element of a node's output: (source neuron, weight, delay in s) of every contribution.
type Contributions = Vec<Vec<(usize, f64, f64)>>;

/// One flat node: what it is after flattening.
enum Flat {
    Source {
        shape: Vec<u64>,
    },
    Neuron {
        kind: String,
        fields: BTreeMap<String, Array>,
    },
    Stateless {
        kind: String,
        fields: BTreeMap<String, Array>,
    },
    PassThrough,
    Sink,
}

struct Flattened {
    nodes: BTreeMap<String, Flat>,
    edges: Vec<(String, String)>,
}

/// Turns `graph` (read from `file`) into model-file text.
pub fn import(graph: &Graph, file: &str, opts: &ImportOptions) -> Result<String, NirError> {
    let mut flat = Flattened {
        nodes: BTreeMap::new(),
        edges: Vec::new(),
    };
    flatten(graph, "", true, &mut flat, file)?;
    let graph_err = |message: String| NirError::Graph {
        file: file.to_string(),
        message,
    };
    let mut named: BTreeMap<String, &str> = BTreeMap::new();
    for name in flat.nodes.keys() {
        if let Some(other) = named.insert(toml_name(name), name) {
            return Err(graph_err(format!(
                "nodes `{other}` and `{name}` both become `{}` in the model file; rename one",
                toml_name(name)
            )));
        }
    }
    for (a, b) in &flat.edges {
        for end in [a, b] {
            if !flat.nodes.contains_key(end) {
                return Err(graph_err(format!("edge ({a}, {b}): no node `{end}`")));
            }
        }
    }
    let mut succ: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut pred: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in &flat.edges {
        succ.entry(a).or_default().push(b);
        pred.entry(b).or_default().push(a);
    }
    let mut shapes = BTreeMap::new();
    let mut maps = BTreeMap::new();
    for name in flat.nodes.keys() {
        out_shape(name, &flat, &pred, &mut shapes, &mut maps, 0, file)?;
    }

    let unsupported = |node: &str, kind: &str, reason: String| NirError::Unsupported {
        file: file.to_string(),
        node: node.to_string(),
        kind: kind.to_string(),
        reason,
    };
    let dt = opts.dt_ms;
    let spike_area = opts.spike_width_s.unwrap_or(1.0);
    let mut doc = Table::new();
    doc.insert("dt".into(), Toml::Float(dt));
    doc.insert("duration".into(), Toml::Float(opts.duration_ms));
    doc.insert("seed".into(), Toml::Integer(opts.seed as i64));

    // Biases first: a bias enters at its stateless node and flows on like any input.
    let mut biases: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (name, node) in &flat.nodes {
        if !matches!(node, Flat::Stateless { .. }) {
            continue;
        }
        let map = &maps[name.as_str()];
        if map.bias.iter().all(|&b| b == 0.0) {
            continue;
        }
        let mut reached = BTreeMap::new();
        propagate_bias(name, map.bias.clone(), &flat, &succ, &maps, &mut reached, 0)
            .map_err(graph_err)?;
        for (target, b) in reached {
            let acc = biases.entry(target).or_insert_with(|| vec![0.0; b.len()]);
            acc.iter_mut().zip(&b).for_each(|(a, x)| *a += x);
        }
    }

    // Populations. A neuron node whose neurons differ (in a parameter or their bias) becomes
    // one population per distinct set, `node__0`, `node__1`, ...: an engram population shares
    // its parameters. Per node and neuron: its population and index there, and how a NIR weight
    // onto it scales into an engram weight.
    let mut populations = Table::new();
    let mut members: BTreeMap<&str, Vec<(String, usize)>> = BTreeMap::new();
    let mut weight_scale: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let recorded_v = reaches_output(&flat, &succ);
    for (name, node) in &flat.nodes {
        let size = shapes[name.as_str()].iter().product::<u64>() as usize;
        match node {
            Flat::Source { .. } => {
                let mut pop = Table::new();
                pop.insert("cell_type".into(), "SpikeSourceArray".into());
                let mut params = Table::new();
                params.insert(
                    "spike_times".into(),
                    Toml::Array(vec![Toml::Array(Vec::new())]),
                );
                pop.insert("params".into(), Toml::Table(params));
                pop.insert("record".into(), Toml::Array(vec!["spikes".into()]));
                pop.insert("size".into(), Toml::Integer(size as i64));
                populations.insert(toml_name(name), Toml::Table(pop));
                members.insert(name, (0..size).map(|i| (toml_name(name), i)).collect());
            }
            Flat::Neuron { kind, fields } => {
                let bias = biases.remove(name).unwrap_or_else(|| vec![0.0; size]);
                let groups = neuron_groups(fields, &bias, size);
                let mut member = vec![(String::new(), 0); size];
                let mut scale = vec![0.0; size];
                for (g, idx) in groups.iter().enumerate() {
                    let sub = group_fields(fields, idx, size);
                    let mapped = neuron(kind, &sub, idx.len())
                        .map_err(|reason| unsupported(name, kind, reason))?;
                    let mut pop = mapped.population;
                    let pop_name = if groups.len() == 1 {
                        toml_name(name)
                    } else {
                        format!("{}__{g}", toml_name(name))
                    };
                    if let Some(Toml::Table(params)) = pop.get_mut("params") {
                        let i_offset = bias[idx[0]] * mapped.bias_scale[0];
                        params.insert("i_offset".into(), Toml::Float(i_offset));
                    }
                    let record: Vec<Toml> = if recorded_v.contains(name.as_str()) {
                        vec!["spikes".into(), "v".into()]
                    } else {
                        vec!["spikes".into()]
                    };
                    pop.insert("record".into(), Toml::Array(record));
                    pop.insert("size".into(), Toml::Integer(idx.len() as i64));
                    for (local, &j) in idx.iter().enumerate() {
                        member[j] = (pop_name.clone(), local);
                        scale[j] = mapped.weight_scale[local];
                    }
                    populations.insert(pop_name, Toml::Table(pop));
                }
                members.insert(name, member);
                weight_scale.insert(name, scale);
            }
            _ => {}
        }
    }

    // Projections: from every stage through stateless nodes to every neuron population.
    let mut projections = Table::new();
    for (name, node) in &flat.nodes {
        if !matches!(node, Flat::Source { .. } | Flat::Neuron { .. }) {
            continue;
        }
        let n = shapes[name.as_str()].iter().product::<u64>() as usize;
        let start: Contributions = (0..n).map(|i| vec![(i, 1.0, 0.0)]).collect();
        let mut reached: BTreeMap<String, Contributions> = BTreeMap::new();
        let mut vias: BTreeMap<String, BTreeSet<Vec<String>>> = BTreeMap::new();
        for &next in succ.get(name.as_str()).into_iter().flatten() {
            walk(
                next,
                start.clone(),
                Vec::new(),
                &flat,
                &succ,
                &maps,
                &mut reached,
                &mut vias,
                0,
            )
            .map_err(graph_err)?;
        }
        for (target, contrib) in reached {
            // One stateless node between the two keeps its name (so that export restores it).
            let via = &vias[&target];
            let base = match via.iter().next() {
                Some(path) if via.len() == 1 && path.len() == 1 => toml_name(&path[0]),
                _ => format!("{}__{}", toml_name(name), toml_name(&target)),
            };
            let scale = &weight_scale[target.as_str()];
            let (pre_of, post_of) = (&members[name.as_str()], &members[target.as_str()]);
            // (pre population, post population, inhibitory) -> rows.
            let mut rows: BTreeMap<(&str, &str, bool), Vec<Toml>> = BTreeMap::new();
            for (post, list) in contrib.iter().enumerate() {
                let mut merged: BTreeMap<(usize, u64), f64> = BTreeMap::new();
                for &(pre, w, d) in list {
                    *merged.entry((pre, d.to_bits())).or_default() += w;
                }
                for ((pre, d), w) in merged {
                    if w == 0.0 {
                        continue;
                    }
                    let delay_s = f64::from_bits(d);
                    let steps = delay_s * MS_PER_NIR_TIME / dt;
                    if (steps - steps.round()).abs() > 1e-6 || steps < 0.0 {
                        return Err(graph_err(format!(
                            "a delay of {delay_s} s on the way from `{name}` to `{target}` is not a multiple of dt = {dt} ms"
                        )));
                    }
                    let delay = dt * (1.0 + steps.round());
                    let weight = w * scale[post] * spike_area;
                    let (pre_pop, pre_i) = &pre_of[pre];
                    let (post_pop, post_i) = &post_of[post];
                    let row = Toml::Array(vec![
                        Toml::Float(*pre_i as f64),
                        Toml::Float(*post_i as f64),
                        Toml::Float(weight),
                        Toml::Float(delay),
                    ]);
                    rows.entry((pre_pop, post_pop, weight < 0.0))
                        .or_default()
                        .push(row);
                }
            }
            let pairs: BTreeSet<(&str, &str)> = rows.keys().map(|k| (k.0, k.1)).collect();
            for ((pre_pop, post_pop, inhibitory), list) in rows {
                let mut p = Table::new();
                p.insert("pre".into(), pre_pop.into());
                p.insert("post".into(), post_pop.into());
                let mut conn = Table::new();
                conn.insert("type".into(), "FromListConnector".into());
                conn.insert("conn_list".into(), Toml::Array(list));
                p.insert("connector".into(), Toml::Table(conn));
                let receptor = if inhibitory {
                    "inhibitory"
                } else {
                    "excitatory"
                };
                p.insert("receptor_type".into(), receptor.into());
                // Each row carries its own weight and delay; these are the defaults.
                p.insert("weight".into(), Toml::Float(0.0));
                p.insert("delay".into(), Toml::Float(dt));
                let mut key = if pairs.len() == 1 {
                    base.clone()
                } else {
                    format!("{base}__{pre_pop}__{post_pop}")
                };
                if inhibitory {
                    key.push_str(INHIBITORY_SUFFIX);
                }
                projections.insert(key, Toml::Table(p));
            }
        }
    }
    if populations.is_empty() {
        return Err(graph_err(
            "the graph has no Input and no neuron node".into(),
        ));
    }
    doc.insert("populations".into(), Toml::Table(populations));
    if !projections.is_empty() {
        doc.insert("projections".into(), Toml::Table(projections));
    }
    // The original graph, so that an export of the unchanged network gives it back.
    let mut section = super::provenance::section(graph, file);
    if let Some(width) = opts.spike_width_s {
        section.insert(SPIKE_WIDTH_KEY.into(), Toml::Float(width));
    }
    doc.insert("nir".into(), Toml::Table(section));
    let header = format!(
        "# Imported from the NIR graph {file}: NIR time in s -> ms, potentials and currents as given;\n\
         # Input nodes are SpikeSourceArray populations: give their spike_times (ms).\n"
    );
    Ok(header + &toml::to_string(&doc).expect("a TOML table serialises"))
}

/// A NIR node's name as a model-file name: nested names (dots, which are key paths there) use
/// `__`, any other character a model-file name cannot hold becomes `_`, and a name that does not
/// start with a letter or `_` (PyTorch exporters number their nodes "0", "1", ...) gets a `_`
/// in front.
pub fn toml_name(flat: &str) -> String {
    let name: String = flat
        .replace('.', "__")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    match name.chars().next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => name,
        _ => format!("_{name}"),
    }
}

fn flatten(
    graph: &Graph,
    prefix: &str,
    top: bool,
    out: &mut Flattened,
    file: &str,
) -> Result<(), NirError> {
    let full = |n: &str| format!("{prefix}{n}");
    for (name, node) in &graph.nodes {
        let flat = match node {
            Node::Graph(sub) => {
                flatten(sub, &format!("{prefix}{name}."), false, out, file)?;
                continue;
            }
            Node::Primitive { kind, fields, .. } => match kind.as_str() {
                "Input" if top => Flat::Source {
                    shape: fields
                        .get("shape")
                        .and_then(Array::numbers)
                        .unwrap_or_default()
                        .iter()
                        .map(|&x| x as u64)
                        .collect(),
                },
                "Output" if top => Flat::Sink,
                "Input" | "Output" => Flat::PassThrough,
                k if NEURON_KINDS.contains(&k) => Flat::Neuron {
                    kind: kind.clone(),
                    fields: fields.clone(),
                },
                k if LINEAR_KINDS.contains(&k) => Flat::Stateless {
                    kind: kind.clone(),
                    fields: fields.clone(),
                },
                k => {
                    let reason = UNMAPPED.iter().find(|(u, _)| *u == k).map_or_else(
                        || "not a NIR 1.0.8 node type engram knows".to_string(),
                        |(_, r)| r.to_string(),
                    );
                    return Err(NirError::Unsupported {
                        file: file.to_string(),
                        node: full(name),
                        kind: kind.clone(),
                        reason,
                    });
                }
            },
        };
        out.nodes.insert(full(name), flat);
    }
    // An edge to or from a nested graph means its Input or Output nodes.
    let ends = |n: &str, role: &str| -> Vec<String> {
        match graph.nodes.get(n) {
            Some(Node::Graph(sub)) => sub
                .nodes
                .iter()
                .filter(|(_, c)| c.kind() == role)
                .map(|(c, _)| format!("{prefix}{n}.{c}"))
                .collect(),
            _ => vec![full(n)],
        }
    };
    for (a, b) in &graph.edges {
        for s in ends(a, "Output") {
            for t in ends(b, "Input") {
                out.edges.push((s.clone(), t));
            }
        }
    }
    Ok(())
}

/// The output shape of every node, and the map of every stateless node.
fn out_shape<'a>(
    name: &'a str,
    flat: &'a Flattened,
    pred: &BTreeMap<&str, Vec<&'a str>>,
    shapes: &mut BTreeMap<&'a str, Vec<u64>>,
    maps: &mut BTreeMap<&'a str, LinearMap>,
    depth: usize,
    file: &str,
) -> Result<Vec<u64>, NirError> {
    if let Some(s) = shapes.get(name) {
        return Ok(s.clone());
    }
    let graph_err = |message: String| NirError::Graph {
        file: file.to_string(),
        message,
    };
    if depth > flat.nodes.len() {
        return Err(graph_err(format!(
            "`{name}` is on a cycle of stateless nodes (an algebraic loop)"
        )));
    }
    let node = &flat.nodes[name];
    let shape = match node {
        Flat::Source { shape } => shape.clone(),
        Flat::Neuron { fields, .. } => fields.get("r").map(|a| a.shape.clone()).unwrap_or_default(),
        _ => {
            let Some(&p) = pred.get(name).and_then(|p| p.first()) else {
                if matches!(node, Flat::Sink) {
                    shapes.insert(name, Vec::new());
                    return Ok(Vec::new());
                }
                return Err(graph_err(format!("`{name}` has no incoming edge")));
            };
            let in_shape = out_shape(p, flat, pred, shapes, maps, depth + 1, file)?;
            let map = match node {
                Flat::Stateless { kind, fields } => {
                    linear_map(kind, fields, &in_shape).map_err(|reason| NirError::Unsupported {
                        file: file.to_string(),
                        node: name.to_string(),
                        kind: kind.clone(),
                        reason,
                    })?
                }
                _ => identity(&in_shape),
            };
            let s = map.out_shape.clone();
            maps.insert(name, map);
            s
        }
    };
    shapes.insert(name, shape.clone());
    Ok(shape)
}

/// The neuron populations whose values reach an Output node (recorded with `v`).
fn reaches_output<'a>(
    flat: &'a Flattened,
    succ: &BTreeMap<&str, Vec<&'a str>>,
) -> BTreeSet<&'a str> {
    let mut out = BTreeSet::new();
    for name in flat.nodes.keys() {
        let mut stack: Vec<&str> = succ.get(name.as_str()).cloned().unwrap_or_default();
        let mut seen = BTreeSet::new();
        while let Some(n) = stack.pop() {
            if !seen.insert(n) {
                continue;
            }
            match flat.nodes[n] {
                Flat::Sink => {
                    out.insert(name.as_str());
                }
                Flat::Stateless { .. } | Flat::PassThrough => {
                    stack.extend(succ.get(n).into_iter().flatten());
                }
                _ => {}
            }
        }
    }
    out
}

/// Applies stateless nodes from `at` on, collecting (pre, weight, delay) per element of every
/// neuron node reached.
#[allow(clippy::too_many_arguments)]
fn walk(
    at: &str,
    contrib: Contributions,
    path: Vec<String>,
    flat: &Flattened,
    succ: &BTreeMap<&str, Vec<&str>>,
    maps: &BTreeMap<&str, LinearMap>,
    reached: &mut BTreeMap<String, Contributions>,
    vias: &mut BTreeMap<String, BTreeSet<Vec<String>>>,
    depth: usize,
) -> Result<(), String> {
    if depth > flat.nodes.len() {
        return Err(format!(
            "`{at}` is on a cycle of stateless nodes (an algebraic loop)"
        ));
    }
    match &flat.nodes[at] {
        Flat::Neuron { .. } => {
            let acc = reached
                .entry(at.to_string())
                .or_insert_with(|| vec![Vec::new(); contrib.len()]);
            if acc.len() != contrib.len() {
                return Err(format!(
                    "`{at}` has {} neurons but receives {} values",
                    acc.len(),
                    contrib.len()
                ));
            }
            for (a, c) in acc.iter_mut().zip(contrib) {
                a.extend(c);
            }
            vias.entry(at.to_string()).or_default().insert(path);
            Ok(())
        }
        Flat::Sink | Flat::Source { .. } => Ok(()),
        Flat::Stateless { .. } | Flat::PassThrough => {
            let map = &maps[at];
            let n_out = map.out_shape.iter().product::<u64>() as usize;
            let mut next = vec![Vec::new(); n_out];
            for &(o, i, w) in &map.entries {
                let extra = map.delay_s.get(i).copied().unwrap_or(0.0);
                for &(pre, w0, d0) in &contrib[i] {
                    next[o].push((pre, w0 * w, d0 + extra));
                }
            }
            let mut path = path;
            // Delay nodes fold into the projection's delays, so they do not name it.
            if matches!(&flat.nodes[at], Flat::Stateless { kind, .. } if kind != "Delay") {
                path.push(at.to_string());
            }
            for &n in succ.get(at).into_iter().flatten() {
                walk(
                    n,
                    next.clone(),
                    path.clone(),
                    flat,
                    succ,
                    maps,
                    reached,
                    vias,
                    depth + 1,
                )?;
            }
            Ok(())
        }
    }
}

/// Carries a bias vector (the output of `at`) on through stateless nodes to neuron nodes.
fn propagate_bias(
    at: &str,
    value: Vec<f64>,
    flat: &Flattened,
    succ: &BTreeMap<&str, Vec<&str>>,
    maps: &BTreeMap<&str, LinearMap>,
    reached: &mut BTreeMap<String, Vec<f64>>,
    depth: usize,
) -> Result<(), String> {
    if depth > flat.nodes.len() {
        return Err(format!(
            "`{at}` is on a cycle of stateless nodes (an algebraic loop)"
        ));
    }
    for &n in succ.get(at).into_iter().flatten() {
        match &flat.nodes[n] {
            Flat::Neuron { .. } => {
                let acc = reached
                    .entry(n.to_string())
                    .or_insert_with(|| vec![0.0; value.len()]);
                acc.iter_mut().zip(&value).for_each(|(a, v)| *a += v);
            }
            Flat::Stateless { .. } | Flat::PassThrough => {
                let map = &maps[n];
                let n_out = map.out_shape.iter().product::<u64>() as usize;
                let mut next = vec![0.0; n_out];
                for &(o, i, w) in &map.entries {
                    next[o] += w * value[i];
                }
                propagate_bias(n, next, flat, succ, maps, reached, depth + 1)?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// A neuron node as a population (without size and recording), and per neuron how a NIR weight
/// and a NIR bias scale into engram's.
struct MappedNeuron {
    population: Table,
    weight_scale: Vec<f64>,
    bias_scale: Vec<f64>,
}

/// CubaLIF/CubaLI -> `IF_curr_exp`; LIF/LI/IF/I -> `IF_curr_delta` (docs/NIR.md).
fn neuron(
    kind: &str,
    fields: &BTreeMap<String, Array>,
    size: usize,
) -> Result<MappedNeuron, String> {
    let uniform = |k: &str| -> Result<f64, String> {
        let v = fields
            .get(k)
            .and_then(Array::numbers)
            .ok_or_else(|| format!("no numeric `{k}`"))?;
        if v.is_empty() || v.iter().any(|&x| x != v[0]) {
            return Err(format!(
                "`{k}` differs between neurons; an engram population shares its parameters"
            ));
        }
        Ok(v[0])
    };
    let optional = |k: &str, default: f64| -> Result<f64, String> {
        if fields.contains_key(k) {
            uniform(k)
        } else {
            Ok(default)
        }
    };
    let positive = |k: &str| -> Result<f64, String> {
        let v = uniform(k)?;
        if v > 0.0 && v.is_finite() {
            Ok(v)
        } else {
            Err(format!("{k} = {v}: must be > 0"))
        }
    };
    let spiking = matches!(kind, "CubaLIF" | "LIF" | "IF");
    let leaky = !matches!(kind, "IF" | "I");
    let r = positive("r")?;
    let v_leak = if leaky { uniform("v_leak")? } else { 0.0 };
    let (v_thresh, v_reset) = if spiking {
        (uniform("v_threshold")?, optional("v_reset", 0.0)?)
    } else {
        (NO_THRESHOLD, v_leak)
    };
    let mut params = Table::new();
    let mut population = Table::new();
    let (weight_scale, bias_scale);
    if kind.starts_with("Cuba") {
        let (tau_syn, tau_mem) = (positive("tau_syn")?, positive("tau_mem")?);
        let tau_m = tau_mem * MS_PER_NIR_TIME;
        for (k, v) in [
            ("cm", tau_m / r),
            ("tau_m", tau_m),
            ("tau_syn_E", tau_syn * MS_PER_NIR_TIME),
            ("tau_syn_I", tau_syn * MS_PER_NIR_TIME),
        ] {
            params.insert(k.into(), Toml::Float(v));
        }
        population.insert("cell_type".into(), "IF_curr_exp".into());
        population.insert("integration".into(), "nest".into());
        // A spike of NIR weight w adds w_in·w/tau_syn to the synaptic current; a bias b adds
        // w_in·b (its steady state).
        let w_in = match fields.get("w_in").and_then(Array::numbers) {
            Some(v) if v.len() == size => v,
            _ => vec![1.0; size],
        };
        weight_scale = w_in.iter().map(|w| w / tau_syn).collect();
        bias_scale = w_in;
    } else {
        // A spike of NIR weight w jumps v by r·w/tau (LIF, LI) or r·w (IF, I); a bias b is a
        // constant current of b nA with cm chosen so that it moves v as NIR's r·b does.
        let (tau_m, cm, jump) = if leaky {
            let tau = positive("tau")?;
            (tau * MS_PER_NIR_TIME, tau * MS_PER_NIR_TIME / r, r / tau)
        } else {
            (f64::INFINITY, MS_PER_NIR_TIME / r, r)
        };
        params.insert("cm".into(), Toml::Float(cm));
        params.insert("tau_m".into(), Toml::Float(tau_m));
        population.insert("cell_type".into(), "IF_curr_delta".into());
        weight_scale = vec![jump; size];
        bias_scale = vec![1.0; size];
    }
    for (k, v) in [
        ("tau_refrac", 0.0),
        ("v_rest", v_leak),
        ("v_reset", v_reset),
        ("v_thresh", v_thresh),
        ("i_offset", 0.0),
    ] {
        params.insert(k.into(), Toml::Float(v));
    }
    population.insert("params".into(), Toml::Table(params));
    let mut init = Table::new();
    init.insert("v".into(), Toml::Float(v_leak));
    population.insert("initial_values".into(), Toml::Table(init));
    Ok(MappedNeuron {
        population,
        weight_scale,
        bias_scale,
    })
}

/// The neurons of a node grouped by equal parameters and bias, in order of first appearance.
fn neuron_groups(fields: &BTreeMap<String, Array>, bias: &[f64], size: usize) -> Vec<Vec<usize>> {
    let columns: Vec<Vec<f64>> = fields
        .values()
        .filter_map(Array::numbers)
        .filter(|v| v.len() == size)
        .collect();
    let mut groups: Vec<(Vec<u64>, Vec<usize>)> = Vec::new();
    for j in 0..size {
        let key: Vec<u64> = columns
            .iter()
            .map(|c| c[j].to_bits())
            .chain([bias[j].to_bits()])
            .collect();
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(j),
            None => groups.push((key, vec![j])),
        }
    }
    groups.into_iter().map(|(_, m)| m).collect()
}

/// The fields of a node restricted to the neurons `idx` (per-neuron arrays only).
fn group_fields(
    fields: &BTreeMap<String, Array>,
    idx: &[usize],
    size: usize,
) -> BTreeMap<String, Array> {
    fields
        .iter()
        .map(|(k, a)| match a.numbers() {
            Some(v) if v.len() == size => (
                k.clone(),
                Array {
                    shape: vec![idx.len() as u64],
                    data: Data::F64(idx.iter().map(|&j| v[j]).collect()),
                },
            ),
            _ => (k.clone(), a.clone()),
        })
        .collect()
}
