//! Checkpoints: the complete dynamic state of a simulation in a layout of its own (global
//! neuron and synapse order), so a run restored into any shard count continues exactly as the
//! uninterrupted one.

use serde::{Deserialize, Serialize};

use super::{Counters, Simulation};
use crate::graded;
use crate::model::{KernelState, StateArray};
use crate::time::Step;

/// 2: graded inputs in flight were added; 3: synapse-dynamics state; 4: spikes of pulled
/// rows still arriving.
pub const CHECKPOINT_FORMAT: u32 = 4;

/// Synapse-dynamics state of a projection in a checkpoint, in the network's synapse order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DynamicState {
    /// `state_len` numbers per synapse.
    pub state: Vec<f64>,
    /// Step of each synapse's previous spike (-1: none; [`HELD_ELSEWHERE`] in one rank's part:
    /// another rank holds the synapse).
    pub last: Vec<i64>,
}

/// `DynamicState::last` of a synapse another rank holds.
const HELD_ELSEWHERE: i64 = i64::MIN;

/// Plastic-projection state in a checkpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlasticState {
    /// In the network's synapse order.
    pub weights: Vec<f64>,
    pub x: Vec<f64>,
    pub tx: Vec<i64>,
    pub y: Vec<f64>,
    pub y_before: Vec<f64>,
    pub ty: Vec<i64>,
}

/// The full dynamic state of a simulation, independent of its thread count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub format: u32,
    /// Next step to simulate.
    pub step: Step,
    pub dt_ms: f64,
    pub sizes: Vec<u32>,
    pub synapses: Vec<usize>,
    pub kernels: Vec<KernelState>,
    /// Per population, inputs in flight: `[k][receptor][neuron]` for step `step + k`.
    pub rings: Vec<Vec<f64>>,
    /// Per population, recent spikes (global indices) still to be back-propagated.
    pub post_history: Vec<Vec<(Step, Vec<u32>)>>,
    pub plastic: Vec<Option<PlasticState>>,
    /// Per projection, the state of its synapse dynamics.
    pub dynamics: Vec<Option<DynamicState>>,
    /// Per projection whose rows are pulled, the spikes (emission step, pre neuron) whose
    /// synapses have not all arrived, by step then neuron; the ring holds no input of theirs.
    pub pending: Vec<Vec<(Step, u32)>>,
    pub counters: Counters,
    /// Per population, graded inputs in flight: `[k][port][neuron]` for step `step + k`.
    pub graded: Vec<Vec<f64>>,
}

impl Checkpoint {
    pub fn to_bytes(&self) -> Vec<u8> {
        bincode::serde::encode_to_vec(self, bincode::config::standard())
            .expect("checkpoint encodes")
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CheckpointError> {
        decode_bounded(bytes).map_err(|e| CheckpointError::Decode(e.to_string()))
    }
}

/// Decodes bincode (standard configuration) with allocations bounded by the input's size, so
/// that a corrupt length (a string said to be 4 GiB long in a 3 kB file) is an error, not an
/// allocation. Decoded values take at most a few times their encoded size (a varint of one
/// byte becomes an 8-byte integer), so the bound is 64 times the input, rounded up to a power
/// of two (bincode's limit is a constant), and at least 1 MiB.
pub fn decode_bounded<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
) -> Result<T, bincode::error::DecodeError> {
    fn with<const LIMIT: usize, T: serde::de::DeserializeOwned>(
        bytes: &[u8],
    ) -> Result<T, bincode::error::DecodeError> {
        let cfg = bincode::config::standard().with_limit::<LIMIT>();
        bincode::serde::decode_from_slice(bytes, cfg).map(|(v, _)| v)
    }
    let bound = bytes.len().saturating_mul(64).max(1 << 20);
    macro_rules! by_power {
        ($($p:literal)*) => {
            match bound.next_power_of_two().trailing_zeros() {
                $($p => with::<{ 1usize << $p }, T>(bytes),)*
                _ => with::<{ 1usize << 44 }, T>(bytes),
            }
        };
    }
    by_power!(20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43)
}

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("checkpoint does not match this network: {0}; resume with the model the run was started with, or start a new run")]
    Mismatch(String),
    #[error("checkpoint is unreadable: {0}; the file is damaged or from another engram version: start a new run")]
    Decode(String),
}

