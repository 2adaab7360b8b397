use hw_export::check::check_equivalent;
use hw_export::keys::KeyLayout;
use hw_export::machine::Machine;
use hw_export::verify::VerifyFailure;
use hw_export::{map_network, MapOptions, Mapping};
use networks::ca3::{self, Ca3Size};
use std::collections::HashSet;

fn ca3(cues: u32, bits: u32) -> sim_core::Network {
    let size = Ca3Size {
        cues,
        content_bits: bits,
    };
    let input = vec![Vec::new(); (cues + bits) as usize];
    ca3::build(size, input).unwrap().network
}

/// Invariants every mapping must satisfy, checked from its parts.
fn check_mapping(net: &sim_core::Network, m: &Mapping) {
    // slices cover every population exactly, in order
    for (p, pop) in net.populations.iter().enumerate() {
        let r = m.pop_slices(p).unwrap();
        let mut next = 0;
        for s in &m.slices[r] {
            assert_eq!(s.pop, p);
            assert_eq!(s.neurons.start, next);
            next = s.neurons.end;
        }
        assert_eq!(next, pop.size);
        for n in [0, pop.size / 2, pop.size - 1] {
            let s = m.slice_of(p, n).unwrap();
            assert!(m.slices[s].neurons.contains(&n));
            assert_eq!(m.source_of_key(m.key_of(p, n).unwrap()), Some((p, n)));
        }
    }
    // one slice per core, never a monitor core, only live chips
    let mut cores = HashSet::new();
    for c in &m.placements {
        assert!(cores.insert(*c), "{c:?} used twice");
        assert!(c.p >= m.machine.monitor_cores);
        assert!(c.p < m.machine.chip(c.chip()).unwrap().n_cores);
    }
    // slice key ranges are disjoint
    for (i, &(k, mask)) in m.keys.iter().enumerate() {
        assert_eq!(k & !mask, 0);
        assert!(m.slices[i].len() as u64 <= (!mask) as u64 + 1);
        for &(k2, m2) in &m.keys[i + 1..] {
            assert!(!hw_export::table::intersects(k, mask, k2, m2));
        }
    }
    // every compressed table is exactly equivalent to its uncompressed one and fits
    assert_eq!(m.tables.len(), m.compressed.len());
    for (t, c) in m.tables.iter().zip(&m.compressed) {
        assert!(t.is_orthogonal());
        assert!(check_equivalent(t, c).is_ok(), "({},{})", t.x, t.y);
        assert!(c.len() <= 1023);
    }
    // uncompressed tables route every key correctly too
    assert!(m.verify_tables(&m.tables).ok());
    assert!(
        m.ok(),
        "{:?}",
        &m.verification.failures[..m.verification.failures.len().min(5)]
    );
}

#[test]
fn ca3_memory_maps_onto_spinn5_and_verifies() {
    let net = ca3(5, 10);
    let m = map_network(&net, &Machine::spinn5(), &MapOptions::default()).unwrap();
    check_mapping(&net, &m);
    assert_eq!(m.slices.len(), 10); // every population fits one core
                                    // every neuron of every population with outgoing synapses is a source (OUT has none)
    let senders: u32 = net.populations[..ca3::OUT].iter().map(|p| p.size).sum();
    assert_eq!(m.verification.n_sources, senders as usize);
    let (before, after, max) = m.entry_counts();
    eprintln!(
        "ca3 5x10: {} chips, {before} -> {after} entries, max {max}",
        m.tables.len()
    );
}

#[test]
fn dropped_route_is_caught_by_verification() {
    let net = ca3(5, 10);
    let m = map_network(&net, &Machine::spinn5(), &MapOptions::default()).unwrap();
    // drop, in turn, each entry that delivers to a core
    let mut caught = 0;
    for (ti, t) in m.compressed.iter().enumerate() {
        for (ei, e) in t.entries.iter().enumerate() {
            if e.route >> 6 == 0 {
                continue;
            }
            let mut bad = m.compressed.clone();
            bad[ti].entries.remove(ei);
            let r = m.verify_tables(&bad);
            assert!(
                r.failures.iter().any(|f| matches!(
                    f,
                    VerifyFailure::Missing { .. } | VerifyFailure::DroppedAtSource { .. }
                )),
                "dropping ({},{}) entry {ei} not caught",
                t.x,
                t.y
            );
            caught += 1;
        }
    }
    assert!(caught > 0);
}

