//! PACMAN's ordered pair compressor idea, and an improved variant.
//!
//! Entries are grouped into route buckets, least frequent route first, so the most
//! frequent route ends up at the bottom. Inside a bucket entries are merged greedily
//! in pairs (`key_mask_merge`); a merge is accepted only if the merged cube does not
//! intersect any entry of a later bucket (those keys would be stolen). Earlier buckets
//! sit above, so they may overlap freely.

use crate::table::{intersects, merge, RoutingEntry, RoutingTable};
use std::collections::HashMap;

/// Pair compressor options.
#[derive(Clone, Copy, Debug)]
pub struct PairOptions {
    /// Drop safely defaultable entries up front; they become a hidden bottom "bucket"
    /// that merged entries with another route must not intersect.
    pub remove_defaults: bool,
    /// Repeat merging passes in a bucket until nothing changes (PACMAN does one pass).
    pub fixpoint: bool,
    /// Sort each bucket by key before merging (PACMAN keeps table order).
    pub sort_keys: bool,
    /// Sort descending instead of ascending (with `sort_keys`).
    pub reverse: bool,
    /// For each seed entry, try partners nearest first (fewest new X bits) instead
    /// of in table order.
    pub nearest: bool,
    /// Which route goes to the bottom: 0 = the most frequent (PACMAN), 1 = the
    /// second most frequent, … (the others keep ascending frequency order).
    pub bottom: usize,
}

impl PairOptions {
    /// PACMAN's behaviour.
    pub fn pacman() -> Self {
        PairOptions {
            remove_defaults: false,
            fixpoint: false,
            sort_keys: false,
            reverse: false,
            nearest: false,
            bottom: 0,
        }
    }
}

fn free_of(k: u32, m: u32, blockers: &[(u32, u32)]) -> bool {
    blockers.iter().all(|&(bk, bm)| !intersects(k, m, bk, bm))
}

fn merge_bucket_nearest(ents: &mut Vec<(u32, u32)>, blockers: &[(u32, u32)]) {
    loop {
        let mut changed = false;
        let mut left = 0;
        while left < ents.len() {
            let mut cand: Vec<(u32, usize)> = Vec::new();
            loop {
                let (k1, m1) = ents[left];
                cand.clear();
                cand.extend((0..ents.len()).filter(|&j| j != left).map(|j| {
                    let (_, m) = merge(k1, m1, ents[j].0, ents[j].1);
                    ((m1 & !m).count_ones() + (ents[j].1 & !m).count_ones(), j)
                }));
                cand.sort_unstable();
                let hit = cand.iter().find_map(|&(_, j)| {
                    let (k, m) = merge(k1, m1, ents[j].0, ents[j].1);
                    free_of(k, m, blockers).then_some((j, k, m))
                });
                match hit {
                    Some((j, k, m)) => {
                        ents[left] = (k, m);
                        ents.remove(j);
                        if j < left {
                            left -= 1;
                        }
                        changed = true;
                    }
                    None => break,
                }
            }
            left += 1;
        }
        if !changed {
            break;
        }
    }
}

fn merge_bucket(ents: &mut Vec<(u32, u32)>, blockers: &[(u32, u32)], fixpoint: bool) {
    loop {
        let mut changed = false;
        let mut left = 0;
        while left < ents.len() {
            let mut idx = left + 1;
            while idx < ents.len() {
                let (k1, m1) = ents[left];
                let (k2, m2) = ents[idx];
                let (k, m) = merge(k1, m1, k2, m2);
                if blockers.iter().all(|&(bk, bm)| !intersects(k, m, bk, bm)) {
                    ents[left] = (k, m);
                    ents.swap_remove(idx);
                    changed = true;
                } else {
                    idx += 1;
                }
            }
            left += 1;
        }
        if !fixpoint || !changed {
            break;
        }
    }
}

/// Ordered pair compression of one table.
pub fn pair_compress(table: &RoutingTable, opts: &PairOptions) -> RoutingTable {
    let (defaults, rest): (Vec<RoutingEntry>, Vec<RoutingEntry>) = table
        .entries
        .iter()
        .partition(|e| opts.remove_defaults && e.is_safely_defaultable());
    let mut freq: HashMap<u32, usize> = HashMap::new();
    for e in &rest {
        *freq.entry(e.route).or_default() += 1;
    }
    let mut routes: Vec<(usize, u32)> = freq.iter().map(|(&r, &n)| (n, r)).collect();
    routes.sort_unstable();
    if opts.bottom > 0 && opts.bottom < routes.len() {
        let r = routes.remove(routes.len() - 1 - opts.bottom);
        routes.push(r);
    }
    let mut buckets: Vec<Vec<(u32, u32)>> = vec![Vec::new(); routes.len()];
    let pos: HashMap<u32, usize> = routes
        .iter()
        .enumerate()
        .map(|(i, &(_, r))| (r, i))
        .collect();
    for e in &rest {
        buckets[pos[&e.route]].push((e.key, e.mask));
    }
    let mut out = Vec::with_capacity(rest.len());
    for b in 0..buckets.len() {
        let route = routes[b].1;
        let mut blockers: Vec<(u32, u32)> = buckets[b + 1..].iter().flatten().copied().collect();
        blockers.extend(
            defaults
                .iter()
                .filter(|d| d.route != route)
                .map(|d| (d.key, d.mask)),
        );
        let mut ents = std::mem::take(&mut buckets[b]);
        if opts.sort_keys {
            ents.sort_unstable();
            if opts.reverse {
                ents.reverse();
            }
        }
        if opts.nearest {
            merge_bucket_nearest(&mut ents, &blockers);
        } else {
            merge_bucket(&mut ents, &blockers, opts.fixpoint);
        }
        out.extend(
            ents.into_iter()
                .map(|(k, m)| RoutingEntry::new(k, m, route, false)),
        );
    }
    RoutingTable::new(table.x, table.y, out)
}

/// The variants [`pair_plus`] tries.
pub fn pair_plus_variants() -> Vec<PairOptions> {
    let mut v = Vec::new();
    for nearest in [false, true] {
        for (sort_keys, reverse) in [(false, false), (true, false), (true, true)] {
            for remove_defaults in [true, false] {
                v.push(PairOptions {
                    remove_defaults,
                    fixpoint: true,
                    sort_keys,
                    reverse,
                    nearest,
                    bottom: 0,
                });
            }
        }
    }
    v
}

/// Improved pair: default-route removal folded into the pair constraints, merging to a
/// fixpoint, and the smallest over several bucket orders (see [`pair_plus_variants`]).
pub fn pair_plus(table: &RoutingTable) -> RoutingTable {
    let mut best: Option<RoutingTable> = None;
    for opts in pair_plus_variants() {
        let t = pair_compress(table, &opts);
        if best.as_ref().is_none_or(|b| t.len() < b.len()) {
            best = Some(t);
        }
    }
    best.unwrap_or_else(|| table.clone())
}
