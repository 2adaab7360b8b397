//! A projection's synapses inside a shard, as compressed rows by pre neuron (only the targets
//! the shard owns), and the delivery of a spike: its row's weights added into the target
//! ring's slot `t + delay` (*pushed*), or, for packed rows, added run by run into the one slot
//! the neuron update is about to read (*pulled*, [`ShardProjection::pull`]).

use std::ops::Range;

use super::dynamics::ShardDynamics;
use super::pages::advise_huge_pages;
use super::ring::Ring;
use super::stdp::Stdp;
use crate::network::{
    bits_for, note_columns_drawn, Network, Projection, SynapseGenerator, ValueGrid,
};
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
    /// Generated synapses with their own weights and delays, 3 or 4 bytes each (then `target*`,
    /// `weight` and `delay` are empty). Their spikes wait in `pending` and are pulled.
    packed: Option<Packed>,
    /// Spikes of packed rows with runs still to arrive, in delivery order (emission step, then
    /// global pre neuron).
    pending: Vec<PendingRow>,
    pub(super) stdp: Option<Stdp>,
    /// Synapse dynamics (`dynamics.rs`); such rows are delivered there.
    pub(super) dynamics: Option<ShardDynamics>,
}

/// Generated synapses with their own weights and delays, each row sorted by delay. A row is a
/// sequence of *runs*: synapses with one delay and one block of `2^target_bits` targets, so that
/// a run adds into one ring slot and its synapses need neither a delay nor the high target bits.
/// Runs are in ascending delay (then block), so a spike's runs arrive one delay after another
/// and a pending spike resumes its row where the previous step left it.
/// A synapse is `stride` bytes (3 when the weight code leaves room for the target, else 4):
/// target − block start (low `target_bits`), weight code on the generator's [`ValueGrid`]
/// (next `weight_bits`), decoded bit for bit to the generator's values. The sort is stable and
/// columns are filled in ascending order, so within a run targets ascend and multapses (same
/// target and delay) keep their order: every ring entry sums its inputs in the order of the
/// unsorted rows.
struct Packed {
    /// The rows, one after the other: per run, a 4-byte little-endian header (synapse count in
    /// the low 16 bits, then its key: target block in the low `block_bits`, delay −
    /// `delay_min` above), then its synapses, `stride` bytes each; 3 bytes of padding at the
    /// end (a synapse is read as an unaligned u32). A run's header sits right after the
    /// previous run's synapses, so a pending spike's next step reads on where it stopped.
    bytes: Vec<u8>,
    stride: usize,
    /// Row `i` is `bytes[row_at[i]..row_at[i + 1]]`.
    row_at: Vec<usize>,
    /// The weight of every code, where codes are few enough for the table to stay in L1
    /// (else empty, and codes are decoded): the same values as [`ValueGrid::weight`].
    weights: Vec<f64>,
    target_bits: u32,
    block_bits: u32,
    grid: ValueGrid,
}

/// A spike whose packed row still has runs to arrive: the next run's header (so that a step
/// at which it does not arrive reads no row memory; 0 once the row is done) and where its
/// synapses start.
#[derive(Clone, Copy, Debug)]
struct PendingRow {
    emitted: Step,
    pre: u32,
    next: u32,
    at: usize,
    end: usize,
}

/// The widest weight code decoded through a table (8 KiB of f64 at 10 bits, 32 KiB at 12).
const WEIGHT_TABLE_BITS: u32 = 10;

/// Bits of a run's synapse count; a longer run of one key is split.
const RUN_COUNT_BITS: u32 = 16;

impl Packed {
    /// The layout of rows for `n_local` targets on `grid`, `None` when a run's key (delay and
    /// target block) does not fit 16 bits.
    fn layout(n_local: u32, grid: ValueGrid) -> Option<(usize, u32, u32)> {
        let stride = if grid.weight_bits <= 16 { 3 } else { 4 };
        let target_bits = (8 * stride as u32).checked_sub(grid.weight_bits)?;
        let block_bits = bits_for(n_local.saturating_sub(1) >> target_bits.min(31));
        let delay_bits = grid.delay_bits();
        (delay_bits + block_bits <= 32 - RUN_COUNT_BITS).then_some((
            stride,
            target_bits,
            block_bits,
        ))
    }

