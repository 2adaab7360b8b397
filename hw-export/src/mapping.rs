//! The whole pipeline: partition -> place -> keys -> route -> tables -> compress -> verify.

use crate::compress::compress;
use crate::error::{HwError, Result};
use crate::keys::{allocate_keys, KeyAllocation, KeyLayout};
use crate::machine::{Chip, Machine};
use crate::partition::{partition, PartitionOptions, SliceResources};
use crate::place::place;
use crate::route::{ner_route, RoutingTree};
use crate::table::RoutingTable;
use crate::tables::build_tables;
use crate::verify::{verify, Source, VerifyFailure, VerifyReport};
use crate::TableReport;
use sim_core::{Network, PopulationId};
use std::collections::BTreeSet;
use std::time::Instant;

pub use crate::partition::Slice;
pub use crate::place::CoreLocation;

/// Options of [`map_network`].
#[derive(Clone, Debug)]
pub struct MapOptions {
    pub partition: PartitionOptions,
    pub key_layout: KeyLayout,
    /// NER radius in hops (rig and PACMAN's NER: 20).
    pub ner_radius: i64,
}

impl Default for MapOptions {
    fn default() -> Self {
        MapOptions {
            partition: PartitionOptions::default(),
            key_layout: KeyLayout::Flexible,
            ner_radius: 20,
        }
    }
}

/// A network mapped onto a machine.
///
/// Slices are numbered in population order (all slices of population 0 first, each
/// population's slices in neuron order); every per-slice vector is indexed by that number.
#[derive(Clone, Debug)]
pub struct Mapping {
    /// The machine mapped onto (dead chips and links included).
    pub machine: Machine,
    /// Per slice: its population and neuron range; one slice runs on one core.
    pub slices: Vec<Slice>,
    /// Per slice: the core it runs on. Cores `0 .. machine.monitor_cores` are never used.
    pub placements: Vec<CoreLocation>,
    /// Per slice: (key, mask). Neuron `n` of slice `s` sends the multicast key
    /// `keys[s].0 | (n - slices[s].neurons.start)`; `mask` covers the slice's keys exactly
    /// (its low bits are the neuron index).
    pub keys: Vec<(u32, u32)>,
    /// Per chip with entries, sorted by (x, y): the uncompressed table (orthogonal, entries
    /// sorted by key; `defaultable` and `sources` set from the routing trees).
    pub tables: Vec<RoutingTable>,
    /// The same chips in the same order: the compressed tables, in hardware (priority) order,
    /// each checked for exact equivalence with its uncompressed table.
    pub compressed: Vec<RoutingTable>,
    /// Per slice: estimated SDRAM, DTCM and real-time load.
    pub resources: Vec<SliceResources>,
    /// Per slice: the slices (indices) it has at least one synapse onto, ascending.
    pub targets: Vec<Vec<usize>>,
    /// Per slice: its multicast tree (None when it has no targets and so sends nothing).
    pub trees: Vec<Option<RoutingTree>>,
    /// The key layout (A/P, M and X fields per population).
    pub key_allocation: KeyAllocation,
    /// Per population: index of its first slice (`pop_slices[p] .. pop_slices[p + 1]`);
    /// one element more than there are populations.
    pub pop_slices: Vec<usize>,
    /// Per table: compression outcome (same order as `tables`).
    pub compression: Vec<TableReport>,
    /// Every neuron key walked hop by hop through `compressed` with hardware default routing,
    /// plus every table's size against its chip's router capacity.
    pub verification: VerifyReport,
}

impl Mapping {
    /// The slice holding neuron `neuron` of population `pop`.
    pub fn slice_of(&self, pop: PopulationId, neuron: u32) -> Option<usize> {
        let range = self.pop_slices(pop)?;
        let first = range.start;
        let local = &self.slices[range];
        let i = local.partition_point(|s| s.neurons.end <= neuron);
        (i < local.len() && local[i].neurons.contains(&neuron)).then_some(first + i)
    }

    /// The slices of population `pop`, as a range of slice indices.
    pub fn pop_slices(&self, pop: PopulationId) -> Option<std::ops::Range<usize>> {
        (pop + 1 < self.pop_slices.len()).then(|| self.pop_slices[pop]..self.pop_slices[pop + 1])
    }

    /// The slices placed on `core` (at most one with this placer).
    pub fn slices_on_core(&self, core: CoreLocation) -> Vec<usize> {
        (0..self.placements.len())
            .filter(|&i| self.placements[i] == core)
            .collect()
    }

    /// The slices placed on chip `chip`.
    pub fn slices_on_chip(&self, chip: Chip) -> Vec<usize> {
        (0..self.placements.len())
            .filter(|&i| self.placements[i].chip() == chip)
            .collect()
    }

    /// The multicast key neuron `neuron` of population `pop` sends.
    pub fn key_of(&self, pop: PopulationId, neuron: u32) -> Option<u32> {
        let s = self.slice_of(pop, neuron)?;
        Some(self.keys[s].0 | (neuron - self.slices[s].neurons.start))
    }

    /// The (population, neuron) that sends `key`, if any.
    pub fn source_of_key(&self, key: u32) -> Option<(PopulationId, u32)> {
        let s = self
            .keys
            .iter()
            .position(|&(k, m)| key & m == k)
            .filter(|&s| (key & !self.keys[s].1) < self.slices[s].len())?;
        Some((
            self.slices[s].pop,
            self.slices[s].neurons.start + (key & !self.keys[s].1),
        ))
    }

    /// Chips with at least one placed slice.
    pub fn used_chips(&self) -> BTreeSet<Chip> {
        self.placements.iter().map(|c| c.chip()).collect()
    }