crate::error_codes! { CheckpointError {
    Mismatch => "E0401",
    Decode => "E0402",
} }

impl Simulation {
    /// The complete dynamic state, independent of the shard layout. Collective in a
    /// distributed run: every rank gets the whole state, gathered from every rank's part.
    pub fn checkpoint(&self) -> Checkpoint {
        let mine = self.local_checkpoint();
        let Some(placement) = &self.placement else {
            return mine;
        };
        let parts: Vec<Checkpoint> = placement
            .ranks
            .all_gather(&mine.to_bytes())
            .iter()
            .map(|b| Checkpoint::from_bytes(b).expect("a rank's checkpoint part decodes"))
            .collect();
        let mut whole = mine;
        for p in 0..self.pops.len() {
            whole.kernels[p] = concat_states(parts.iter().map(|c| c.kernels[p].clone()));
            let ring = &self.shards[0].pops[p].ring;
            let blocks = ring.slots * ring.n_rec;
            let widths: Vec<usize> = parts.iter().map(|c| c.rings[p].len() / blocks).collect();
            // Each part is [k][r][its neurons]: interleave them block by block.
            whole.rings[p] = (0..blocks)
                .flat_map(|b| {
                    (parts.iter().zip(&widths))
                        .flat_map(move |(c, &w)| c.rings[p][b * w..(b + 1) * w].iter().copied())
                })
                .collect();
            whole.post_history[p] = merge_history(parts.iter().map(|c| &c.post_history[p]));
        }
        for (k, pending) in whole.pending.iter_mut().enumerate() {
            *pending = union_of_sorted(parts.iter().map(|c| c.pending[k].iter().copied()));
        }
        for (k, plastic) in whole.plastic.iter_mut().enumerate() {
            if let Some(ps) = plastic {
                let part = |c: &Checkpoint| c.plastic[k].clone().unwrap_or_default();
                ps.y = parts.iter().flat_map(|c| part(c).y).collect();
                ps.y_before = parts.iter().flat_map(|c| part(c).y_before).collect();
                ps.ty = parts.iter().flat_map(|c| part(c).ty).collect();
            }
        }
        for (k, dynamic) in whole.dynamics.iter_mut().enumerate() {
            if let Some(ds) = dynamic {
                let len = ds.state.len() / ds.last.len().max(1);
                for c in parts.iter().filter_map(|c| c.dynamics[k].as_ref()) {
                    for (syn, &last) in c.last.iter().enumerate() {
                        if last != HELD_ELSEWHERE {
                            ds.last[syn] = last;
                            ds.state[syn * len..(syn + 1) * len]
                                .copy_from_slice(&c.state[syn * len..(syn + 1) * len]);
                        }
                    }
                }
            }
        }
        whole
    }

    /// The synapse-dynamics state of projection `k` held by this process (synapses held by
    /// other ranks marked [`HELD_ELSEWHERE`]).
    fn local_dynamics(&self, k: usize) -> Option<DynamicState> {
        let d0 = self.shards[0].projs[k].dynamics.as_ref()?;
        let len = d0.rule.state_len();
        let n = self.proj_len[k];
        let mut ds = DynamicState {
            state: vec![0.0; n * len],
            last: vec![HELD_ELSEWHERE; n],
        };
        for sh in &self.shards {
            let d = sh.projs[k].dynamics.as_ref()?;
            for (l, &c) in d.canonical.iter().enumerate() {
                ds.last[c] = d.last[l];
                ds.state[c * len..(c + 1) * len].copy_from_slice(&d.state[l * len..(l + 1) * len]);
            }
        }
        Some(ds)
    }

