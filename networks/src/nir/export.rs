//! An engram model file -> a NIR graph: `SpikeSourceArray` populations become `Input` nodes,
//! `IF_curr_exp` populations `CubaLIF` (or `CubaLI` when their threshold is the importer's
//! "never"), `IF_curr_delta` populations `LIF`, `LI`, `IF` or `I` (leaky or not, spiking or
//! not), and the projections between two populations one `Linear` node (an `Affine` carrying
//! the target's `i_offset`), preceded by a `Delay` node when their delays exceed one step.
//! Populations recording `v` feed an `Output` node. The inverse of [`super::import`].
//!
//! A model imported from NIR keeps its original graph (`[nir]`, [`super::provenance`]); when the
//! network still equals what that graph imports to, the export is the original graph itself
//! (convolutions, pooling, nested graphs and all), otherwise the flat graph above with a warning.

use std::collections::BTreeMap;

use toml::{Table, Value as Toml};

use super::graph::{Array, Graph, Node};
use super::import::{
    import, ImportOptions, INHIBITORY_SUFFIX, MS_PER_NIR_TIME, NO_THRESHOLD, SPIKE_WIDTH_KEY,
};
use super::provenance::stored_graph;
use super::NirError;

/// An exported graph, and why it is not the graph the model was imported from (if it was).
pub struct Exported {
    pub graph: Graph,
    pub warnings: Vec<String>,
}

/// The graph of the model-file text `text` (`file` names it in errors). The text is checked as a
/// model file first, so what reaches here is valid.
pub fn export(text: &str, file: &str) -> Result<Exported, NirError> {
    let no = |message: String| NirError::Inexpressible {
        file: file.to_string(),
        message,
    };
    let doc: Table = text
        .parse()
        .map_err(|e: toml::de::Error| no(format!("not TOML: {e}")))?;
    let mut warnings = Vec::new();
    match stored_graph(&doc) {
        Some(Err(message)) => return Err(no(message)),
        Some(Ok(original)) => match unchanged(&doc, &original, file) {
            Ok(()) => {
                return Ok(Exported {
                    graph: original,
                    warnings,
                })
            }
            Err(why) => warnings.push(format!(
                "{file}: {why}; exported as flat Linear/Affine nodes between the populations, not the original NIR graph's nodes"
            )),
        },
        None => {}
    }
    let graph = export_flat(&doc, file)?;
    Ok(Exported { graph, warnings })
}

/// `Ok` when the network of `doc` is what `original` imports to at the model's dt (the spike
/// times of Input nodes and what is recorded aside); otherwise what differs.
fn unchanged(doc: &Table, original: &Graph, file: &str) -> Result<(), String> {
    let dt = doc.get("dt").and_then(Toml::as_float).unwrap_or(0.1);
    let spike_width_s = doc
        .get("nir")
        .and_then(|nir| nir.get(SPIKE_WIDTH_KEY))
        .and_then(Toml::as_float);
    let opts = ImportOptions {
        dt_ms: dt,
        spike_width_s,
        ..ImportOptions::default()
    };
    let text = import(original, file, &opts)
        .map_err(|e| format!("its [nir] graph no longer imports at dt = {dt} ms ({e})"))?;
    let again: Table = text.parse().map_err(|e| format!("{e}"))?;
    for section in ["populations", "projections"] {
        let now = doc.get(section).map(network_only);
        let then = again.get(section).map(network_only);
        if let Some(key) = first_difference(now.as_ref(), then.as_ref()) {
            return Err(format!(
                "{section}{key} differs from what its [nir] graph imports to"
            ));
        }
    }
    Ok(())
}

/// A section without what NIR does not describe: spike times and recording.
fn network_only(v: &Toml) -> Toml {
    let mut v = v.clone();
    if let Some(t) = v.as_table_mut() {
        for (_, entry) in t.iter_mut() {
            let Some(entry) = entry.as_table_mut() else {
                continue;
            };
            entry.remove("record");
            if let Some(p) = entry.get_mut("params").and_then(Toml::as_table_mut) {
                p.remove("spike_times");
            }
        }
    }
    v
}

