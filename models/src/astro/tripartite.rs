//! NEST `third_factor_bernoulli_with_pool` (tripartite connectivity, spec §2.4).
//!
//! For each primary connection (s → t): with probability `p` make a third-factor pair; build
//! t's pool of astrocytes on first use (random: `pool_size` astrocytes without replacement;
//! block: the index formulas below); pick one astrocyte a of the pool uniformly; connect
//! a → t (`third_out`, e.g. `sic_connection`) and s → a (`third_in`).
//!
//! RNG streams differ from NEST, so equivalence is statistical, not edge by edge.

use super::AstroError;
use rand::Rng;

/// Pool construction rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolType {
    /// `pool_size` astrocytes sampled without replacement per target (NEST default).
    Random,
    /// pool_size == 1: target i gets A[i / (N_T/N_A)] (needs N_T % N_A == 0);
    /// pool_size > 1: target i gets A[i·pool_size .. (i+1)·pool_size] (needs N_T·pool_size == N_A).
    Block,
}

/// `third_factor_conn_spec`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThirdFactorBernoulliWithPool {
    pub p: f64,
    /// `None` means N_A (NEST default).
    pub pool_size: Option<usize>,
    pub pool_type: PoolType,
}

impl Default for ThirdFactorBernoulliWithPool {
    fn default() -> Self {
        Self {
            p: 1.0,
            pool_size: None,
            pool_type: PoolType::Random,
        }
    }
}

/// One third-factor pair made for primary edge `primary` (index into the primary edge list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThirdFactorPair {
    pub primary: usize,
    pub source: usize,
    pub target: usize,
    pub astrocyte: usize,
}

/// Result of the builder: the pairs (third_in is `source → astrocyte`, third_out is
/// `astrocyte → target`) and each target's pool (empty if never needed).
#[derive(Debug, Clone, Default)]
pub struct TripartiteEdges {
    pub pairs: Vec<ThirdFactorPair>,
    pub pools: Vec<Vec<usize>>,
}

fn invalid(name: &'static str, value: f64, allowed: String) -> AstroError {
    AstroError::InvalidParameter {
        model: "third_factor_bernoulli_with_pool",
        name,
        value,
        allowed,
    }
}

fn uniform_below<R: Rng + ?Sized>(rng: &mut R, n: usize) -> usize {
    // Unbiased rejection sampling on u64.
    let n64 = n as u64;
    let zone = u64::MAX - (u64::MAX % n64 + 1) % n64;
    loop {
        let x = rng.next_u64();
        if x <= zone {
            return (x % n64) as usize;
        }
    }
}

fn unit<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

impl ThirdFactorBernoulliWithPool {
    /// Check the spec against population sizes; returns the effective pool size.
    pub fn validate(&self, n_targets: usize, n_astro: usize) -> Result<usize, AstroError> {
        if !(0.0..=1.0).contains(&self.p) {
            return Err(invalid("p", self.p, "must be in [0, 1]".into()));
        }
        if n_astro == 0 {
            return Err(invalid(
                "N_A",
                0.0,
                "the third-factor population must not be empty".into(),
            ));
        }
        let ps = self.pool_size.unwrap_or(n_astro);
        if ps < 1 || ps > n_astro {
            return Err(invalid(
                "pool_size",
                ps as f64,
                format!("must satisfy 1 <= pool_size <= N_A = {n_astro}"),
            ));
        }
        if self.pool_type == PoolType::Block {
            if ps == 1 && !n_targets.is_multiple_of(n_astro) {
                return Err(invalid(
                    "pool_size",
                    ps as f64,
                    format!(
                        "block pools with pool_size 1 need N_T % N_A == 0 (N_T = {n_targets}, N_A = {n_astro})"
                    ),
                ));
            }
            if ps > 1 && n_targets * ps != n_astro {
                return Err(invalid(
                    "pool_size",
                    ps as f64,
                    format!(
                        "block pools with pool_size > 1 need N_T·pool_size == N_A (N_T = {n_targets}, N_A = {n_astro})"
                    ),
                ));
            }
        }
        Ok(ps)
    }

    /// The block pool of target `i`.
    pub fn block_pool(i: usize, n_targets: usize, n_astro: usize, pool_size: usize) -> Vec<usize> {
        if pool_size == 1 {
            vec![i / (n_targets / n_astro)]
        } else {
            (i * pool_size..(i + 1) * pool_size).collect()
        }
    }

    /// Build third-factor pairs for the primary edges `(source, target)` (target indices
    /// `< n_targets`, astrocyte indices `< n_astro`).
    pub fn connect<R: Rng + ?Sized>(
        &self,
        primary: &[(usize, usize)],
        n_targets: usize,
        n_astro: usize,
        rng: &mut R,
    ) -> Result<TripartiteEdges, AstroError> {
        let ps = self.validate(n_targets, n_astro)?;
        let mut pools: Vec<Vec<usize>> = vec![Vec::new(); n_targets];
        let mut pairs = Vec::new();
        let mut scratch: Vec<usize> = Vec::new();
        for (e, &(s, t)) in primary.iter().enumerate() {
            if t >= n_targets {
                return Err(invalid(
                    "target",
                    t as f64,
                    format!("primary target index must be < N_T = {n_targets}"),
                ));
            }
            if unit(rng) >= self.p {
                continue;
            }
            if pools[t].is_empty() {
                pools[t] = match self.pool_type {
                    PoolType::Block => Self::block_pool(t, n_targets, n_astro, ps),
                    PoolType::Random => {
                        // Partial Fisher–Yates: pool_size distinct astrocytes.
                        scratch.clear();
                        scratch.extend(0..n_astro);
                        for j in 0..ps {
                            let k = j + uniform_below(rng, n_astro - j);
                            scratch.swap(j, k);
                        }
                        scratch[..ps].to_vec()
                    }
                };
            }
            let a = if ps == 1 {
                pools[t][0]
            } else {
                pools[t][uniform_below(rng, ps)]
            };
            pairs.push(ThirdFactorPair {
                primary: e,
                source: s,
                target: t,
                astrocyte: a,
            });
        }
        Ok(TripartiteEdges { pairs, pools })
    }
}
