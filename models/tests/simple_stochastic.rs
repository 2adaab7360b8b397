//! `SimpleStochasticSynapse`: the fraction of spikes a synapse transmits follows the binomial
//! distribution of its `p`, and whether a spike crosses depends only on (seed, projection,
//! synapse, step), so any delivery order (any thread count) gives the same draws.

use models::synapses::{PerSynapse, SimpleStochastic};
use sim_core::dynamics::SynapseDynamics;

#[test]
fn the_transmitted_fraction_is_binomial() {
    let n_syn = 100;
    let steps = 400u64;
    for p in [0.0, 0.1, 0.5, 0.9, 1.0] {
        let rule = SimpleStochastic::new(PerSynapse::One(p), n_syn, 42, 3).unwrap();
        let mut crossed = 0u64;
        for syn in 0..n_syn {
            for t in 0..steps {
                crossed += rule.transmit(syn, &mut [], t * 7, None) as u64;
            }
        }
        let trials = (n_syn as u64 * steps) as f64;
        let sd = (trials * p * (1.0 - p)).sqrt();
        // 5 standard deviations: a false failure has probability below 1e-6.
        assert!(
            (crossed as f64 - trials * p).abs() <= 5.0 * sd,
            "p = {p}: {crossed} of {trials} crossed"
        );
    }
}

#[test]
fn draws_depend_only_on_their_key() {
    let rule = SimpleStochastic::new(PerSynapse::One(0.5), 10, 7, 1).unwrap();
    let forward: Vec<f64> = (0..10)
        .map(|s| rule.transmit(s, &mut [], 5, None))
        .collect();
    let backward: Vec<f64> = (0..10)
        .rev()
        .map(|s| rule.transmit(s, &mut [], 5, None))
        .collect();
    assert_eq!(forward, backward.into_iter().rev().collect::<Vec<_>>());
    let other_seed = SimpleStochastic::new(PerSynapse::One(0.5), 10, 8, 1).unwrap();
    let drawn: Vec<f64> = (0..64)
        .map(|t| rule.transmit(0, &mut [], t, None))
        .collect();
    let drawn8: Vec<f64> = (0..64)
        .map(|t| other_seed.transmit(0, &mut [], t, None))
        .collect();
    assert_ne!(drawn, drawn8);
}

#[test]
fn a_probability_outside_0_1_is_an_error_naming_p() {
    let e = SimpleStochastic::new(PerSynapse::Each(vec![0.5, 1.5]), 2, 1, 0).unwrap_err();
    assert_eq!(e.param, "p");
    assert!(e.value.contains("1.5"), "{}", e.value);
    let e = SimpleStochastic::new(PerSynapse::Each(vec![0.5]), 2, 1, 0).unwrap_err();
    assert!(e.allowed.contains("one value per synapse"), "{}", e.allowed);
}
