//! Exact ternary-cube equivalence check between an original table and an ordered
//! compressed one (spec §5.2 step 5).
//!
//! For every original entry, the keys it actually owns (its cube minus the cubes of
//! earlier original entries) are walked through the compressed table in order; each
//! compressed entry that matches part of what is left must carry exactly the original
//! route, and that part is subtracted. Whatever is left after the whole table matches
//! nothing and is default-routed, which is only allowed if the original entry is
//! (safely) defaultable: default routing sends it straight on, which is its route.

use crate::table::{intersects, RoutingEntry, RoutingTable};
use std::fmt;

/// Why a compressed table is not equivalent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckFailure {
    /// Some key of original entry `original` first matches compressed entry
    /// `compressed`, which has a different route.
    WrongRoute {
        original: usize,
        compressed: usize,
        key: u32,
        expected: u32,
        got: u32,
    },
    /// Some key of a non-defaultable original entry matches no compressed entry.
    Unmatched { original: usize, key: u32 },
}

impl fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckFailure::WrongRoute {
                original,
                compressed,
                key,
                expected,
                got,
            } => write!(
                f,
                "original entry {original}: key {key:#010x} first matches compressed entry {compressed} with route {got:#x}, expected {expected:#x}"
            ),
            CheckFailure::Unmatched { original, key } => write!(
                f,
                "original entry {original}: key {key:#010x} matches no compressed entry and the entry is not defaultable"
            ),
        }
    }
}

/// Push the pieces of cube `(k, m)` minus cube `(k2, m2)` as disjoint cubes.
fn subtract(k: u32, m: u32, k2: u32, m2: u32, out: &mut Vec<(u32, u32)>) {
    if !intersects(k, m, k2, m2) {
        out.push((k, m));
        return;
    }
    let (mut k, mut m) = (k, m);
    let mut bits = m2 & !m;
    while bits != 0 {
        let b = bits & bits.wrapping_neg();
        bits &= bits - 1;
        out.push((k | (!k2 & b), m | b));
        k |= k2 & b;
        m |= b;
    }
}

fn owned_cubes(orig: &[RoutingEntry], i: usize) -> Vec<(u32, u32)> {
    let e = &orig[i];
    let mut pieces = vec![(e.key, e.mask)];
    for p in &orig[..i] {
        if !p.intersects(e) {
            continue;
        }
        let mut next = Vec::new();
        for &(k, m) in &pieces {
            subtract(k, m, p.key, p.mask, &mut next);
        }
        pieces = next;
        if pieces.is_empty() {
            break;
        }
    }
    pieces
}

/// Check `compressed` against `original` (both in hardware order). Returns the first
/// failure per original entry (all of them, in original order); empty = equivalent.
pub fn check_all(original: &RoutingTable, compressed: &RoutingTable) -> Vec<CheckFailure> {
    let mut failures = Vec::new();
    let orig = &original.entries;
    'entries: for (i, o) in orig.iter().enumerate() {
        let mut pieces = owned_cubes(orig, i);
        let defaultable = o.is_safely_defaultable();
        let mut next = Vec::new();
        for (j, c) in compressed.entries.iter().enumerate() {
            if pieces.is_empty() {
                break;
            }
            if !o.intersects(c) {
                continue;
            }
            next.clear();
            for &(k, m) in &pieces {
                if intersects(k, m, c.key, c.mask) {
                    if c.route != o.route {
                        failures.push(CheckFailure::WrongRoute {
                            original: i,
                            compressed: j,
                            key: k | (c.key & !m),
                            expected: o.route,
                            got: c.route,
                        });
                        continue 'entries;
                    }
                    subtract(k, m, c.key, c.mask, &mut next);
                } else {
                    next.push((k, m));
                }
            }
            std::mem::swap(&mut pieces, &mut next);
        }
        if let Some(&(k, _)) = pieces.first() {
            if !defaultable {
                failures.push(CheckFailure::Unmatched {
                    original: i,
                    key: k,
                });
            }
        }
    }
    failures
}

/// `Ok(())` if `compressed` routes every key of `original` identically.
pub fn check_equivalent(
    original: &RoutingTable,
    compressed: &RoutingTable,
) -> Result<(), CheckFailure> {
    let mut f = check_all(original, compressed);
    if f.is_empty() {
        Ok(())
    } else {
        Err(f.swap_remove(0))
    }
}
