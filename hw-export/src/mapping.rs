//! The whole pipeline: partition -> place -> keys -> route -> tables -> compress -> verify.
//!
//! A *vertex* is what runs on one core: a neuron slice (`0 .. slices.len()`) or a slice of a
//! delay extension (`slices.len() ..`, [`crate::delays`]); every per-vertex vector of the
//! [`Mapping`] is indexed by vertex number.

use crate::compress::compress;
use crate::delays::{delay_stages, split_delay, DelaySlice};
use crate::error::{HwError, Result};
use crate::keys::{allocate_keys, KeyAllocation, KeyLayout};
use crate::machine::{Chip, Machine};
use crate::partition::{estimate_delay_slice, partition, PartitionOptions, SliceResources};
use crate::place::place;
use crate::route::{ner_route, RoutingTree};
use crate::table::RoutingTable;
use crate::tables::build_tables;
use crate::verify::{Source, TableWalker, VerifyReport};
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
/// population's slices in neuron order); the delay-extension slices follow them as vertices
/// `slices.len() + i`. Every per-vertex vector is indexed by vertex number.
#[derive(Clone, Debug)]
pub struct Mapping {
    /// The machine mapped onto (dead chips and links included).
    pub machine: Machine,
    /// Per neuron slice: its population and neuron range; one slice runs on one core.
    pub slices: Vec<Slice>,
    /// Per delay-extension slice (vertex `slices.len() + i`): its source slice and stages.
    pub delay_slices: Vec<DelaySlice>,
    /// Per population: the stages of its delay extension (0 = none).
    pub delay_stages: Vec<u32>,
    /// Per vertex: the core it runs on. Cores `0 .. machine.monitor_cores` are never used.
    pub placements: Vec<CoreLocation>,
    /// Per vertex: (key, mask). Neuron `n` of slice `s` sends the multicast key
    /// `keys[s].0 | (n - slices[s].neurons.start)`; a delay slice sends `key | (stage − 1)·len + n`;
    /// `mask` covers the vertex's keys (its low bits are the key index).
    pub keys: Vec<(u32, u32)>,
    /// Per chip with entries, sorted by (x, y): the uncompressed table (orthogonal, entries
    /// sorted by key; `defaultable` and `sources` set from the routing trees).
    pub tables: Vec<RoutingTable>,
    /// The same chips in the same order: the compressed tables, in hardware (priority) order,
    /// each checked for exact equivalence with its uncompressed table.
    pub compressed: Vec<RoutingTable>,
    /// Per vertex: estimated SDRAM, DTCM and real-time load.
    pub resources: Vec<SliceResources>,
    /// Per vertex, the vertices its packets must reach, ascending: for a neuron slice the slices
    /// it has a synapse of at most 16 steps onto, and its delay slice if its population has a
    /// delay extension; for a delay slice, the slices its source has a longer synapse onto.
    pub targets: Vec<Vec<usize>>,
    /// Per vertex: its multicast tree (None when it has no targets and so sends nothing).
    pub trees: Vec<Option<RoutingTree>>,
    /// The key layout (A/P, M and X fields per partition: populations, then delay extensions).
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
    /// Neuron slices plus delay-extension slices: the cores used.
    pub fn n_vertices(&self) -> usize {
        self.slices.len() + self.delay_slices.len()
    }

    /// The delay slice (as a vertex number) of neuron slice `slice`, if its population has a
    /// delay extension.
    pub fn delay_vertex_of(&self, slice: usize) -> Option<usize> {
        // Delay slices are in source order.
        self.delay_slices
            .binary_search_by_key(&slice, |d| d.source)
            .ok()
            .map(|i| self.slices.len() + i)
    }

    /// The delay slice of vertex `v`, if it is one.
    pub fn delay_slice(&self, v: usize) -> Option<&DelaySlice> {
        v.checked_sub(self.slices.len())
            .and_then(|i| self.delay_slices.get(i))
    }

    /// The number of keys vertex `v` sends: a slice's neurons, a delay slice's neurons times
    /// its stages.
    pub fn n_keys(&self, v: usize) -> u32 {
        match self.delay_slice(v) {
            Some(d) => self.slices[d.source].len() * d.stages,
            None => self.slices[v].len(),
        }
    }

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

