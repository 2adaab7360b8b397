//! NIR's HDF5 layout (as `nir.write` writes it), read and written with the pure-Rust `hdf5-pure`
//! crate: root dataset `version` and group `node` (the top graph); a node is a group with a vlen
//! UTF-8 `type` dataset and one dataset per field; `edges` is an (n, 2) vlen-string dataset;
//! `metadata` is a sub-group; numeric arrays are chunked and deflate-compressed (level 4).

use std::collections::BTreeMap;
use std::path::Path;

use hdf5_pure::{DType, File, FileBuilder, GroupBuilder};

use super::graph::{Array, Data, Graph, Node};
use super::NirError;

/// Reads a `.nir` file: its version string and top-level graph.
pub fn read(path: &Path) -> Result<(String, Graph), NirError> {
    let file_name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| NirError::Format {
        file: file_name.clone(),
        message: format!("cannot read: {e}"),
    })?;
    read_bytes(&file_name, bytes)
}

/// [`read`] of a file's bytes; `file_name` names it in errors.
pub fn read_bytes(file_name: &str, bytes: Vec<u8>) -> Result<(String, Graph), NirError> {
    let bad = |what: String| NirError::Format {
        file: file_name.to_string(),
        message: what,
    };
    let file = File::from_bytes(bytes).map_err(|e| bad(format!("not an HDF5 file: {e}")))?;
    let version = file
        .dataset("version")
        .ok()
        .and_then(|d| d.read_string().ok())
        .and_then(|v| v.into_iter().next())
        .unwrap_or_default();
    let node = file
        .group("node")
        .map_err(|e| bad(format!("no group `node` (the top graph): {e}")))?;
    match read_node(&node, "/node").map_err(bad)? {
        Node::Graph(g) => Ok((version, g)),
        other => Err(bad(format!("/node is a {}, not a NIRGraph", other.kind()))),
    }
}

fn read_node(group: &hdf5_pure::Group, at: &str) -> Result<Node, String> {
    let datasets = group.datasets().map_err(|e| format!("{at}: {e}"))?;
    let groups = group.groups().map_err(|e| format!("{at}: {e}"))?;
    let kind = match read_dataset(group, "type", at)?.text() {
        Some(t) => t.to_string(),
        None => return Err(format!("{at}/type: not a string")),
    };
    let metadata = if groups.iter().any(|g| g == "metadata") {
        let m = group.group("metadata").map_err(|e| format!("{at}: {e}"))?;
        let names = m.datasets().map_err(|e| format!("{at}/metadata: {e}"))?;
        names
            .iter()
            .map(|n| Ok((n.clone(), read_dataset(&m, n, &format!("{at}/metadata"))?)))
            .collect::<Result<BTreeMap<_, _>, String>>()?
    } else {
        BTreeMap::new()
    };
    if kind == "NIRGraph" {
        let nodes_group = group
            .group("nodes")
            .map_err(|e| format!("{at}: a NIRGraph without `nodes`: {e}"))?;
        let mut nodes = BTreeMap::new();
        for name in nodes_group
            .groups()
            .map_err(|e| format!("{at}/nodes: {e}"))?
        {
            let g = nodes_group
                .group(&name)
                .map_err(|e| format!("{at}/nodes/{name}: {e}"))?;
            nodes.insert(name.clone(), read_node(&g, &format!("{at}/nodes/{name}"))?);
        }
        let edges = read_dataset(group, "edges", at)?;
        let Data::Str(ends) = &edges.data else {
            return Err(format!("{at}/edges: not strings"));
        };
        if !(ends.is_empty() || edges.shape.len() == 2 && edges.shape[1] == 2) {
            return Err(format!(
                "{at}/edges: shape {:?}, expected (n, 2)",
                edges.shape
            ));
        }
        let edges = ends
            .chunks(2)
            .map(|p| (p[0].clone(), p[1].clone()))
            .collect();
        return Ok(Node::Graph(Graph {
            nodes,
            edges,
            metadata,
        }));
    }
    let mut fields = BTreeMap::new();
    for name in datasets.iter().filter(|n| n.as_str() != "type") {
        fields.insert(name.clone(), read_dataset(group, name, at)?);
    }
    Ok(Node::Primitive {
        kind,
        fields,
        metadata,
    })
}