    /// The state of the shards this process holds (all of them, in one process).
    fn local_checkpoint(&self) -> Checkpoint {
        let n_pops = self.pops.len();
        let mut kernels = Vec::with_capacity(n_pops);
        let mut rings = Vec::with_capacity(n_pops);
        let mut post_history = Vec::with_capacity(n_pops);
        for p in 0..n_pops {
            let parts = self.shards.iter().map(|sh| sh.pops[p].kernel.save());
            let merged = concat_states(parts);
            kernels.push(merged);
            // Rings normalised to "slot k holds input for step (now + k)", layout [k][r][i].
            let r0 = &self.shards[0].pops[p].ring;
            let (slots, n_rec) = (r0.slots, r0.n_rec);
            let mut ring = Vec::with_capacity(slots * n_rec * self.pops[p].size as usize);
            for k in 0..slots as u64 {
                for r in 0..n_rec {
                    for sh in &self.shards {
                        ring.extend_from_slice(sh.pops[p].ring.block(self.step + k, r));
                    }
                }
            }
            rings.push(ring);
            // Post history, global indices, merged per step.
            let global: Vec<Vec<(Step, Vec<u32>)>> = (self.shards.iter())
                .map(|sh| {
                    let sp = &sh.pops[p];
                    (sp.post_history.iter())
                        .map(|(t, local)| (*t, local.iter().map(|&i| i + sp.range.start).collect()))
                        .collect()
                })
                .collect();
            post_history.push(merge_history(global.iter()));
        }
        let plastic = (0..self.proj_len.len())
            .map(|k| {
                let st0 = self.shards[0].projs[k].stdp.as_ref()?;
                let mut ps = PlasticState {
                    weights: self.weights(k),
                    x: st0.x.clone(),
                    tx: st0.tx.clone(),
                    ..Default::default()
                };
                for sh in &self.shards {
                    let st = sh.projs[k].stdp.as_ref()?;
                    ps.y.extend_from_slice(&st.y);
                    ps.y_before.extend_from_slice(&st.y_before);
                    ps.ty.extend_from_slice(&st.ty);
                }
                Some(ps)
            })
            .collect();
        Checkpoint {
            format: CHECKPOINT_FORMAT,
            step: self.step,
            dt_ms: self.grid.dt_ms(),
            sizes: self.pops.iter().map(|p| p.size).collect(),
            synapses: self.proj_len.clone(),
            kernels,
            rings,
            post_history,
            plastic,
            dynamics: (0..self.proj_len.len())
                .map(|k| self.local_dynamics(k))
                .collect(),
            // Every shard is sent every spike, but keeps only those with runs left for its own
            // targets: the union is the network's.
            pending: (0..self.proj_len.len())
                .map(|k| union_of_sorted(self.shards.iter().map(|sh| sh.projs[k].pending_spikes())))
                .collect(),
            counters: self.counters,
            graded: graded::save(
                &self.shards.iter().map(|sh| &sh.graded).collect::<Vec<_>>(),
                self.step,
            ),
        }
    }

