//! Ordered Covering (Mundy et al., HPSR 2016) with rig's semantics: the down-check
//! fix is applied once per covered alias (PACMAN's variant removes entries for every
//! candidate bit, spec §6.1). Written from the algorithm description.
//!
//! Refinements here: an alias below with the *same* route may be covered and a member
//! may move below an intersecting entry with the same route (both route those keys
//! identically).

use super::remove_default_routes;
use crate::table::{intersects, RoutingEntry, RoutingTable};
use std::collections::HashMap;

type Aliases = HashMap<(u32, u32, u32), Vec<(u32, u32)>>;

fn generality(k: u32, m: u32) -> u32 {
    (!k & !m).count_ones()
}

struct Merge {
    members: Vec<usize>,
    key: u32,
    mask: u32,
    insertion: usize,
}

impl Merge {
    fn new(table: &[RoutingEntry], members: Vec<usize>) -> Merge {
        let (mut any, mut all, mut sel) = (0u32, !0u32, !0u32);
        for &i in &members {
            any |= table[i].key;
            all &= table[i].key;
            sel &= table[i].mask;
        }
        let mask = sel & !(any ^ all);
        let key = all & mask;
        let g = generality(key, mask);
        let insertion = table.partition_point(|e| generality(e.key, e.mask) <= g);
        Merge {
            members,
            key,
            mask,
            insertion,
        }
    }
    fn goodness(&self) -> isize {
        self.members.len() as isize - 1
    }
}

fn route_of(table: &[RoutingEntry], m: &Merge) -> u32 {
    table[m.members[0]].route
}

fn downcheck(
    table: &[RoutingEntry],
    aliases: &Aliases,
    mut m: Merge,
    min_good: isize,
) -> Option<Merge> {
    let route = route_of(table, &m);
    loop {
        if m.goodness() <= min_good {
            return None;
        }
        let covered = table[m.insertion..].iter().find_map(|e| {
            if e.route == route || !intersects(m.key, m.mask, e.key, e.mask) {
                return None;
            }
            let own = [(e.key, e.mask)];
            let list = aliases
                .get(&(e.key, e.mask, e.route))
                .map_or(&own[..], |v| &v[..]);
            list.iter()
                .copied()
                .find(|&(k, mk)| intersects(m.key, m.mask, k, mk))
        });
        let Some((ck, cm)) = covered else {
            return Some(m);
        };
        // bits that are X in the merge and fixed in the covered alias
        let settable = !m.mask & cm;
        if settable == 0 {
            return None;
        }
        let mut best: Option<(usize, u32)> = None;
        for b in (0..32).rev() {
            let bit = 1u32 << b;
            if settable & bit == 0 {
                continue;
            }
            let n = m
                .members
                .iter()
                .filter(|&&i| table[i].mask & bit == 0 || table[i].key & bit == ck & bit)
                .count();
            if best.is_none_or(|(bn, _)| n < bn) {
                best = Some((n, bit));
            }
        }
        let (_, bit) = best?;
        let keep: Vec<usize> = m
            .members
            .iter()
            .copied()
            .filter(|&i| !(table[i].mask & bit == 0 || table[i].key & bit == ck & bit))
            .collect();
        if keep.len() < 2 {
            return None;
        }
        m = Merge::new(table, keep);
    }
}

fn upcheck(table: &[RoutingEntry], mut m: Merge, min_good: isize) -> (Option<Merge>, bool) {
    let route = route_of(table, &m);
    let mut changed = false;
    let mut members = m.members.clone();
    members.sort_unstable_by(|a, b| b.cmp(a));
    for i in members {
        let e = &table[i];
        let blocked = table[i + 1..m.insertion.max(i + 1)]
            .iter()
            .any(|o| o.route != route && o.intersects(e));
        if blocked {
            let keep: Vec<usize> = m.members.iter().copied().filter(|&j| j != i).collect();
            changed = true;
            if keep.len() < 2 || keep.len() as isize - 1 <= min_good {
                return (None, true);
            }
            m = Merge::new(table, keep);
        }
    }
    (Some(m), changed)
}

fn refine(table: &[RoutingEntry], aliases: &Aliases, m: Merge, min_good: isize) -> Option<Merge> {
    let m = downcheck(table, aliases, m, min_good)?;
    let (m, changed) = upcheck(table, m, min_good);
    let m = m?;
    if changed {
        downcheck(table, aliases, m, min_good)
    } else {
        Some(m)
    }
}

/// Ordered covering of one table until `target_len` or no merge helps, then
/// remove default routes (rig's `minimise`).
pub fn ordered_covering(table: &RoutingTable, target_len: usize) -> RoutingTable {
    let mut t: Vec<RoutingEntry> = table.entries.clone();
    t.sort_by_key(|e| generality(e.key, e.mask));
    let mut aliases: Aliases = HashMap::new();
    while t.len() > target_len {
        // group by route, in table order of first appearance
        let mut groups: Vec<(u32, Vec<usize>)> = Vec::new();
        let mut pos: HashMap<u32, usize> = HashMap::new();
        for (i, e) in t.iter().enumerate() {
            let g = *pos.entry(e.route).or_insert_with(|| {
                groups.push((e.route, Vec::new()));
                groups.len() - 1
            });
            groups[g].1.push(i);
        }
        let mut best: Option<Merge> = None;
        let mut best_good = 0isize;
        for (_, members) in groups {
            if members.len() as isize - 1 <= best_good {
                continue;
            }
            if let Some(m) = refine(&t, &aliases, Merge::new(&t, members), best_good) {
                if m.goodness() > best_good {
                    best_good = m.goodness();
                    best = Some(m);
                }
            }
        }
        let Some(m) = best else { break };
        // apply
        let route = t[m.members[0]].route;
        let mut new_aliases = Vec::new();
        let mut sources = 0;
        for &i in &m.members {
            let e = &t[i];
            sources |= e.sources;
            match aliases.remove(&(e.key, e.mask, e.route)) {
                Some(v) => new_aliases.extend(v),
                None => new_aliases.push((e.key, e.mask)),
            }
        }
        aliases
            .entry((m.key, m.mask, route))
            .or_default()
            .extend(new_aliases);
        let mut is_member = vec![false; t.len()];
        for &i in &m.members {
            is_member[i] = true;
        }
        // Still defaultable if every member was (same single in-link, straight through).
        let all_default = m.members.iter().all(|&i| t[i].is_safely_defaultable());
        let mut merged = RoutingEntry::new(m.key, m.mask, route, all_default);
        merged.sources = sources;
        let mut nt = Vec::with_capacity(t.len() - m.members.len() + 1);
        for (i, e) in t.iter().enumerate() {
            if i == m.insertion {
                nt.push(merged);
            }
            if !is_member[i] {
                nt.push(*e);
            }
        }
        if m.insertion == t.len() {
            nt.push(merged);
        }
        t = nt;
    }
    remove_default_routes(&RoutingTable::new(table.x, table.y, t))
}
