//! The quantisation report against hand-computed values of sPyNNaker's weight representation
//! (16-bit weights scaled by `2^(15 - shift)`, `shift = ceil(log2(largest summed input))`).

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
        &names(&["a", "b"]),
        &names(&["exc", "inh"]),
        &m,
        &opts,
        "spinn3",
    );
    let exc = &r.weights[0];
    // largest input 100.001 -> shift 7, one unit = 2^-8; 0.001 / 2^-8 = 0.256 rounds to 0,
    // 100 = 25600 units exactly.
    assert_eq!(exc.shift, 7);
    assert_eq!(exc.lsb, 2f64.powi(-8));
    assert_eq!((exc.rounded_to_zero, exc.saturated), (1, 0));
    assert_eq!(exc.max_relative_error, 0.0);
    let inh = &r.weights[1];
    // largest input 0.8 -> shift 0, unit 2^-15: 0.5 exact, 0.3 -> 9830 units.
    assert_eq!((inh.shift, inh.rounded_to_zero), (0, 0));
    let err = ((0.3f64 * 32768.0).round() / 32768.0 - 0.3).abs() / 0.3;
    assert!((inh.max_relative_error - err).abs() < 1e-15);
    let kinds: Vec<&str> = r.problems.iter().map(|p| p.kind).collect();
    assert!(kinds.contains(&"weight_rounds_to_zero"), "{kinds:?}");
    assert!(kinds.contains(&"delay_beyond_ring_buffer"), "{kinds:?}");
    assert_eq!(r.delays[1].beyond_ring_buffer, 1);
    assert!(r.problems.iter().all(|p| !p.fix.is_empty()));
    assert_eq!(r.summary.cores_used, 2);
    assert!(r.summary.verified);
}