    /// The delay (steps) and first target of run `run`, and its synapse count.
    #[inline(always)]
    fn run(&self, run: u32) -> (Step, u32, usize) {
        let count = (run & ((1 << RUN_COUNT_BITS) - 1)) as usize;
        let key = run >> RUN_COUNT_BITS;
        let delay = Step::from(self.grid.delay_min) + Step::from(key >> self.block_bits);
        let block = key & ((1 << self.block_bits) - 1);
        (delay, block << self.target_bits, count)
    }

    /// The u32 at byte `at`: a run header, or a synapse's word (target within its block |
    /// weight code << `target_bits`; bits above `8 · stride` are the next synapse's).
    #[inline(always)]
    fn word(&self, at: usize) -> u32 {
        debug_assert!(at + 4 <= self.bytes.len());
        // SAFETY: `at` is a header or a synapse of a row, and `bytes` ends with 3 bytes of
        // padding after the last synapse.
        u32::from_le(unsafe { (self.bytes.as_ptr().add(at) as *const u32).read_unaligned() })
    }

    /// A spike of step `emitted` from pre neuron `pre`, pending at its first run (`None`: an
    /// empty row).
    fn pending(&self, emitted: Step, pre: u32) -> Option<PendingRow> {
        let (start, end) = (self.row_at[pre as usize], self.row_at[pre as usize + 1]);
        (start < end).then(|| PendingRow {
            emitted,
            pre,
            next: self.word(start),
            at: start + 4,
            end,
        })
    }

    /// Moves `row` past its current run of `count` synapses to the next one.
    #[inline(always)]
    fn advance(&self, row: &mut PendingRow, count: usize) {
        row.at += count * self.stride;
        if row.at < row.end {
            row.next = self.word(row.at);
            row.at += 4;
        } else {
            row.next = 0;
        }
    }
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
    add_synapses(
        slot,
        targets.len(),
        // SAFETY: `add_synapses` asks for k < targets.len() only.
        |k| (unsafe { *targets.get_unchecked(k) }.into(), weight(k)),
        touched,
    );
}

/// Adds `count` synapses (`synapse(k)`: local target, weight) into a ring slot. With a touched
/// list, a target whose entry was 0 is appended to it.
#[inline(always)]
fn add_synapses(
    slot: &mut [f64],
    count: usize,
    synapse: impl Fn(usize) -> (u32, f64),
    touched: Option<&mut Vec<u32>>,
) {
    match touched {
        None => {
            for k in 0..count {
                let (j, w) = synapse(k);
                debug_assert!((j as usize) < slot.len());
                // SAFETY: targets are local indices < n, checked when the rows are built
                // (`build_shard_projection` keeps only targets in the shard's range and
                // subtracts its start), and the block has n entries.
                unsafe { *slot.get_unchecked_mut(j as usize) += w };
            }
        }
        Some(list) => {
            // Branch-free append: every target is written, the length advances only for a
            // first arrival.
            list.reserve(count);
            let start = list.len();
            let out = list.spare_capacity_mut().as_mut_ptr();
            let mut added = 0usize;
            for k in 0..count {
                let (j, w) = synapse(k);
                debug_assert!((j as usize) < slot.len());
                // SAFETY: as above for `slot`; `out` has room for `count` entries and `added`
                // counts the entries kept so far (<= k).
                unsafe {
                    let cell = slot.get_unchecked_mut(j as usize);
                    (*out.add(added)).write(j);
                    added += (*cell == 0.0) as usize;
                    *cell += w;
                }
            }
            // SAFETY: the `added` entries after `start` were initialised above.
            unsafe { list.set_len(start + added) };
        }
    }
}

