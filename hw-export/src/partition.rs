//! Partitioning: the populations of a [`Network`] -> per-core slices, with SDRAM, DTCM and
//! real-time estimates per slice.
//!
//! Limits follow sPyNNaker 7: 256 neurons per core for neuron models
//! (`DEFAULT_MAX_ATOMS_PER_CORE`), 500 for `SpikeSourcePoisson`. A population whose slices would
//! exceed a core's DTCM, its share of chip SDRAM or the real-time budget at the assumed firing
//! rate is cut into smaller slices (halving the slice size until it fits): that is what the
//! "lower limits for plastic or high fan-in populations" come to.

use crate::delays::{split_delay, ROW_MAX_DELAY};
use crate::error::{HwError, Result};
use crate::machine::SDRAM_PER_CHIP;
use serde::Serialize;
use sim_core::{ModelKind, Network, PopulationId, SourceKind};
use std::ops::Range;

/// A contiguous range of one population's neurons, simulated by one core.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Slice {
    pub pop: PopulationId,
    pub neurons: Range<u32>,
}

impl Slice {
    pub fn len(&self) -> u32 {
        self.neurons.end - self.neurons.start
    }

    pub fn is_empty(&self) -> bool {
        self.neurons.is_empty()
    }
}

/// Cost and memory constants of the estimates. Byte sizes follow sPyNNaker's data layout as far
/// as it is documented (one 32-bit word per static synapse: 16-bit weight, delay, synapse type and
/// 8-bit neuron index; plastic synapses add a 16-bit weight half-word per synapse and a row
/// header with the pre trace); cycle costs are the usual published ballpark figures for the
/// ARM968 at 200 MHz (see docs/SPINNAKER.md), not measurements.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CostModel {
    /// Core clock (Hz); a time step of `dt` ms at time-scale factor `f` has
    /// `clock_hz * dt / 1000 * f` cycles.
    pub clock_hz: f64,
    /// Neuron state and parameters, bytes per neuron (DTCM; a copy also sits in SDRAM).
    pub neuron_bytes: u64,
    /// Ring-buffer slots per receptor (16 steps without delay extensions).
    pub ring_slots: u64,
    /// Bytes per ring-buffer slot (`RING_ENTRY_BITS` = 32).
    pub ring_slot_bytes: u64,
    /// Bytes per static synapse in the synaptic matrix.
    pub static_synapse_bytes: u64,
    /// Bytes per plastic synapse (weight half-word + control half-word).
    pub plastic_synapse_bytes: u64,
    /// Bytes of row header per (pre neuron, incoming projection) row, static / plastic.
    pub static_row_header_bytes: u64,
    pub plastic_row_header_bytes: u64,
    /// Fixed SDRAM per core (system, provenance, key and routing regions).
    pub core_overhead_bytes: u64,
    /// DTCM available for data per core (64 KiB minus stack and heap bookkeeping).
    pub dtcm_bytes: u64,
    /// Cycles per neuron update, per static and per plastic synaptic event, per spike received
    /// (DMA of the row plus the master population table lookup).
    pub neuron_update_cycles: f64,
    pub static_event_cycles: f64,
    pub plastic_event_cycles: f64,
    pub spike_overhead_cycles: f64,
    /// Cycles per neuron per tick of a delay-extension core (sPyNNaker's
    /// `DelayExtensionVertex.ESTIMATED_CPU_CYCLES`: its stage loop visits every neuron).
    pub delay_neuron_cycles: f64,
    /// Cycles per packet a delay-extension core receives or sends (queue, count, send).
    pub delay_packet_cycles: f64,
    /// Fraction of the budget a core may plan to use (the rest absorbs bursts).
    pub max_load: f64,
}

impl Default for CostModel {
    fn default() -> Self {
        CostModel {
            clock_hz: 200e6,
            neuron_bytes: 56,
            ring_slots: 16,
            ring_slot_bytes: 4,
            static_synapse_bytes: 4,
            plastic_synapse_bytes: 4,
            static_row_header_bytes: 12,
            plastic_row_header_bytes: 24,
            core_overhead_bytes: 16 * 1024,
            dtcm_bytes: 56 * 1024,
            neuron_update_cycles: 150.0,
            static_event_cycles: 30.0,
            plastic_event_cycles: 250.0,
            spike_overhead_cycles: 400.0,
            delay_neuron_cycles: 128.0,
            delay_packet_cycles: 50.0,
            max_load: 0.9,
        }
    }
}

