//! The synapse half of an application core: synaptic rows as SpiNNaker stores them, the master
//! population table that finds a row from a packet's key, and the input ring buffers.
//!
//! * A static synapse is one 32-bit word (`synapse_row.h`): weight in the top 16 bits, then
//!   `delay (4 bits) | synapse type (1 bit) | neuron index (index bits)` from the bottom:
//!   `word = w16 << 16 | d << (type_bits + index_bits) | type << index_bits | index`.
//! * A plastic synapse is a 16-bit weight in the row's plastic region and a 16-bit control word
//!   with the same `delay | type | index` layout in its fixed region; the plastic region starts
//!   with the row's pre-spike history (`synapse_dynamics_stdp_mad_impl.c`).
//! * The master population table maps `(key, mask)` of a source slice to the row blocks of the
//!   projections from it (one row per source neuron, indexed by `key & !mask`), searched by
//!   binary search as `population_table_binary_search_impl.c` does.
//! * Weights are stored as `rint(|w| · 2^(15 − shift))`, the shift chosen per receptor
//!   (`hw_export::quantise`, shared with the export report).
//! * Ring buffers: 16 delay slots × receptors × neurons of 16-bit sums; an addition that
//!   overflows saturates at `0xFFFF` and is counted (`synapses.c`, `synapses_saturation_count`).
//!   At the start of tick `t`, slot `t mod 16` becomes the neurons' input.
//! * A row delay is 1..=16 ticks in 4 bits, 16 stored as 0 (sPyNNaker writes `delay & 0xF`):
//!   a packet processed in tick `t` adds to slot `(t + 16) mod 16 = t mod 16`, which the neurons
//!   consumed at the start of tick `t` and read next in tick `t + 16`. Longer delays come
//!   through a delay-extension core ([`super::delay`]).

use super::fixed::Accum;
use super::neuron::N_RECEPTORS;
use super::stdp::{settled_weight, update_synapse, PostHistory, PreHistory, StdpRule};

/// Delay bits of a synaptic word; delays 1..=16 ticks fit without delay-extension cores.
pub const DELAY_BITS: u32 = 4;
/// Ring-buffer slots (`1 << DELAY_BITS`).
pub const RING_SLOTS: usize = 1 << DELAY_BITS;
/// Longest delay (ticks) a row can hold.
pub const MAX_DELAY: u32 = 1 << DELAY_BITS;
const DELAY_MASK: u32 = (1 << DELAY_BITS) - 1;
/// Bits of the synapse type (two receptors).
pub const TYPE_BITS: u32 = 1;

/// The field widths of one core's synaptic words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WordFormat {
    pub index_bits: u32,
}

impl WordFormat {
    /// For a core of `n_neurons` (at least one index bit, as sPyNNaker allocates).
    pub fn for_neurons(n_neurons: u32) -> Self {
        let bits = 32 - n_neurons.saturating_sub(1).leading_zeros();
        WordFormat {
            index_bits: bits.max(1),
        }
    }

    /// The 16-bit control part: delay (1..=16, 16 written as 0), type, index.
    pub fn control(&self, delay: u32, receptor: u32, index: u32) -> u32 {
        ((delay & DELAY_MASK) << (TYPE_BITS + self.index_bits))
            | (receptor << self.index_bits)
            | index
    }

    /// `(delay, receptor, index)` of a control word; a stored 0 is a delay of 16.
    #[inline]
    pub fn decode(&self, control: u32) -> (u32, u32, u32) {
        let index = control & ((1 << self.index_bits) - 1);
        let receptor = (control >> self.index_bits) & ((1 << TYPE_BITS) - 1);
        let stored = (control >> (TYPE_BITS + self.index_bits)) & DELAY_MASK;
        let delay = if stored == 0 { MAX_DELAY } else { stored };
        (delay, receptor, index)
    }

    /// Whether the control part fits in 16 bits.
    pub fn fits(&self) -> bool {
        DELAY_BITS + TYPE_BITS + self.index_bits <= 16
    }
}

/// A plastic row: pre-spike history, weights, control words.
#[derive(Debug, Clone, PartialEq)]
pub struct PlasticRow {
    pub pre: PreHistory,
    pub weights: Vec<u16>,
    pub controls: Vec<u16>,
    /// Index into the core's STDP rules.
    pub rule: usize,
}

/// One source neuron's synapses onto this core from one projection.
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    /// 32-bit words `w16 << 16 | control`.
    Static(Vec<u32>),
    Plastic(PlasticRow),
}

