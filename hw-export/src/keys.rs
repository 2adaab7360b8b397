//! Key allocation: PACMAN's zoned layout (spec §2.1).
//!
//! ```text
//!   key  = | A/P | M | X |     A/P = population index (one outgoing partition each)
//!   mask = | 1 1 1 1 1 | 0 |   M   = slice index within the population
//!                               X   = neuron index within the slice
//! ```
//! The A/P field starts at the same bit for every population (`shift` = the widest M + X);
//! in the flexible mode (sPyNNaker's default `ZonedRoutingInfoAllocator`) M and X are sized per
//! population, in the global mode every population gets the widest M and X. A population's
//! application-level key/mask (A/P field only) covers all its slices: the table generator
//! uses it when every slice routes the same way on a chip.
//!
//! sPyNNaker 7 appends 4 "colour" bits below the neuron index (for delays longer than the ring
//! buffer); engram's keys have none: neuron `n` of slice `s` sends `key(s) | (n - start(s))`.

use crate::error::{HwError, Result};
use crate::partition::Slice;
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

/// Keys of one population.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PopulationKeys {
    /// Index in the A/P field.
    pub ap_index: u32,
    /// Width of the slice-index field.
    pub m_bits: u32,
    /// Width of the neuron-index field.
    pub x_bits: u32,
    /// Application-level key and mask (all slices of the population).
    pub key: u32,
    pub mask: u32,
}

/// The allocation: per population and per slice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyAllocation {
    pub layout: KeyLayout,
    /// First bit of the A/P field.
    pub shift: u32,
    pub populations: Vec<PopulationKeys>,
    /// (key, mask) per slice.
    pub slices: Vec<(u32, u32)>,
    /// Index of each slice within its population (the M field).
    pub slice_index: Vec<u32>,
}

fn low_mask(bits: u32) -> u32 {
    if bits >= 32 {
        u32::MAX
    } else {
        (1u32 << bits) - 1
    }
}

/// Allocate keys for `n_pops` populations cut into `slices` (in population order).
pub fn allocate_keys(n_pops: usize, slices: &[Slice], layout: KeyLayout) -> Result<KeyAllocation> {
    let mut n_slices = vec![0u64; n_pops];
    let mut max_atoms = vec![0u64; n_pops];
    let mut slice_index = Vec::with_capacity(slices.len());
    for s in slices {
        slice_index.push(n_slices[s.pop] as u32);
        n_slices[s.pop] += 1;
        max_atoms[s.pop] = max_atoms[s.pop].max(s.len() as u64);
    }
    let mut m: Vec<u32> = n_slices.iter().map(|&n| bits_needed(n)).collect();
    let mut x: Vec<u32> = max_atoms.iter().map(|&n| bits_needed(n)).collect();
    if layout == KeyLayout::Global {
        let (gm, gx) = (
            m.iter().copied().max().unwrap_or(0),
            x.iter().copied().max().unwrap_or(0),
        );
        m.fill(gm);
        x.fill(gx);
    }
    let shift = m.iter().zip(&x).map(|(a, b)| a + b).max().unwrap_or(0);
    let ap_bits = bits_needed(n_pops as u64);
    if shift + ap_bits > 32 {
        return Err(HwError::Map {
            what: format!(
                "keys need {shift} bits for slices and neurons plus {ap_bits} for {n_pops} \
                 populations (> 32); use fewer, larger slices or fewer populations"
            ),
        });
    }
    let populations: Vec<PopulationKeys> = (0..n_pops)
        .map(|p| PopulationKeys {
            ap_index: p as u32,
            m_bits: m[p],
            x_bits: x[p],
            key: if shift >= 32 { 0 } else { (p as u32) << shift },
            mask: !low_mask(shift),
        })
        .collect();
    let keys = slices
        .iter()
        .zip(&slice_index)
        .map(|(s, &mi)| {
            let pk = &populations[s.pop];
            (pk.key | (mi << pk.x_bits), !low_mask(pk.x_bits))
        })
        .collect();
    Ok(KeyAllocation {
        layout,
        shift,
        populations,
        slices: keys,
        slice_index,
    })
}
