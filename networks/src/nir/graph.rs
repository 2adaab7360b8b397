//! A NIR graph as read from or written to a `.nir` file: named nodes (each a type string and its
//! fields as typed arrays, or a nested graph), edges and metadata. Field values keep their
//! element type (f32, f64, i64, strings) so that a graph read and written again is the same file
//! content.

use std::collections::BTreeMap;

/// The elements of one field, in row-major order.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    F32(Vec<f32>),
    F64(Vec<f64>),
    I64(Vec<i64>),
    Str(Vec<String>),
}

/// One field of a node: a shape (empty for a scalar) and its elements.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    pub shape: Vec<u64>,
    pub data: Data,
}

impl Array {
    /// A float32 array (NIR's usual parameter type).
    pub fn f32(shape: Vec<u64>, values: impl IntoIterator<Item = f64>) -> Self {
        Self {
            shape,
            data: Data::F32(values.into_iter().map(|v| v as f32).collect()),
        }
    }

    pub fn i64(shape: Vec<u64>, values: Vec<i64>) -> Self {
        Self {
            shape,
            data: Data::I64(values),
        }
    }

    pub fn string(s: &str) -> Self {
        Self {
            shape: Vec::new(),
            data: Data::Str(vec![s.to_string()]),
        }
    }

    pub fn len(&self) -> usize {
        match &self.data {
            Data::F32(v) => v.len(),
            Data::F64(v) => v.len(),
            Data::I64(v) => v.len(),
            Data::Str(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The numbers as f64, or `None` for strings.
    pub fn numbers(&self) -> Option<Vec<f64>> {
        match &self.data {
            Data::F32(v) => Some(v.iter().map(|&x| x as f64).collect()),
            Data::F64(v) => Some(v.clone()),
            Data::I64(v) => Some(v.iter().map(|&x| x as f64).collect()),
            Data::Str(_) => None,
        }
    }

    /// The first string, for string fields (`padding = "same"`).
    pub fn text(&self) -> Option<&str> {
        match &self.data {
            Data::Str(v) => v.first().map(String::as_str),
            _ => None,
        }
    }
}

/// One node: a primitive (its NIR type string and fields) or a nested graph.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Primitive {
        kind: String,
        fields: BTreeMap<String, Array>,
        metadata: BTreeMap<String, Array>,
    },
    Graph(Graph),
}

impl Node {
    /// The NIR type string (`"CubaLIF"`, `"NIRGraph"`, ...).
    pub fn kind(&self) -> &str {
        match self {
            Node::Primitive { kind, .. } => kind,
            Node::Graph(_) => "NIRGraph",
        }
    }

    /// A primitive with the given fields and no metadata.
    pub fn primitive(kind: &str, fields: impl IntoIterator<Item = (&'static str, Array)>) -> Self {
        Node::Primitive {
            kind: kind.to_string(),
            fields: fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            metadata: BTreeMap::new(),
        }
    }
}

/// A `NIRGraph`: nodes by name, directed edges `(source, target)` in file order, metadata.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Graph {
    pub nodes: BTreeMap<String, Node>,
    pub edges: Vec<(String, String)>,
    pub metadata: BTreeMap<String, Array>,
}

/// The NIR version engram writes (the reference implementation it is tested against).
pub const NIR_VERSION: &str = "1.0.8";
