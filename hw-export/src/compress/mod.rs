//! Routing-table compressors. Each takes one table (assumed orthogonal, as the
//! uncompressed tables PACMAN and rig generate are) and returns an ordered table.

pub mod ordered_covering;
pub mod pair;

use crate::check::check_equivalent;
use crate::table::RoutingTable;
pub use ordered_covering::ordered_covering;
pub use pair::{pair_compress, pair_plus, pair_plus_variants, PairOptions};

/// Remove default routes (rig `remove_default_routes`): drop each safely defaultable
/// entry unless it intersects a *later* entry (which would then catch its keys).
/// Entries with cores are never dropped, whatever their `defaultable` flag says.
pub fn remove_default_routes(table: &RoutingTable) -> RoutingTable {
    let e = &table.entries;
    let kept = e
        .iter()
        .enumerate()
        .filter(|&(i, x)| !x.is_safely_defaultable() || e[i + 1..].iter().any(|o| o.intersects(x)))
        .map(|(_, x)| *x)
        .collect();
    RoutingTable::new(table.x, table.y, kept)
}

/// Which algorithm produced a result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Original,
    RemoveDefaultRoutes,
    Pair,
    PairPlus,
    OrderedCovering,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Original => "original",
            Method::RemoveDefaultRoutes => "remove_default_routes",
            Method::Pair => "pair",
            Method::PairPlus => "pair_plus",
            Method::OrderedCovering => "ordered_covering",
        }
    }
}

/// A checked compression result.
#[derive(Clone, Debug)]
pub struct Compressed {
    pub table: RoutingTable,
    pub method: Method,
    /// Passed [`check_equivalent`] against the input.
    pub checked: bool,
}

/// Run the compressors, verify candidates with the exact checker (smallest first), and
/// return the smallest correct one (the input itself if nothing else checks).
/// `target_len` is the router capacity; the result may exceed it, which the caller
/// reports (see [`crate::TableReport::fits`]).
pub fn compress(table: &RoutingTable, _target_len: usize) -> Compressed {
    let mut cands: Vec<(RoutingTable, Method)> = vec![
        (remove_default_routes(table), Method::RemoveDefaultRoutes),
        (pair_compress(table, &PairOptions::pacman()), Method::Pair),
        (pair_plus(table), Method::PairPlus),
        (ordered_covering(table, 0), Method::OrderedCovering),
    ];
    cands.sort_by_key(|(t, _)| t.len());
    for (t, method) in cands {
        if t.len() >= table.len() {
            break;
        }
        if check_equivalent(table, &t).is_ok() {
            return Compressed {
                table: t,
                method,
                checked: true,
            };
        }
    }
    Compressed {
        table: table.clone(),
        method: Method::Original,
        checked: true,
    }
}
