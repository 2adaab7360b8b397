mod common;
use common::{csv, reference};
use hw_export::check::{check_all, check_equivalent};
use hw_export::compress::{compress, pair_compress, pair_plus, remove_default_routes, PairOptions};
use hw_export::{load_tables, RoutingTable};
use std::time::Instant;

fn all_compressors(t: &RoutingTable) -> Vec<(&'static str, RoutingTable)> {
    vec![
        ("rdr", remove_default_routes(t)),
        ("pair", pair_compress(t, &PairOptions::pacman())),
        ("pair_plus", pair_plus(t)),
        ("oc", hw_export::compress::ordered_covering(t, 0)),
        ("best", compress(t, 1023).table),
    ]
}

#[test]
fn every_compressor_checks_on_example_and_many_to_one() {
    for name in [
        "pacman_routing_tables_example.json",
        "pacman_many_to_one.json.gz",
    ] {
        let tables = load_tables(reference(name)).unwrap();
        let mut totals = std::collections::BTreeMap::new();
        for t in &tables {
            for (c, r) in all_compressors(t) {
                let f = check_all(t, &r);
                assert!(f.is_empty(), "{name} ({},{}) {c}: {}", t.x, t.y, f[0]);
                *totals.entry(c).or_insert(0usize) += r.len();
            }
        }
        eprintln!("{name}: {totals:?}");
        if name.starts_with("pacman_many") {
            // The totals BENCHMARKS.md and docs/SPINNAKER.md quote; compression is deterministic.
            let input: usize = tables.iter().map(|t| t.len()).sum();
            assert_eq!(input, 15_245, "many_to_one input entries");
            assert_eq!(totals["best"], 1_752, "many_to_one best total");
            // per table never worse than PACMAN pair
            let (h, rows) = csv("pacman_many_to_one_reference_sizes.csv");
            let pc = h.iter().position(|c| c == "pair").unwrap();
            assert_eq!(rows.len(), tables.len());
            for r in rows {
                let (x, y): (u32, u32) = (r[0].parse().unwrap(), r[1].parse().unwrap());
                let t = tables.iter().find(|t| t.x == x && t.y == y).unwrap();
                assert!(
                    compress(t, 1023).table.len() <= r[pc].parse().unwrap(),
                    "({x},{y})"
                );
            }
        } else {
            // PACMAN pair reaches 33, rig OC 26 on the example
            assert!(totals["best"] <= 33, "example best {}", totals["best"]);
        }
    }
}

#[test]
fn checker_catches_corruptions() {
    let tables = load_tables(reference("pacman_many_to_one.json.gz")).unwrap();
    let t = tables.iter().max_by_key(|t| t.len()).unwrap();
    let c = compress(t, 1023).table;
    assert!(check_equivalent(t, &c).is_ok());
    assert!(c.len() >= 2);

    // flip a core bit in an entry that is used
    let mut bad = c.clone();
    bad.entries[0].route ^= 1 << 7;
    assert!(
        check_equivalent(t, &bad).is_err(),
        "flipped core bit not caught"
    );

    // drop each entry in turn: every drop of a non-redundant entry must be caught
    let mut caught = 0;
    for i in 0..c.len().min(50) {
        let mut d = c.clone();
        d.entries.remove(i);
        if check_equivalent(t, &d).is_err() {
            caught += 1;
        }
    }
    assert!(caught > 0);
    // dropping an entry of the uncompressed example that delivers to a core
    let ex = load_tables(reference("pacman_routing_tables_example.json")).unwrap();
    let (ti, ei) = ex
        .iter()
        .enumerate()
        .find_map(|(ti, t)| {
            t.entries
                .iter()
                .position(|e| e.route >> 6 != 0)
                .map(|ei| (ti, ei))
        })
        .unwrap();
    let mut d = ex[ti].clone();
    d.entries.remove(ei);
    assert!(
        check_equivalent(&ex[ti], &d).is_err(),
        "dropped core entry not caught"
    );

    // reorder two overlapping entries with different routes
    let mut found = false;
    'outer: for i in 0..c.len() {
        for j in i + 1..c.len() {
            if c.entries[i].intersects(&c.entries[j]) && c.entries[i].route != c.entries[j].route {
                let mut r = c.clone();
                r.entries.swap(i, j);
                assert!(check_equivalent(t, &r).is_err(), "swap {i},{j} not caught");
                found = true;
                break 'outer;
            }
        }
    }
    assert!(
        found,
        "compressed table has no overlapping entries to reorder"
    );
}

#[test]
fn mundy_gaussian_all_144_tables() {
    let tables = load_tables(reference("mundy_hpsr2016_gaussian_12_12_xyp.bin.gz")).unwrap();
    assert_eq!(tables.len(), 144);
    let start = Instant::now();
    let (out, reports) = hw_export::compress_tables(&tables, 1023);
    let secs = start.elapsed().as_secs_f64();
    let mut total = 0;
    for (t, c) in tables.iter().zip(&out) {
        assert!(c.len() <= 1023, "({},{}) {} entries", t.x, t.y, c.len());
        total += c.len();
    }
    // The totals BENCHMARKS.md and docs/SPINNAKER.md quote; compression is deterministic.
    let input: usize = tables.iter().map(|t| t.len()).sum();
    assert_eq!(input, 155_918, "gaussian input entries");
    assert_eq!(total, 129_601, "gaussian compressed entries");
    assert!(reports.iter().all(|r| r.checked && r.fits));
    // Re-check of every result with the same checker `compress` used (PACMAN's and rig's
    // checkers run on these tables in tests/cli_compress.rs).
    for (t, c) in tables.iter().zip(&out) {
        assert!(check_equivalent(t, c).is_ok());
    }
    let pacman_pair_total: usize = tables
        .iter()
        .map(|t| pair_compress(t, &PairOptions::pacman()).len())
        .sum();
    let (h, rows) = csv("mundy_hpsr2016_xyp_table_sizes.csv");
    let esp = h.iter().position(|c| c == "esp_subtables_full").unwrap();
    let esp_total: usize = rows
        .iter()
        .filter(|r| r[0] == "gaussian")
        .map(|r| r[esp].parse::<usize>().unwrap())
        .sum();
    assert_eq!(esp_total, 130_324);
    // top 36 vs PACMAN pair reference
    let (h, rows) = csv("mundy_hpsr2016_top36_reference_sizes.csv");
    let pc = h.iter().position(|c| c == "pacman_pair").unwrap();
    let (mut ours36, mut pair36) = (0, 0);
    for r in rows.iter().filter(|r| r[0] == "gaussian") {
        let (x, y): (u32, u32) = (r[1].parse().unwrap(), r[2].parse().unwrap());
        let i = tables.iter().position(|t| t.x == x && t.y == y).unwrap();
        let p: usize = r[pc].parse().unwrap();
        ours36 += out[i].len();
        pair36 += p;
    }
    eprintln!(
        "mundy gaussian: ours {total} (top36 {ours36} vs PACMAN pair {pair36}); our PACMAN-pair port {pacman_pair_total}; esp {esp_total}; {secs:.2}s incl. checks"
    );
    assert!(total < pacman_pair_total);
    assert!(
        total < esp_total,
        "total {total} not below order-exploiting Espresso {esp_total}"
    );
    assert!(
        ours36 < pair36,
        "top36 {ours36} not below PACMAN pair {pair36}"
    );
}
