//! Thin wrappers over the command layer's building blocks: the CA3 memory (`engram.cam`).

use pyo3::prelude::*;

pub fn register(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
