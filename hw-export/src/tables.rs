//! Table generation: routing trees + keys -> one uncompressed table per chip.
//!
//! As PACMAN's `MergedRoutingTableGenerator` does, the vertices of one partition (the slices of a
//! population, or of its delay extension) that take the same route through a chip share an
//! entry: one application-level entry (the partition's A/P key and mask) when every vertex of
//! the partition routes identically there, otherwise one entry per aligned power-of-two block of
//! consecutive vertices with equal routes. The tables are
//! orthogonal (no key matches two entries), as the compressors assume.

use crate::keys::KeyAllocation;
use crate::machine::Chip;
use crate::place::CoreLocation;
use crate::route::{RoutingTree, TreeNode};
use crate::table::{RoutingEntry, RoutingTable};
use std::collections::BTreeMap;

/// One slice's node on one chip, with what the entry needs.
#[derive(Clone, Copy)]
struct Hop {
    m: u32,
    route: u32,
    /// Route-word bits of where packets come from (a link, or the source core).
    sources: u32,
    /// Straight through from one link, no cores.
    defaultable: bool,
}

fn hop(m: u32, node: &TreeNode, source_core: u8) -> Hop {
    let (sources, defaultable) = match node.in_link {
        Some(l) => (
            1u32 << l,
            node.cores == 0 && node.links == 1 << crate::machine::opposite(l),
        ),
        None => (1u32 << (6 + source_core as u32), false),
    };
    Hop {
        m,
        route: node.route(),
        sources,
        defaultable,
    }
}

fn merged_entry(key: u32, mask: u32, hops: &[Hop]) -> RoutingEntry {
    let sources = hops.iter().fold(0, |a, h| a | h.sources);
    let defaultable = hops.iter().all(|h| h.defaultable) && sources.count_ones() == 1;
    RoutingEntry {
        key,
        mask,
        route: hops[0].route,
        defaultable,
        sources,
    }
}

/// Entries for the aligned block of vertex indices `[lo, lo + size)` of one partition.
fn block_entries(
    hops: &[Hop],
    lo: u32,
    size: u32,
    app_key: u32,
    x_bits: u32,
    out: &mut Vec<RoutingEntry>,
) {
    let inside: Vec<Hop> = hops
        .iter()
        .copied()
        .filter(|h| h.m >= lo && h.m < lo + size)
        .collect();
    if inside.is_empty() {
        return;
    }
    let complete = inside.len() as u32 == size && inside.iter().all(|h| h.route == inside[0].route);
    if complete {
        let low = x_bits + size.trailing_zeros();
        let mask = if low >= 32 { 0 } else { !((1u32 << low) - 1) };
        out.push(merged_entry(app_key | (lo << x_bits), mask, &inside));
    } else {
        let half = size / 2;
        block_entries(&inside, lo, half, app_key, x_bits, out);
        block_entries(&inside, lo + half, half, app_key, x_bits, out);
    }
}

/// Per-chip uncompressed tables, sorted by chip; only chips with entries appear. Per vertex:
/// its partition (`partition_of`), core, keys and tree.
pub fn build_tables(
    partition_of: &[usize],
    placements: &[CoreLocation],
    keys: &KeyAllocation,
    trees: &[Option<RoutingTree>],
) -> Vec<RoutingTable> {
    let mut n_vertices = vec![0u32; keys.partitions.len()];
    for &p in partition_of {
        n_vertices[p] += 1;
    }
    // chip -> partition -> hops
    let mut per_chip: BTreeMap<Chip, BTreeMap<usize, Vec<Hop>>> = BTreeMap::new();
    for (i, tree) in trees.iter().enumerate() {
        let Some(tree) = tree else { continue };
        for (&chip, node) in &tree.nodes {
            per_chip
                .entry(chip)
                .or_default()
                .entry(partition_of[i])
                .or_default()
                .push(hop(keys.vertex_index[i], node, placements[i].p));
        }
    }
    let mut tables = Vec::with_capacity(per_chip.len());
    for (chip, partitions) in per_chip {
        let mut entries = Vec::new();
        for (partition, mut hops) in partitions {
            hops.sort_by_key(|h| h.m);
            let pk = &keys.partitions[partition];
            let all_same = hops.len() as u32 == n_vertices[partition]
                && hops.iter().all(|h| h.route == hops[0].route);
            if all_same {
                entries.push(merged_entry(pk.key, pk.mask, &hops));
            } else {
                let span = 1u32 << pk.m_bits;
                block_entries(&hops, 0, span, pk.key, pk.x_bits, &mut entries);
            }
        }
        tables.push(RoutingTable::new(chip.0, chip.1, entries));
    }
    tables
}
