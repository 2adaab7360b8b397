//! The memory's network: its populations and projections, built from its size and the IN
//! layer's spikes, and the footprint check that refuses a memory too large to build.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sim_core::network::{Network, Projection, RecordSpec, SynapseList};
use sim_core::plasticity::PairRule;
use sim_core::{Step, TimeGrid};

use models::neurons::if_curr_exp::IfCurrExpParams;
use models::neurons::{IfCurrExp, Integration, SpikeSourceArray};
use models::synapses::{Semantics, SpikePairRule, Stdp, WeightDependence};

use super::CamError;

/// The time step of the memory (ms); its protocol is defined in steps of 1 ms.
pub const DT_MS: f64 = 1.0;

/// Population order in the network (and in every per-population result).
pub const POPULATIONS: [&str; 10] = [
    "ILayer",
    "CA3cueCueRecall",
    "CA3contCueRecall",
    "CA3contCond",
    "CA3contCondInt",
    "CA3cueContRecall",
    "CA3contContRecall",
    "CA3mergeCue",
    "CA3mergeCont",
    "OLayer",
];
pub const IN: usize = 0;
pub const CUE_CUE: usize = 1;
pub const CONT_CUE: usize = 2;
pub const CONT_COND: usize = 3;
pub const COND_INT: usize = 4;
pub const CUE_CONT: usize = 5;
pub const CONT_CONT: usize = 6;
pub const MERGE_CUE: usize = 7;
pub const MERGE_CONT: usize = 8;
pub const OUT: usize = 9;

/// Population sizes for an n × m memory, in [`POPULATIONS`] order.
pub fn population_sizes(size: Ca3Size) -> [u32; 10] {
    let (n, m) = (size.cues, size.content_bits);
    [n + m, n, m, m, 1, n, m, n, m, n + m]
}

/// The memory's dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ca3Size {
    pub cues: u32,
    pub content_bits: u32,
}

impl Ca3Size {
    pub fn check(&self) -> Result<(), CamError> {
        if self.cues == 0 || self.content_bits == 0 {
            return Err(CamError::Size("cues and content_bits must be >= 1".into()));
        }
        if self.cues > 100_000 || self.content_bits > 100_000 {
            return Err(CamError::Size(
                "cues and content_bits must be <= 100000 (the cue layers are all-to-all)".into(),
            ));
        }
        check_memory(*self, 0.0, 0.0).map_err(CamError::Size)
    }
}

/// Bytes per synapse assumed by the memory estimate (synapse list, engine rows, STDP state).
const SYNAPSE_BYTES: f64 = 48.0;
/// Bytes per neuron of state assumed by the memory estimate.
const NEURON_BYTES: f64 = 128.0;
/// Bytes per operation, besides its content: schedule entry, input spikes, recall-table row.
const OPERATION_BYTES: f64 = 256.0;
/// Bytes per content bit of an operation: in the schedule and as sets in the recall table.
const CONTENT_BIT_BYTES: f64 = 100.0;

/// Refuses a memory (and `operations` operations of `mean_content` bits on average) whose
/// estimated footprint exceeds the memory available, before anything is allocated.
pub(super) fn check_memory(
    size: Ca3Size,
    operations: f64,
    mean_content: f64,
) -> Result<(), String> {
    let (n, m) = (size.cues as f64, size.content_bits as f64);
    // The all-to-all projections: three of n x m, two of n x n (see `build_seeded`).
    let network = SYNAPSE_BYTES * (3.0 * n * m + 2.0 * n * n + 4.0 * m)
        + NEURON_BYTES
            * population_sizes(size)
                .iter()
                .map(|&s| s as f64)
                .sum::<f64>();
    let schedule = operations * (OPERATION_BYTES + CONTENT_BIT_BYTES * mean_content);
    let limit = crate::modelfile::memory_limit_bytes();
    if network + schedule > limit {
        const GIB: f64 = (1u64 << 30) as f64;
        return Err(format!(
            "{} cues x {} bits{} need about {:.1} GiB, but only {:.1} GiB of memory is available; \
             use fewer cues or content bits{}",
            size.cues,
            size.content_bits,
            if operations > 0.0 {
                format!(" and {operations} operations")
            } else {
                String::new()
            },
            (network + schedule) / GIB,
            limit / GIB,
            if operations > 0.0 {
                ", or fewer operations"
            } else {
                ""
            }
        ));
    }
    Ok(())
}

/// The CA3 network with its input, and where its plastic projections are.
pub struct Ca3Network {
    pub size: Ca3Size,
    pub network: Network,
    /// Projection indices of the cue→content and content→cue plastic projections.
    pub cue_to_content: usize,
    pub content_to_cue: usize,
}