    /// The (population, neuron) that sends `key` from its own core, if any.
    pub fn source_of_key(&self, key: u32) -> Option<(PopulationId, u32)> {
        let s = self.keys[..self.slices.len()]
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

    /// Walk every key of every vertex with targets (every neuron of a slice, every neuron and
    /// stage of a delay slice) through `tables` (one per chip, in hardware order) and check that
    /// it reaches exactly the cores of its targets; check every table against its chip's
    /// capacity. Keys are walked one at a time, so the expected sets never exist for all keys at
    /// once.
    pub fn verify_tables(&self, tables: &[RoutingTable]) -> VerifyReport {
        let walker = TableWalker::new(&self.machine, tables);
        let mut report = VerifyReport {
            failures: walker.table_failures.clone(),
            ..Default::default()
        };
        for s in 0..self.n_vertices() {
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
            for n in 0..self.n_keys(s) {
                source.key = self.keys[s].0 | n;
                walker.walk(&source, &mut report);
            }
        }
        report
    }
}

/// Per neuron slice: the slices it has a synapse of at most a row's delay onto (direct), and
/// those it has a longer synapse onto (through its delay extension), from the synapse lists.
fn slice_targets(
    net: &Network,
    slices: &[Slice],
    pop_slices: &[usize],
) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
    let n = slices.len();
    let slice_of = |pop: usize, neuron: u32| -> usize {
        let local = &slices[pop_slices[pop]..pop_slices[pop + 1]];
        pop_slices[pop] + local.partition_point(|s| s.neurons.end <= neuron)
    };
    // One bit per (source, target): n² bits each.
    let mut direct = vec![0u64; (n * n).div_ceil(64)];
    let mut delayed = direct.clone();
    for proj in &net.projections {
        for (pre, post, _, d) in proj.synapses.iter() {
            let bit = slice_of(proj.pre, pre) * n + slice_of(proj.post, post);
            let hit = if split_delay(d.max(1) as u32).0 == 0 {
                &mut direct
            } else {
                &mut delayed
            };
            hit[bit / 64] |= 1 << (bit % 64);
        }
    }
    let lists = |hit: &[u64]| -> Vec<Vec<usize>> {
        (0..n)
            .map(|s| {
                (0..n)
                    .filter(|&t| hit[(s * n + t) / 64] >> ((s * n + t) % 64) & 1 == 1)
                    .collect()
            })
            .collect()
    };
    (lists(&direct), lists(&delayed))
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
    // Delay extensions: one per population with a delay beyond a row, cut as its slices.
    let stages = delay_stages(net)?;
    let delay_slices: Vec<DelaySlice> = (0..slices.len())
        .filter(|&s| stages[slices[s].pop] > 0)
        .map(|source| DelaySlice {
            source,
            stages: stages[slices[source].pop],
        })
        .collect();
    let n_slices = slices.len();
    let n_vertices = n_slices + delay_slices.len();
    let mut resources = part.resources;
    resources.extend(delay_slices.iter().map(|d| {
        estimate_delay_slice(
            slices[d.source].len(),
            d.stages,
            net.grid.dt_ms(),
            &opts.partition,
        )
    }));
    // Partitions: the populations, then their delay extensions in population order.
    let mut delay_partition = vec![usize::MAX; net.populations.len()];
    let mut n_partitions = net.populations.len();
    for (p, &st) in stages.iter().enumerate() {
        if st > 0 {
            delay_partition[p] = n_partitions;
            n_partitions += 1;
        }
    }
    let partition_of: Vec<usize> = (0..n_vertices)
        .map(|v| match v.checked_sub(n_slices) {
            None => slices[v].pop,
            Some(i) => delay_partition[slices[delay_slices[i].source].pop],
        })
        .collect();
    // Placement order: each population's slices, then its delay slices, so an extension sits
    // beside its source.
    let mut order: Vec<usize> = (0..n_vertices).collect();
    order.sort_by_key(|&v| match v.checked_sub(n_slices) {
        None => (slices[v].pop, 0, v),
        Some(i) => (slices[delay_slices[i].source].pop, 1, v),
    });
    let ordered: Vec<SliceResources> = order.iter().map(|&v| resources[v].clone()).collect();
    let mut placements = vec![CoreLocation { x: 0, y: 0, p: 0 }; n_vertices];
    for (&v, at) in order.iter().zip(place(machine, &ordered)?) {
        placements[v] = at;
    }
    let key_vertices: Vec<(usize, u64)> = (0..n_vertices)
        .map(|v| {
            let n_keys = match v.checked_sub(n_slices) {
                None => slices[v].len() as u64,
                Some(i) => {
                    slices[delay_slices[i].source].len() as u64 * delay_slices[i].stages as u64
                }
            };
            (partition_of[v], n_keys)
        })
        .collect();
    let key_allocation = allocate_keys(n_partitions, &key_vertices, opts.key_layout)?;
    let (direct, delayed) = slice_targets(net, &slices, &pop_slices);
    let mut targets = direct;
    for (i, d) in delay_slices.iter().enumerate() {
        targets[d.source].push(n_slices + i);
    }
    targets.extend(delay_slices.iter().map(|d| delayed[d.source].clone()));
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
    let tables = build_tables(&partition_of, &placements, &key_allocation, &trees);
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
        keys: key_allocation.vertices.clone(),
        slices,
        delay_slices,
        delay_stages: stages,
        placements,
        tables,
        compressed,
        resources,
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