impl Row {
    pub fn len(&self) -> usize {
        match self {
            Row::Static(w) => w.len(),
            Row::Plastic(p) => p.weights.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A master-population-table entry: a source slice's key and mask and the row blocks (one per
/// projection from it) to process for its packets.
#[derive(Debug, Clone, PartialEq)]
pub struct PopTableEntry {
    pub key: u32,
    pub mask: u32,
    /// Indices into [`SynapticMatrix::blocks`].
    pub blocks: Vec<usize>,
}

/// What one packet did on this core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PacketOutcome {
    /// Synapses processed (static and plastic).
    pub synaptic_events: u64,
    pub plastic_events: u64,
    /// The key matched no population-table entry, or a neuron with no row.
    pub unmatched: bool,
}

/// The synaptic data of one core and its ring buffers.
#[derive(Debug, Clone)]
pub struct SynapticMatrix {
    pub format: WordFormat,
    pub n_neurons: usize,
    /// Sorted by key, non-overlapping.
    pub table: Vec<PopTableEntry>,
    /// Row blocks: one row per neuron of the source slice.
    pub blocks: Vec<Vec<Row>>,
    pub rules: Vec<StdpRule>,
    /// Per receptor, the left shift from 16-bit sums to accums.
    pub shifts: [u32; N_RECEPTORS],
    /// `[slot][receptor][neuron]`, flattened.
    ring: Vec<u16>,
    /// Post-spike histories (only for cores with plastic inputs).
    pub post: Vec<PostHistory>,
    pub saturations: u64,
}

impl SynapticMatrix {
    pub fn new(
        format: WordFormat,
        n_neurons: usize,
        mut table: Vec<PopTableEntry>,
        blocks: Vec<Vec<Row>>,
        rules: Vec<StdpRule>,
        shifts: [u32; N_RECEPTORS],
    ) -> Self {
        table.sort_by_key(|e| e.key);
        let plastic = !rules.is_empty();
        SynapticMatrix {
            format,
            n_neurons,
            table,
            blocks,
            rules,
            shifts,
            ring: vec![0; RING_SLOTS * N_RECEPTORS * n_neurons],
            post: if plastic {
                vec![PostHistory::default(); n_neurons]
            } else {
                Vec::new()
            },
            saturations: 0,
        }
    }

    /// Processes a packet with `key` received in tick `t`.
    pub fn receive(&mut self, key: u32, t: u32) -> PacketOutcome {
        let mut out = PacketOutcome::default();
        let SynapticMatrix {
            format: fmt,
            n_neurons,
            table,
            blocks,
            rules,
            ring,
            post,
            saturations,
            ..
        } = self;
        let Some(entry) = find(table, key) else {
            out.unmatched = true;
            return out;
        };
        let offset = (key & !entry.mask) as usize;
        let mut ring = Ring {
            slots: ring,
            n: *n_neurons,
            saturations,
        };
        for &b in &entry.blocks {
            let Some(row) = blocks[b].get_mut(offset) else {
                out.unmatched = true;
                continue;
            };
            match row {
                Row::Static(words) => {
                    for &w in words.iter() {
                        let (d, r, j) = fmt.decode(w & 0xFFFF);
                        ring.add(t + d, r, j, (w >> 16) as u16);
                    }
                    out.synaptic_events += words.len() as u64;
                }
                Row::Plastic(p) => {
                    let rule = &rules[p.rule];
                    let last = p.pre.add(t, &rule.tau_plus);
                    for (w, &c) in p.weights.iter_mut().zip(&p.controls) {
                        let (d, r, j) = fmt.decode(c as u32);
                        *w = update_synapse(rule, *w, t, last, d, &post[j as usize]);
                        ring.add(t + d, r, j, *w);
                    }
                    out.synaptic_events += p.weights.len() as u64;
                    out.plastic_events += p.weights.len() as u64;
                }
            }
        }
        out
    }

    /// Moves ring slot `t mod 16` into `input` as accums (`neuron_transfer`) and clears it.
    pub fn transfer(&mut self, t: u32, input: &mut [Vec<Accum>; N_RECEPTORS]) {
        let slot = t as usize % RING_SLOTS;
        for (r, inp) in input.iter_mut().enumerate() {
            let base = (slot * N_RECEPTORS + r) * self.n_neurons;
            for (j, x) in self.ring[base..base + self.n_neurons]
                .iter_mut()
                .enumerate()
            {
                if *x > 0 {
                    inp[j] = Accum::from_weight(*x as u32, self.shifts[r]);
                }
                *x = 0;
            }
        }
    }

    /// Records post spikes of this tick for plasticity.
    pub fn post_spikes(&mut self, t: u32, spikes: &[u32]) {
        if let Some(rule) = self.rules.first() {
            let lut = rule.tau_minus.clone();
            for &i in spikes {
                self.post[i as usize].add(t, &lut);
            }
        }
    }

    /// Row block `b` (for reading weights back).
    pub fn block(&self, b: usize) -> &[Row] {
        &self.blocks[b]
    }

    /// Plastic synapse `k` of row `r` of block `b` in nA: as stored, or `settled` at step `now`
    /// (with the potentiation still pending from post spikes since the row's last pre spike).
    pub fn plastic_weight(
        &self,
        b: usize,
        r: usize,
        k: usize,
        settled: Option<u32>,
    ) -> Option<f64> {
        let Row::Plastic(p) = self.blocks[b].get(r)? else {
            return None;
        };
        let rule = &self.rules[p.rule];
        let w16 = match settled {
            None => p.weights[k],
            Some(now) => {
                let (d, _, j) = self.format.decode(p.controls[k] as u32);
                settled_weight(rule, p.weights[k], now, p.pre, d, &self.post[j as usize])
            }
        };
        Some(Accum::from_weight(w16 as u32, rule.weight_shift).to_f64())
    }
}

/// Binary search for the entry matching `key` (the last entry whose key is not above it).
fn find(table: &[PopTableEntry], key: u32) -> Option<&PopTableEntry> {
    let i = table.partition_point(|e| e.key <= key);
    let e = table.get(i.checked_sub(1)?)?;
    (key & e.mask == e.key).then_some(e)
}

/// Ring-buffer writes with saturation.
struct Ring<'a> {
    slots: &'a mut [u16],
    n: usize,
    saturations: &'a mut u64,
}

impl Ring<'_> {
    #[inline]
    fn add(&mut self, when: u32, receptor: u32, neuron: u32, w: u16) {
        let slot = when as usize % RING_SLOTS;
        let i = (slot * N_RECEPTORS + receptor as usize) * self.n + neuron as usize;
        let (sum, overflow) = self.slots[i].overflowing_add(w);
        if overflow {
            self.slots[i] = u16::MAX;
            *self.saturations += 1;
        } else {
            self.slots[i] = sum;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quantised_weight_shifted_into_an_accum_is_the_weight_again() {
        let w = hw_export::quantise::quantise(6.0, 7);
        assert_eq!((w.units, w.saturated), (1536, false));
        assert_eq!(Accum::from_weight(w.units as u32, 7).to_f64(), 6.0);
    }

    #[test]
    fn words_round_trip_and_packets_fill_the_right_slot() {
        let f = WordFormat::for_neurons(256);
        assert_eq!(f.index_bits, 8);
        assert!(f.fits());
        let c = f.control(3, 1, 200);
        assert_eq!(f.decode(c), (3, 1, 200));
        // 16 is written as 0 and read back as 16.
        assert_eq!(f.control(16, 0, 7) >> 9, 0);
        assert_eq!(f.decode(f.control(16, 0, 7)), (16, 0, 7));
        let row = Row::Static(vec![(100 << 16) | f.control(2, 0, 5), (7 << 16) | c]);
        let table = vec![PopTableEntry {
            key: 0x1000,
            mask: 0xFFFF_FF00,
            blocks: vec![0],
        }];
        let mut m = SynapticMatrix::new(
            f,
            256,
            table,
            vec![vec![Row::Static(vec![]), row]],
            vec![],
            [0, 0],
        );
        let out = m.receive(0x1001, 10);
        assert_eq!(out.synaptic_events, 2);
        assert!(!out.unmatched);
        assert!(m.receive(0x2001, 10).unmatched);
        let mut input = [vec![Accum::ZERO; 256], vec![Accum::ZERO; 256]];
        m.transfer(11, &mut input);
        assert!(input[0].iter().all(|&x| x == Accum::ZERO));
        m.transfer(12, &mut input);
        assert_eq!(input[0][5], Accum(100));
        m.transfer(13, &mut input);
        assert_eq!(input[1][200], Accum(7));
        // Saturation is counted.
        let row = Row::Static(vec![(0xFFFF << 16) | f.control(1, 0, 0); 2]);
        m.blocks[0][0] = row;
        m.receive(0x1000, 20);
        assert_eq!(m.saturations, 1);
    }
}