/// The `IF_curr_exp` parameters of the memory's populations: slow (tau_m 3 ms, cm 0.27 nF) or
/// fast (tau_m 0.5 ms, cm 0.14 nF), with the given threshold (specs §2).
pub fn neuron_params(fast: bool, v_thresh: f64) -> IfCurrExpParams {
    IfCurrExpParams {
        cm: if fast { 0.14 } else { 0.27 },
        tau_m: if fast { 0.5 } else { 3.0 },
        tau_refrac: 1.0,
        tau_syn_e: 0.3,
        tau_syn_i: 0.3,
        v_rest: -60.0,
        v_reset: -60.0,
        v_thresh,
        i_offset: 0.0,
    }
}

/// The cell of population `k` (in [`POPULATIONS`] order): `IF_curr_exp` with sPyNNaker's
/// integration and these parameters, or `None` for the IN layer (a `SpikeSourceArray`).
pub fn population_cell(k: usize) -> Option<IfCurrExpParams> {
    match k {
        IN => None,
        CONT_COND | COND_INT | CUE_CONT => Some(neuron_params(true, -57.0)),
        OUT => Some(neuron_params(false, -57.5)),
        _ => Some(neuron_params(false, -57.0)),
    }
}

/// The synapse a projection of the memory ends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Receptor {
    Excitatory,
    Inhibitory,
}

impl Receptor {
    /// The receptor's index in `IF_curr_exp` (0 excitatory, 1 inhibitory).
    pub fn index(self) -> usize {
        match self {
            Receptor::Excitatory => 0,
            Receptor::Inhibitory => 1,
        }
    }
}

/// How a projection of the memory connects its populations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Ca3Connector {
    /// Pre neuron `pre_offset + i` to post neuron `post_offset + i`, for `i` in `0..n`.
    OneToOne {
        pre_offset: u32,
        post_offset: u32,
        n: u32,
    },
    /// Every pre neuron to every post neuron.
    AllToAll,
    /// Every pre neuron `i` to every post neuron `j != i` (lateral inhibition between the cue
    /// layers, also when pre and post are different populations).
    AllButSameIndex,
}

/// One projection of the memory (specs §3): populations in [`POPULATIONS`] order, weight in nA
/// (a magnitude on either receptor), delay in steps of [`DT_MS`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Ca3Projection {
    pub pre: usize,
    pub post: usize,
    pub connector: Ca3Connector,
    pub weight: f64,
    pub delay: u16,
    pub receptor: Receptor,
    /// Learns with [`learning_rule`] (weights start at `weight`).
    pub plastic: bool,
}

impl Ca3Projection {
    /// The synapses, in (pre, post) order.
    pub fn synapses(&self, n_pre: u32, n_post: u32) -> SynapseList {
        let mut s = SynapseList::default();
        let (w, d) = (self.weight, self.delay);
        match self.connector {
            Ca3Connector::OneToOne {
                pre_offset,
                post_offset,
                n,
            } => (0..n).for_each(|i| s.push(pre_offset + i, post_offset + i, w, d)),
            Ca3Connector::AllToAll | Ca3Connector::AllButSameIndex => {
                let all = self.connector == Ca3Connector::AllToAll;
                for i in 0..n_pre {
                    for j in (0..n_post).filter(|&j| all || i != j) {
                        s.push(i, j, w, d);
                    }
                }
            }
        }
        s
    }
}

