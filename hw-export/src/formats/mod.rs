//! Table exchange and load formats.

pub mod bin;
pub mod images;
pub mod machine_json;
pub mod pacman_json;
pub mod placements_json;
pub mod pynn;
pub mod report;

use crate::error::{HwError, Result};
use std::io::Read;
use std::path::Path;

/// Read a file, gunzipping it when the name ends in `.gz`.
pub(crate) fn read_maybe_gz(path: &Path) -> Result<Vec<u8>> {
    let file = path.display().to_string();
    let raw = std::fs::read(path).map_err(|source| HwError::Io {
        file: file.clone(),
        source,
    })?;
    if path.extension().is_some_and(|e| e == "gz") {
        gunzip(&raw, &file)
    } else {
        Ok(raw)
    }
}

/// Gunzip the bytes of `file` (named in the error).
pub fn gunzip(raw: &[u8], file: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(raw)
        .read_to_end(&mut out)
        .map_err(|source| HwError::Io {
            file: file.to_string(),
            source,
        })?;
    Ok(out)
}

/// Write a file, gzipping it when the name ends in `.gz`.
pub(crate) fn write_maybe_gz(path: &Path, data: &[u8]) -> Result<()> {
    use std::io::Write;
    let file = path.display().to_string();
    let io = |source| HwError::Io {
        file: file.clone(),
        source,
    };
    if path.extension().is_some_and(|e| e == "gz") {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).map_err(io)?;
        let bytes = enc.finish().map_err(io)?;
        std::fs::write(path, bytes).map_err(io)
    } else {
        std::fs::write(path, data).map_err(io)
    }
}