    /// Total entries before and after compression, and the largest compressed table.
    pub fn entry_counts(&self) -> (usize, usize, usize) {
        let before = self.tables.iter().map(|t| t.len()).sum();
        let after = self.compressed.iter().map(|t| t.len()).sum();
        let max = self.compressed.iter().map(|t| t.len()).max().unwrap_or(0);
        (before, after, max)
    }

    /// Every table fits its router and every key reaches exactly its targets.
    pub fn ok(&self) -> bool {
        self.verification.ok()
    }

    /// Walk every neuron key of every slice with targets through `tables` (one per chip, in
    /// hardware order) and check that it reaches exactly the cores of its target slices; check
    /// every table against its chip's capacity. Keys are walked one at a time, so the expected
    /// sets never exist for all keys at once.
    pub fn verify_tables(&self, tables: &[RoutingTable]) -> VerifyReport {
        let mut report = verify(&self.machine, tables, &[]);
        for (s, slice) in self.slices.iter().enumerate() {
            if self.targets[s].is_empty() {
                continue;
            }
            let expected: BTreeSet<(Chip, u8)> = self.targets[s]
                .iter()
                .map(|&t| (self.placements[t].chip(), self.placements[t].p))
                .collect();
            let at = self.placements[s];
            // One source reused for every neuron of the slice: only its key changes.
            let mut source = Source {
                chip: at.chip(),
                core: at.p,
                key: 0,
                expected,
            };
            for n in 0..slice.len() {
                source.key = self.keys[s].0 | n;
                let r = verify(&self.machine, tables, std::slice::from_ref(&source));
                report.n_sources += r.n_sources;
                report.n_hops += r.n_hops;
                report.failures.extend(r.failures.into_iter().filter(|f| {
                    !matches!(
                        f,
                        VerifyFailure::OverCapacity { .. } | VerifyFailure::UnknownChip { .. }
                    )
                }));
            }
        }
        report
    }
}

/// Per slice: the target slices, from the synapse lists.
fn slice_targets(net: &Network, slices: &[Slice], pop_slices: &[usize]) -> Vec<Vec<usize>> {
    let n = slices.len();
    let slice_of = |pop: usize, neuron: u32| -> usize {
        let local = &slices[pop_slices[pop]..pop_slices[pop + 1]];
        pop_slices[pop] + local.partition_point(|s| s.neurons.end <= neuron)
    };
    let mut hit = vec![false; n * n];
    for proj in &net.projections {
        for (pre, post, _, _) in proj.synapses.iter() {
            hit[slice_of(proj.pre, pre) * n + slice_of(proj.post, post)] = true;
        }
    }
    (0..n)
        .map(|s| (0..n).filter(|&t| hit[s * n + t]).collect())
        .collect()
}

/// Map `net` onto `machine`. Fails when the network cannot be placed, keyed or routed; a table
/// that stays above its router's capacity after compression is reported in
/// [`Mapping::verification`] (so the numbers can be shown), not as an error.
pub fn map_network(net: &Network, machine: &Machine, opts: &MapOptions) -> Result<Mapping> {
    if net.populations.is_empty() {
        return Err(HwError::Map {
            what: "the network has no populations".into(),
        });
    }
    // SpiNNaker carries spikes only; a graded (continuous, e.g. astrocyte SIC) coupling would be
    // lost without a word, so it is refused.
    if let Some(g) = net.graded.first() {
        return Err(HwError::Map {
            what: format!(
                "projection {}: graded (continuous) projections cannot run on SpiNNaker, which \
                 carries spikes only; remove it or run on the cpu backend",
                g.name
            ),
        });
    }
    let part = partition(net, &opts.partition)?;
    let slices = part.slices;
    let mut pop_slices = vec![0usize; net.populations.len() + 1];
    for s in &slices {
        pop_slices[s.pop + 1] += 1;
    }
    for p in 0..net.populations.len() {
        pop_slices[p + 1] += pop_slices[p];
    }
    let placements = place(machine, &part.resources)?;
    let key_allocation = allocate_keys(net.populations.len(), &slices, opts.key_layout)?;
    let targets = slice_targets(net, &slices, &pop_slices);
    let trees = targets
        .iter()
        .enumerate()
        .map(|(s, t)| {
            if t.is_empty() {
                return Ok(None);
            }
            let cores: Vec<CoreLocation> = t.iter().map(|&i| placements[i]).collect();
            ner_route(machine, placements[s], &cores, opts.ner_radius).map(Some)
        })
        .collect::<Result<Vec<_>>>()?;
    let tables = build_tables(&slices, &placements, &key_allocation, &trees);
    let mut compressed = Vec::with_capacity(tables.len());
    let mut compression = Vec::with_capacity(tables.len());
    for t in &tables {
        let capacity = machine.router_entries((t.x, t.y));
        let start = Instant::now();
        let c = compress(t, capacity);
        compression.push(TableReport {
            x: t.x,
            y: t.y,
            original: t.len(),
            compressed: c.table.len(),
            method: c.method.name(),
            time: start.elapsed(),
            checked: c.checked,
            fits: c.table.len() <= capacity,
        });
        compressed.push(c.table);
    }
    let mut mapping = Mapping {
        machine: machine.clone(),
        keys: key_allocation.slices.clone(),
        slices,
        placements,
        tables,
        compressed,
        resources: part.resources,
        targets,
        trees,
        key_allocation,
        pop_slices,
        compression,
        verification: VerifyReport::default(),
    };
    mapping.verification = mapping.verify_tables(&mapping.compressed);
    Ok(mapping)
}
