//! The NIR graph a model file was imported from, kept in the model file's `[nir]` section so that
//! an export gives back the original nodes (convolutions, pooling, Scale, Flatten, nested graphs,
//! `w_in`, zero biases) when the network still equals what they compose to.
//!
//! `[nir.graph]` holds `edges` (pairs of names), `metadata` and `nodes`; a node is a table with
//! `type` and, for a primitive, `fields` and `metadata` of arrays
//! `{ dtype = "f32" | "f64" | "i64" | "str", shape = [...], data = [...] }`, for a nested graph its
//! own `nodes`, `edges` and `metadata`. Every value keeps its element type, so the graph written
//! back is the graph read (float32 exactly).

use std::collections::BTreeMap;

use toml::{Table, Value as Toml};

use super::graph::{Array, Data, Graph, Node};

/// The `[nir]` section of an imported model file: where it came from and the graph itself.
pub fn section(graph: &Graph, source: &str) -> Table {
    let mut t = Table::new();
    t.insert("source".into(), source.into());
    t.insert("graph".into(), Toml::Table(graph_table(graph)));
    t
}

/// The graph stored in a model file's `[nir]` section, `None` when it has none; an error names
/// the key that is malformed.
pub fn stored_graph(doc: &Table) -> Option<Result<Graph, String>> {
    let graph = doc.get("nir")?.get("graph")?;
    Some(table_graph(graph, "nir.graph"))
}

fn graph_table(g: &Graph) -> Table {
    let mut t = Table::new();
    t.insert("type".into(), "NIRGraph".into());
    let nodes: Table = g
        .nodes
        .iter()
        .map(|(name, node)| (name.clone(), Toml::Table(node_table(node))))
        .collect();
    t.insert("nodes".into(), Toml::Table(nodes));
    let edges = g
        .edges
        .iter()
        .map(|(a, b)| Toml::Array(vec![a.as_str().into(), b.as_str().into()]))
        .collect();
    t.insert("edges".into(), Toml::Array(edges));
    t.insert("metadata".into(), Toml::Table(arrays_table(&g.metadata)));
    t
}

fn node_table(node: &Node) -> Table {
    match node {
        Node::Graph(g) => graph_table(g),
        Node::Primitive {
            kind,
            fields,
            metadata,
        } => {
            let mut t = Table::new();
            t.insert("type".into(), kind.as_str().into());
            t.insert("fields".into(), Toml::Table(arrays_table(fields)));
            t.insert("metadata".into(), Toml::Table(arrays_table(metadata)));
            t
        }
    }
}

fn arrays_table(arrays: &BTreeMap<String, Array>) -> Table {
    arrays
        .iter()
        .map(|(k, a)| (k.clone(), Toml::Table(array_table(a))))
        .collect()
}

fn array_table(a: &Array) -> Table {
    let (dtype, data): (&str, Vec<Toml>) = match &a.data {
        Data::F32(v) => ("f32", v.iter().map(|&x| Toml::Float(x as f64)).collect()),
        Data::F64(v) => ("f64", v.iter().map(|&x| Toml::Float(x)).collect()),
        Data::I64(v) => ("i64", v.iter().map(|&x| Toml::Integer(x)).collect()),
        Data::Str(v) => ("str", v.iter().map(|x| x.as_str().into()).collect()),
    };
    let mut t = Table::new();
    t.insert("dtype".into(), dtype.into());
    let shape = a.shape.iter().map(|&s| Toml::Integer(s as i64)).collect();
    t.insert("shape".into(), Toml::Array(shape));
    t.insert("data".into(), Toml::Array(data));
    t
}

fn get<'a>(v: &'a Toml, key: &str, path: &str) -> Result<&'a Toml, String> {
    v.get(key).ok_or_else(|| format!("{path}.{key}: missing"))
}

