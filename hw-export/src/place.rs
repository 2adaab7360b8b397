//! Placement: slices -> (chip, core).
//!
//! Like PACMAN's `ApplicationPlacer`, chips are filled in one consistent order and a
//! population's slices go onto consecutive cores, so they share a chip or sit on neighbouring
//! chips. The order is a breadth-first walk over live links from the root chip (links tried
//! E, NE, N, W, SW, S), so dead chips and links are never used and every next chip is adjacent to
//! one already filled. Cores `0 .. machine.monitor_cores` are reserved (SCAMP monitor, extra
//! monitor); a chip takes slices while it has cores and its SDRAM holds their estimates.

use crate::error::{HwError, Result};
use crate::machine::{Chip, Machine};
use crate::partition::SliceResources;
use serde::Serialize;
use std::collections::{BTreeSet, VecDeque};

/// A core on the machine: chip (x, y), virtual core id p.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct CoreLocation {
    pub x: u32,
    pub y: u32,
    pub p: u8,
}

impl CoreLocation {
    pub fn chip(&self) -> Chip {
        (self.x, self.y)
    }
}

/// The chips in placement order: breadth-first from the lowest live chip ((0, 0) if alive).
pub fn chip_order(machine: &Machine) -> Vec<Chip> {
    let Some((&root, _)) = machine.chips().next() else {
        return Vec::new();
    };
    let mut order = Vec::with_capacity(machine.n_chips());
    let mut seen = BTreeSet::from([root]);
    let mut queue = VecDeque::from([root]);
    while let Some(c) = queue.pop_front() {
        order.push(c);
        for link in 0..6 {
            if let Some(n) = machine.neighbour(c, link) {
                if seen.insert(n) {
                    queue.push_back(n);
                }
            }
        }
    }
    // Chips not reachable from the root (cut off by dead links) cannot be routed to.
    order
}

/// Place slices (given by their resource estimates, in slice order) on `machine`.
pub fn place(machine: &Machine, resources: &[SliceResources]) -> Result<Vec<CoreLocation>> {
    let order = chip_order(machine);
    let mut out = Vec::with_capacity(resources.len());
    let mut chips = order.iter();
    let mut current: Option<(Chip, u8, u64)> = None; // (chip, next core, sdram used)
    for (i, r) in resources.iter().enumerate() {
        loop {
            if let Some((chip, core, used)) = current {
                let info = machine
                    .chip(chip)
                    .expect("placement order holds live chips");
                if core < info.n_cores && used + r.sdram_bytes <= info.sdram {
                    out.push(CoreLocation {
                        x: chip.0,
                        y: chip.1,
                        p: core,
                    });
                    current = Some((chip, core + 1, used + r.sdram_bytes));
                    break;
                }
            }
            match chips.next() {
                Some(&c) => current = Some((c, machine.monitor_cores, 0)),
                None => {
                    let cores: usize = order.iter().map(|&c| machine.app_cores(c) as usize).sum();
                    return Err(HwError::Map {
                        what: format!(
                            "{} slices need more cores or SDRAM than the machine has: slice {i} \
                             ({} bytes SDRAM) does not fit; the machine has {} reachable chips \
                             with {cores} application cores; use a bigger machine (--machine WxH) \
                             or fewer slices (more neurons per core)",
                            resources.len(),
                            r.sdram_bytes,
                            order.len()
                        ),
                    });
                }
            }
        }
    }
    Ok(out)
}
