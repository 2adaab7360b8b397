//! Reader for the Ordered-Covering paper's `.bin` tables (rig `common.py` format):
//! per table `<2BH` x, y, n; per entry `<4I` key, mask, source bits, route bits.
//!
//! rig's `Routes` enum numbers east=0 … south=5 and core(p)=6+p, which is exactly
//! SpiNNaker's route-word numbering, so the bit sets are taken over unchanged.
//! `defaultable` is derived as rig's `remove_default_routes._is_defaultable` does:
//! exactly one source, a link, and the route is only the opposite link.

use super::read_maybe_gz;
use crate::error::{HwError, Result};
use crate::table::{RoutingEntry, RoutingTable, LINK_BITS, MAX_ROUTE, N_LINKS};
use std::path::Path;

fn rig_defaultable(sources: u32, route: u32) -> bool {
    sources.count_ones() == 1
        && sources & LINK_BITS != 0
        && route.count_ones() == 1
        && route & LINK_BITS != 0
        && (sources.trailing_zeros() + 3) % N_LINKS == route.trailing_zeros()
}

/// Parse the bytes of a `.bin` file.
pub fn parse_bin(data: &[u8], file: &str) -> Result<Vec<RoutingTable>> {
    let mut off = 0usize;
    let mut tables = Vec::new();
    let u32_at = |o: usize| u32::from_le_bytes([data[o], data[o + 1], data[o + 2], data[o + 3]]);
    while off < data.len() {
        if data.len() - off < 4 {
            return Err(HwError::Format {
                file: file.into(),
                offset: off,
                what: format!(
                    "table {}: truncated header, expected 4 bytes (<2BH x, y, n), found {}",
                    tables.len(),
                    data.len() - off
                ),
            });
        }
        let x = data[off] as u32;
        let y = data[off + 1] as u32;
        let n = u16::from_le_bytes([data[off + 2], data[off + 3]]) as usize;
        off += 4;
        if data.len() - off < n * 16 {
            return Err(HwError::Format {
                file: file.into(),
                offset: off,
                what: format!(
                    "table {} at chip ({x},{y}): header says {n} entries ({} bytes), only {} bytes left",
                    tables.len(),
                    n * 16,
                    data.len() - off
                ),
            });
        }
        let mut entries = Vec::with_capacity(n);
        for i in 0..n {
            let o = off + 16 * i;
            let (key, mask, sources, route) =
                (u32_at(o), u32_at(o + 4), u32_at(o + 8), u32_at(o + 12));
            let err = |what: String| HwError::Entry {
                file: file.into(),
                index: tables.len(),
                x,
                y,
                entry: i,
                what: format!("byte offset {o}: {what}"),
            };
            if route > MAX_ROUTE {
                return Err(err(format!("route {route:#x} exceeds 24 bits")));
            }
            if key & !mask != 0 {
                return Err(err(format!(
                    "key {key:#010x} has bits outside mask {mask:#010x}"
                )));
            }
            entries.push(RoutingEntry {
                key,
                mask,
                route,
                defaultable: rig_defaultable(sources, route),
                sources,
            });
        }
        off += 16 * n;
        tables.push(RoutingTable::new(x, y, entries));
    }
    Ok(tables)
}

/// Read a `.bin` or `.bin.gz` file.
pub fn read_bin(path: &Path) -> Result<Vec<RoutingTable>> {
    let data = read_maybe_gz(path)?;
    parse_bin(&data, &path.display().to_string())
}