fn read_dataset(group: &hdf5_pure::Group, name: &str, at: &str) -> Result<Array, String> {
    let err = |e: hdf5_pure::Error| format!("{at}/{name}: {e}");
    let ds = group.dataset(name).map_err(err)?;
    let shape = ds.shape().map_err(err)?;
    let data = match ds.dtype().map_err(err)? {
        DType::F32 => Data::F32(ds.read_f32().map_err(err)?),
        DType::F64 => Data::F64(ds.read_f64().map_err(err)?),
        DType::I8 | DType::I16 | DType::I32 | DType::I64 | DType::U8 | DType::U16 | DType::U32 => {
            Data::I64(ds.read_i64().map_err(err)?)
        }
        DType::String | DType::VariableLengthString => Data::Str(ds.read_string().map_err(err)?),
        other => {
            return Err(format!(
                "{at}/{name}: element type {other} (NIR fields are numbers or strings)"
            ))
        }
    };
    Ok(Array { shape, data })
}

/// Writes `graph` as a `.nir` file with `version`.
pub fn write(path: &Path, graph: &Graph, version: &str) -> Result<(), NirError> {
    let mut fb = FileBuilder::new();
    fb.create_dataset("version")
        .with_vlen_strings(&[version])
        .with_shape(&[]);
    let mut top = fb.create_group("node");
    write_graph(&mut top, graph);
    fb.add_group(top.finish());
    let bytes = fb.finish().map_err(|e| NirError::Write {
        file: path.display().to_string(),
        message: e.to_string(),
    })?;
    std::fs::write(path, bytes).map_err(|e| NirError::Write {
        file: path.display().to_string(),
        message: e.to_string(),
    })
}

fn write_graph(group: &mut GroupBuilder, graph: &Graph) {
    write_array(group, "type", &Array::string("NIRGraph"));
    let ends: Vec<&str> = graph
        .edges
        .iter()
        .flat_map(|(a, b)| [a.as_str(), b.as_str()])
        .collect();
    group
        .create_dataset("edges")
        .with_vlen_strings(&ends)
        .with_shape(&[graph.edges.len() as u64, 2]);
    write_metadata(group, &graph.metadata);
    let mut nodes = group.create_group("nodes");
    for (name, node) in &graph.nodes {
        let mut g = nodes.create_group(name);
        match node {
            Node::Graph(sub) => write_graph(&mut g, sub),
            Node::Primitive {
                kind,
                fields,
                metadata,
            } => {
                write_array(&mut g, "type", &Array::string(kind));
                for (k, v) in fields {
                    write_array(&mut g, k, v);
                }
                write_metadata(&mut g, metadata);
            }
        }
        nodes.add_group(g.finish());
    }
    group.add_group(nodes.finish());
}

fn write_metadata(group: &mut GroupBuilder, metadata: &BTreeMap<String, Array>) {
    if metadata.is_empty() {
        return;
    }
    let mut m = group.create_group("metadata");
    for (k, v) in metadata {
        write_array(&mut m, k, v);
    }
    group.add_group(m.finish());
}

/// Numeric arrays chunked (one chunk) and deflated at level 4, as `nir.write` does; scalars and
/// strings plain.
fn write_array(group: &mut GroupBuilder, name: &str, a: &Array) {
    let ds = group.create_dataset(name);
    match &a.data {
        Data::F32(v) => ds.with_f32_data(v),
        Data::F64(v) => ds.with_f64_data(v),
        Data::I64(v) => ds.with_i64_data(v),
        Data::Str(v) => {
            let refs: Vec<&str> = v.iter().map(String::as_str).collect();
            ds.with_vlen_strings(&refs)
        }
    };
    ds.with_shape(&a.shape);
    let numeric = !matches!(a.data, Data::Str(_));
    if numeric && !a.shape.is_empty() && !a.is_empty() {
        ds.with_chunks(&a.shape).with_deflate(4);
    }
}