/// Partitioning options.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PartitionOptions {
    /// Neurons per core for neuron models (sPyNNaker default 256).
    pub neurons_per_core: u32,
    /// Neurons per core for `SpikeSourcePoisson` (sPyNNaker default 500).
    pub poisson_per_core: u32,
    /// Neurons per core for `SpikeSourceArray`.
    pub array_per_core: u32,
    /// Neurons per core for populations that are the target of a plastic projection.
    pub plastic_neurons_per_core: u32,
    /// Firing rate assumed for every source when estimating the real-time load (Hz).
    pub assumed_rate_hz: f64,
    /// Simulated time, for recording buffers (ms).
    pub duration_ms: f64,
    /// Wall-clock slow-down (sPyNNaker's `time_scale_factor`); None = sPyNNaker's default
    /// `max(1, ceil(dt_us / 10000))`, i.e. 1 for every dt up to 10 ms.
    pub time_scale_factor: Option<u32>,
    /// Cut slices smaller until every core fits the real-time budget. Off, slices keep
    /// `neurons_per_core` (as sPyNNaker does) and the report lists the cores that miss it.
    pub split_for_real_time: bool,
    pub cost: CostModel,
}

impl Default for PartitionOptions {
    fn default() -> Self {
        PartitionOptions {
            neurons_per_core: 256,
            poisson_per_core: 500,
            array_per_core: 256,
            plastic_neurons_per_core: 128,
            assumed_rate_hz: 10.0,
            duration_ms: 1000.0,
            time_scale_factor: None,
            split_for_real_time: true,
            cost: CostModel::default(),
        }
    }
}

impl PartitionOptions {
    /// The time-scale factor used: the given one or sPyNNaker's default.
    pub fn time_scale_factor(&self, dt_ms: f64) -> u32 {
        self.time_scale_factor
            .unwrap_or_else(|| ((dt_ms * 1000.0 / 10_000.0).ceil() as u32).max(1))
    }

    /// Clock cycles a core has per time step.
    pub fn budget_cycles(&self, dt_ms: f64) -> f64 {
        self.cost.clock_hz * dt_ms / 1000.0 * self.time_scale_factor(dt_ms) as f64
    }
}

/// Estimated resources of one slice.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SliceResources {
    pub neurons: u32,
    /// Synapses whose post neuron is in the slice.
    pub incoming_synapses: u64,
    /// Of those, plastic.
    pub plastic_synapses: u64,
    /// Rows (pre neuron, projection, delay stage) of the slice's synaptic matrix; for a
    /// delay-extension slice, 0.
    pub rows: u64,
    pub sdram_bytes: u64,
    pub dtcm_bytes: u64,
    /// Packets per time step at the assumed rate: received (one per row hit) and, for a
    /// delay-extension slice, sent.
    pub packets_in_per_tick: f64,
    pub packets_out_per_tick: f64,
    /// Synaptic events per time step at the assumed rate.
    pub events_per_tick: f64,
    /// Estimated cycles per time step at the assumed rate.
    pub cycles_per_tick: f64,
    /// `cycles_per_tick` over the cycles a time step has.
    pub load: f64,
}

/// The partitioner's result: slices in population order, resources per slice.
#[derive(Clone, Debug)]
pub struct Partition {
    pub slices: Vec<Slice>,
    pub resources: Vec<SliceResources>,
}

/// Per population: incoming synapses (static, plastic) per post neuron, as prefix sums over post
/// neurons so any slice is summed in O(1).
struct FanIn {
    static_syn: Vec<u64>,
    plastic_syn: Vec<u64>,
    receptors: usize,
}

fn prefix(counts: &[u64]) -> Vec<u64> {
    let mut p = Vec::with_capacity(counts.len() + 1);
    p.push(0);
    let mut acc = 0;
    for &c in counts {
        acc += c;
        p.push(acc);
    }
    p
}

fn fan_in(net: &Network) -> Vec<FanIn> {
    let mut st: Vec<Vec<u64>> = net
        .populations
        .iter()
        .map(|p| vec![0; p.size as usize])
        .collect();
    let mut pl = st.clone();
    for proj in &net.projections {
        let target = if proj.plasticity.is_some() {
            &mut pl[proj.post]
        } else {
            &mut st[proj.post]
        };
        for (_, post, _, _) in proj.synapses.iter() {
            target[post as usize] += 1;
        }
    }
    net.populations
        .iter()
        .enumerate()
        .map(|(i, p)| FanIn {
            static_syn: prefix(&st[i]),
            plastic_syn: prefix(&pl[i]),
            receptors: p.model.receptors().len(),
        })
        .collect()
}