fn table_of<'a>(v: &'a Toml, key: &str, path: &str) -> Result<&'a Table, String> {
    get(v, key, path)?
        .as_table()
        .ok_or_else(|| format!("{path}.{key}: must be a table"))
}

fn table_graph(v: &Toml, path: &str) -> Result<Graph, String> {
    let mut g = Graph::default();
    for (name, node) in table_of(v, "nodes", path)? {
        let node_path = format!("{path}.nodes.{name}");
        g.nodes.insert(name.clone(), table_node(node, &node_path)?);
    }
    let edges = get(v, "edges", path)?
        .as_array()
        .ok_or_else(|| format!("{path}.edges: must be an array of [source, target] pairs"))?;
    for e in edges {
        let pair: Vec<&str> = e
            .as_array()
            .map(|p| p.iter().filter_map(Toml::as_str).collect())
            .unwrap_or_default();
        let [a, b] = pair[..] else {
            return Err(format!(
                "{path}.edges: {e} is not a [source, target] pair of names"
            ));
        };
        g.edges.push((a.to_string(), b.to_string()));
    }
    g.metadata = table_arrays(table_of(v, "metadata", path)?, &format!("{path}.metadata"))?;
    Ok(g)
}

fn table_node(v: &Toml, path: &str) -> Result<Node, String> {
    let kind = get(v, "type", path)?
        .as_str()
        .ok_or_else(|| format!("{path}.type: must be a string"))?;
    if kind == "NIRGraph" {
        return Ok(Node::Graph(table_graph(v, path)?));
    }
    Ok(Node::Primitive {
        kind: kind.to_string(),
        fields: table_arrays(table_of(v, "fields", path)?, &format!("{path}.fields"))?,
        metadata: table_arrays(table_of(v, "metadata", path)?, &format!("{path}.metadata"))?,
    })
}

fn table_arrays(t: &Table, path: &str) -> Result<BTreeMap<String, Array>, String> {
    t.iter()
        .map(|(k, v)| Ok((k.clone(), table_array(v, &format!("{path}.{k}"))?)))
        .collect()
}

fn table_array(v: &Toml, path: &str) -> Result<Array, String> {
    let shape = get(v, "shape", path)?
        .as_array()
        .and_then(|s| {
            s.iter()
                .map(|x| x.as_integer().and_then(|i| u64::try_from(i).ok()))
                .collect::<Option<Vec<u64>>>()
        })
        .ok_or_else(|| format!("{path}.shape: must be an array of sizes >= 0"))?;
    let data = get(v, "data", path)?
        .as_array()
        .ok_or_else(|| format!("{path}.data: must be an array"))?;
    let dtype = get(v, "dtype", path)?.as_str().unwrap_or("");
    let bad = |what: &str| format!("{path}.data: every element must be {what}");
    let data = match dtype {
        "f32" => Data::F32(
            data.iter()
                .map(|x| x.as_float().map(|f| f as f32))
                .collect::<Option<_>>()
                .ok_or_else(|| bad("a float"))?,
        ),
        "f64" => Data::F64(
            data.iter()
                .map(Toml::as_float)
                .collect::<Option<_>>()
                .ok_or_else(|| bad("a float"))?,
        ),
        "i64" => Data::I64(
            data.iter()
                .map(Toml::as_integer)
                .collect::<Option<_>>()
                .ok_or_else(|| bad("an integer"))?,
        ),
        "str" => Data::Str(
            data.iter()
                .map(|x| x.as_str().map(str::to_string))
                .collect::<Option<_>>()
                .ok_or_else(|| bad("a string"))?,
        ),
        other => {
            return Err(format!(
                "{path}.dtype = \"{other}\": expected \"f32\", \"f64\", \"i64\" or \"str\""
            ))
        }
    };
    let elements = shape.iter().product::<u64>() as usize;
    let array = Array { shape, data };
    if array.len() != elements {
        return Err(format!(
            "{path}: {} elements for shape {:?}",
            array.len(),
            array.shape
        ));
    }
    Ok(array)
}