    /// Restores a [`Checkpoint`] taken from a simulation of the same network (any shard layout).
    pub fn restore(&mut self, cp: &Checkpoint) -> Result<(), CheckpointError> {
        let mism = |s: String| CheckpointError::Mismatch(s);
        if cp.format != CHECKPOINT_FORMAT {
            return Err(mism(format!(
                "format {} (expected {CHECKPOINT_FORMAT})",
                cp.format
            )));
        }
        if cp.dt_ms != self.grid.dt_ms() {
            return Err(mism(format!(
                "dt {} ms vs {} ms",
                cp.dt_ms,
                self.grid.dt_ms()
            )));
        }
        let sizes: Vec<u32> = self.pops.iter().map(|p| p.size).collect();
        if cp.sizes != sizes || cp.synapses != self.proj_len {
            return Err(mism("population sizes or synapse counts differ".into()));
        }
        if cp.kernels.len() != sizes.len()
            || cp.rings.len() != sizes.len()
            || cp.post_history.len() != sizes.len()
            || cp.plastic.len() != self.proj_len.len()
            || cp.dynamics.len() != self.proj_len.len()
            || cp.pending.len() != self.proj_len.len()
        {
            return Err(mism("section lengths differ".into()));
        }
        // Check every section against the network before touching any state.
        for (p, hist) in cp.post_history.iter().enumerate() {
            let history = self.shards[0].pops[p].history;
            for (t, neurons) in hist {
                if *t >= cp.step || cp.step - *t > history || neurons.iter().any(|&i| i >= sizes[p])
                {
                    return Err(mism(format!(
                        "recent spikes of '{}' are inconsistent with step {}",
                        self.pops[p].name, cp.step
                    )));
                }
            }
        }
        for (k, pending) in cp.pending.iter().enumerate() {
            let n_pre = self.pops[self.proj_pre[k]].size;
            if pending.iter().any(|&(t, i)| t >= cp.step || i >= n_pre) {
                return Err(mism(format!(
                    "spikes still arriving through projection {k} are inconsistent with step {}",
                    cp.step
                )));
            }
        }
        for (k, ps) in cp.plastic.iter().enumerate() {
            let sh0 = &self.shards[0].projs[k];
            match (ps, &sh0.stdp) {
                (None, None) => {}
                (Some(ps), Some(st)) => {
                    let n_post = sizes[sh0.post] as usize;
                    let n_pre = st.x.len();
                    if ps.weights.len() != self.proj_len[k]
                        || ps.x.len() != n_pre
                        || ps.tx.len() != n_pre
                        || ps.y.len() != n_post
                        || ps.y_before.len() != n_post
                        || ps.ty.len() != n_post
                        || ps.weights.iter().any(|w| !w.is_finite())
                    {
                        return Err(mism(format!("plastic state of projection {k}")));
                    }
                }
                _ => return Err(mism(format!("plasticity of projection {k}"))),
            }
        }
        for (k, ds) in cp.dynamics.iter().enumerate() {
            match (ds, &self.shards[0].projs[k].dynamics) {
                (None, None) => {}
                (Some(ds), Some(d)) => {
                    let n = self.proj_len[k];
                    if ds.last.len() != n
                        || ds.state.len() != n * d.rule.state_len()
                        || ds.last.iter().any(|&l| l < -1 || l >= cp.step as i64)
                        || ds.state.iter().any(|v| !v.is_finite())
                    {
                        return Err(mism(format!("synapse-dynamics state of projection {k}")));
                    }
                }
                _ => return Err(mism(format!("synapse dynamics of projection {k}"))),
            }
        }
        graded::check(&self.shards[0].graded, &cp.graded, &sizes).map_err(mism)?;
        self.step = cp.step;
        self.counters = cp.counters;
        for sh in &mut self.shards {
            sh.graded.load(&cp.graded, cp.step, &sizes);
        }
        for (p, info) in self.pops.iter().enumerate() {
            let size = info.size as usize;
            for sh in &mut self.shards {
                let sp = &mut sh.pops[p];
                let (a, b) = (sp.range.start as usize, sp.range.end as usize);
                let part = slice_state(&cp.kernels[p], a..b);
                sp.kernel
                    .load(&part)
                    .map_err(|e| mism(format!("population '{}': {e}", info.name)))?;
                let rg = &mut sp.ring;
                if cp.rings[p].len() != rg.slots * rg.n_rec * size {
                    return Err(mism(format!("ring buffer of '{}'", info.name)));
                }
                for k in 0..rg.slots as u64 {
                    for r in 0..rg.n_rec {
                        let src = (k as usize * rg.n_rec + r) * size + a;
                        let n = rg.n;
                        rg.block_mut(cp.step + k, r)
                            .copy_from_slice(&cp.rings[p][src..src + n]);
                    }
                }
                rg.retouch();
                sp.post_history = cp.post_history[p]
                    .iter()
                    .map(|(t, g)| {
                        let local = g
                            .iter()
                            .filter(|&&i| sp.range.contains(&i))
                            .map(|&i| i - sp.range.start)
                            .collect();
                        (*t, local)
                    })
                    .collect();
            }
        }
        for (k, ps) in cp.plastic.iter().enumerate() {
            for sh in &mut self.shards {
                let post = sh.projs[k].post;
                let range = sh.pops[post].range.clone();
                let sp = &mut sh.projs[k];
                match (ps, sp.stdp.as_mut()) {
                    (None, None) => {}
                    (Some(ps), Some(st)) => {
                        if ps.weights.len() != self.proj_len[k] || ps.x.len() != st.x.len() {
                            return Err(mism(format!("plastic state of projection {k}")));
                        }
                        for (l, &c) in st.canonical.iter().enumerate() {
                            sp.weight[l] = ps.weights[c];
                        }
                        st.x.clone_from(&ps.x);
                        st.tx.clone_from(&ps.tx);
                        let (a, b) = (range.start as usize, range.end as usize);
                        st.y = ps.y[a..b].to_vec();
                        st.y_before = ps.y_before[a..b].to_vec();
                        st.ty = ps.ty[a..b].to_vec();
                    }
                    _ => return Err(mism(format!("plasticity of projection {k}"))),
                }
            }
        }
        for (k, ds) in cp.dynamics.iter().enumerate() {
            let Some(ds) = ds else { continue };
            for sh in &mut self.shards {
                let d = sh.projs[k].dynamics.as_mut().expect("checked above");
                let len = d.rule.state_len();
                for (l, &c) in d.canonical.iter().enumerate() {
                    d.last[l] = ds.last[c];
                    d.state[l * len..(l + 1) * len]
                        .copy_from_slice(&ds.state[c * len..(c + 1) * len]);
                }
            }
        }
        for (k, pending) in cp.pending.iter().enumerate() {
            for sh in &mut self.shards {
                sh.projs[k].restore_pending(pending, cp.step);
            }
        }
        let mut per_shard = vec![Counters::default(); self.shards.len()];
        // The run's totals go to one shard of the run (the first rank's, when distributed).
        if self.placement.as_ref().is_none_or(|p| p.ranks.rank() == 0) {
            per_shard[0] = cp.counters;
        }
        for (sh, c) in self.shards.iter_mut().zip(per_shard) {
            sh.spikes = c.spikes;
            sh.events = c.synaptic_events;
        }
        Ok(())
    }
}