/// The memory's projections, in network order, for an n × m memory.
pub fn projections(size: Ca3Size) -> Vec<Ca3Projection> {
    use Ca3Connector::{AllButSameIndex, AllToAll};
    use Receptor::{Excitatory as E, Inhibitory as I};
    let (n, m) = (size.cues, size.content_bits);
    let wm = 6.0 * m as f64;
    let one_to_one = |pre_offset, post_offset, n| Ca3Connector::OneToOne {
        pre_offset,
        post_offset,
        n,
    };
    let p = |pre, post, connector, weight, delay, receptor, plastic| Ca3Projection {
        pre,
        post,
        connector,
        weight,
        delay,
        receptor,
        plastic,
    };
    vec![
        p(IN, CUE_CUE, one_to_one(0, 0, n), 6.0, 1, E, false),
        p(IN, CONT_CUE, one_to_one(n, 0, m), 6.0, 1, E, false),
        p(CUE_CUE, CUE_CONT, one_to_one(0, 0, n), 6.0, 2, E, false),
        p(CUE_CUE, CUE_CONT, AllButSameIndex, wm, 3, I, false),
        p(CUE_CUE, CONT_COND, AllToAll, 6.0, 2, I, false),
        p(CONT_CUE, CONT_COND, one_to_one(0, 0, m), 9.0, 1, E, false),
        p(CONT_COND, CONT_CONT, one_to_one(0, 0, m), 6.0, 1, E, false),
        p(CONT_CUE, COND_INT, AllToAll, 6.0, 1, E, false),
        p(COND_INT, CONT_COND, AllToAll, 2.0, 1, E, false),
        p(CUE_CUE, CONT_CUE, AllToAll, 0.0, 1, E, true),
        p(CONT_CONT, CUE_CONT, AllToAll, 0.0, 1, E, true),
        p(CUE_CONT, CUE_CONT, AllButSameIndex, wm, 2, I, false),
        p(CUE_CUE, MERGE_CUE, one_to_one(0, 0, n), 6.0, 3, E, false),
        p(CUE_CONT, MERGE_CUE, one_to_one(0, 0, n), 6.0, 1, E, false),
        p(CONT_CUE, MERGE_CONT, one_to_one(0, 0, m), 6.0, 3, E, false),
        p(CONT_CONT, MERGE_CONT, one_to_one(0, 0, m), 6.0, 1, E, false),
        p(MERGE_CUE, OUT, one_to_one(0, 0, n), 6.0, 1, E, false),
        p(MERGE_CONT, OUT, one_to_one(0, n, m), 6.0, 1, E, false),
    ]
}

/// The plastic projections' rule: sPyNNaker's pair STDP (`Semantics::Spynnaker`: absolute
/// amplitudes) with these parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LearningRule {
    pub timing: SpikePairRule,
    pub weight: WeightDependence,
}

/// τ± = 3 ms, A± = 6 nA, w ∈ [0, 6] nA (specs §4).
pub fn learning_rule() -> LearningRule {
    LearningRule {
        timing: SpikePairRule {
            tau_plus: 3.0,
            tau_minus: 3.0,
            a_plus: 6.0,
            a_minus: 6.0,
        },
        weight: WeightDependence::Additive {
            w_min: 0.0,
            w_max: 6.0,
        },
    }
}

/// Builds the memory with the given IN-layer spikes (one sorted list per IN neuron).
pub fn build(size: Ca3Size, input: Vec<Vec<Step>>) -> Result<Ca3Network, CamError> {
    build_seeded(size, input, 0)
}

/// [`build`] with the network's seed given (the memory itself is deterministic: no random
/// connectivity, parameters or noise; the seed is only recorded in the network).
pub fn build_seeded(
    size: Ca3Size,
    input: Vec<Vec<Step>>,
    seed: u64,
) -> Result<Ca3Network, CamError> {
    size.check()?;
    let grid = TimeGrid::new(DT_MS).expect("1 ms is a valid dt");
    let mut net = Network::new(grid, seed);
    let sizes = population_sizes(size);
    for (k, name) in POPULATIONS.iter().enumerate() {
        let pop_model: Arc<dyn sim_core::PopulationModel> = match population_cell(k) {
            None => Arc::new(SpikeSourceArray::from_steps(input.clone())),
            Some(params) => Arc::new(
                IfCurrExp::new(params, Integration::Spynnaker, None, &grid)
                    .expect("the published parameters are valid"),
            ),
        };
        let id = net
            .add_population(name, sizes[k], pop_model)
            .expect("unique names");
        net.set_record(
            id,
            RecordSpec {
                spikes: true,
                interval: 1,
                ..Default::default()
            },
        )
        .expect("valid record spec");
    }
    let rule = learning_rule();
    let stdp: Arc<dyn PairRule> = Arc::new(
        Stdp::new(rule.timing, rule.weight, Semantics::Spynnaker)
            .expect("the published rule is valid"),
    );
    let mut plastic = Vec::new();
    for (k, p) in projections(size).into_iter().enumerate() {
        let id = net
            .add_projection(Projection {
                name: format!("{}_{}_{k}", POPULATIONS[p.pre], POPULATIONS[p.post]),
                pre: p.pre,
                post: p.post,
                receptor: p.receptor.index(),
                synapses: p.synapses(sizes[p.pre], sizes[p.post]),
                plasticity: p.plastic.then(|| stdp.clone()),
            })
            .expect("the published connectivity is consistent");
        if p.plastic {
            plastic.push(id);
        }
    }
    Ok(Ca3Network {
        size,
        network: net,
        cue_to_content: plastic[0],
        content_to_cue: plastic[1],
    })
}
