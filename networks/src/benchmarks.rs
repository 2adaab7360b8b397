//! The CUBA and COBA benchmarks of Brette et al. (2007), after Vogels & Abbott (2005), with the
//! neuron count as a parameter.
//!
//! CUBA (benchmark 2) is the network of `shared/bench/cuba_nest.py` in PyNN units: `IF_curr_exp`
//! (NEST integration), tau_m 20 ms, C_m 20 pF, E_L −49 mV, V_th −50, V_reset −60, t_ref 5 ms,
//! tau_syn 5 / 10 ms, w_e = 1.62 pA, w_i = −9 pA (so that R·w = 1.62 mV, −9 mV), Bernoulli(p)
//! connectivity with autapses allowed, delay = dt, initial V uniform in [−60, −50] mV, no
//! external input. COBA (benchmark 1): `IF_cond_exp`, g_L 10 nS, C_m 200 pF, E_L −60, V_th −50,
//! V_reset −60, t_ref 5 ms, E_ex 0, E_in −80 mV, tau_syn 5 / 10 ms, w_e 6 nS, w_i 67 nS, initial
//! V uniform in [−60, −50] mV and initial conductances drawn as in Brette et al.'s script, in
//! units of g_L (g_e ~ N(4, 1.5)·g_L = N(40, 15) nS, g_i ~ N(20, 12)·g_L = N(200, 120) nS).
//!
//! Both are split into an excitatory (80 %) and an inhibitory (20 %) population with four
//! projections, which is the same network as one population with two projections.

use std::sync::Arc;

use sim_core::network::{Network, Projection, RecordSpec, SynapseList};
use sim_core::TimeGrid;

use models::connectors::{ConnectContext, Connector};
use models::dist::{Distribution, Value};
use models::neurons::if_cond_exp::IfCondExpParams;
use models::neurons::if_curr_exp::IfCurrExpParams;
use models::neurons::{IfCondExp, IfCurrExp, Integration, Precision};
use models::params::ParamError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Benchmark {
    Cuba,
    Coba,
}

/// How each neuron's inputs are drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Connectivity {
    /// Every pair connected with probability p (autapses allowed).
    Probability(f64),
    /// Every neuron receives exactly k inputs, 80 % from exc., 20 % from inh. neurons.
    FanIn(u32),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BenchmarkConfig {
    pub neurons: u32,
    pub connectivity: Connectivity,
    pub dt_ms: f64,
    pub delay_ms: f64,
    pub seed: u64,
    pub record_spikes: bool,
}

impl Default for BenchmarkConfig {
    fn default() -> Self {
        Self {
            neurons: 4000,
            connectivity: Connectivity::Probability(0.02),
            dt_ms: 0.1,
            delay_ms: 0.1,
            seed: 1234,
            record_spikes: true,
        }
    }
}

