//! The export report and the emulated board agree on every weight: for CUBA-4k, the CA3 memory of
//! examples/cam/e1_functional.toml and a network built to have weights that round to 0, the
//! report's left shift of every core and receptor is the one the core's synaptic matrix uses,
//! the report's 16-bit value of every synapse (its projection's table of distinct weights) is
//! the one in the synaptic word or plastic row the board loaded for that (pre, post, receptor,
//! delay), and both count the same weights rounded to 0.

use std::collections::BTreeMap;
use std::sync::Arc;

use backends::spinnaker::board::{self, CoreProgram};
use backends::spinnaker::synapses::Row;
use hw_export::formats::report::{build_report, Report};
use hw_export::machine::Machine;
use hw_export::{map_network, MapOptions, Mapping};
use models::neurons::{IfCurrExp, Integration, SpikeSourceArray};
use networks::benchmarks::{self, Benchmark, BenchmarkConfig};
use networks::ca3;
use sim_core::{Network, PopulationModel, Projection, SynapseList, TimeGrid};

/// One loaded synapse: (pre population, pre neuron, post population, post neuron, receptor,
/// delay, 16-bit weight).
type Synapse = (usize, u32, usize, u32, u32, u32, u16);

fn report_of(net: &Network, mapping: &Mapping) -> Report {
    let pop_names: Vec<String> = net.populations.iter().map(|p| p.name.clone()).collect();
    let proj_names: Vec<String> = net.projections.iter().map(|p| p.name.clone()).collect();
    build_report(
        net,
        &pop_names,
        &proj_names,
        mapping,
        &MapOptions::default(),
        "spinn5",
    )
}

/// Every synapse with the 16-bit weight the report gives it.
fn reported_synapses(net: &Network, report: &Report) -> Vec<Synapse> {
    let mut all = Vec::new();
    for (k, proj) in net.projections.iter().enumerate() {
        let row = &report.weights[k];
        assert!(
            !row.values.is_empty(),
            "{}: the report lists its distinct weights",
            proj.name
        );
        let units: BTreeMap<u64, u16> = row
            .values
            .iter()
            .map(|v| (v.weight.to_bits(), v.units))
            .collect();
        for (pre, post, w, d) in proj.synapses.iter() {
            let u = units[&w.to_bits()];
            all.push((
                proj.pre,
                pre,
                proj.post,
                post,
                proj.receptor as u32,
                d as u32,
                u,
            ));
        }
    }
    all.sort_unstable();
    all
}

/// Every synapse as the board loaded it, decoded from the cores' synaptic matrices.
fn loaded_synapses(cores: &[board::Core], mapping: &Mapping) -> Vec<Synapse> {
    let mut all = Vec::new();
    for core in cores {
        let CoreProgram::Lif(lif) = &core.program else {
            continue;
        };
        let m = &lif.synapses;
        for entry in &m.table {
            let src = mapping
                .keys
                .iter()
                .position(|&km| km == (entry.key, entry.mask))
                .expect("a population-table entry is a source slice's key");
            let src = &mapping.slices[src];
            for &b in &entry.blocks {
                for (i, row) in m.blocks[b].iter().enumerate() {
                    let pre = src.neurons.start + i as u32;
                    let words: Vec<(u16, u32)> = match row {
                        Row::Static(words) => words
                            .iter()
                            .map(|w| ((w >> 16) as u16, w & 0xFFFF))
                            .collect(),
                        Row::Plastic(p) => p
                            .weights
                            .iter()
                            .zip(&p.controls)
                            .map(|(&w, &c)| (w, c as u32))
                            .collect(),
                    };
                    for (units, control) in words {
                        let (delay, receptor, index) = m.format.decode(control);
                        let post = core.neurons.start + index;
                        all.push((src.pop, pre, core.pop, post, receptor, delay, units));
                    }
                }
            }
        }
    }
    all.sort_unstable();
    all
}

