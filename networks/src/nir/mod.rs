//! NIR (the Neuromorphic Intermediate Representation, `nir` 1.0.8): read and write `.nir` files
//! (`hdf5`), turn a NIR graph into an engram model file (`import`) and a model file back into a
//! NIR graph (`export`). docs/NIR.md has the node mapping, units and discretisation.

pub mod export;
pub mod graph;
pub mod hdf5;
pub mod import;
mod linear;
pub mod provenance;

pub use export::{export, Exported};
pub use graph::{Array, Data, Graph, Node, NIR_VERSION};
pub use import::{import, ImportOptions};

/// What can go wrong with a NIR file or graph.
#[derive(Debug, thiserror::Error)]
pub enum NirError {
    #[error("{file}: {message}")]
    Format { file: String, message: String },
    /// A node engram cannot map (its type, or a parameter of it); names node and reason.
    #[error("{file}: node `{node}` ({kind}): {reason}")]
    Unsupported {
        file: String,
        node: String,
        kind: String,
        reason: String,
    },
    /// The graph's structure (edges, shapes) is inconsistent.
    #[error("{file}: {message}")]
    Graph { file: String, message: String },
    /// A model file NIR cannot express.
    #[error("{file}: {message}")]
    Inexpressible { file: String, message: String },
    #[error("{file}: cannot write: {message}")]
    Write { file: String, message: String },
}

sim_core::error_codes! { NirError {
    Format => "E1101",
    Unsupported => "E1102",
    Graph => "E1103",
    Inexpressible => "E1104",
    Write => "E1105",
} }
