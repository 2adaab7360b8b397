//! Routing: one multicast tree per source slice, from its core to every core holding a slice it
//! has synapses onto, by Neighbour Exploring Routing (Navaridas et al. 2015; rig's `ner.route`,
//! spec §2.2).
//!
//! Destination chips are taken nearest first. Each is joined to the closest chip already in the
//! tree if that lies within `radius` hops, else to the source, along the longest-dimension-first
//! path; the path is cut where it last meets the tree, so the result stays a tree. Where that
//! path would cross a missing chip or a dead link, a breadth-first shortest path over live links
//! is used instead.

use crate::error::{HwError, Result};
use crate::machine::{opposite, Chip, Machine};
use crate::place::CoreLocation;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

/// What one chip of a tree does with the packets.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TreeNode {
    /// Link the packets arrive on (None on the source chip).
    pub in_link: Option<u8>,
    /// Links they leave on (bit i = link i).
    pub links: u8,
    /// Cores they are delivered to (bit p = core p).
    pub cores: u32,
}

impl TreeNode {
    /// The SpiNNaker route word: bits 0-5 links, bit 6+p core p.
    pub fn route(&self) -> u32 {
        self.links as u32 | self.cores << 6
    }
}

/// The tree of one source: per chip, what the router does.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RoutingTree {
    pub source: Chip,
    pub nodes: BTreeMap<Chip, TreeNode>,
}

/// Hop distance on the hexagonal mesh for an offset (dx, dy): the diagonal link covers (+1, +1).
fn hex_len(dx: i64, dy: i64) -> i64 {
    if (dx >= 0) == (dy >= 0) {
        dx.abs().max(dy.abs())
    } else {
        dx.abs() + dy.abs()
    }
}

/// Shortest offset from `a` to `b`, taking wrap-around into account.
fn offset(m: &Machine, a: Chip, b: Chip) -> (i64, i64) {
    let cands = |from: u32, to: u32, size: u32, wrap: bool| -> Vec<i64> {
        let d = to as i64 - from as i64;
        if wrap {
            vec![d, d - size as i64, d + size as i64]
        } else {
            vec![d]
        }
    };
    let mut best = (0, 0);
    let mut best_len = i64::MAX;
    for dx in cands(a.0, b.0, m.width, m.wrap_x) {
        for dy in cands(a.1, b.1, m.height, m.wrap_y) {
            let l = hex_len(dx, dy);
            if l < best_len {
                best_len = l;
                best = (dx, dy);
            }
        }
    }
    best
}

/// Hops between two chips on an intact machine.
pub fn distance(m: &Machine, a: Chip, b: Chip) -> i64 {
    let (dx, dy) = offset(m, a, b);
    hex_len(dx, dy)
}

/// Links of the longest-dimension-first path for offset (dx, dy): the offset is written in the
/// three dimensions x (E/W), y (N/S), z (NE/SW) with the fewest hops, then the longest dimension
/// is travelled first (ties in the order x, y, z).
fn ldf_links(dx: i64, dy: i64) -> Vec<u8> {
    let z = if dx > 0 && dy > 0 {
        dx.min(dy)
    } else if dx < 0 && dy < 0 {
        dx.max(dy)
    } else {
        0
    };
    let dims = [
        (dx - z, 0u8, 3u8), // x: E / W
        (dy - z, 2, 5),     // y: N / S
        (z, 1, 4),          // z: NE / SW
    ];
    let mut order: Vec<usize> = vec![0, 1, 2];
    order.sort_by_key(|&i| std::cmp::Reverse(dims[i].0.abs()));
    let mut links = Vec::new();
    for i in order {
        let (n, pos, neg) = dims[i];
        let l = if n >= 0 { pos } else { neg };
        links.extend(std::iter::repeat_n(l, n.unsigned_abs() as usize));
    }
    links
}

/// The chips and links of a path from `from` to `to`: longest-dimension-first if every hop is
/// alive, else a breadth-first shortest path over live links. Returns (chip, link taken to
/// reach it) for every chip after `from`.
fn path(m: &Machine, from: Chip, to: Chip) -> Option<Vec<(Chip, u8)>> {
    let (dx, dy) = offset(m, from, to);
    let mut out = Vec::new();
    let mut at = from;
    let mut ok = true;
    for l in ldf_links(dx, dy) {
        match m.neighbour(at, l) {
            Some(n) => {
                out.push((n, l));
                at = n;
            }
            None => {
                ok = false;
                break;
            }
        }
    }
    if ok && at == to {
        return Some(out);
    }
    // Breadth-first over live links, links tried in id order: deterministic.
    let mut prev: HashMap<Chip, (Chip, u8)> = HashMap::new();
    let mut queue = VecDeque::from([from]);
    let mut seen = BTreeSet::from([from]);
    while let Some(c) = queue.pop_front() {
        if c == to {
            let mut rev = Vec::new();
            let mut at = to;
            while at != from {
                let (p, l) = prev[&at];
                rev.push((at, l));
                at = p;
            }
            rev.reverse();
            return Some(rev);
        }
        for l in 0..6 {
            if let Some(n) = m.neighbour(c, l) {
                if seen.insert(n) {
                    prev.insert(n, (c, l));
                    queue.push_back(n);
                }
            }
        }
    }
    None
}

/// Route from `source` to the cores `targets` with NER of the given radius.
pub fn ner_route(
    m: &Machine,
    source: CoreLocation,
    targets: &[CoreLocation],
    radius: i64,
) -> Result<RoutingTree> {
    let src = source.chip();
    let mut tree = RoutingTree {
        source: src,
        nodes: BTreeMap::from([(src, TreeNode::default())]),
    };
    let mut dest_chips: Vec<Chip> = targets.iter().map(|t| t.chip()).collect();
    dest_chips.sort_by_key(|&c| (distance(m, src, c), c));
    dest_chips.dedup();
    for d in dest_chips {
        if tree.nodes.contains_key(&d) {
            continue;
        }
        // Nearest chip already in the tree (ties: the one first in chip order), else the source.
        let start = tree
            .nodes
            .keys()
            .map(|&c| (distance(m, c, d), c))
            .filter(|&(dist, _)| dist <= radius)
            .min()
            .map_or(src, |(_, c)| c);
        let p = path(m, start, d).ok_or_else(|| HwError::Map {
            what: format!("no live path from chip {start:?} to chip {d:?}"),
        })?;
        // Keep only the part after the last chip already in the tree.
        let cut = p
            .iter()
            .rposition(|(c, _)| tree.nodes.contains_key(c))
            .map_or(0, |i| i + 1);
        let mut parent = if cut == 0 { start } else { p[cut - 1].0 };
        for &(c, l) in &p[cut..] {
            tree.nodes
                .get_mut(&parent)
                .expect("parent is in the tree")
                .links |= 1 << l;
            tree.nodes.insert(
                c,
                TreeNode {
                    in_link: Some(opposite(l)),
                    ..Default::default()
                },
            );
            parent = c;
        }
    }
    for t in targets {
        tree.nodes
            .get_mut(&t.chip())
            .expect("every target chip was joined")
            .cores |= 1 << t.p;
    }
    Ok(tree)
}
