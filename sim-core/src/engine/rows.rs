//! A projection's synapses inside a shard, as compressed rows by pre neuron (only the targets
//! the shard owns), and the delivery of a spike: its row's weights added into the target
//! ring's slot `t + delay`.

use std::ops::Range;

use super::dynamics::ShardDynamics;
use super::ring::Ring;
use super::stdp::Stdp;
use crate::network::{bits_for, Network, Projection, SynapseGenerator, ValueGrid};
use crate::time::Step;

/// One projection's synapses whose targets are in a shard, as compressed rows by pre neuron.
pub(super) struct ShardProjection {
    pub(super) post: usize,
    receptor: usize,
    row_ptr: Vec<usize>,
    /// Local target index; empty when `target16` holds them (static rows of slices of at most
    /// 65 536 neurons: half the bytes per synapse, and delivery is bound by reading rows).
    target: Vec<u32>,
    target16: Vec<u16>,
    /// Weight per synapse; empty when `uniform_weight` is set (static projections whose
    /// synapses in this shard all have one weight).
    pub(super) weight: Vec<f64>,
    uniform_weight: Option<f64>,
    /// Delay per synapse; empty when `uniform_delay` is set.
    delay: Vec<u16>,
    /// The delay when every synapse has the same one (the common case: one ring slot per row).
    uniform_delay: Option<u16>,
    /// Generated synapses with their own weights and delays, 32 bits each (then `target*`,
    /// `weight` and `delay` are empty).
    packed: Option<Packed>,
    pub(super) stdp: Option<Stdp>,
    /// Synapse dynamics (`dynamics.rs`); such rows are delivered there.
    pub(super) dynamics: Option<ShardDynamics>,
}

/// Synapses packed into one word each: target index (low `target_bits`), delay − `delay_min`
/// (next `delay_bits`), weight code on the generator's [`ValueGrid`] (the rest). Four bytes
/// per synapse, decoded bit for bit to the generator's values.
struct Packed {
    words: Vec<u32>,
    target_bits: u32,
    delay_bits: u32,
    grid: ValueGrid,
}

/// Adds one row's weights into a ring slot (`slot` is the receptor's block of the slot). With
/// a touched list, a target whose entry was 0 is appended to it.
#[inline]
fn add_row<T: Copy + Into<u32>>(
    slot: &mut [f64],
    targets: &[T],
    weights: RowWeights,
    touched: Option<&mut Vec<u32>>,
) {
    match weights {
        RowWeights::Each(w) => add_row_with(slot, targets, |k| w[k], touched),
        RowWeights::Same(w) => add_row_with(slot, targets, |_| w, touched),
    }
}

/// The weights of one row: one per synapse, or one for the whole projection.
#[derive(Clone, Copy)]
enum RowWeights<'a> {
    Each(&'a [f64]),
    Same(f64),
}

#[inline(always)]
fn add_row_with<T: Copy + Into<u32>>(
    slot: &mut [f64],
    targets: &[T],
    weight: impl Fn(usize) -> f64,
    touched: Option<&mut Vec<u32>>,
) {
    match touched {
        None => {
            for (k, &j) in targets.iter().enumerate() {
                let j = j.into() as usize;
                debug_assert!(j < slot.len());
                // SAFETY: targets are local indices < n, checked when the rows are built
                // (`build_shard_projection` keeps only targets in the shard's range and
                // subtracts its start), and the block has n entries.
                unsafe { *slot.get_unchecked_mut(j) += weight(k) };
            }
        }
        Some(list) => {
            // Branch-free append: every target is written, the length advances only for a
            // first arrival.
            list.reserve(targets.len());
            let start = list.len();
            let out = list.spare_capacity_mut().as_mut_ptr();
            let mut added = 0usize;
            for (k, &j) in targets.iter().enumerate() {
                let j = j.into();
                debug_assert!((j as usize) < slot.len());
                // SAFETY: as above for `slot`; `out` has room for targets.len() entries and
                // `added` counts the entries kept so far (<= k).
                unsafe {
                    let cell = slot.get_unchecked_mut(j as usize);
                    (*out.add(added)).write(j);
                    added += (*cell == 0.0) as usize;
                    *cell += weight(k);
                }
            }
            // SAFETY: the `added` entries after `start` were initialised above.
            unsafe { list.set_len(start + added) };
        }
    }
}