/// Whether every shard's rows of `proj` are pulled: packed rows fit the whole post population,
/// hence any slice of it.
pub(super) fn always_pulled(net: &Network, proj: &Projection) -> bool {
    let n_post = net.populations[proj.post].size;
    (proj.synapses.generator())
        .and_then(|g| g.value_grid())
        .is_some_and(|grid| Packed::layout(n_post, grid).is_some())
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
    // Two passes over the shard's own columns (count, fill), none over another's.
    note_columns_drawn(2 * u64::from(range.end - range.start));
    for j in range.clone() {
        col.clear();
        g.column_unordered(j, &mut col);
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
        pending: Vec::new(),
        stdp: None,
        dynamics: None,
    }
}

/// The fill pass of a generated projection whose synapses have their own weights and delays:
/// delay-sorted packed rows ([`Packed`]) where a run's key fits, else one column per quantity.
fn valued_shard_projection(
    proj: &Projection,
    g: &dyn SynapseGenerator,
    grid: ValueGrid,
    row_ptr: Vec<usize>,
    range: &Range<u32>,
) -> ShardProjection {
    let nnz = *row_ptr.last().unwrap_or(&0);
    let mut packer = Packed::layout(range.end - range.start, grid)
        .map(|layout| PackedBuilder::new(layout, grid, nnz));
    let held = if packer.is_some() { 0 } else { nnz };
    let mut target = vec![0u32; held];
    let mut weight = vec![0f64; held];
    let mut delay = vec![0u16; held];
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
            if let Some(b) = packer.as_mut() {
                b.put(*slot, local, wk, dk);
            } else {
                target[*slot] = local;
                weight[*slot] = wk;
                delay[*slot] = dk;
            }
            *slot += 1;
        }
    }
    ShardProjection {
        packed: packer.map(|b| b.finish(&row_ptr)),
        ..ShardProjection::with_columns(proj, row_ptr, target, weight, delay)
    }
}

/// [`Packed`] rows while they are filled: synapses in column order with their run keys beside,
/// sorted into runs and laid out with their headers at the end.
struct PackedBuilder {
    stride: usize,
    target_bits: u32,
    block_bits: u32,
    grid: ValueGrid,
    /// `stride` bytes per synapse (then 3 of padding), in the order of `row_ptr`.
    words: Vec<u8>,
    keys: Vec<u16>,
}

impl PackedBuilder {
    fn new(
        (stride, target_bits, block_bits): (usize, u32, u32),
        grid: ValueGrid,
        nnz: usize,
    ) -> Self {
        PackedBuilder {
            stride,
            target_bits,
            block_bits,
            grid,
            words: vec![0; nnz * stride + 3],
            keys: vec![0; nnz],
        }
    }

    /// Writes synapse `syn` (local target, weight on the grid, delay).
    fn put(&mut self, syn: usize, local: u32, weight: f64, delay: u16) {
        let s = self.stride;
        let word =
            (local & ((1 << self.target_bits) - 1)) | self.grid.code(weight) << self.target_bits;
        write_synapse(&mut self.words, syn * s, s, word);
        let key =
            (local >> self.target_bits) | u32::from(delay - self.grid.delay_min) << self.block_bits;
        self.keys[syn] = key as u16;
    }

