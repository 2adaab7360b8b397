//! PACMAN `routing_tables.json` reader/writer (schema in spec §3.1).

use super::{read_maybe_gz, write_maybe_gz};
use crate::error::{HwError, Result};
use crate::table::{RoutingEntry, RoutingTable, MAX_ROUTE};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonEntry {
    key: u32,
    mask: u32,
    defaultable: bool,
    spinnaker_route: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonTable {
    x: u32,
    y: u32,
    entries: Vec<JsonEntry>,
}

/// Parse PACMAN JSON text; `file` names the source in errors. Exact duplicate
/// (key, mask, route) entries are dropped as PACMAN's `from_json` does; the same
/// key/mask with a different route is an error.
pub fn parse_pacman_json(text: &[u8], file: &str) -> Result<Vec<RoutingTable>> {
    let raw: Vec<JsonTable> = serde_json::from_slice(text).map_err(|e| HwError::Json {
        file: file.to_string(),
        msg: format!(
            "{e} (expected an array of {{x, y, entries: [{{key, mask, defaultable, spinnaker_route}}]}} with u32 key/mask and route <= 16777215)"
        ),
    })?;
    let mut out = Vec::with_capacity(raw.len());
    for (index, t) in raw.into_iter().enumerate() {
        let mut entries: Vec<RoutingEntry> = Vec::with_capacity(t.entries.len());
        let mut seen = std::collections::HashMap::new();
        for (i, e) in t.entries.into_iter().enumerate() {
            let err = |what: String| HwError::Entry {
                file: file.to_string(),
                index,
                x: t.x,
                y: t.y,
                entry: i,
                what,
            };
            if e.spinnaker_route > MAX_ROUTE {
                return Err(err(format!(
                    "spinnaker_route {} exceeds 16777215 (24 bits)",
                    e.spinnaker_route
                )));
            }
            if e.key & !e.mask != 0 {
                return Err(err(format!(
                    "key {:#010x} has bits outside mask {:#010x} (key & mask must equal key)",
                    e.key, e.mask
                )));
            }
            match seen.get(&(e.key, e.mask)) {
                Some(&r) if r == e.spinnaker_route => continue,
                Some(&r) => {
                    return Err(err(format!(
                        "duplicate key/mask {:#010x}/{:#010x} with routes {r:#x} and {:#x}",
                        e.key, e.mask, e.spinnaker_route
                    )))
                }
                None => {
                    seen.insert((e.key, e.mask), e.spinnaker_route);
                }
            }
            entries.push(RoutingEntry::new(
                e.key,
                e.mask,
                e.spinnaker_route,
                e.defaultable,
            ));
        }
        out.push(RoutingTable::new(t.x, t.y, entries));
    }
    Ok(out)
}

/// Read PACMAN JSON (`.json` or `.json.gz`).
pub fn read_pacman_json(path: &Path) -> Result<Vec<RoutingTable>> {
    let data = read_maybe_gz(path)?;
    parse_pacman_json(&data, &path.display().to_string())
}

/// Serialise to PACMAN JSON text (indent 1, as PACMAN's `json.dump(indent=1)` writes it).
pub fn to_pacman_json_string(tables: &[RoutingTable]) -> String {
    let raw: Vec<JsonTable> = tables
        .iter()
        .map(|t| JsonTable {
            x: t.x,
            y: t.y,
            entries: t
                .entries
                .iter()
                .map(|e| JsonEntry {
                    key: e.key,
                    mask: e.mask,
                    defaultable: e.defaultable,
                    spinnaker_route: e.route,
                })
                .collect(),
        })
        .collect();
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b" ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    raw.serialize(&mut ser)
        .expect("serialising plain data cannot fail");
    String::from_utf8(buf).expect("serde_json writes UTF-8")
}

/// Write PACMAN JSON (gzipped when the name ends in `.gz`).
pub fn write_pacman_json(path: &Path, tables: &[RoutingTable]) -> Result<()> {
    write_maybe_gz(path, to_pacman_json_string(tables).as_bytes())
}