/// The sorted union of sorted sequences, without repeats.
fn union_of_sorted<T: Ord>(parts: impl Iterator<Item = impl Iterator<Item = T>>) -> Vec<T> {
    let mut all: Vec<T> = parts.flatten().collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// Recent spikes of a population from those of its slices (global indices), in slice order,
/// merged per step.
fn merge_history<'a>(
    parts: impl Iterator<Item = &'a Vec<(Step, Vec<u32>)>>,
) -> Vec<(Step, Vec<u32>)> {
    let mut hist: Vec<(Step, Vec<u32>)> = Vec::new();
    for part in parts {
        for (k, (t, neurons)) in part.iter().enumerate() {
            if hist.len() <= k {
                hist.push((*t, Vec::new()));
            }
            hist[k].1.extend_from_slice(neurons);
        }
    }
    hist
}

/// The state of a population from the states of its slices, in slice order (arrays are
/// neuron-major, so they concatenate).
fn concat_states(parts: impl Iterator<Item = KernelState>) -> KernelState {
    let mut merged: KernelState = Vec::new();
    for st in parts {
        if merged.is_empty() {
            merged = st;
            continue;
        }
        for ((_, acc), (_, part)) in merged.iter_mut().zip(st) {
            match (acc, part) {
                (StateArray::F64 { values: a, .. }, StateArray::F64 { values: b, .. }) => {
                    a.extend(b)
                }
                (StateArray::U64 { values: a, .. }, StateArray::U64 { values: b, .. }) => {
                    a.extend(b)
                }
                _ => {}
            }
        }
    }
    merged
}

/// Neurons `range` of a population's state (empty arrays where the state is too short; the
/// kernel's `load` reports that).
fn slice_state(state: &KernelState, range: std::ops::Range<usize>) -> KernelState {
    fn part<T: Clone>(values: &[T], width: usize, range: &std::ops::Range<usize>) -> Vec<T> {
        values
            .get(range.start * width..range.end * width)
            .map(|v| v.to_vec())
            .unwrap_or_default()
    }
    state
        .iter()
        .map(|(name, arr)| {
            let sliced = match arr {
                StateArray::F64 { width, values } => StateArray::F64 {
                    width: *width,
                    values: part(values, *width, &range),
                },
                StateArray::U64 { width, values } => StateArray::U64 {
                    width: *width,
                    values: part(values, *width, &range),
                },
            };
            (name.clone(), sliced)
        })
        .collect()
}