#[test]
fn large_memory_spans_chips_and_respects_dead_chips() {
    let net = ca3(600, 100);
    let machine = Machine::spinn5().with_dead_chips(&[(1, 0), (0, 1)]);
    let m = map_network(&net, &machine, &MapOptions::default()).unwrap();
    check_mapping(&net, &m);
    let chips = m.used_chips();
    assert!(chips.len() >= 2, "{chips:?}");
    assert!(!chips.contains(&(1, 0)) && !chips.contains(&(0, 1)));
    for t in &m.tables {
        assert!(machine.chip((t.x, t.y)).is_some());
    }
}

#[test]
fn zoned_keys_follow_pacman_layout() {
    // populations of 1256, 300 and 1 neurons at 256 per core: 5, 2 and 1 slices
    let net = ca3(300, 956);
    let opts = MapOptions::default();
    let m = map_network(&net, &Machine::multi_board(12, 12).unwrap(), &opts).unwrap();
    let ka = &m.key_allocation;
    let in_layer = &ka.partitions[0]; // 1256 neurons: plastic? no; 5 slices
    assert_eq!(m.pop_slices(0).unwrap().len(), 5);
    assert_eq!((in_layer.m_bits, in_layer.x_bits), (3, 8));
    let int = &ka.partitions[ca3::COND_INT]; // 1 neuron
    assert_eq!((int.m_bits, int.x_bits), (0, 0));
    let widest = ka
        .partitions
        .iter()
        .map(|p| p.m_bits + p.x_bits)
        .max()
        .unwrap();
    assert_eq!(ka.shift, widest);
    for (s, &(k, mask)) in m.keys.iter().enumerate() {
        let pk = &ka.partitions[m.slices[s].pop];
        assert_eq!(k >> ka.shift, pk.ap_index);
        assert_eq!(
            (k >> pk.x_bits) & ((1 << pk.m_bits) - 1),
            ka.vertex_index[s]
        );
        assert_eq!(mask, !((1u32 << pk.x_bits) - 1));
    }
    // global mode: one mask for every slice
    let g = MapOptions {
        key_layout: KeyLayout::Global,
        ..opts
    };
    let mg = map_network(&net, &Machine::multi_board(12, 12).unwrap(), &g).unwrap();
    assert!(mg.keys.iter().all(|&(_, mask)| mask == mg.keys[0].1));
    check_mapping(&net, &mg);
}

#[test]
fn ner_routes_straight_lines_as_defaultable_and_detours_round_dead_links() {
    use hw_export::place::CoreLocation;
    use hw_export::route::{distance, ner_route};
    let core = |x, y, p| CoreLocation { x, y, p };
    let m = Machine::torus(8, 8);
    // Four hops east: the three chips in between only pass packets straight on.
    let tree = ner_route(&m, core(0, 0, 2), &[core(4, 0, 3)], 20).unwrap();
    assert_eq!(tree.nodes.len(), 5);
    for x in 1..4 {
        let n = &tree.nodes[&(x, 0)];
        assert_eq!(
            (n.in_link, n.links, n.cores),
            (Some(3), 1, 0),
            "chip ({x},0)"
        );
    }
    assert_eq!(tree.nodes[&(4, 0)].cores, 1 << 3);
    // Diagonal offsets use the NE link: (3, 3) is three hops.
    assert_eq!(distance(&m, (0, 0), (3, 3)), 3);
    assert_eq!(distance(&m, (0, 0), (7, 7)), 1); // wraps
    let t = ner_route(&m, core(0, 0, 2), &[core(3, 3, 4)], 20).unwrap();
    assert_eq!(t.nodes.len(), 4);
    // A dead link on the straight path: the route goes round it and stays a tree.
    let dead = Machine::torus(8, 8).with_dead_links(&[((1, 0), 0)]);
    let t = ner_route(&dead, core(0, 0, 2), &[core(4, 0, 3)], 20).unwrap();
    assert!(
        t.nodes.get(&(1, 0)).is_none_or(|n| n.links & 1 == 0),
        "uses the dead link"
    );
    assert_eq!(t.nodes[&(4, 0)].cores, 1 << 3);
    let arrivals = t.nodes.values().filter(|n| n.in_link.is_some()).count();
    assert_eq!(
        arrivals,
        t.nodes.len() - 1,
        "every chip but the source has one parent"
    );
    // Targets share the tree: (5, 0) is three hops west round the torus, so it is routed
    // first, and (4, 0) and (4, 1) join the tree next to it (6 chips; 8 without sharing).
    let fan = ner_route(
        &m,
        core(0, 0, 2),
        &[core(4, 0, 3), core(4, 1, 3), core(5, 0, 3)],
        20,
    )
    .unwrap();
    assert_eq!(fan.nodes.len(), 6);
    assert_eq!(fan.nodes[&(4, 0)].in_link, Some(0)); // arrives from (5, 0)
}

