//! SpiNNaker (SpiNN-1 chip) machine model: chips, cores, links, resources.

use crate::error::{HwError, Result};
use std::collections::{BTreeMap, HashSet};

/// Chip coordinates (x, y).
pub type Chip = (u32, u32);

/// Link ids: E, NE, N, W, SW, S (spec §1).
pub const EAST: u8 = 0;
pub const NORTH_EAST: u8 = 1;
pub const NORTH: u8 = 2;
pub const WEST: u8 = 3;
pub const SOUTH_WEST: u8 = 4;
pub const SOUTH: u8 = 5;
/// (dx, dy) per link id.
pub const LINK_DELTAS: [(i32, i32); 6] = [(1, 0), (1, 1), (0, 1), (-1, 0), (-1, -1), (0, -1)];

/// Opposite link: `(l + 3) % 6`.
pub fn opposite(link: u8) -> u8 {
    (link + 3) % 6
}

/// Cores per SpiNNaker-1 chip.
pub const CORES_PER_CHIP: u8 = 18;
/// Router entries an application can get (SARK never hands out entry 0).
pub const ROUTER_ENTRIES: usize = 1023;
/// SDRAM PACMAN plans with per chip.
pub const SDRAM_PER_CHIP: u64 = 123_469_792;

/// SpiNNMachine `version_5.py` `CHIPS_PER_BOARD`: (x, y, cores) of a 48-chip board.
pub const SPINN5_CHIPS: [(u32, u32, u8); 48] = [
    (0, 0, 18),
    (0, 1, 18),
    (0, 2, 18),
    (0, 3, 18),
    (1, 0, 18),
    (1, 1, 17),
    (1, 2, 18),
    (1, 3, 17),
    (1, 4, 18),
    (2, 0, 18),
    (2, 1, 18),
    (2, 2, 18),
    (2, 3, 18),
    (2, 4, 18),
    (2, 5, 18),
    (3, 0, 18),
    (3, 1, 17),
    (3, 2, 18),
    (3, 3, 17),
    (3, 4, 18),
    (3, 5, 17),
    (3, 6, 18),
    (4, 0, 18),
    (4, 1, 18),
    (4, 2, 18),
    (4, 3, 18),
    (4, 4, 18),
    (4, 5, 18),
    (4, 6, 18),
    (4, 7, 18),
    (5, 1, 18),
    (5, 2, 17),
    (5, 3, 18),
    (5, 4, 17),
    (5, 5, 18),
    (5, 6, 17),
    (5, 7, 18),
    (6, 2, 18),
    (6, 3, 18),
    (6, 4, 18),
    (6, 5, 18),
    (6, 6, 18),
    (6, 7, 18),
    (7, 3, 18),
    (7, 4, 18),
    (7, 5, 18),
    (7, 6, 18),
    (7, 7, 18),
];

/// Per-chip resources.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChipInfo {
    /// Working cores including the monitor(s).
    pub n_cores: u8,
    pub router_entries: usize,
    pub sdram: u64,
}

/// A machine: a set of live chips on a (possibly wrapping) grid plus dead links.
#[derive(Clone, Debug)]
pub struct Machine {
    pub width: u32,
    pub height: u32,
    pub wrap_x: bool,
    pub wrap_y: bool,
    /// Cores per chip reserved for system use: core 0 is the SCAMP monitor; sPyNNaker
    /// (FEC `enable_advanced_monitor_support = True`) reserves one more "extra monitor",
    /// so the default is 2, leaving 16 application cores on an 18-core chip.
    pub monitor_cores: u8,
    chips: BTreeMap<Chip, ChipInfo>,
    dead_links: HashSet<(Chip, u8)>,
}

impl Machine {
    fn build(
        w: u32,
        h: u32,
        wrap_x: bool,
        wrap_y: bool,
        chips: impl Iterator<Item = (Chip, u8)>,
    ) -> Self {
        Machine {
            width: w,
            height: h,
            wrap_x,
            wrap_y,
            monitor_cores: 2,
            chips: chips
                .map(|(c, n)| {
                    (
                        c,
                        ChipInfo {
                            n_cores: n,
                            router_entries: ROUTER_ENTRIES,
                            sdram: SDRAM_PER_CHIP,
                        },
                    )
                })
                .collect(),
            dead_links: HashSet::new(),
        }
    }

    /// A plain W×H torus of 18-core chips (for tests).
    pub fn torus(w: u32, h: u32) -> Self {
        let it = (0..w).flat_map(move |x| (0..h).map(move |y| ((x, y), CORES_PER_CHIP)));
        Self::build(w, h, true, true, it)
    }