/// The rows of `proj` whose targets are in `range` (a shard's slice of the post population).
pub(super) fn build_shard_projection(
    net: &Network,
    proj: &Projection,
    range: &Range<u32>,
) -> ShardProjection {
    let n_pre = net.populations[proj.pre].size as usize;
    let n_local = (range.end - range.start) as usize;
    if let Some(g) = proj.synapses.generator() {
        return generated_shard_projection(proj, g.as_ref(), n_pre, range);
    }
    let s = &proj.synapses;
    // Counting sort by pre neuron keeps the generation order within a row (stable), which the
    // determinism argument relies on.
    let mut row_ptr = vec![0usize; n_pre + 1];
    for k in 0..s.len() {
        if range.contains(&s.post[k]) {
            row_ptr[s.pre[k] as usize + 1] += 1;
        }
    }
    for i in 0..n_pre {
        row_ptr[i + 1] += row_ptr[i];
    }
    let nnz = row_ptr[n_pre];
    let mut fill = row_ptr.clone();
    let mut target = vec![0u32; nnz];
    let mut weight = vec![0f64; nnz];
    let mut delay = vec![0u16; nnz];
    let mut canonical = if proj.plasticity.is_some() || s.dynamics.is_some() {
        vec![0usize; nnz]
    } else {
        Vec::new()
    };
    for k in 0..s.len() {
        if range.contains(&s.post[k]) {
            let slot = &mut fill[s.pre[k] as usize];
            target[*slot] = s.post[k] - range.start;
            weight[*slot] = s.weight[k];
            delay[*slot] = s.delay[k];
            if !canonical.is_empty() {
                canonical[*slot] = k;
            }
            *slot += 1;
        }
    }
    let dynamics =
        (s.dynamics.as_ref()).map(|rule| ShardDynamics::new(rule.clone(), canonical.clone()));
    let stdp = proj.plasticity.as_ref().map(|rule| {
        let delay = s.delay.first().copied().unwrap_or(1) as Step;
        Stdp::new(rule.clone(), delay, n_local, &row_ptr, &target, canonical)
    });
    let uniform_delay = match s.delay.first() {
        Some(&d0) if s.delay.iter().all(|&d| d == d0) => Some(d0),
        _ => None,
    };
    ShardProjection::compact(ShardProjection {
        uniform_delay,
        stdp,
        dynamics,
        ..ShardProjection::with_columns(proj, row_ptr, target, weight, delay)
    })
}

/// The rows of a generated projection for the targets in `range`, in two passes over its
/// columns (count, then fill), so that nothing but the rows is ever held: one target index per
/// synapse, u16 where the slice allows.
fn generated_shard_projection(
    proj: &Projection,
    g: &dyn SynapseGenerator,
    n_pre: usize,
    range: &Range<u32>,
) -> ShardProjection {
    let mut row_ptr = vec![0usize; n_pre + 1];
    let mut col = Vec::new();
    for j in range.clone() {
        col.clear();
        g.column(j, &mut col);
        for &i in &col {
            row_ptr[i as usize + 1] += 1;
        }
    }
    for i in 0..n_pre {
        row_ptr[i + 1] += row_ptr[i];
    }
    let nnz = row_ptr[n_pre];
    if let Some(grid) = g.value_grid() {
        return valued_shard_projection(proj, g, grid, row_ptr, range);
    }
    let narrow = range.end - range.start <= u16::MAX as u32 + 1;
    let mut target16 = vec![0u16; if narrow { nnz } else { 0 }];
    let mut target = vec![0u32; if narrow { 0 } else { nnz }];
    let mut fill = row_ptr.clone();
    // Columns in ascending order: within a row, synapses keep the generation order, as the
    // counting sort of a held list does.
    for j in range.clone() {
        col.clear();
        g.column(j, &mut col);
        let local = j - range.start;
        for &i in &col {
            let slot = &mut fill[i as usize];
            if narrow {
                target16[*slot] = local as u16;
            } else {
                target[*slot] = local;
            }
            *slot += 1;
        }
    }
    ShardProjection {
        post: proj.post,
        receptor: proj.receptor,
        row_ptr,
        target,
        target16,
        weight: Vec::new(),
        uniform_weight: Some(g.weight()),
        delay: Vec::new(),
        uniform_delay: Some(g.delay()),
        packed: None,
        stdp: None,
        dynamics: None,
    }
}