/// Choices that change how the network is computed, not what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BuildOptions {
    /// State precision of CUBA's `IF_curr_exp` kernel (COBA has f64 only).
    pub precision: Precision,
    /// Projections as generators ([`sim_core::SynapseList::generated`]) instead of held lists:
    /// the engine builds its rows from them directly (in parallel, about 2–4 bytes per
    /// synapse in all). The synapses are the same, in the same order.
    pub generated: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("{0}")]
    Param(#[from] ParamError),
    #[error("{0}")]
    Network(#[from] sim_core::network::NetworkError),
    #[error("{0}")]
    Time(#[from] sim_core::time::TimeError),
}

/// The `IF_curr_exp` parameters of CUBA's neurons (both populations).
pub fn cuba_params() -> IfCurrExpParams {
    IfCurrExpParams {
        cm: 0.02,
        tau_m: 20.0,
        tau_refrac: 5.0,
        tau_syn_e: 5.0,
        tau_syn_i: 10.0,
        v_rest: -49.0,
        v_reset: -60.0,
        v_thresh: -50.0,
        i_offset: 0.0,
    }
}

sim_core::error_codes! { BuildError {
    Param => "E0601",
    Network => "E0602",
    Time => "E0603",
} }

/// Builds CUBA or COBA.
pub fn build(kind: Benchmark, cfg: &BenchmarkConfig) -> Result<Network, BuildError> {
    build_with(kind, cfg, &BuildOptions::default())
}

/// Builds CUBA or COBA with non-default [`BuildOptions`].
pub fn build_with(
    kind: Benchmark,
    cfg: &BenchmarkConfig,
    opts: &BuildOptions,
) -> Result<Network, BuildError> {
    if cfg.neurons < 5 {
        return Err(ParamError::new("neurons", cfg.neurons, "must be >= 5").into());
    }
    let grid = TimeGrid::new(cfg.dt_ms)?;
    let mut net = Network::new(grid, cfg.seed);
    let n_exc = (cfg.neurons as u64 * 4 / 5) as u32;
    let n_inh = cfg.neurons - n_exc;
    let v_init = Value::Random(Distribution::Uniform {
        low: -60.0,
        high: -50.0,
    });
    let (exc_w, inh_w) = match kind {
        Benchmark::Cuba => {
            let params = cuba_params();
            let model = Arc::new(
                IfCurrExp::new(params, Integration::Nest, Some(v_init), &grid)?
                    .with_precision(opts.precision)?,
            );
            net.add_population("exc", n_exc, model.clone())?;
            net.add_population("inh", n_inh, model)?;
            (0.00162, 0.009)
        }
        Benchmark::Coba => {
            if opts.precision != Precision::F64 {
                return Err(ParamError::new(
                    "precision",
                    "f32",
                    "COBA's IF_cond_exp kernel exists in f64 only",
                )
                .into());
            }
            let params = IfCondExpParams {
                cm: 0.2,
                tau_m: 20.0,
                tau_refrac: 5.0,
                tau_syn_e: 5.0,
                tau_syn_i: 10.0,
                e_rev_e: 0.0,
                e_rev_i: -80.0,
                v_rest: -60.0,
                v_reset: -60.0,
                v_thresh: -50.0,
                i_offset: 0.0,
            };
            let ge = Value::Random(Distribution::Normal {
                mu: 0.04,
                sigma: 0.015,
            });
            let gi = Value::Random(Distribution::Normal {
                mu: 0.2,
                sigma: 0.12,
            });
            let model = Arc::new(IfCondExp::new(
                params,
                Some(v_init),
                Some(ge),
                Some(gi),
                &grid,
            )?);
            net.add_population("exc", n_exc, model.clone())?;
            net.add_population("inh", n_inh, model)?;
            (0.006, 0.067)
        }
    };
    for p in 0..2 {
        net.set_record(
            p,
            RecordSpec {
                spikes: cfg.record_spikes,
                interval: 1,
                ..Default::default()
            },
        )?;
    }
    let delay = Value::Constant(cfg.delay_ms);
    let mut k = 0u64;
    for (pre, w, receptor) in [(0usize, exc_w, 0usize), (1, inh_w, 1)] {
        for post in 0..2usize {
            let connector = match cfg.connectivity {
                Connectivity::Probability(p) => Connector::FixedProbability {
                    p_connect: p,
                    allow_self_connections: true,
                },
                Connectivity::FanIn(kin) => Connector::FixedNumberPre {
                    n: if pre == 0 {
                        kin * 4 / 5
                    } else {
                        kin - kin * 4 / 5
                    },
                    allow_self_connections: true,
                    with_replacement: false,
                },
            };
            let weight = Value::Constant(w);
            let cx = ConnectContext {
                n_pre: net.populations[pre].size,
                n_post: net.populations[post].size,
                same_population: pre == post,
                weight: &weight,
                delay: &delay,
                grid: &grid,
                seed: cfg.seed,
                projection: k,
                magnitude: true,
            };
            let generator = if opts.generated {
                connector.generator(&cx)?
            } else {
                None
            };
            let synapses = match generator {
                Some(g) => SynapseList::generated(Arc::new(g)),
                None => connector.connect(&cx)?,
            };
            let name = format!(
                "{}_{}",
                net.populations[pre].name, net.populations[post].name
            );
            net.add_projection(Projection {
                name,
                pre,
                post,
                receptor,
                synapses,
                plasticity: None,
            })?;
            k += 1;
        }
    }
    Ok(net)
}
