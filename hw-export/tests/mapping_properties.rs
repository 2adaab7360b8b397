//! Random networks on random machines (dead chips and links included): every mapping that
//! succeeds routes every key to exactly its targets, hop by hop, through compressed tables that
//! are exactly equivalent to the uncompressed ones. A second property scatters slices over a
//! three-board torus at random, so routes are long, meet dead links and share trunks.

mod common;

use std::sync::Arc;

use std::collections::BTreeSet;

use hw_export::check::check_equivalent;
use hw_export::compress::compress;
use hw_export::keys::{allocate_keys, KeyLayout};
use hw_export::machine::Machine;
use hw_export::place::{chip_order, CoreLocation};
use hw_export::route::ner_route;
use hw_export::tables::build_tables;
use hw_export::verify::{verify, Source};
use hw_export::{map_network, MapOptions, Slice};
use proptest::prelude::*;
use sim_core::{Network, Projection, SynapseList, TimeGrid};

/// (pre population, post population, receptor, synapses as (pre, post) seeds)
type RandomProjection = (usize, usize, usize, Vec<(u32, u32)>);

#[derive(Debug, Clone)]
struct Case {
    sizes: Vec<u32>,
    projections: Vec<RandomProjection>,
    machine: usize,
    dead_chips: Vec<(u32, u32)>,
    dead_links: Vec<((u32, u32), u8)>,
    neurons_per_core: u32,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(1u32..300, 1..6),
        prop::collection::vec(
            (
                any::<usize>(),
                any::<usize>(),
                0usize..2,
                prop::collection::vec(any::<(u32, u32)>(), 1..200),
            ),
            0..8,
        ),
        0usize..3,
        prop::collection::vec((0u32..12, 0u32..12), 0..4),
        prop::collection::vec(((0u32..12, 0u32..12), 0u8..6), 0..6),
        prop::sample::select(vec![8u32, 16, 64, 256]),
    )
        .prop_map(
            |(sizes, projections, machine, dead_chips, dead_links, neurons_per_core)| Case {
                projections: projections
                    .into_iter()
                    .map(|(a, b, r, s)| (a % sizes.len(), b % sizes.len(), r, s))
                    .collect(),
                sizes,
                machine,
                dead_chips,
                dead_links,
                neurons_per_core,
            },
        )
}

fn build(c: &Case) -> (Network, Machine) {
    let grid = TimeGrid::new(1.0).unwrap();
    let mut net = Network::new(grid, 7);
    let cell: Arc<dyn sim_core::PopulationModel> = Arc::new(common::TestCell);
    for (i, &n) in c.sizes.iter().enumerate() {
        net.add_population(&format!("p{i}"), n, cell.clone())
            .unwrap();
    }
    for (k, (pre, post, receptor, seeds)) in c.projections.iter().enumerate() {
        let mut syn = SynapseList::default();
        for &(i, j) in seeds {
            syn.push(i % c.sizes[*pre], j % c.sizes[*post], 0.5, 1);
        }
        net.add_projection(Projection {
            name: format!("j{k}"),
            pre: *pre,
            post: *post,
            receptor: *receptor,
            synapses: syn,
            plasticity: None,
        })
        .unwrap();
    }
    let m = match c.machine {
        0 => Machine::spinn3(),
        1 => Machine::spinn5(),
        _ => Machine::multi_board(12, 12).unwrap(),
    };
    let m = m
        .with_dead_chips(&c.dead_chips)
        .with_dead_links(&c.dead_links);
    (net, m)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_mapping_verifies(c in case()) {
        let (net, machine) = build(&c);
        let mut opts = MapOptions::default();
        opts.partition.neurons_per_core = c.neurons_per_core;
        // Too many slices for a small machine is a clean error, never a wrong mapping.
        let Ok(m) = map_network(&net, &machine, &opts) else { return Ok(()); };
        prop_assert!(m.ok(), "{:?}", &m.verification.failures[..m.verification.failures.len().min(3)]);
        prop_assert!(m.verify_tables(&m.tables).ok());
        for (t, k) in m.tables.iter().zip(&m.compressed) {
            prop_assert!(t.is_orthogonal());
            prop_assert!(check_equivalent(t, k).is_ok());
        }
        for p in &m.placements {
            prop_assert!(machine.chip(p.chip()).is_some());
        }
        let senders: usize = m
            .slices
            .iter()
            .enumerate()
            .filter(|(s, _)| !m.targets[*s].is_empty())
            .map(|(_, sl)| sl.len() as usize)
            .sum();
        prop_assert_eq!(m.verification.n_sources, senders);
    }
}

