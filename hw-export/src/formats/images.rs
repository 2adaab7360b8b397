//! Board load images (spec §4.1, §4.2).

use crate::table::{RoutingTable, N_LINKS};

/// SpiNNMan `load_multicast_routes` SDRAM image: per entry `<H2xIII`
/// (index, pad, route, key, mask), then an end marker of four `0xFFFFFFFF` words.
pub fn spinnman_load_image(table: &RoutingTable) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 * (table.len() + 1));
    for (i, e) in table.entries.iter().enumerate() {
        out.extend_from_slice(&(i as u16).to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&e.route.to_le_bytes());
        out.extend_from_slice(&e.key.to_le_bytes());
        out.extend_from_slice(&e.mask.to_le_bytes());
    }
    out.extend_from_slice(&[0xff; 16]);
    out
}

/// How the `source` word of the FEC compressor image is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FecSource {
    /// What FEC 7.4.1 writes: a link id (`get_defaultable_source_id`).
    #[default]
    LinkId,
    /// A one-hot link bitmask, which the C `remove_default_routes.h` expects.
    Bitmask,
}

/// FEC on-chip compressor input: `<III` app_id, compress_as_much_as_possible, n;
/// per entry `<IIII` key, mask, route, source.
pub fn fec_compressor_image(
    table: &RoutingTable,
    app_id: u32,
    compress_as_much_as_possible: bool,
    source: FecSource,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(12 + 16 * table.len());
    out.extend_from_slice(&app_id.to_le_bytes());
    out.extend_from_slice(&(compress_as_much_as_possible as u32).to_le_bytes());
    out.extend_from_slice(&(table.len() as u32).to_le_bytes());
    for e in &table.entries {
        let first_link = e.links().next();
        let src = if e.defaultable {
            first_link.map_or(0, |l| (l + 3) % N_LINKS)
        } else {
            first_link.unwrap_or(0)
        };
        let src = match source {
            FecSource::LinkId => src,
            FecSource::Bitmask if e.defaultable => 1 << src,
            FecSource::Bitmask => 0,
        };
        out.extend_from_slice(&e.key.to_le_bytes());
        out.extend_from_slice(&e.mask.to_le_bytes());
        out.extend_from_slice(&e.route.to_le_bytes());
        out.extend_from_slice(&src.to_le_bytes());
    }
    out
}