/// The fill pass of a generated projection whose synapses have their own weights and delays:
/// packed words where target, delay and weight code fit 32 bits (the field widths depend on
/// the population size and the grid only, not on the shard), else one column per quantity.
fn valued_shard_projection(
    proj: &Projection,
    g: &dyn SynapseGenerator,
    grid: ValueGrid,
    row_ptr: Vec<usize>,
    range: &Range<u32>,
) -> ShardProjection {
    let nnz = *row_ptr.last().unwrap_or(&0);
    let target_bits = bits_for(g.n_post().saturating_sub(1));
    let delay_bits = grid.delay_bits();
    let packs = target_bits + delay_bits + grid.weight_bits <= 32;
    let mut words = vec![0u32; if packs { nnz } else { 0 }];
    let mut target = vec![0u32; if packs { 0 } else { nnz }];
    let mut weight = vec![0f64; if packs { 0 } else { nnz }];
    let mut delay = vec![0u16; if packs { 0 } else { nnz }];
    let mut fill = row_ptr.clone();
    let (mut col, mut w, mut d) = (Vec::new(), Vec::new(), Vec::new());
    for j in range.clone() {
        col.clear();
        w.clear();
        d.clear();
        g.column(j, &mut col);
        g.column_values(j, col.len(), &mut w, &mut d);
        let local = j - range.start;
        for ((&i, &wk), &dk) in col.iter().zip(&w).zip(&d) {
            let slot = &mut fill[i as usize];
            if packs {
                let delay_code = u32::from(dk - grid.delay_min);
                words[*slot] =
                    local | delay_code << target_bits | grid.code(wk) << (target_bits + delay_bits);
            } else {
                target[*slot] = local;
                weight[*slot] = wk;
                delay[*slot] = dk;
            }
            *slot += 1;
        }
    }
    ShardProjection {
        packed: packs.then_some(Packed {
            words,
            target_bits,
            delay_bits,
            grid,
        }),
        ..ShardProjection::with_columns(proj, row_ptr, target, weight, delay)
    }
}

impl ShardProjection {
    /// Rows with one target, weight and delay per synapse, static.
    fn with_columns(
        proj: &Projection,
        row_ptr: Vec<usize>,
        target: Vec<u32>,
        weight: Vec<f64>,
        delay: Vec<u16>,
    ) -> Self {
        ShardProjection {
            post: proj.post,
            receptor: proj.receptor,
            row_ptr,
            target,
            target16: Vec::new(),
            weight,
            uniform_weight: None,
            delay,
            uniform_delay: None,
            packed: None,
            stdp: None,
            dynamics: None,
        }
    }

    /// Synapses in this shard.
    pub(super) fn len(&self) -> usize {
        self.row_ptr.last().copied().unwrap_or(0)
    }

    /// Drops the per-synapse columns a static projection does not need: one weight or one
    /// delay for all, targets as u16 where they fit.
    fn compact(mut self) -> Self {
        if self.uniform_delay.is_some() {
            self.delay = Vec::new();
        }
        if self.stdp.is_some() {
            return self;
        }
        if let Some(&w0) = self.weight.first() {
            if self.weight.iter().all(|w| w.to_bits() == w0.to_bits()) {
                self.uniform_weight = Some(w0);
                self.weight = Vec::new();
            }
        }
        if self.target.iter().all(|&j| j <= u16::MAX as u32) {
            self.target16 = self.target.iter().map(|&j| j as u16).collect();
            self.target = Vec::new();
        }
        self
    }

