//! Statistical checks of `third_factor_bernoulli_with_pool` (spec §5.2 item 5).

use models::astro::tripartite::{PoolType, ThirdFactorBernoulliWithPool};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

fn all_to_all(ns: usize, nt: usize) -> Vec<(usize, usize)> {
    (0..ns).flat_map(|s| (0..nt).map(move |t| (s, t))).collect()
}

#[test]
fn astro_tripartite_random_pool_fraction_and_membership() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let (ns, nt, na) = (100, 80, 20);
    let primary = all_to_all(ns, nt);
    let spec = ThirdFactorBernoulliWithPool {
        p: 0.3,
        pool_size: Some(5),
        pool_type: PoolType::Random,
    };
    let out = spec.connect(&primary, nt, na, &mut rng).unwrap();
    let n = primary.len() as f64;
    let frac = out.pairs.len() as f64 / n;
    let sigma = (0.3 * 0.7 / n).sqrt();
    println!(
        "fraction paired {frac:.4} vs p 0.3 (3σ = {:.4})",
        3.0 * sigma
    );
    assert!((frac - 0.3).abs() < 3.0 * sigma);
    for pool in out.pools.iter().filter(|p| !p.is_empty()) {
        assert_eq!(pool.len(), 5);
        let mut s = pool.clone();
        s.sort();
        s.dedup();
        assert_eq!(s.len(), 5, "pool without replacement");
        assert!(s.iter().all(|&a| a < na));
    }
    // exactly one astrocyte per paired primary edge, always from the target's pool
    let mut seen = std::collections::HashSet::new();
    for pr in &out.pairs {
        assert!(seen.insert(pr.primary));
        assert_eq!(primary[pr.primary], (pr.source, pr.target));
        assert!(out.pools[pr.target].contains(&pr.astrocyte));
    }
    // pool members used roughly uniformly: each of 5 gets 1/5 of the pairs
    let mut counts = [0usize; 5];
    for pr in &out.pairs {
        let j = out.pools[pr.target]
            .iter()
            .position(|&a| a == pr.astrocyte)
            .unwrap();
        counts[j] += 1;
    }
    let m = out.pairs.len() as f64;
    let sd = (m * 0.2 * 0.8).sqrt();
    for c in counts {
        assert!((c as f64 - m * 0.2).abs() < 3.0 * sd, "{counts:?}");
    }
}

#[test]
fn astro_tripartite_block_formulas() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    // pool_size 1: N_T = 12, N_A = 4 -> target i gets i / 3
    let spec = ThirdFactorBernoulliWithPool {
        p: 1.0,
        pool_size: Some(1),
        pool_type: PoolType::Block,
    };
    let out = spec.connect(&all_to_all(3, 12), 12, 4, &mut rng).unwrap();
    for pr in &out.pairs {
        assert_eq!(pr.astrocyte, pr.target / 3);
    }
    assert_eq!(out.pairs.len(), 36);
    // pool_size 3: N_T = 4, N_A = 12 -> target i gets 3i..3i+2
    let spec = ThirdFactorBernoulliWithPool {
        p: 1.0,
        pool_size: Some(3),
        pool_type: PoolType::Block,
    };
    let out = spec.connect(&all_to_all(10, 4), 4, 12, &mut rng).unwrap();
    for pr in &out.pairs {
        assert!((3 * pr.target..3 * pr.target + 3).contains(&pr.astrocyte));
        assert_eq!(
            out.pools[pr.target],
            vec![3 * pr.target, 3 * pr.target + 1, 3 * pr.target + 2]
        );
    }
}

#[test]
fn astro_tripartite_invalid_specs() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let e = all_to_all(2, 10);
    let bad = [
        (
            ThirdFactorBernoulliWithPool {
                p: 1.5,
                ..Default::default()
            },
            10,
            4,
            "p",
        ),
        (
            ThirdFactorBernoulliWithPool {
                pool_size: Some(5),
                ..Default::default()
            },
            10,
            4,
            "pool_size",
        ),
        (
            ThirdFactorBernoulliWithPool {
                pool_size: Some(1),
                pool_type: PoolType::Block,
                ..Default::default()
            },
            10,
            4,
            "N_T % N_A",
        ),
        (
            ThirdFactorBernoulliWithPool {
                pool_size: Some(2),
                pool_type: PoolType::Block,
                ..Default::default()
            },
            10,
            4,
            "N_T·pool_size == N_A",
        ),
    ];
    for (spec, nt, na, needle) in bad {
        let msg = spec.connect(&e, nt, na, &mut rng).unwrap_err().to_string();
        println!("{msg}");
        assert!(msg.contains(needle), "{msg}");
    }
}