/// The first key path (`.pop.params.tau_m`) where `a` and `b` differ, `None` when equal.
fn first_difference(a: Option<&Toml>, b: Option<&Toml>) -> Option<String> {
    match (a, b) {
        (Some(Toml::Table(x)), Some(Toml::Table(y))) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| {
                first_difference(x.get(k), y.get(k)).map(|rest| format!(".{k}{rest}"))
            })
        }
        (x, y) if x == y => None,
        _ => Some(String::new()),
    }
}

/// The flat graph of a model file's populations and projections.
fn export_flat(doc: &Table, file: &str) -> Result<Graph, NirError> {
    let no = |message: String| NirError::Inexpressible {
        file: file.to_string(),
        message,
    };
    let dt = doc.get("dt").and_then(Toml::as_float).unwrap_or(0.1);
    let empty = Table::new();
    let pops = doc
        .get("populations")
        .and_then(Toml::as_table)
        .unwrap_or(&empty);
    let projs = doc
        .get("projections")
        .and_then(Toml::as_table)
        .unwrap_or(&empty);
    let mut g = Graph::default();
    let mut sizes = BTreeMap::new();
    // Per neuron population: NIR weight = engram weight × this.
    let mut to_nir_weight = BTreeMap::new();
    let mut i_offset = BTreeMap::new();
    let mut outputs = Vec::new();
    for (name, pop) in pops {
        let size = pop.get("size").and_then(Toml::as_integer).unwrap_or(0) as u64;
        sizes.insert(name.clone(), size);
        let cell = pop.get("cell_type").and_then(Toml::as_str).unwrap_or("");
        let param = |k: &str| -> Option<f64> {
            let v = pop.get("params")?.get(k)?;
            v.as_float().or_else(|| v.as_integer().map(|i| i as f64))
        };
        let need = |k: &str| {
            param(k).ok_or_else(|| {
                no(format!(
                    "populations.{name}.params.{k}: needs a number for NIR"
                ))
            })
        };
        let arr = |v: f64| Array::f32(vec![size], std::iter::repeat_n(v, size as usize));
        match cell {
            "SpikeSourceArray" => {
                g.nodes.insert(
                    name.clone(),
                    Node::primitive("Input", [("shape", Array::i64(vec![1], vec![size as i64]))]),
                );
            }
            "IF_curr_exp" => {
                let (tau_e, tau_i) = (need("tau_syn_E")?, need("tau_syn_I")?);
                if tau_e != tau_i {
                    return Err(no(format!(
                        "populations.{name}: tau_syn_E = {tau_e} and tau_syn_I = {tau_i} differ; NIR's CubaLIF has one tau_syn"
                    )));
                }
                if param("tau_refrac").unwrap_or(0.1) != 0.0 {
                    return Err(no(format!(
                        "populations.{name}.params.tau_refrac must be 0: NIR's CubaLIF has no refractory period"
                    )));
                }
                let tau_m = need("tau_m")?;
                let v_thresh = need("v_thresh")?;
                let mut fields = vec![
                    ("tau_syn", arr(tau_e / MS_PER_NIR_TIME)),
                    ("tau_mem", arr(tau_m / MS_PER_NIR_TIME)),
                    ("r", arr(tau_m / need("cm")?)),
                    ("v_leak", arr(need("v_rest")?)),
                    ("w_in", arr(1.0)),
                ];
                let kind = if v_thresh >= NO_THRESHOLD {
                    "CubaLI"
                } else {
                    fields.push(("v_threshold", arr(v_thresh)));
                    fields.push(("v_reset", arr(need("v_reset")?)));
                    "CubaLIF"
                };
                g.nodes.insert(name.clone(), Node::primitive(kind, fields));
                to_nir_weight.insert(name.clone(), tau_e / MS_PER_NIR_TIME);
                i_offset.insert(name.clone(), param("i_offset").unwrap_or(0.0));
            }
            "IF_curr_delta" => {
                if param("tau_refrac").unwrap_or(0.1) != 0.0 {
                    return Err(no(format!(
                        "populations.{name}.params.tau_refrac must be 0: NIR's neurons have no refractory period"
                    )));
                }
                let (tau_m, cm, v_thresh) = (need("tau_m")?, need("cm")?, need("v_thresh")?);
                let spiking = v_thresh < NO_THRESHOLD;
                let leaky = tau_m.is_finite();
                let mut fields = Vec::new();
                // Inverse of the import: jump = r·w/tau (leaky) or r·w.
                let r = if leaky {
                    let tau = tau_m / MS_PER_NIR_TIME;
                    let r = tau_m / cm;
                    fields.push(("tau", arr(tau)));
                    fields.push(("v_leak", arr(need("v_rest")?)));
                    to_nir_weight.insert(name.clone(), tau / r);
                    r
                } else {
                    let r = MS_PER_NIR_TIME / cm;
                    to_nir_weight.insert(name.clone(), 1.0 / r);
                    r
                };
                fields.push(("r", arr(r)));
                if spiking {
                    fields.push(("v_threshold", arr(v_thresh)));
                    fields.push(("v_reset", arr(need("v_reset")?)));
                }
                let kind = match (leaky, spiking) {
                    (true, true) => "LIF",
                    (true, false) => "LI",
                    (false, true) => "IF",
                    (false, false) => "I",
                };
                g.nodes.insert(name.clone(), Node::primitive(kind, fields));
                i_offset.insert(name.clone(), param("i_offset").unwrap_or(0.0));
            }
            other => {
                return Err(no(format!(
                    "populations.{name}: cell type {other} has no NIR node; NIR export takes SpikeSourceArray, IF_curr_exp and IF_curr_delta"
                )))
            }
        }
        let records_v = pop
            .get("record")
            .and_then(Toml::as_array)
            .is_some_and(|r| r.iter().any(|x| x.as_str() == Some("v")));
        if records_v {
            outputs.push(name.clone());
        }
    }

    // Projections grouped by node name (the inhibitory half shares its excitatory half's node).
    // (pre, post, rows of (pre neuron, post neuron, NIR weight, delay ms)) per node name.
    type Rows = Vec<(usize, usize, f64, f64)>;
    let mut groups: BTreeMap<String, (String, String, Rows)> = BTreeMap::new();
    for (key, p) in projs {
        let pre = p
            .get("pre")
            .and_then(Toml::as_str)
            .unwrap_or("")
            .to_string();
        let post = p
            .get("post")
            .and_then(Toml::as_str)
            .unwrap_or("")
            .to_string();
        let Some(&tau) = to_nir_weight.get(&post) else {
            return Err(no(format!(
                "projections.{key}: its target {post} is not a neuron population NIR can express"
            )));
        };
        let inhibitory = p.get("receptor_type").and_then(Toml::as_str) == Some("inhibitory");
        let conn = p.get("connector").and_then(Toml::as_table);
        let kind = conn
            .and_then(|c| c.get("type"))
            .and_then(Toml::as_str)
            .unwrap_or("");
        let number = |k: &str| {
            p.get(k)
                .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
        };
        let rows: Vec<(usize, usize, f64, f64)> = match kind {
            "FromListConnector" | "FromList" => conn
                .and_then(|c| c.get("conn_list"))
                .and_then(Toml::as_array)
                .into_iter()
                .flatten()
                .map(|r| {
                    let r: Vec<f64> = r
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|x| x.as_float().or_else(|| x.as_integer().map(|i| i as f64)))
                        .collect();
                    let w = r.get(2).copied().or(number("weight")).unwrap_or(0.0);
                    let d = r.get(3).copied().or(number("delay")).unwrap_or(dt);
                    (r[0] as usize, r[1] as usize, w, d)
                })
                .collect(),
            "AllToAllConnector" | "AllToAll" | "OneToOneConnector" | "OneToOne" => {
                let (Some(w), d) = (number("weight"), number("delay").unwrap_or(dt)) else {
                    return Err(no(format!("projections.{key}: NIR export needs a constant weight")));
                };
                let (n_pre, n_post) = (sizes[&pre] as usize, sizes[&post] as usize);
                if kind.starts_with("OneToOne") {
                    (0..n_pre.min(n_post)).map(|i| (i, i, w, d)).collect()
                } else {
                    (0..n_pre).flat_map(|i| (0..n_post).map(move |j| (i, j, w, d))).collect()
                }
            }
            other => {
                return Err(no(format!(
                    "projections.{key}: connector {other} is random; NIR export takes FromListConnector, AllToAllConnector and OneToOneConnector"
                )))
            }
        };
        let node = key
            .strip_suffix(INHIBITORY_SUFFIX)
            .unwrap_or(key)
            .to_string();
        let entry = groups
            .entry(node)
            .or_insert_with(|| (pre.clone(), post.clone(), Vec::new()));
        if entry.0 != pre || entry.1 != post {
            return Err(no(format!(
                "projections.{key}: shares its name with a projection between other populations"
            )));
        }
        // Back from engram's synaptic jump to NIR's weight (w_in = 1).
        entry.2.extend(rows.into_iter().map(|(i, j, w, d)| {
            let signed = if inhibitory { -w.abs() } else { w };
            (i, j, signed * tau, d)
        }));
    }
    let mut biased = BTreeMap::new();
    for (node, (pre, post, rows)) in groups {
        let (n_pre, n_post) = (sizes[&pre] as usize, sizes[&post] as usize);
        let mut w = vec![0.0; n_pre * n_post];
        let mut delay: Vec<Option<f64>> = vec![None; n_pre];
        for (i, j, wt, d) in rows {
            if i >= n_pre || j >= n_post {
                return Err(no(format!(
                    "projection {node}: connection ({i}, {j}) is outside {pre} x {post}"
                )));
            }
            w[j * n_pre + i] += wt;
            match delay[i] {
                Some(d0) if (d0 - d).abs() > 1e-9 => {
                    return Err(no(format!(
                        "projection {node}: neuron {i} of {pre} has delays {d0} and {d} ms; NIR's Delay node delays a source element, not a connection"
                    )))
                }
                _ => delay[i] = Some(d),
            }
        }
        let extra_s: Vec<f64> = delay
            .iter()
            .map(|d| (d.unwrap_or(dt) - dt) / MS_PER_NIR_TIME)
            .collect();
        let mut src = pre.clone();
        if extra_s.iter().any(|&d| d.abs() > 1e-12) {
            let name = format!("{node}_delay");
            g.nodes.insert(
                name.clone(),
                Node::primitive(
                    "Delay",
                    [("delay", Array::f32(vec![n_pre as u64], extra_s))],
                ),
            );
            g.edges.push((pre.clone(), name.clone()));
            src = name;
        }
        let weight = Array::f32(vec![n_post as u64, n_pre as u64], w);
        let bias = i_offset.get(&post).copied().unwrap_or(0.0);
        let linear = if bias != 0.0 && biased.insert(post.clone(), ()).is_none() {
            Node::primitive(
                "Affine",
                [
                    ("weight", weight),
                    (
                        "bias",
                        Array::f32(vec![n_post as u64], std::iter::repeat_n(bias, n_post)),
                    ),
                ],
            )
        } else {
            Node::primitive("Linear", [("weight", weight)])
        };
        g.nodes.insert(node.clone(), linear);
        g.edges.push((src, node.clone()));
        g.edges.push((node, post));
    }
    for (post, bias) in &i_offset {
        if *bias != 0.0 && !biased.contains_key(post) {
            return Err(no(format!(
                "populations.{post}.params.i_offset = {bias}: NIR carries a constant input as the bias of an Affine node, and nothing projects to {post}"
            )));
        }
    }
    let single = outputs.len() == 1;
    for pop in outputs {
        let name = if single {
            "output".to_string()
        } else {
            format!("{pop}_output")
        };
        let size = sizes[&pop] as i64;
        g.nodes.insert(
            name.clone(),
            Node::primitive("Output", [("shape", Array::i64(vec![1], vec![size]))]),
        );
        g.edges.push((pop, name));
    }
    Ok(g)
}