#[test]
fn tables_merge_slices_with_equal_routes_and_flag_straight_through_entries() {
    // IN (1256 neurons, 5 slices) feeds every population: on chips where all of IN's slices
    // route alike, one application-level entry stands for all five.
    let net = ca3(1000, 256);
    let m = map_network(&net, &Machine::spinn5(), &MapOptions::default()).unwrap();
    check_mapping(&net, &m);
    let merged: Vec<usize> = m
        .key_allocation
        .partitions
        .iter()
        .map(|app| {
            m.tables
                .iter()
                .flat_map(|t| &t.entries)
                .filter(|e| e.key == app.key && e.mask == app.mask)
                .count()
        })
        .collect();
    eprintln!("population-level entries per population: {merged:?}");
    assert!(
        merged.iter().sum::<usize>() > 0,
        "no population-level entry"
    );
    for t in &m.tables {
        for e in &t.entries {
            if e.defaultable {
                assert_eq!(e.route >> 6, 0, "a defaultable entry delivers to a core");
                assert!(e.is_safely_defaultable());
            }
        }
    }
    let (before, after, max) = m.entry_counts();
    eprintln!(
        "ca3 1000x256: {} slices on {} chips, {before} -> {after} entries, max {max}",
        m.slices.len(),
        m.used_chips().len()
    );
}

#[test]
fn partition_limits_plastic_and_high_fan_in_populations() {
    use hw_export::partition::{partition, PartitionOptions};
    let net = ca3(1000, 256);
    let opts = PartitionOptions::default();
    let part = partition(&net, &opts).unwrap();
    let budget = opts.budget_cycles(net.grid.dt_ms());
    for (s, r) in part.slices.iter().zip(&part.resources) {
        let plastic_target = net
            .projections
            .iter()
            .any(|p| p.post == s.pop && p.plasticity.is_some());
        let cap = if plastic_target { 128 } else { 256 };
        assert!(s.len() <= cap, "{s:?}");
        assert!(r.load <= opts.cost.max_load, "{s:?} load {}", r.load);
        assert!((r.cycles_per_tick / budget - r.load).abs() < 1e-12);
        assert!(r.dtcm_bytes <= opts.cost.dtcm_bytes);
    }
    // CA3contCueRecall (256 neurons) receives 1000 plastic synapses per neuron: at 128 neurons
    // per core its load would pass 90 %, so it is cut to 64.
    let cont_cue: Vec<u32> = part
        .slices
        .iter()
        .filter(|s| s.pop == ca3::CONT_CUE)
        .map(|s| s.len())
        .collect();
    assert_eq!(cont_cue, vec![64; 4]);
    // Without the real-time limit (a slower time scale) the plastic cap of 128 applies.
    let slow = PartitionOptions {
        time_scale_factor: Some(4),
        ..opts.clone()
    };
    let part = partition(&net, &slow).unwrap();
    let cont_cue: Vec<u32> = part
        .slices
        .iter()
        .filter(|s| s.pop == ca3::CONT_CUE)
        .map(|s| s.len())
        .collect();
    assert_eq!(cont_cue, vec![128; 2]);
}
