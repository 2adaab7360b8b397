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

fn one_to_one(pre_offset: u32, post_offset: u32, n: u32, w: f64, d: u16) -> SynapseList {
    let mut s = SynapseList::default();
    for i in 0..n {
        s.push(pre_offset + i, post_offset + i, w, d);
    }
    s
}

fn all_to_all(n_pre: u32, n_post: u32, allow_self: bool, w: f64, d: u16) -> SynapseList {
    let mut s = SynapseList::default();
    for i in 0..n_pre {
        for j in 0..n_post {
            if allow_self || i != j {
                s.push(i, j, w, d);
            }
        }
    }
    s
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
    let (n, m) = (size.cues, size.content_bits);
    let grid = TimeGrid::new(DT_MS).expect("1 ms is a valid dt");
    let mut net = Network::new(grid, seed);
    let model = |fast: bool, th: f64| -> Arc<dyn sim_core::PopulationModel> {
        Arc::new(
            IfCurrExp::new(neuron_params(fast, th), Integration::Spynnaker, None, &grid)
                .expect("the published parameters are valid"),
        )
    };
    let slow = model(false, -57.0);
    let fast = model(true, -57.0);
    let out = model(false, -57.5);
    let sizes = population_sizes(size);
    for (k, name) in POPULATIONS.iter().enumerate() {
        let pop_model: Arc<dyn sim_core::PopulationModel> = match k {
            IN => Arc::new(SpikeSourceArray::from_steps(input.clone())),
            CONT_COND | COND_INT | CUE_CONT => fast.clone(),
            OUT => out.clone(),
            _ => slow.clone(),
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
    let stdp: Arc<dyn PairRule> = Arc::new(
        Stdp::new(
            SpikePairRule {
                tau_plus: 3.0,
                tau_minus: 3.0,
                a_plus: 6.0,
                a_minus: 6.0,
            },
            WeightDependence::Additive {
                w_min: 0.0,
                w_max: 6.0,
            },
            Semantics::Spynnaker,
        )
        .expect("the published rule is valid"),
    );
    let wm = 6.0 * m as f64;
    // (pre, post, synapses, receptor 0 = excitatory / 1 = inhibitory, plastic), specs §3.
    let table: Vec<(usize, usize, SynapseList, usize, bool)> = vec![
        (IN, CUE_CUE, one_to_one(0, 0, n, 6.0, 1), 0, false),
        (IN, CONT_CUE, one_to_one(n, 0, m, 6.0, 1), 0, false),
        (CUE_CUE, CUE_CONT, one_to_one(0, 0, n, 6.0, 2), 0, false),
        (CUE_CUE, CUE_CONT, all_to_all(n, n, false, wm, 3), 1, false),
        (CUE_CUE, CONT_COND, all_to_all(n, m, true, 6.0, 2), 1, false),
        (CONT_CUE, CONT_COND, one_to_one(0, 0, m, 9.0, 1), 0, false),
        (CONT_COND, CONT_CONT, one_to_one(0, 0, m, 6.0, 1), 0, false),
        (CONT_CUE, COND_INT, all_to_all(m, 1, true, 6.0, 1), 0, false),
        (
            COND_INT,
            CONT_COND,
            all_to_all(1, m, true, 2.0, 1),
            0,
            false,
        ),
        (CUE_CUE, CONT_CUE, all_to_all(n, m, true, 0.0, 1), 0, true),
        (CONT_CONT, CUE_CONT, all_to_all(m, n, true, 0.0, 1), 0, true),
        (CUE_CONT, CUE_CONT, all_to_all(n, n, false, wm, 2), 1, false),
        (CUE_CUE, MERGE_CUE, one_to_one(0, 0, n, 6.0, 3), 0, false),
        (CUE_CONT, MERGE_CUE, one_to_one(0, 0, n, 6.0, 1), 0, false),
        (CONT_CUE, MERGE_CONT, one_to_one(0, 0, m, 6.0, 3), 0, false),
        (CONT_CONT, MERGE_CONT, one_to_one(0, 0, m, 6.0, 1), 0, false),
        (MERGE_CUE, OUT, one_to_one(0, 0, n, 6.0, 1), 0, false),
        (MERGE_CONT, OUT, one_to_one(0, n, m, 6.0, 1), 0, false),
    ];
    let mut plastic = Vec::new();
    for (k, (pre, post, synapses, receptor, is_plastic)) in table.into_iter().enumerate() {
        let id = net
            .add_projection(Projection {
                name: format!("{}_{}_{k}", POPULATIONS[pre], POPULATIONS[post]),
                pre,
                post,
                receptor,
                synapses,
                plasticity: is_plastic.then(|| stdp.clone()),
            })
            .expect("the published connectivity is consistent");
        if is_plastic {
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
