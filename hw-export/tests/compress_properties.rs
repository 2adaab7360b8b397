//! Every compressor's output routes every key as its input does, on random orthogonal tables.
//! The tables live in a 10-bit key space (all higher bits are in every mask and zero), so the
//! check walks all 1024 keys through both tables with the hardware's first-match rule —
//! independent of `hw_export::check`, which is asked the same question and must agree.

use hw_export::check::check_all;
use hw_export::compress::{
    compress, ordered_covering, pair_compress, pair_plus, pair_plus_variants,
    remove_default_routes, PairOptions,
};
use hw_export::{RoutingEntry, RoutingTable};
use proptest::prelude::*;

const KEY_BITS: u32 = 10;
const HIGH: u32 = !((1 << KEY_BITS) - 1);

/// Routes a table may use: two single links (defaultable when flagged), a core, and a mix.
const ROUTES: [u32; 4] = [1 << 0, 1 << 3, 1 << 6, (1 << 1) | (1 << 9)];

/// (key bits, don't-care bits, route index, defaultable) of candidate entries; the ones that
/// intersect an earlier entry are dropped, which keeps the table orthogonal.
fn table() -> impl Strategy<Value = RoutingTable> {
    prop::collection::vec(
        (
            0u32..1 << KEY_BITS,
            0u32..1 << KEY_BITS,
            0usize..4,
            any::<bool>(),
            0u32..4,
        ),
        1..60,
    )
    .prop_map(|cands| {
        let mut entries: Vec<RoutingEntry> = Vec::new();
        for (key, x, r, defaultable, width) in cands {
            // At most `width` don't-care bits: small cubes, many of them, often mergeable.
            let mut dc = 0;
            for b in (0..KEY_BITS)
                .filter(|b| x >> b & 1 == 1)
                .take(width as usize)
            {
                dc |= 1 << b;
            }
            let mask = HIGH | ((1 << KEY_BITS) - 1) & !dc;
            let e = RoutingEntry::new(key & mask, mask, ROUTES[r], defaultable);
            if entries.iter().all(|o| !o.intersects(&e)) {
                entries.push(e);
            }
        }
        RoutingTable::new(0, 0, entries)
    })
}

/// The first key whose routing differs, by walking the whole key space: a key the input routes
/// through entry `e` must reach an entry with `e`'s route, or no entry when `e` may be left to
/// default routing; keys the input does not route are free.
fn first_difference(input: &RoutingTable, output: &RoutingTable) -> Option<(u32, String)> {
    (0u32..1 << KEY_BITS).find_map(|k| {
        let e = input.lookup(k)?;
        match output.lookup(k) {
            Some(c) if c.route == e.route => None,
            None if e.is_safely_defaultable() => None,
            got => Some((
                k,
                format!(
                    "input routes {:#x}, output {:?}",
                    e.route,
                    got.map(|c| c.route)
                ),
            )),
        }
    })
}

fn compressors(t: &RoutingTable) -> Vec<(String, RoutingTable)> {
    let mut out = vec![
        (
            "remove_default_routes".to_string(),
            remove_default_routes(t),
        ),
        (
            "pair (PACMAN)".to_string(),
            pair_compress(t, &PairOptions::pacman()),
        ),
        ("pair_plus".to_string(), pair_plus(t)),
        ("ordered_covering".to_string(), ordered_covering(t, 0)),
        ("ordered_covering to 8".to_string(), ordered_covering(t, 8)),
        ("compress".to_string(), compress(t, 1023).table),
    ];
    for (i, opts) in pair_plus_variants().iter().enumerate() {
        out.push((format!("pair variant {i} {opts:?}"), pair_compress(t, opts)));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn every_compressor_routes_every_key_as_its_input(t in table()) {
        prop_assert!(t.is_orthogonal());
        for (name, c) in compressors(&t) {
            prop_assert_eq!(first_difference(&t, &c), None, "{}: {} -> {} entries", name, t.len(), c.len());
            prop_assert!(check_all(&t, &c).is_empty(), "{}: the checker disagrees", name);
            prop_assert!(c.len() <= t.len(), "{}: {} -> {} entries", name, t.len(), c.len());
        }
    }

    /// The brute-force walk is not vacuous: it sees a single wrong route.
    #[test]
    fn the_key_walk_sees_one_changed_route(t in table(), which in any::<prop::sample::Index>()) {
        let mut bad = compress(&t, 1023).table;
        prop_assume!(!bad.is_empty());
        let i = which.index(bad.len());
        bad.entries[i].route ^= 1 << 12;
        // A route that changed on an entry that owns at least one input key must be seen.
        let owns = (0u32..1 << KEY_BITS).any(|k| {
            t.lookup(k).is_some() && bad.entries.iter().position(|e| e.matches(k)) == Some(i)
        });
        prop_assert_eq!(first_difference(&t, &bad).is_some(), owns);
    }
}

#[test]
fn random_tables_compress() {
    // The generator makes tables the compressors can shrink (else the property says little).
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut before, mut after) = (0, 0);
    for _ in 0..100 {
        let t = table().new_tree(&mut runner).unwrap().current();
        before += t.len();
        after += compress(&t, 1023).table.len();
    }
    eprintln!("100 random tables: {before} entries -> {after}");
    assert!(after * 10 < before * 9, "{before} entries -> {after}");
}