/// Rows of every slice of `pop` cut into slices of `limit`: distinct (projection, pre neuron,
/// delay stage) triples with a synapse into the slice, (static, plastic) per slice; a delay-stage
/// row is a separate row of the delay extension's block ([`crate::delays`]). One pass per
/// projection.
fn rows_per_slice(net: &Network, pop: PopulationId, limit: u32) -> Vec<(u64, u64)> {
    let n_slices = net.populations[pop].size.div_ceil(limit) as usize;
    let mut rows = vec![(0u64, 0u64); n_slices];
    for proj in net.projections.iter().filter(|p| p.post == pop) {
        let n_pre = net.populations[proj.pre].size as usize;
        let n_stages = split_delay(proj.synapses.max_delay().max(1) as u32).0 as usize + 1;
        let mut seen = vec![0u64; (n_pre * n_slices * n_stages).div_ceil(64)];
        for (pre, post, _, d) in proj.synapses.iter() {
            let s = (post / limit) as usize;
            let stage = split_delay(d.max(1) as u32).0 as usize;
            let bit = (pre as usize * n_slices + s) * n_stages + stage;
            if seen[bit / 64] >> (bit % 64) & 1 == 0 {
                seen[bit / 64] |= 1 << (bit % 64);
                if proj.plasticity.is_some() {
                    rows[s].1 += 1;
                } else {
                    rows[s].0 += 1;
                }
            }
        }
    }
    rows
}

/// Estimate the resources of a delay-extension slice of `neurons` neurons and `stages` stages
/// (`delay_extension.c`): per neuron and delay slot a one-byte counter in DTCM (slots: the next
/// power of two above `16 · stages`), the parameter block in SDRAM; per tick its stage loop, one
/// packet in per source spike and `stages` out.
pub fn estimate_delay_slice(
    neurons: u32,
    stages: u32,
    dt_ms: f64,
    opts: &PartitionOptions,
) -> SliceResources {
    let c = &opts.cost;
    let n = neurons as u64;
    let slots = (stages * ROW_MAX_DELAY + 1).next_power_of_two() as u64;
    let per_tick = opts.assumed_rate_hz * dt_ms / 1000.0;
    let packets_in = n as f64 * per_tick;
    let packets_out = packets_in * stages as f64;
    let cycles =
        n as f64 * c.delay_neuron_cycles + (packets_in + packets_out) * c.delay_packet_cycles;
    SliceResources {
        neurons,
        sdram_bytes: c.core_overhead_bytes + 4 * (9 + stages as u64 * n.div_ceil(32)),
        dtcm_bytes: n * slots,
        packets_in_per_tick: packets_in,
        packets_out_per_tick: packets_out,
        cycles_per_tick: cycles,
        load: cycles / opts.budget_cycles(dt_ms),
        ..Default::default()
    }
}