#[derive(Debug, Clone)]
struct Scatter {
    /// Slice sizes per population.
    pops: Vec<Vec<u32>>,
    /// Per slice: a chip pick and target picks (indices taken modulo the counts).
    chips: Vec<usize>,
    targets: Vec<Vec<usize>>,
    dead_chips: Vec<(u32, u32)>,
    dead_links: Vec<((u32, u32), u8)>,
    global: bool,
    radius: i64,
}

fn scatter() -> impl Strategy<Value = Scatter> {
    (
        prop::collection::vec(prop::collection::vec(1u32..=64, 1..5), 1..5),
        prop::collection::vec(any::<usize>(), 16),
        prop::collection::vec(prop::collection::vec(any::<usize>(), 0..6), 16),
        prop::collection::vec((0u32..12, 0u32..12), 0..6),
        prop::collection::vec(((0u32..12, 0u32..12), 0u8..6), 0..12),
        any::<bool>(),
        prop::sample::select(vec![0i64, 2, 20]),
    )
        .prop_map(
            |(pops, chips, targets, dead_chips, dead_links, global, radius)| Scatter {
                pops,
                chips,
                targets,
                dead_chips,
                dead_links,
                global,
                radius,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn scattered_slices_route_exactly(c in scatter()) {
        let machine = Machine::multi_board(12, 12)
            .unwrap()
            .with_dead_chips(&c.dead_chips)
            .with_dead_links(&c.dead_links);
        let order = chip_order(&machine);
        prop_assume!(!order.is_empty());
        let mut slices = Vec::new();
        for (pop, sizes) in c.pops.iter().enumerate() {
            let mut start = 0;
            for &n in sizes {
                slices.push(Slice { pop, neurons: start..start + n });
                start += n;
            }
        }
        let n = slices.len();
        // Distinct cores on reachable chips, chosen at random.
        let mut used = BTreeSet::new();
        let mut placements = Vec::new();
        for s in 0..n {
            let mut k = c.chips[s % c.chips.len()];
            loop {
                let chip = order[k % order.len()];
                let free = (machine.monitor_cores..machine.chip(chip).unwrap().n_cores)
                    .find(|&p| !used.contains(&(chip, p)));
                if let Some(p) = free {
                    used.insert((chip, p));
                    placements.push(CoreLocation { x: chip.0, y: chip.1, p });
                    break;
                }
                k += 1;
            }
        }
        let layout = if c.global { KeyLayout::Global } else { KeyLayout::Flexible };
        let vertices: Vec<(usize, u64)> = slices.iter().map(|s| (s.pop, s.len() as u64)).collect();
        let keys = allocate_keys(c.pops.len(), &vertices, layout).unwrap();
        let targets: Vec<Vec<usize>> = (0..n)
            .map(|s| {
                let t: BTreeSet<usize> =
                    c.targets[s % c.targets.len()].iter().map(|&t| t % n).collect();
                t.into_iter().collect()
            })
            .collect();
        let trees: Vec<_> = (0..n)
            .map(|s| {
                (!targets[s].is_empty()).then(|| {
                    let cores: Vec<CoreLocation> =
                        targets[s].iter().map(|&t| placements[t]).collect();
                    ner_route(&machine, placements[s], &cores, c.radius).unwrap()
                })
            })
            .collect();
        let partition_of: Vec<usize> = slices.iter().map(|s| s.pop).collect();
        let tables = build_tables(&partition_of, &placements, &keys, &trees);
        let compressed: Vec<_> = tables.iter().map(|t| compress(t, 1023).table).collect();
        for (t, k) in tables.iter().zip(&compressed) {
            prop_assert!(t.is_orthogonal());
            prop_assert!(check_equivalent(t, k).is_ok());
        }
        let mut sources = Vec::new();
        for s in 0..n {
            if targets[s].is_empty() {
                continue;
            }
            let expected: BTreeSet<((u32, u32), u8)> =
                targets[s].iter().map(|&t| (placements[t].chip(), placements[t].p)).collect();
            for i in 0..slices[s].len() {
                sources.push(Source {
                    chip: placements[s].chip(),
                    core: placements[s].p,
                    key: keys.vertices[s].0 | i,
                    expected: expected.clone(),
                });
            }
        }
        for t in [&tables, &compressed] {
            let r = verify(&machine, t, &sources);
            prop_assert!(r.ok(), "{:?}", &r.failures[..r.failures.len().min(3)]);
        }
    }
}
