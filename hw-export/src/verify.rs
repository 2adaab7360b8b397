//! Hop-by-hop verification of per-chip tables on a machine with hardware semantics:
//! first matching entry wins; a packet that matches nothing and arrived on link L
//! leaves on `(L+3) % 6` to no core; one from a local core that matches nothing is
//! dropped.

use crate::machine::{Chip, Machine};
use crate::table::{RoutingTable, N_LINKS};
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt;

/// A multicast source: a core sending `key`, and where it must arrive.
#[derive(Clone, Debug)]
pub struct Source {
    pub chip: Chip,
    pub core: u8,
    pub key: u32,
    pub expected: BTreeSet<(Chip, u8)>,
}

/// What went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyFailure {
    /// A table has more entries than the chip's router can hold.
    OverCapacity {
        chip: Chip,
        entries: usize,
        capacity: usize,
    },
    /// A table is for a chip that the machine does not have.
    UnknownChip { chip: Chip },
    /// The packet from a local core matched nothing and was dropped.
    DroppedAtSource { key: u32, chip: Chip },
    /// The route sends the packet over a dead or missing link.
    DeadLink { key: u32, chip: Chip, link: u8 },
    /// The packet reached the same chip via the same link twice.
    Loop { key: u32, chip: Chip },
    /// Route names a core the chip does not have.
    BadCore { key: u32, chip: Chip, core: u8 },
    /// Delivered to the same core more than once.
    Duplicate { key: u32, chip: Chip, core: u8 },
    /// Expected destination not reached.
    Missing { key: u32, chip: Chip, core: u8 },
    /// Delivered to a core that should not receive it.
    Extra { key: u32, chip: Chip, core: u8 },
}

impl fmt::Display for VerifyFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use VerifyFailure::*;
        match self {
            OverCapacity {
                chip,
                entries,
                capacity,
            } => {
                write!(
                    f,
                    "chip {chip:?}: {entries} entries, router holds {capacity}"
                )
            }
            UnknownChip { chip } => write!(f, "table for chip {chip:?}, which the machine lacks"),
            DroppedAtSource { key, chip } => {
                write!(
                    f,
                    "key {key:#010x}: matches nothing at source chip {chip:?}; dropped"
                )
            }
            DeadLink { key, chip, link } => {
                write!(
                    f,
                    "key {key:#010x}: chip {chip:?} sends on dead/missing link {link}"
                )
            }
            Loop { key, chip } => write!(f, "key {key:#010x}: loops through chip {chip:?}"),
            BadCore { key, chip, core } => {
                write!(
                    f,
                    "key {key:#010x}: chip {chip:?} routes to absent core {core}"
                )
            }
            Duplicate { key, chip, core } => {
                write!(
                    f,
                    "key {key:#010x}: delivered twice to {chip:?} core {core}"
                )
            }
            Missing { key, chip, core } => {
                write!(f, "key {key:#010x}: never reaches {chip:?} core {core}")
            }
            Extra { key, chip, core } => {
                write!(
                    f,
                    "key {key:#010x}: wrongly delivered to {chip:?} core {core}"
                )
            }
        }
    }
}

/// Verification result: every failure found.
#[derive(Clone, Debug, Default)]
pub struct VerifyReport {
    pub failures: Vec<VerifyFailure>,
    pub n_sources: usize,
    pub n_hops: usize,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Tables indexed by chip, checked once against the machine, for walking many sources.
pub struct TableWalker<'a> {
    machine: &'a Machine,
    by_chip: HashMap<Chip, &'a RoutingTable>,
    /// Capacity and unknown-chip failures of the tables themselves.
    pub table_failures: Vec<VerifyFailure>,
}

impl<'a> TableWalker<'a> {
    pub fn new(machine: &'a Machine, tables: &'a [RoutingTable]) -> Self {
        let mut table_failures = Vec::new();
        let mut by_chip: HashMap<Chip, &RoutingTable> = HashMap::new();
        for t in tables {
            let c = (t.x, t.y);
            match machine.chip(c) {
                None => table_failures.push(VerifyFailure::UnknownChip { chip: c }),
                Some(info) if t.len() > info.router_entries => {
                    table_failures.push(VerifyFailure::OverCapacity {
                        chip: c,
                        entries: t.len(),
                        capacity: info.router_entries,
                    })
                }
                _ => {}
            }
            by_chip.insert(c, t);
        }
        TableWalker {
            machine,
            by_chip,
            table_failures,
        }
    }

    /// Walk one source's key hop by hop; failures go to `rep`.
    pub fn walk(&self, s: &Source, rep: &mut VerifyReport) {
        let (machine, by_chip) = (self.machine, &self.by_chip);
        rep.n_sources += 1;
        let key = s.key;
        let mut delivered: BTreeSet<(Chip, u8)> = BTreeSet::new();
        // (chip, arrived-on link or None for the local source core)
        let mut queue: VecDeque<(Chip, Option<u8>)> = VecDeque::from([(s.chip, None)]);
        let mut seen: HashSet<(Chip, Option<u8>)> = HashSet::new();
        let mut looped = false;
        while let Some((chip, in_link)) = queue.pop_front() {
            rep.n_hops += 1;
            if !seen.insert((chip, in_link)) {
                if !looped {
                    rep.failures.push(VerifyFailure::Loop { key, chip });
                    looped = true;
                }
                continue;
            }
            let entry = by_chip.get(&chip).and_then(|t| t.lookup(key));
            let route = match (entry, in_link) {
                (Some(e), _) => e.route,
                (None, Some(l)) => 1 << ((l + 3) % 6),
                (None, None) => {
                    rep.failures
                        .push(VerifyFailure::DroppedAtSource { key, chip });
                    continue;
                }
            };
            let n_cores = machine.chip(chip).map_or(0, |i| i.n_cores);
            for core in 0..18u8 {
                if route >> (N_LINKS + core as u32) & 1 == 1 {
                    if core >= n_cores {
                        rep.failures
                            .push(VerifyFailure::BadCore { key, chip, core });
                    } else if !delivered.insert((chip, core)) {
                        rep.failures
                            .push(VerifyFailure::Duplicate { key, chip, core });
                    }
                }
            }
            for link in 0..6u8 {
                if route >> link & 1 == 1 {
                    match machine.neighbour(chip, link) {
                        Some(n) => queue.push_back((n, Some((link + 3) % 6))),
                        None => rep
                            .failures
                            .push(VerifyFailure::DeadLink { key, chip, link }),
                    }
                }
            }
        }
        for &(chip, core) in s.expected.difference(&delivered) {
            rep.failures
                .push(VerifyFailure::Missing { key, chip, core });
        }
        for &(chip, core) in delivered.difference(&s.expected) {
            rep.failures.push(VerifyFailure::Extra { key, chip, core });
        }
    }
}

/// Verify `tables` (one per chip, in hardware order) on `machine` for `sources`.
pub fn verify(machine: &Machine, tables: &[RoutingTable], sources: &[Source]) -> VerifyReport {
    let walker = TableWalker::new(machine, tables);
    let mut rep = VerifyReport {
        failures: walker.table_failures.clone(),
        ..Default::default()
    };
    for s in sources {
        walker.walk(s, &mut rep);
    }
    rep
}