/// Estimate one slice's resources.
fn estimate(
    net: &Network,
    fan: &FanIn,
    pop: PopulationId,
    range: &Range<u32>,
    (static_rows, plastic_rows): (u64, u64),
    opts: &PartitionOptions,
) -> SliceResources {
    let c = &opts.cost;
    let n = (range.end - range.start) as u64;
    let (a, b) = (range.start as usize, range.end as usize);
    let stat = fan.static_syn[b] - fan.static_syn[a];
    let plas = fan.plastic_syn[b] - fan.plastic_syn[a];
    let p = &net.populations[pop];
    let steps = (opts.duration_ms / net.grid.dt_ms()).ceil().max(0.0) as u64;
    let mut recording = 0;
    if p.record.spikes {
        recording += n.div_ceil(32) * 4 * steps;
    }
    if !p.record.vars.is_empty() {
        let sampled = p
            .record
            .neurons
            .iter()
            .filter(|&&i| range.contains(&i))
            .count() as u64;
        recording += sampled * 4 * p.record.vars.len() as u64 * steps / p.record.interval.max(1);
    }
    let ring = n * fan.receptors as u64 * c.ring_slots * c.ring_slot_bytes;
    let dtcm = n * c.neuron_bytes + ring;
    let sdram = c.core_overhead_bytes
        + n * c.neuron_bytes
        + stat * c.static_synapse_bytes
        + plas * c.plastic_synapse_bytes
        + static_rows * c.static_row_header_bytes
        + plastic_rows * c.plastic_row_header_bytes
        + recording;
    // Events per tick: every incoming synapse carries the pre neuron's spikes.
    let per_tick = opts.assumed_rate_hz * net.grid.dt_ms() / 1000.0;
    let rows = static_rows + plastic_rows;
    let cycles = n as f64 * c.neuron_update_cycles
        + stat as f64 * per_tick * c.static_event_cycles
        + plas as f64 * per_tick * c.plastic_event_cycles
        + rows as f64 * per_tick * c.spike_overhead_cycles;
    SliceResources {
        neurons: n as u32,
        incoming_synapses: stat + plas,
        plastic_synapses: plas,
        rows,
        sdram_bytes: sdram,
        dtcm_bytes: dtcm,
        packets_in_per_tick: rows as f64 * per_tick,
        packets_out_per_tick: 0.0,
        events_per_tick: (stat + plas) as f64 * per_tick,
        cycles_per_tick: cycles,
        load: cycles / opts.budget_cycles(net.grid.dt_ms()),
    }
}

/// Largest slice size a population starts from.
fn base_limit(net: &Network, pop: PopulationId, opts: &PartitionOptions) -> u32 {
    let p = &net.populations[pop];
    let plastic_target = net
        .projections
        .iter()
        .any(|pr| pr.post == pop && pr.plasticity.is_some());
    let limit = match p.model.describe().kind {
        ModelKind::SpikeSource(SourceKind::Poisson { .. }) => opts.poisson_per_core,
        ModelKind::SpikeSource(SourceKind::Array { .. }) => opts.array_per_core,
        _ if plastic_target => opts.plastic_neurons_per_core.min(opts.neurons_per_core),
        _ => opts.neurons_per_core,
    };
    limit.max(1)
}

/// Cut every population into slices of at most its limit, halving the limit while some slice
/// would exceed DTCM, a core's share of chip SDRAM (1/16) or (with
/// [`PartitionOptions::split_for_real_time`]) the real-time budget.
pub fn partition(net: &Network, opts: &PartitionOptions) -> Result<Partition> {
    if opts.neurons_per_core == 0 || opts.poisson_per_core == 0 || opts.array_per_core == 0 {
        return Err(HwError::Map {
            what: "neurons per core must be >= 1".into(),
        });
    }
    // sPyNNaker's synapse rows hold static or STDP synapses; a short-term plasticity or
    // stochastic synapse written as a static one would load and silently run another model.
    if let Some(proj) = net
        .projections
        .iter()
        .find(|p| p.synapses.dynamics.is_some())
    {
        let kind = proj.synapses.dynamics.as_ref().map_or("", |d| d.name());
        return Err(HwError::Map {
            what: format!(
                "projection '{}': synapse type {kind} has no SpiNNaker synapse rows in engram's export (static synapses and STDPMechanism do)",
                proj.name
            ),
        });
    }
    let fans = fan_in(net);
    let sdram_share = SDRAM_PER_CHIP / 16;
    let mut slices = Vec::new();
    let mut resources = Vec::new();
    for (pop, p) in net.populations.iter().enumerate() {
        let mut limit = base_limit(net, pop, opts).min(p.size);
        loop {
            let ranges: Vec<Range<u32>> = (0..p.size.div_ceil(limit))
                .map(|i| i * limit..((i + 1) * limit).min(p.size))
                .collect();
            let rows = rows_per_slice(net, pop, limit);
            let res: Vec<SliceResources> = ranges
                .iter()
                .zip(rows)
                .map(|(r, rows)| estimate(net, &fans[pop], pop, r, rows, opts))
                .collect();
            let fits = res.iter().all(|r| {
                r.dtcm_bytes <= opts.cost.dtcm_bytes
                    && r.sdram_bytes <= sdram_share
                    && (!opts.split_for_real_time || r.load <= opts.cost.max_load)
            });
            if fits || limit == 1 {
                slices.extend(ranges.into_iter().map(|neurons| Slice { pop, neurons }));
                resources.extend(res);
                break;
            }
            limit = limit.div_ceil(2);
        }
    }
    Ok(Partition { slices, resources })
}