    fn row_weights(&self, row: Range<usize>) -> RowWeights<'_> {
        match self.uniform_weight {
            Some(w) => RowWeights::Same(w),
            None => RowWeights::Each(&self.weight[row]),
        }
    }

    fn target_at(&self, syn: usize) -> usize {
        if self.target.is_empty() {
            self.target16[syn] as usize
        } else {
            self.target[syn] as usize
        }
    }

    fn weight_at(&self, syn: usize) -> f64 {
        self.uniform_weight.unwrap_or_else(|| self.weight[syn])
    }

    /// Phase C and delivery of the spikes `spikes` (pre neurons, ascending) of step `t`: each
    /// row's weights, after its plasticity, are added into `ring` (the post slice's) at
    /// `t + delay`. Returns the synaptic events.
    #[inline]
    pub(super) fn deliver(&mut self, spikes: &[u32], t: Step, dt: f64, ring: &mut Ring) -> u64 {
        let (n, slots, n_rec) = (ring.n, ring.slots as u64, ring.n_rec);
        let sparse = ring.sparse();
        let rec = self.receptor;
        let rec_off = rec * n;
        let slot_len = ring.n_rec * n;
        let mut events = 0u64;
        for &i in spikes {
            let i = i as usize;
            let row = self.row_ptr[i]..self.row_ptr[i + 1];
            events += row.len() as u64;
            if let Some(dy) = self.dynamics.as_mut() {
                let (target, target16) = (&self.target, &self.target16);
                let (weight, delay) = (&self.weight, &self.delay);
                let (uniform_weight, uniform_delay) = (self.uniform_weight, self.uniform_delay);
                dy.deliver_row(
                    row,
                    t,
                    rec,
                    ring,
                    |k| match target.is_empty() {
                        true => target16[k] as usize,
                        false => target[k] as usize,
                    },
                    |k| uniform_weight.unwrap_or_else(|| weight[k]),
                    |k| uniform_delay.unwrap_or_else(|| delay[k]),
                );
                continue;
            }
            if let Some(st) = self.stdp.as_mut() {
                st.pre_spike(i, row.clone(), &self.target, &mut self.weight, t, dt);
            }
            if let Some(p) = &self.packed {
                deliver_packed(p, &p.words[row], (t % slots) as usize, rec, ring);
            } else if let Some(d) = self.uniform_delay {
                let slot = ((t + d as u64) % slots) as usize;
                let base = slot * slot_len + rec_off;
                let block = &mut ring.data[base..base + n];
                let touched = sparse.then(|| &mut ring.touched[slot * n_rec + rec]);
                let weights = self.row_weights(row.clone());
                if self.target.is_empty() {
                    add_row(block, &self.target16[row], weights, touched);
                } else {
                    add_row(block, &self.target[row], weights, touched);
                }
            } else {
                let now = (t % slots) as usize;
                for syn in row {
                    let mut slot = now + self.delay[syn] as usize;
                    if slot >= slots as usize {
                        slot -= slots as usize;
                    }
                    let j = self.target_at(syn);
                    let idx = slot * slot_len + rec_off + j;
                    if sparse && ring.data[idx] == 0.0 {
                        ring.touched[slot * n_rec + rec].push(j as u32);
                    }
                    ring.data[idx] += self.weight_at(syn);
                }
            }
        }
        events
    }
}

/// Delivers one row of packed synapses (`words`) of a spike at ring slot `now`: each weight into
/// slot `now + delay` of its target, receptor `rec`.
#[inline]
fn deliver_packed(p: &Packed, words: &[u32], now: usize, rec: usize, ring: &mut Ring) {
    let (n, slots, n_rec) = (ring.n, ring.slots, ring.n_rec);
    let slot_len = n_rec * n;
    let rec_off = rec * n;
    let target_mask = (1u32 << p.target_bits) - 1;
    let delay_mask = (1u32 << p.delay_bits) - 1;
    let weight_shift = p.target_bits + p.delay_bits;
    let delay_min = p.grid.delay_min as usize;
    let sparse = ring.sparse();
    for &word in words {
        let j = (word & target_mask) as usize;
        let mut slot = now + delay_min + ((word >> p.target_bits) & delay_mask) as usize;
        if slot >= slots {
            slot -= slots;
        }
        let idx = slot * slot_len + rec_off + j;
        debug_assert!(j < n && idx < ring.data.len());
        if sparse && ring.data[idx] == 0.0 {
            ring.touched[slot * n_rec + rec].push(j as u32);
        }
        ring.data[idx] += p.grid.weight(word >> weight_shift);
    }
}
