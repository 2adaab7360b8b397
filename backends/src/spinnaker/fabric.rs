//! The multicast fabric: every spike leaves its core as a packet carrying its key and is routed
//! chip by chip through the compressed routing tables, as the routers do it
//! (specs/spinnaker.md §1):
//!
//! * the first matching entry of a chip's table wins (`key & mask == entry.key`);
//! * a packet that matches nothing and arrived over link `L` is default-routed out of the
//!   opposite link `(L + 3) mod 6`, to no core;
//! * a packet from a local core that matches nothing is dropped;
//! * a route over a dead or missing link drops the copy sent there, and a copy that comes back
//!   to a chip over a link it already used is dropped as a loop.
//!
//! A key always takes the same path, so the path is worked out once per key and reused.

use std::collections::{BTreeMap, HashMap, HashSet};

use hw_export::machine::{Chip, Machine};
use hw_export::table::{RoutingTable, N_LINKS};

/// Why a packet (copy) was lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// Matched no entry on its source chip.
    NoRouteAtSource,
    /// Sent over a link that is dead or leads off the machine.
    DeadLink,
    /// Came back to a chip over the same link.
    Loop,
    /// Delivered to a core that runs nothing or does not exist.
    NoSuchCore,
}

/// Where one key's packets go.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Path {
    /// Cores reached, (chip, core), in the order the routers deliver them.
    pub cores: Vec<(Chip, u8)>,
    /// Links traversed, (chip, link out of it).
    pub links: Vec<(Chip, u8)>,
    /// Table look-ups that matched an entry, per chip.
    pub lookups: Vec<Chip>,
    /// Copies lost on the way.
    pub drops: Vec<(Chip, DropReason)>,
}

/// The routers of a machine with their (compressed) tables.
pub struct Fabric {
    machine: Machine,
    tables: HashMap<Chip, RoutingTable>,
    paths: HashMap<u32, Path>,
}

impl Fabric {
    pub fn new(machine: Machine, tables: &[RoutingTable]) -> Self {
        Fabric {
            machine,
            tables: tables.iter().map(|t| ((t.x, t.y), t.clone())).collect(),
            paths: HashMap::new(),
        }
    }

    pub fn machine(&self) -> &Machine {
        &self.machine
    }

    /// Entries in each chip's table.
    pub fn table_sizes(&self) -> BTreeMap<Chip, usize> {
        self.tables.iter().map(|(&c, t)| (c, t.len())).collect()
    }

    /// The path of a packet with `key` sent by a core on `source`.
    pub fn route(&mut self, source: Chip, key: u32) -> &Path {
        let (machine, tables) = (&self.machine, &self.tables);
        self.paths
            .entry(key)
            .or_insert_with(|| walk(machine, tables, source, key))
    }
}

fn walk(machine: &Machine, tables: &HashMap<Chip, RoutingTable>, source: Chip, key: u32) -> Path {
    let mut path = Path::default();
    let mut seen: HashSet<(Chip, Option<u8>)> = HashSet::new();
    let mut queue = std::collections::VecDeque::from([(source, None::<u8>)]);
    while let Some((chip, in_link)) = queue.pop_front() {
        if !seen.insert((chip, in_link)) {
            path.drops.push((chip, DropReason::Loop));
            continue;
        }
        let entry = tables.get(&chip).and_then(|t| t.lookup(key));
        let route = match (entry, in_link) {
            (Some(e), _) => {
                path.lookups.push(chip);
                e.route
            }
            (None, Some(l)) => 1 << ((l + 3) % 6),
            (None, None) => {
                path.drops.push((chip, DropReason::NoRouteAtSource));
                continue;
            }
        };
        for core in 0..18u8 {
            if route >> (N_LINKS + core as u32) & 1 == 1 {
                path.cores.push((chip, core));
            }
        }
        for link in 0..6u8 {
            if route >> link & 1 == 1 {
                match machine.neighbour(chip, link) {
                    Some(next) => {
                        path.links.push((chip, link));
                        queue.push_back((next, Some((link + 3) % 6)));
                    }
                    None => path.drops.push((chip, DropReason::DeadLink)),
                }
            }
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use hw_export::table::RoutingEntry;

    #[test]
    fn default_routing_carries_packets_straight_through() {
        // Three chips in a row on a torus: (0,0) sends east, (1,0) has no entry (default route
        // east), (2,0) delivers to core 3.
        let m = Machine::torus(4, 1);
        let tables = vec![
            RoutingTable::new(0, 0, vec![RoutingEntry::new(0x100, 0xFFFF_FF00, 1, false)]),
            RoutingTable::new(
                2,
                0,
                vec![RoutingEntry::new(0x100, 0xFFFF_FF00, 1 << (6 + 3), false)],
            ),
        ];
        let mut f = Fabric::new(m, &tables);
        let p = f.route((0, 0), 0x105).clone();
        assert_eq!(p.cores, vec![((2, 0), 3)]);
        assert_eq!(p.links, vec![((0, 0), 0), ((1, 0), 0)]);
        assert!(p.drops.is_empty());
        // A key with no entry at its source is dropped there.
        let p = f.route((0, 0), 0x205).clone();
        assert_eq!(p.drops, vec![((0, 0), DropReason::NoRouteAtSource)]);
    }
}