    /// Sorts every row by key (a counting sort, so stable: a run keeps its synapses in column
    /// order), cuts it into runs and lays the rows out with a header before each run.
    fn finish(self, row_ptr: &[usize]) -> Packed {
        let PackedBuilder {
            stride,
            target_bits,
            block_bits,
            grid,
            words,
            keys,
        } = self;
        let word_mask = u32::MAX >> (32 - 8 * stride as u32);
        let read = |s: usize| {
            u32::from_le_bytes(words[s * stride..][..4].try_into().expect("4 bytes")) & word_mask
        };
        // A run of more than 2^16 − 1 synapses of one key is cut into several.
        let max_run = (1 << RUN_COUNT_BITS) - 1;
        let run_bytes = |n: usize| n.div_ceil(max_run) * 4 + n * stride;
        // Per key: its synapses in the current row, then where its first header goes and how
        // many of its synapses are placed. Only the row's own keys are touched and reset.
        let mut count = vec![0usize; 1 << 16];
        let mut base = vec![0usize; 1 << 16];
        let mut row_keys: Vec<u16> = Vec::new();
        let histogram = |keys: &[u16], count: &mut [usize], row_keys: &mut Vec<u16>| {
            row_keys.clear();
            for &k in keys {
                if count[k as usize] == 0 {
                    row_keys.push(k);
                }
                count[k as usize] += 1;
            }
            row_keys.sort_unstable();
        };
        let mut total = 3;
        for bounds in row_ptr.windows(2) {
            histogram(&keys[bounds[0]..bounds[1]], &mut count, &mut row_keys);
            for &k in &row_keys {
                total += run_bytes(count[k as usize]);
                count[k as usize] = 0;
            }
        }
        // Advised before it is written (see `pages.rs`).
        let mut bytes = Vec::with_capacity(total);
        advise_huge_pages(&mut bytes);
        bytes.resize(total, 0);
        let mut row_at = Vec::with_capacity(row_ptr.len());
        row_at.push(0);
        let mut at = 0;
        for bounds in row_ptr.windows(2) {
            let row = bounds[0]..bounds[1];
            histogram(&keys[row.clone()], &mut count, &mut row_keys);
            for &k in &row_keys {
                let n = count[k as usize];
                base[k as usize] = at;
                for (part, first) in (0..n).step_by(max_run).enumerate() {
                    let len = (n - first).min(max_run);
                    let header = len as u32 | u32::from(k) << RUN_COUNT_BITS;
                    let header_at = at + part * (4 + max_run * stride);
                    bytes[header_at..][..4].copy_from_slice(&header.to_le_bytes());
                }
                at += run_bytes(n);
                count[k as usize] = 0;
            }
            for s in row {
                let k = keys[s] as usize;
                let m = count[k];
                count[k] += 1;
                let to = base[k] + 4 * (m / max_run + 1) + m * stride;
                write_synapse(&mut bytes, to, stride, read(s));
            }
            for &k in &row_keys {
                count[k as usize] = 0;
            }
            row_at.push(at);
        }
        debug_assert_eq!(at + 3, total);
        Packed {
            bytes,
            stride,
            row_at,
            weights: match grid.weight_bits <= WEIGHT_TABLE_BITS {
                true => (0..1u32 << grid.weight_bits)
                    .map(|c| grid.weight(c))
                    .collect(),
                false => Vec::new(),
            },
            target_bits,
            block_bits,
            grid,
        }
    }
}

