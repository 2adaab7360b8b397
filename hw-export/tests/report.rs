//! The quantisation report against hand-computed values of sPyNNaker's weight representation:
//! 16-bit weights `rint(|w| · 2^(15 - shift))`, the shift the smallest power of two above the
//! input sPyNNaker's host expects one ring-buffer slot to hold
//! (`PopulationVertex._get_ring_buffer_shifts`).

mod common;

use std::sync::Arc;

use hw_export::formats::report::build_report;
use hw_export::machine::Machine;
use hw_export::{map_network, MapOptions};
use sim_core::{Network, Projection, SynapseList, TimeGrid};

fn net() -> Network {
    let grid = TimeGrid::new(1.0).unwrap();
    let mut net = Network::new(grid, 1);
    let cell = || -> Arc<dyn sim_core::PopulationModel> { Arc::new(common::TestCell) };
    let a = net.add_population("a", 2, cell()).unwrap();
    let b = net.add_population("b", 1, cell()).unwrap();
    let c = net.add_population("c", 1, cell()).unwrap();
    let mut big_and_small = SynapseList::default();
    big_and_small.push(0, 0, 100.0, 1);
    big_and_small.push(1, 0, 0.001, 1);
    net.add_projection(Projection {
        name: "exc".into(),
        pre: a,
        post: b,
        receptor: 0,
        synapses: big_and_small,
        plasticity: None,
    })
    .unwrap();
    let mut slow = SynapseList::default();
    slow.push(0, 0, 0.5, 1);
    slow.push(1, 0, 0.3, 20);
    net.add_projection(Projection {
        name: "inh".into(),
        pre: a,
        post: b,
        receptor: 1,
        synapses: slow,
        plasticity: None,
    })
    .unwrap();
    let mut learning = SynapseList::default();
    learning.push(0, 0, 0.001, 1);
    learning.push(1, 0, 0.5, 1);
    let rule = common::TestRule { w_max: 6.0 };
    net.add_projection(Projection {
        name: "learning".into(),
        pre: a,
        post: c,
        receptor: 0,
        synapses: learning,
        plasticity: Some(Arc::new(rule)),
    })
    .unwrap();
    net
}

#[test]
fn weights_and_delays_are_reported_with_fixes() {
    let net = net();
    let opts = MapOptions::default();
    let m = map_network(&net, &Machine::spinn3(), &opts).unwrap();
    assert!(m.ok());
    let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let r = build_report(
        &net,
        &names(&["a", "b", "c"]),
        &names(&["exc", "inh", "learning"]),
        &m,
        &opts,
        "spinn3",
    );
    let exc = &r.weights[0];
    // Equal delays: the slot bound is spikes per tick (1) x w_max (100) x fan-in (2) = 200 ->
    // shift 8 (2^8 = 256 > 200), one unit = 2^-7; 0.001 / 2^-7 = 0.128 rounds to 0 (an error
    // of 100 %), 100 = 12800 units exactly.
    assert_eq!(exc.shift, 8);
    assert_eq!(exc.lsb, 2f64.powi(-7));
    assert_eq!((exc.rounded_to_zero, exc.saturated), (1, 0));
    assert_eq!(exc.max_relative_error, 1.0);
    let units: Vec<(f64, u16, usize)> = exc
        .values
        .iter()
        .map(|v| (v.weight, v.units, v.synapses))
        .collect();
    assert_eq!(units, [(0.001, 0, 1), (100.0, 12800, 1)]);
    let inh = &r.weights[1];
    // Delays 1 and 20 vary: the Poisson bound. Two synapses at 30 Hz give 0.06 spikes per ms;
    // weights of mean 0.4 and variance 0.02: 0.06·0.4 + 5·sqrt(0.06·0.4² + 0.06·0.02·e^-0.06)
    // = 0.542 (the tail sum e^0.06·Q(2, 0.06) − 0.06 is 1) -> shift 0, unit 2^-15: 0.5 exact,
    // 0.3 -> 9830 units.
    assert_eq!((inh.shift, inh.rounded_to_zero), (0, 0));
    let err = (9830.0 / 32768.0 - 0.3f64).abs() / 0.3;
    assert!((inh.max_relative_error - err).abs() < 1e-15);
    assert_eq!(inh.values[0].units, 9830);
    let learning = &r.weights[2];
    // Plastic: counted at w_max 6, 1 x 6 x 2 = 12 -> shift 4 (the weights alone, 1, would
    // give shift 1); unit 2^-11: 0.001 -> 2.048 -> 2 units, 0.5 -> 1024.
    assert_eq!(learning.plastic_w_max, Some(6.0));
    assert_eq!((learning.shift, learning.rounded_to_zero), (4, 0));
    let units: Vec<u16> = learning.values.iter().map(|v| v.units).collect();
    assert_eq!(units, [2, 1024]);
    // Every core of b and c lists its population's shifts.
    let shift_of = |label: &str, receptor: &str| {
        r.shifts
            .iter()
            .find(|s| s.label.starts_with(label) && s.receptor == receptor)
            .map(|s| s.shift)
    };
    assert_eq!(shift_of("b", "excitatory"), Some(8));
    assert_eq!(shift_of("b", "inhibitory"), Some(0));
    assert_eq!(shift_of("c", "excitatory"), Some(4));
    let kinds: Vec<&str> = r.problems.iter().map(|p| p.kind).collect();
    assert!(kinds.contains(&"weight_rounds_to_zero"), "{kinds:?}");
    // The delay of 20 steps goes through a delay extension of one stage.
    assert!(kinds.contains(&"delay_extension"), "{kinds:?}");
    assert_eq!(r.delays[1].beyond_ring_buffer, 1);
    assert_eq!(r.delays[1].delay_stages, 1);
    assert!(r.problems.iter().all(|p| !p.fix.is_empty()));
    assert_eq!(r.summary.cores_used, 4);
    assert_eq!(
        (r.summary.neuron_cores, r.summary.delay_extension_cores),
        (3, 1)
    );
    assert!(r.summary.verified);
}