/// Checks that the report and the board agree on `net`; returns the number of synapses and the
/// number rounded to 0.
fn assert_agreement(what: &str, net: &Network) -> (usize, u64) {
    let mapping = map_network(net, &Machine::spinn5(), &MapOptions::default()).unwrap();
    let report = report_of(net, &mapping);
    let loaded = board::load(net, &mapping).unwrap();

    // The left shift of every core and receptor.
    let mut checked_shifts = 0;
    for core in &loaded.cores {
        let CoreProgram::Lif(lif) = &core.program else {
            continue;
        };
        let receptors = net.populations[core.pop].model.receptors();
        for (r, name) in receptors.iter().enumerate() {
            let row = report
                .shifts
                .iter()
                .find(|s| {
                    (s.x, s.y, s.p) == (core.at.x, core.at.y, core.at.p) && s.receptor == *name
                })
                .unwrap_or_else(|| {
                    panic!("{what}: no shift reported for core {:?} {name}", core.at)
                });
            assert_eq!(
                row.shift, lif.synapses.shifts[r],
                "{what}: core {} receptor {name}: report shift {} lsb {:e}, board shift {}",
                row.label, row.shift, row.lsb, lif.synapses.shifts[r]
            );
            checked_shifts += 1;
        }
    }
    assert!(checked_shifts > 0);
    for w in &report.weights {
        let post = net
            .populations
            .iter()
            .position(|p| p.name == w.post)
            .unwrap();
        let r = net.populations[post]
            .model
            .receptors()
            .iter()
            .position(|n| *n == w.receptor)
            .unwrap();
        assert_eq!(w.shift, loaded.shifts[post][r], "{what}: {}", w.projection);
    }

    // The 16-bit value of every synapse.
    let reported = reported_synapses(net, &report);
    let on_board = loaded_synapses(&loaded.cores, &mapping);
    assert_eq!(reported.len(), on_board.len(), "{what}: synapse counts");
    if let Some(i) = (0..reported.len()).find(|&i| reported[i] != on_board[i]) {
        panic!(
            "{what}: first difference (pre pop, pre, post pop, post, receptor, delay, units): \
             report {:?}, board {:?}",
            reported[i], on_board[i]
        );
    }

    // Weights rounded to 0: per (post population, receptor), the report's count, the board's
    // own count, and the loaded zeros whose weight was not 0.
    let mut report_zeros: BTreeMap<(String, String), u64> = BTreeMap::new();
    for w in &report.weights {
        let listed: usize = w
            .values
            .iter()
            .filter(|v| v.units == 0 && v.weight != 0.0)
            .map(|v| v.synapses)
            .sum();
        assert_eq!(w.rounded_to_zero, listed, "{what}: {}", w.projection);
        *report_zeros
            .entry((w.post.clone(), w.receptor.clone()))
            .or_default() += w.rounded_to_zero as u64;
    }
    let zero_weights: usize = net
        .projections
        .iter()
        .map(|p| p.synapses.iter().filter(|s| s.2 == 0.0).count())
        .sum();
    let loaded_zeros = on_board.iter().filter(|s| s.6 == 0).count();
    let total: u64 = report_zeros.values().sum();
    assert_eq!(loaded_zeros, total as usize + zero_weights, "{what}");
    let board_zeros: BTreeMap<(String, String), u64> = loaded
        .quantisation
        .iter()
        .map(|q| {
            (
                (q.population.clone(), q.receptor.to_string()),
                q.rounded_to_zero,
            )
        })
        .collect();
    assert_eq!(report_zeros, board_zeros, "{what}");
    eprintln!(
        "{what}: {} synapses, {checked_shifts} core shifts, {total} weights rounded to 0 agree",
        on_board.len()
    );
    (on_board.len(), total)
}

#[test]
fn cuba_4k_report_and_board_agree_on_every_weight() {
    let cfg = BenchmarkConfig {
        dt_ms: 1.0,
        delay_ms: 1.0,
        ..Default::default()
    };
    let net = benchmarks::build(Benchmark::Cuba, &cfg).unwrap();
    let (synapses, _) = assert_agreement("CUBA-4k", &net);
    assert!(synapses > 300_000);
}

#[test]
fn ca3_e1_report_and_board_agree_on_every_weight() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/cam/e1_functional.toml"
    );
    let exp = ca3::load_experiment(path).unwrap();
    let input = ca3::input_spikes(exp.size, &exp.schedule);
    let memory = ca3::build_seeded(exp.size, input, exp.seed).unwrap();
    let (synapses, _) = assert_agreement("CA3 E1", &memory.network);
    assert!(synapses > 0);
}

/// A network whose weights round to 0: one neuron receives a weight of 100 nA and small ones on
/// the same receptor, among them exactly half a unit at the shift 100 nA forces.
#[test]
fn weights_rounded_to_zero_are_the_same_in_report_and_board() {
    let grid = TimeGrid::new(1.0).unwrap();
    let mut net = Network::new(grid, 1);
    let source: Arc<dyn PopulationModel> =
        Arc::new(SpikeSourceArray::new(&[Vec::new()], 4, &grid).unwrap());
    let cell =
        Arc::new(IfCurrExp::new(Default::default(), Integration::Spynnaker, None, &grid).unwrap());
    let pre = net.add_population("pre", 4, source).unwrap();
    let post = net.add_population("post", 2, cell).unwrap();
    // Equal delays, fan-in 4, w_max 100 nA: bound 1 x 100 x 4 = 400 -> shift 9, unit 2^-6 nA.
    let unit = 2f64.powi(-6);
    let mut synapses = SynapseList::default();
    for (i, w) in [100.0, 0.5 * unit, 0.4 * unit, 1.5 * unit]
        .into_iter()
        .enumerate()
    {
        synapses.push(i as u32, 0, 100.0, 1);
        synapses.push(i as u32, 1, w, 1);
    }
    net.add_projection(Projection {
        name: "mixed".into(),
        pre,
        post,
        receptor: 0,
        synapses,
        plasticity: None,
    })
    .unwrap();
    let (synapses, zeros) = assert_agreement("mixed", &net);
    assert_eq!(synapses, 8);
    // Half a unit and 0.4 of a unit round to 0 (half to even); 1.5 units become 2.
    assert_eq!(zeros, 2);
}