    /// SpiNN-3: 2×2, links wrap in y only (SpiNNMachine's virtual model).
    pub fn spinn3() -> Self {
        let it = (0..2).flat_map(|x| (0..2).map(move |y| ((x, y), CORES_PER_CHIP)));
        Self::build(2, 2, false, true, it)
    }

    /// One SpiNN-5 board: 48 chips in an 8×8 box, no wrap.
    pub fn spinn5() -> Self {
        Self::build(
            8,
            8,
            false,
            false,
            SPINN5_CHIPS.iter().map(|&(x, y, n)| ((x, y), n)),
        )
    }

    /// Multi-board SpiNN-5 machine of W×H chips: multiples of 12 (triads) wrap toroidally;
    /// 8×8 is one board.
    pub fn multi_board(w: u32, h: u32) -> Result<Self> {
        if w == 8 && h == 8 {
            return Ok(Self::spinn5());
        }
        if w == 0 || h == 0 || !w.is_multiple_of(12) || !h.is_multiple_of(12) {
            return Err(HwError::Machine {
                what: format!("{w}x{h}: a multi-board machine must be 8x8 or W, H multiples of 12"),
            });
        }
        // Triads of 3 boards tile the 12×12 unit completely; core counts follow the
        // board-local position of each chip.
        let mut local = BTreeMap::new();
        for &(x, y, n) in SPINN5_CHIPS.iter() {
            for (bx, by) in [(0u32, 0u32), (4, 8), (8, 4)] {
                local.insert(((x + bx) % 12, (y + by) % 12), n);
            }
        }
        let it = (0..w).flat_map(move |x| (0..h).map(move |y| (x, y)));
        let chips: Vec<(Chip, u8)> = it
            .map(|(x, y)| {
                (
                    (x, y),
                    *local.get(&(x % 12, y % 12)).unwrap_or(&CORES_PER_CHIP),
                )
            })
            .collect();
        Ok(Self::build(w, h, true, true, chips.into_iter()))
    }

    /// Remove chips (dead chips); their links become unusable.
    pub fn with_dead_chips(mut self, dead: &[Chip]) -> Self {
        for c in dead {
            self.chips.remove(c);
        }
        self
    }

    /// Mark links dead (both directions).
    pub fn with_dead_links(mut self, dead: &[(Chip, u8)]) -> Self {
        for &(c, l) in dead {
            self.dead_links.insert((c, l % 6));
        }
        self
    }

    /// Set the number of monitor cores per chip.
    pub fn with_monitor_cores(mut self, n: u8) -> Self {
        self.monitor_cores = n;
        self
    }

    pub fn chip(&self, c: Chip) -> Option<&ChipInfo> {
        self.chips.get(&c)
    }

    pub fn chips(&self) -> impl Iterator<Item = (&Chip, &ChipInfo)> {
        self.chips.iter()
    }

    pub fn n_chips(&self) -> usize {
        self.chips.len()
    }

    /// Cores an application may use on chip `c`.
    pub fn app_cores(&self, c: Chip) -> u8 {
        self.chip(c)
            .map_or(0, |i| i.n_cores.saturating_sub(self.monitor_cores))
    }

    /// Router entries available on chip `c` (0 if absent).
    pub fn router_entries(&self, c: Chip) -> usize {
        self.chip(c).map_or(0, |i| i.router_entries)
    }

    fn raw_step(&self, (x, y): Chip, link: u8) -> Option<Chip> {
        let (dx, dy) = LINK_DELTAS[link as usize];
        let step = |v: u32, d: i32, size: u32, wrap: bool| -> Option<u32> {
            let n = v as i64 + d as i64;
            if wrap {
                Some(n.rem_euclid(size as i64) as u32)
            } else if n < 0 || n >= size as i64 {
                None
            } else {
                Some(n as u32)
            }
        };
        Some((
            step(x, dx, self.width, self.wrap_x)?,
            step(y, dy, self.height, self.wrap_y)?,
        ))
    }

    /// The chip at the other end of `link` from `chip`, if both chips and the link are alive.
    pub fn neighbour(&self, chip: Chip, link: u8) -> Option<Chip> {
        if link >= 6 || !self.chips.contains_key(&chip) || self.dead_links.contains(&(chip, link)) {
            return None;
        }
        let n = self.raw_step(chip, link)?;
        if !self.chips.contains_key(&n) || self.dead_links.contains(&(n, opposite(link))) {
            return None;
        }
        Some(n)
    }
}
