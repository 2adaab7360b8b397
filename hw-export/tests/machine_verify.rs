mod common;
use hw_export::machine::{Machine, EAST, NORTH, SOUTH, WEST};
use hw_export::verify::{verify, Source, VerifyFailure};
use hw_export::{RoutingEntry, RoutingTable};
use std::collections::BTreeSet;

#[test]
fn machine_shapes() {
    let m5 = Machine::spinn5();
    assert_eq!(m5.n_chips(), 48);
    assert_eq!(m5.chips().filter(|(_, i)| i.n_cores == 17).count(), 8);
    assert_eq!(m5.app_cores((0, 0)), 16);
    assert_eq!(m5.router_entries((0, 0)), 1023);
    assert_eq!(m5.chip((0, 0)).unwrap().sdram, 123_469_792);
    assert_eq!(m5.neighbour((0, 0), WEST), None);
    assert_eq!(m5.neighbour((0, 0), 1), Some((1, 1)));
    assert_eq!(m5.neighbour((0, 3), NORTH), None); // (0,4) is not on the board
    let m3 = Machine::spinn3();
    assert_eq!(m3.n_chips(), 4);
    assert_eq!(m3.neighbour((0, 1), NORTH), Some((0, 0))); // wraps in y
    assert_eq!(m3.neighbour((1, 0), EAST), None); // not in x
    assert_eq!(m3.neighbour((0, 0), SOUTH), Some((0, 1)));
    let mb = Machine::multi_board(12, 12).unwrap();
    assert_eq!(mb.n_chips(), 144);
    assert_eq!(mb.neighbour((11, 11), 1), Some((0, 0)));
    assert_eq!(mb.chips().filter(|(_, i)| i.n_cores == 17).count(), 24);
    assert!(Machine::multi_board(10, 12).is_err());
    let t = Machine::torus(4, 4)
        .with_dead_links(&[((1, 1), EAST)])
        .with_dead_chips(&[(3, 3)]);
    assert_eq!(t.neighbour((1, 1), EAST), None);
    assert_eq!(t.neighbour((2, 1), WEST), None);
    assert_eq!(t.neighbour((2, 3), EAST), None);
    for l in 0..6u8 {
        let n = Machine::torus(4, 4).neighbour((0, 0), l).unwrap();
        assert_eq!(Machine::torus(4, 4).neighbour(n, (l + 3) % 6), Some((0, 0)));
    }
}

fn core(p: u32) -> u32 {
    1 << (6 + p)
}

#[test]
fn verify_catches_dropped_route() {
    let m = Machine::torus(4, 4);
    let key = 0x100;
    let mask = 0xffff_ff00;
    // (0,0) core 1 -> east -> (1,0) [default routed] -> (2,0) core 3 and north -> (2,1) core 4
    let tables = vec![
        RoutingTable::new(0, 0, vec![RoutingEntry::new(key, mask, 1 << EAST, false)]),
        RoutingTable::new(
            2,
            0,
            vec![RoutingEntry::new(key, mask, core(3) | 1 << NORTH, false)],
        ),
        RoutingTable::new(2, 1, vec![RoutingEntry::new(key, mask, core(4), false)]),
    ];
    let src = Source {
        chip: (0, 0),
        core: 1,
        key: key | 7,
        expected: BTreeSet::from([((2, 0), 3), ((2, 1), 4)]),
    };
    let rep = verify(&m, &tables, std::slice::from_ref(&src));
    assert!(rep.ok(), "{:?}", rep.failures);

    // drop the route at (2,0): the packet is default routed on round the ring
    let mut bad = tables.clone();
    bad[1].entries.clear();
    let rep = verify(&m, &bad, std::slice::from_ref(&src));
    assert!(rep.failures.iter().any(|f| matches!(
        f,
        VerifyFailure::Missing {
            chip: (2, 0),
            core: 3,
            ..
        }
    )));
    assert!(
        rep.failures
            .iter()
            .any(|f| matches!(f, VerifyFailure::Loop { .. })),
        "{:?}",
        rep.failures
    );

    // drop the source entry: dropped at the source
    let mut bad = tables.clone();
    bad[0].entries.clear();
    let rep = verify(&m, &bad, std::slice::from_ref(&src));
    assert!(rep.failures.contains(&VerifyFailure::DroppedAtSource {
        key: key | 7,
        chip: (0, 0)
    }));

    // over capacity and dead links are reported
    let mut big = tables.clone();
    big[2].entries = (0..1024)
        .map(|i| RoutingEntry::new(i << 8, mask, core(4), false))
        .collect();
    let m2 = Machine::torus(4, 4).with_dead_links(&[((2, 0), NORTH)]);
    let rep = verify(&m2, &big, &[src]);
    assert!(rep
        .failures
        .iter()
        .any(|f| matches!(f, VerifyFailure::OverCapacity { chip: (2, 1), .. })));
    assert!(rep.failures.iter().any(|f| matches!(
        f,
        VerifyFailure::DeadLink {
            chip: (2, 0),
            link: 2,
            ..
        }
    )));
}

#[test]
fn compressed_tables_still_verify_on_machine() {
    // The compressor output must route exactly like the input on a real-size torus.
    use hw_export::compress::compress;
    let m = Machine::torus(4, 4);
    let mask = 0xffff_f800;
    let mut sources = Vec::new();
    let mut tables: Vec<RoutingTable> = (0..4)
        .flat_map(|x| (0..4).map(move |y| RoutingTable::new(x, y, vec![])))
        .collect();
    let idx = |x: u32, y: u32| (x * 4 + y) as usize;
    // every core 1..4 on row y=0 sends east along the row to x=3, delivering to core 5 there
    for x in 0..3u32 {
        for p in 1..5u32 {
            let key = (x << 24) | (p << 11);
            tables[idx(x, 0)]
                .entries
                .push(RoutingEntry::new(key, mask, 1 << EAST, false));
            for hop in x + 1..3 {
                let mut e = RoutingEntry::new(key, mask, 1 << EAST, true);
                e.sources = 1 << WEST;
                tables[idx(hop, 0)].entries.push(e);
            }
            tables[idx(3, 0)]
                .entries
                .push(RoutingEntry::new(key, mask, core(5), false));
            sources.push(Source {
                chip: (x, 0),
                core: p as u8,
                key: key | 3,
                expected: BTreeSet::from([((3, 0), 5)]),
            });
        }
    }
    assert!(verify(&m, &tables, &sources).ok());
    let compressed: Vec<RoutingTable> = tables.iter().map(|t| compress(t, 1023).table).collect();
    let rep = verify(&m, &compressed, &sources);
    assert!(rep.ok(), "{:?}", rep.failures);
    let before: usize = tables.iter().map(|t| t.len()).sum();
    let after: usize = compressed.iter().map(|t| t.len()).sum();
    assert!(after < before, "{after} !< {before}");
}