/// Writes a synapse's `stride` (3 or 4) low bytes of `word` at `at`: a copy of fixed length,
/// so that the fill of 10⁸ synapses makes no call to `memcpy` each.
#[inline(always)]
fn write_synapse(bytes: &mut [u8], at: usize, stride: usize, word: u32) {
    let le = word.to_le_bytes();
    match stride {
        3 => bytes[at..at + 3].copy_from_slice(&le[..3]),
        _ => bytes[at..at + 4].copy_from_slice(&le),
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
            pending: Vec::new(),
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
                self.pending.extend(p.pending(t, i as u32));
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

/// How many pending rows ahead [`ShardProjection::pull`] asks for the next synapses: a pending
/// row's next run was last read a step ago and is rarely still cached.
const PREFETCH_AHEAD: usize = 8;

/// Asks for the cache line at `ptr` ahead of its use.
#[inline(always)]
fn prefetch(ptr: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint; it neither faults nor changes memory for any address.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch(ptr as *const i8, _MM_HINT_T0);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = ptr;
}

/// The body of [`ShardProjection::pull`] for `STRIDE`-byte synapses, `weight_of` decoding a
/// weight code.
#[inline(always)]
fn pull_runs<const STRIDE: usize>(
    p: &Packed,
    pending: &mut [PendingRow],
    t: Step,
    block: &mut [f64],
    mut touched: Option<&mut Vec<u32>>,
    weight_of: impl Fn(u32) -> f64,
) {
    let target_mask = (1u32 << p.target_bits) - 1;
    let weight_mask = (1u32 << p.grid.weight_bits) - 1;
    for j in 0..pending.len() {
        if let Some(ahead) = pending.get(j + PREFETCH_AHEAD) {
            // Its next run's synapses and the header after them.
            let (_, _, count) = p.run(ahead.next);
            for line in (ahead.at & !63..ahead.at + count * STRIDE + 4).step_by(64) {
                prefetch(p.bytes.as_ptr().wrapping_add(line));
            }
        }
        let row = &mut pending[j];
        let delay = t - row.emitted;
        while row.next != 0 {
            let (d, block_start, count) = p.run(row.next);
            debug_assert!(d >= delay, "a run of delay {d} was not pulled at its step");
            if d != delay {
                break;
            }
            let first = row.at;
            add_synapses(
                block,
                count,
                |k| {
                    let word = p.word(first + k * STRIDE);
                    let weight = weight_of((word >> p.target_bits) & weight_mask);
                    (block_start + (word & target_mask), weight)
                },
                touched.as_deref_mut(),
            );
            p.advance(row, count);
        }
    }
}

impl ShardProjection {
    /// Whether this projection's spikes are pulled ([`ShardProjection::pull`]) rather than
    /// pushed at delivery.
    pub(super) fn is_pulled(&self) -> bool {
        self.packed.is_some()
    }

    /// Adds every pending run that arrives at step `t` into the ring's slot `t`, just before the
    /// post neurons' update reads it: for each pending spike in delivery order, its runs of delay
    /// `t − emitted`. A slot thus receives the pushed inputs first (delivered before `t`), then
    /// the pulled ones, projection by projection, each in emission step, pre neuron and row
    /// order: the same order whether steps are delivered one by one or an exchange interval at a
    /// time. The slot (one population slice's inputs) stays in cache while the rows stream by,
    /// where pushing would land every synapse in a ring too large for any cache.
    pub(super) fn pull(&mut self, t: Step, ring: &mut Ring) {
        let Some(p) = &self.packed else { return };
        if self.pending.is_empty() {
            return;
        }
        let (n, rec) = (ring.n, self.receptor);
        let (input, touched) = ring.slot(t);
        let block = &mut input[rec * n..(rec + 1) * n];
        let touched = touched.get_mut(rec);
        let pending = &mut self.pending;
        // The stride and the weight decoding as constants of the inner loop.
        let table = |code: u32| {
            // SAFETY: a code has `weight_bits` bits, and the table one entry per code.
            unsafe { *p.weights.get_unchecked(code as usize) }
        };
        let grid = |code: u32| p.grid.weight(code);
        // (A table implies codes of at most 10 bits, hence 3-byte synapses.)
        match (p.stride, p.weights.is_empty()) {
            (3, false) => pull_runs::<3>(p, pending, t, block, touched, table),
            (3, true) => pull_runs::<3>(p, pending, t, block, touched, grid),
            _ => pull_runs::<4>(p, pending, t, block, touched, grid),
        }
        pending.retain(|row| row.next != 0);
    }

    /// The spikes (emission step, global pre neuron) whose rows have runs still to arrive, for
    /// a checkpoint; none unless pulled.
    pub(super) fn pending_spikes(&self) -> impl Iterator<Item = (Step, u32)> + '_ {
        self.pending.iter().map(|row| (row.emitted, row.pre))
    }

    /// Restores the pending spikes of a checkpoint taken before step `next`: each one's row
    /// resumes at its first run arriving at `next` or later (none: it is done).
    pub(super) fn restore_pending(&mut self, spikes: &[(Step, u32)], next: Step) {
        self.pending.clear();
        let Some(p) = &self.packed else { return };
        for &(emitted, pre) in spikes {
            let Some(mut row) = p.pending(emitted, pre) else {
                continue;
            };
            while row.next != 0 {
                let (d, _, count) = p.run(row.next);
                if emitted + d >= next {
                    break;
                }
                p.advance(&mut row, count);
            }
            if row.next != 0 {
                self.pending.push(row);
            }
        }
    }
}
