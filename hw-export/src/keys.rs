//! Key allocation: PACMAN's zoned layout (spec §2.1).
//!
//! ```text
//!   key  = | A/P | M | X |     A/P = partition index (one outgoing partition each)
//!   mask = | 1 1 1 1 1 | 0 |   M   = vertex index within the partition
//!                               X   = key index within the vertex
//! ```
//! The partitions are the populations (in order), then their delay extensions
//! ([`crate::delays`]); a population's vertices are its slices, a delay extension's are the
//! delay slices of its source slices. The A/P field starts at the same bit for every partition
//! (`shift` = the widest M + X); in the flexible mode (sPyNNaker's default
//! `ZonedRoutingInfoAllocator`) M and X are sized per partition, in the global mode every
//! partition gets the widest M and X. A partition's application-level key/mask (A/P field only)
//! covers all its vertices: the table generator uses it when every vertex routes the same way on
//! a chip.
//!
//! sPyNNaker 7 appends 4 "colour" bits below the key index (for delays longer than the ring
//! buffer); engram's keys have none: neuron `n` of slice `s` sends `key(s) | (n - start(s))`.

use crate::error::{HwError, Result};
use serde::Serialize;

/// How M and X are sized.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize)]
pub enum KeyLayout {
    /// M and X per population (PACMAN `ZonedRoutingInfoAllocator`, sPyNNaker's default).
    #[default]
    Flexible,
    /// The same M and X for every population (`GlobalZonedRoutingInfoAllocator`).
    Global,
}

/// `ceil(log2(n))`, 0 for n <= 1 (PACMAN `allocator_bits_needed`).
pub fn bits_needed(n: u64) -> u32 {
    if n <= 1 {
        0
    } else {
        64 - (n - 1).leading_zeros()
    }
}

/// Keys of one partition (a population or a delay extension).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PartitionKeys {
    /// Index in the A/P field.
    pub ap_index: u32,
    /// Width of the vertex-index field.
    pub m_bits: u32,
    /// Width of the key-index field.
    pub x_bits: u32,
    /// Application-level key and mask (all vertices of the partition).
    pub key: u32,
    pub mask: u32,
}

/// The allocation: per partition and per vertex.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyAllocation {
    pub layout: KeyLayout,
    /// First bit of the A/P field.
    pub shift: u32,
    /// The populations in order, then the delay extensions.
    pub partitions: Vec<PartitionKeys>,
    /// (key, mask) per vertex.
    pub vertices: Vec<(u32, u32)>,
    /// Index of each vertex within its partition (the M field).
    pub vertex_index: Vec<u32>,
}

fn low_mask(bits: u32) -> u32 {
    if bits >= 32 {
        u32::MAX
    } else {
        (1u32 << bits) - 1
    }
}

/// Allocate keys for `n_partitions` partitions; `vertices` gives each vertex's partition and
/// number of keys, a partition's vertices in order.
pub fn allocate_keys(
    n_partitions: usize,
    vertices: &[(usize, u64)],
    layout: KeyLayout,
) -> Result<KeyAllocation> {
    let mut n_vertices = vec![0u64; n_partitions];
    let mut max_keys = vec![0u64; n_partitions];
    let mut vertex_index = Vec::with_capacity(vertices.len());
    for &(p, n_keys) in vertices {
        vertex_index.push(n_vertices[p] as u32);
        n_vertices[p] += 1;
        max_keys[p] = max_keys[p].max(n_keys);
    }
    let mut m: Vec<u32> = n_vertices.iter().map(|&n| bits_needed(n)).collect();
    let mut x: Vec<u32> = max_keys.iter().map(|&n| bits_needed(n)).collect();
    if layout == KeyLayout::Global {
        let (gm, gx) = (
            m.iter().copied().max().unwrap_or(0),
            x.iter().copied().max().unwrap_or(0),
        );
        m.fill(gm);
        x.fill(gx);
    }
    let shift = m.iter().zip(&x).map(|(a, b)| a + b).max().unwrap_or(0);
    let ap_bits = bits_needed(n_partitions as u64);
    if shift + ap_bits > 32 {
        return Err(HwError::Map {
            what: format!(
                "keys need {shift} bits for vertices and neurons plus {ap_bits} for \
                 {n_partitions} partitions (> 32); use fewer, larger slices or fewer populations"
            ),
        });
    }
    let partitions: Vec<PartitionKeys> = (0..n_partitions)
        .map(|p| PartitionKeys {
            ap_index: p as u32,
            m_bits: m[p],
            x_bits: x[p],
            key: if shift >= 32 { 0 } else { (p as u32) << shift },
            mask: !low_mask(shift),
        })
        .collect();
    let keys = vertices
        .iter()
        .zip(&vertex_index)
        .map(|(&(p, _), &mi)| {
            let pk = &partitions[p];
            (pk.key | (mi << pk.x_bits), !low_mask(pk.x_bits))
        })
        .collect();
    Ok(KeyAllocation {
        layout,
        shift,
        partitions,
        vertices: keys,
        vertex_index,
    })
}
