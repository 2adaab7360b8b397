//! The SpiNNaker backend: the network mapped by `hw_export` and run on an emulated board.
//!
//! Every core runs its own tick loop in sPyNNaker's fixed-point arithmetic ([`neuron`],
//! [`synapses`], [`stdp`]); every spike leaves its core as a multicast packet whose key comes
//! from the mapping and travels through the compressed per-chip routing tables with hardware
//! default routing ([`fabric`]); a packet reaches only the cores its route names, where the
//! master population table finds its synaptic row. Packets lost on the way or arriving where
//! no row matches are counted; any such packet fails the run. [`report`] describes the load.
//!
//! One tick `t` of the board:
//! 1. every core updates its neurons (ring-buffer slot `t` in, spikes out), emits its source's
//!    spikes, or (a delay-extension core, [`delay`]) re-emits the spikes of `t − 16·s` for each
//!    of its stages `s`;
//! 2. every packet is routed and processed by the cores it reaches (plastic rows updated lazily,
//!    weights added to ring slot `t + row delay`; a delay-extension core counts the spike).
//!
//! Time step: any whole number of microseconds (sPyNNaker's `machine_time_step`), 1 ms and
//! 0.1 ms in particular; the neuron constants, the STDP tables and the real-time budget follow it.

pub mod board;
pub mod delay;
pub mod fabric;
pub mod fixed;
pub mod neuron;
pub mod probe;
pub mod report;
pub mod stdp;
pub mod synapses;

use std::collections::{BTreeMap, HashMap};

use hw_export::machine::{Chip, Machine};
use hw_export::{map_network, MapOptions, Mapping, RoutingTable};
use sim_core::{Checkpoint, Counters, Network, Observer, Step, StepContext};

use crate::backend::{Backend, BackendError, BackendReport, ReportDetails};

use board::{load, Core, CoreProgram, LifCore, Loaded};
use fabric::{DropReason, Fabric};
use report::{ChipReport, CoreReport, LinkReport, PacketTotals, RunReport, LINK_NAMES};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpinnakerError {
    /// The network cannot run on this backend (a bad input: the message says what is allowed).
    #[error("{0}")]
    Unsupported(String),
    /// The mapping failed.
    #[error("mapping: {0}")]
    Mapping(String),
    /// A recording could not be written.
    #[error("recording: {0}")]
    Io(String),
    /// A model failed while running.
    #[error("{0}")]
    Model(String),
}

sim_core::error_codes! { SpinnakerError {
    Unsupported => "E0701",
    Mapping => "E0702",
    Io => "E0703",
    Model => "E0704",
} }

/// Names a machine: `spinn3`, `spinn5` or `WxH` (multi-board).
pub fn machine_by_name(name: &str) -> Result<Machine, String> {
    match name {
        "spinn5" => Ok(Machine::spinn5()),
        "spinn3" => Ok(Machine::spinn3()),
        other => {
            let parsed = other
                .split_once('x')
                .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)));
            match parsed {
                Some((w, h)) => {
                    Machine::multi_board(w, h).map_err(|e| format!("--machine {other}: {e}"))
                }
                None => Err(format!(
                    "--machine {other}: expected spinn5, spinn3 or WxH (8x8, or multiples of 12)"
                )),
            }
        }
    }
}

/// Per-core counters over the run.
#[derive(Debug, Clone, Default)]
struct CoreStats {
    spikes_sent: u64,
    packets: u64,
    events: u64,
    plastic: u64,
    unmatched: u64,
    /// Packets a delay-extension core sent.
    delayed_sent: u64,
    events_max: u64,
    cycles_sum: f64,
    cycles_max: f64,
    over_budget: u64,
    // This tick.
    tick_sent: u64,
    tick_packets: u64,
    tick_events: u64,
    tick_plastic: u64,
}

/// A network loaded on the emulated board.
pub struct Board {
    pop_names: Vec<String>,
    dt_ms: f64,
    cores: Vec<Core>,
    core_at: HashMap<(Chip, u8), usize>,
    fabric: Fabric,
    mapping: Mapping,
    loaded_shifts: Vec<[u32; neuron::N_RECEPTORS]>,
    plastic_slots: Vec<Option<Vec<board::PlasticSlot>>>,
    quantisation: Vec<board::Quantisation>,
    stats: Vec<CoreStats>,
    link_packets: BTreeMap<(Chip, u8), u64>,
    /// Per source core, the cores the mapping expects its packets at; per key, how many of
    /// them its path misses.
    expected: Vec<Vec<(Chip, u8)>>,
    missing: HashMap<u32, u64>,
    chip_lookups: BTreeMap<Chip, u64>,
    report: RunReport,
    step: Step,
    /// Spikes emitted by every core so far.
    spikes: u64,
    /// Recording: per population, spikes of the current chunk; sampled neurons per population.
    record_spikes: Vec<bool>,
    pending: Vec<(Vec<Step>, Vec<u32>)>,
    samples: Vec<Option<Sampler>>,
}

struct Sampler {
    vars: Vec<usize>,
    /// (core, local index) per recorded neuron.
    at: Vec<(usize, usize)>,
    interval: Step,
    steps: Vec<Step>,
    values: Vec<Vec<f64>>,
}

impl Board {
    /// Maps `net` onto `machine` (hw_export's pipeline) and loads it.
    pub fn new(
        net: &Network,
        machine: &Machine,
        machine_name: &str,
    ) -> Result<Self, SpinnakerError> {
        check_dt(net)?;
        let mapping = map_network(net, machine, &MapOptions::default())
            .map_err(|e| SpinnakerError::Mapping(e.to_string()))?;
        Self::with_mapping(net, mapping, machine_name)
    }

    /// Loads `net` with a given mapping (its `compressed` tables are the ones the routers use).
    pub fn with_mapping(
        net: &Network,
        mapping: Mapping,
        machine_name: &str,
    ) -> Result<Self, SpinnakerError> {
        check_dt(net)?;
        let Loaded {
            cores,
            quantisation,
            plastic_slots,
            shifts,
        } = load(net, &mapping)?;
        let core_at = cores
            .iter()
            .enumerate()
            .map(|(i, c)| ((c.at.chip(), c.at.p), i))
            .collect();
        let fabric = Fabric::new(mapping.machine.clone(), &mapping.compressed);
        let samples = net
            .populations
            .iter()
            .enumerate()
            .map(|(p, pop)| {
                let r = &pop.record;
                (!r.vars.is_empty() && !r.neurons.is_empty()).then(|| Sampler {
                    vars: r.vars.clone(),
                    at: r
                        .neurons
                        .iter()
                        .map(|&n| {
                            let s = mapping.slice_of(p, n).expect("recorded neuron exists");
                            (s, (n - mapping.slices[s].neurons.start) as usize)
                        })
                        .collect(),
                    interval: r.interval.max(1),
                    steps: Vec::new(),
                    values: vec![Vec::new(); r.vars.len()],
                })
            })
            .collect();
        let n = cores.len();
        Ok(Board {
            pop_names: net.populations.iter().map(|p| p.name.clone()).collect(),
            dt_ms: net.grid.dt_ms(),
            stats: vec![CoreStats::default(); n],
            cores,
            core_at,
            fabric,
            loaded_shifts: shifts,
            plastic_slots,
            quantisation,
            link_packets: BTreeMap::new(),
            expected: (0..n)
                .map(|s| {
                    mapping.targets[s]
                        .iter()
                        .map(|&t| (mapping.placements[t].chip(), mapping.placements[t].p))
                        .collect()
                })
                .collect(),
            missing: HashMap::new(),
            chip_lookups: BTreeMap::new(),
            report: RunReport {
                machine: machine_name.to_string(),
                ticks: 0,
                cost_model: MapOptions::default().partition.cost,
                budget_cycles_per_tick: MapOptions::default()
                    .partition
                    .budget_cycles(net.grid.dt_ms()),
                packets: PacketTotals::default(),
                chips: Vec::new(),
                links: Vec::new(),
                cores: Vec::new(),
                cores_missing_real_time: Vec::new(),
                quantisation: Vec::new(),
                ok: true,
            },
            record_spikes: net.populations.iter().map(|p| p.record.spikes).collect(),
            pending: vec![(Vec::new(), Vec::new()); net.populations.len()],
            samples,
            mapping,
            step: 0,
            spikes: 0,
        })
    }

    pub fn mapping(&self) -> &Mapping {
        &self.mapping
    }

    pub fn step(&self) -> Step {
        self.step
    }

    /// Per population and receptor, the ring-buffer left shift in use.
    pub fn shifts(&self) -> &[[u32; neuron::N_RECEPTORS]] {
        &self.loaded_shifts
    }

    /// Replaces the routers' tables (e.g. to inject a fault); paths are recomputed.
    pub fn set_tables(&mut self, tables: &[RoutingTable]) {
        self.fabric = Fabric::new(self.mapping.machine.clone(), tables);
    }

    /// Weights (nA) of a plastic projection, in synapse-list order, as the board stores them
    /// (what reading them back from a board gives: each synapse as of its last pre spike);
    /// `None` for a static projection.
    pub fn plastic_weights(&self, projection: usize) -> Option<Vec<f64>> {
        self.read_plastic(projection, None)
    }

    /// [`Board::plastic_weights`] with the potentiation still pending from post spikes since
    /// each synapse's last pre spike applied: comparable with an engine that updates weights at
    /// every post arrival (the CPU backend).
    pub fn settled_plastic_weights(&self, projection: usize) -> Option<Vec<f64>> {
        self.read_plastic(projection, Some(self.step as u32))
    }

    fn read_plastic(&self, projection: usize, settled: Option<u32>) -> Option<Vec<f64>> {
        let slots = self.plastic_slots.get(projection)?.as_ref()?;
        slots
            .iter()
            .map(|&(c, b, r, k)| match &self.cores[c].program {
                CoreProgram::Lif(lif) => lif.synapses.plastic_weight(b, r, k, settled),
                CoreProgram::Source(_) | CoreProgram::Delay(_) => None,
            })
            .collect()
    }

    /// Runs ticks until `end`, pushing recordings to `obs` every 100 ticks and at the end.
    pub fn run_until(&mut self, end: Step, obs: &mut dyn Observer) -> Result<(), SpinnakerError> {
        const CHUNK: Step = 100;
        let mut spikes: Vec<Vec<u32>> = vec![Vec::new(); self.cores.len()];
        while self.step < end {
            let t = self.step;
            self.tick(t, &mut spikes)?;
            self.step += 1;
            if self.step.is_multiple_of(CHUNK) || self.step == end {
                self.flush(obs)?;
            }
        }
        Ok(())
    }

    fn tick(&mut self, t: Step, spikes: &mut [Vec<u32>]) -> Result<(), SpinnakerError> {
        let t32 = t as u32;
        // 1. Neuron updates.
        for (c, core) in self.cores.iter_mut().enumerate() {
            let out = &mut spikes[c];
            out.clear();
            match &mut core.program {
                CoreProgram::Lif(lif) => {
                    let LifCore {
                        neurons,
                        synapses,
                        input,
                    } = &mut **lif;
                    synapses.transfer(t32, input);
                    neurons.tick(input, out);
                    synapses.post_spikes(t32, out);
                }
                CoreProgram::Source(kernel) => {
                    let ctx = StepContext {
                        step: t,
                        dt_ms: self.dt_ms,
                    };
                    // Sources have no receptors: their input is empty.
                    kernel.update(&ctx, &mut [], out).map_err(|e| {
                        SpinnakerError::Model(format!("population {}: {e}", core.pop))
                    })?;
                }
                CoreProgram::Delay(delay) => {
                    // Re-emitted spikes are packets, not spikes of a population.
                    delay.tick(t32, out);
                    self.stats[c].tick_sent += out.len() as u64;
                    continue;
                }
            }
            self.spikes += out.len() as u64;
            if self.record_spikes[core.pop] {
                let (st, ns) = &mut self.pending[core.pop];
                st.extend(std::iter::repeat_n(t, out.len()));
                ns.extend(out.iter().map(|&i| i + core.neurons.start));
            }
        }
        for s in self.samples.iter_mut() {
            let Some(s) = s else { continue };
            if !t.is_multiple_of(s.interval) {
                continue;
            }
            s.steps.push(t);
            for (v, &var) in s.vars.iter().enumerate() {
                for &(c, i) in &s.at {
                    let x = match &self.cores[c].program {
                        CoreProgram::Lif(lif) => match var {
                            0 => lif.neurons.v[i].to_f64(),
                            1 => lif.neurons.isyn[0][i].to_f64(),
                            _ => lif.neurons.isyn[1][i].to_f64(),
                        },
                        CoreProgram::Source(_) | CoreProgram::Delay(_) => f64::NAN,
                    };
                    s.values[v].push(x);
                }
            }
        }
        // 2. Packets.
        for (c, fired) in spikes.iter().enumerate() {
            if fired.is_empty() || !self.cores[c].sends {
                continue;
            }
            let (chip, key, mask) = (
                self.cores[c].at.chip(),
                self.cores[c].key,
                self.cores[c].mask,
            );
            self.stats[c].spikes_sent += fired.len() as u64;
            for &n in fired {
                let key = key | (n & !mask);
                self.report.packets.sent += 1;
                let path = self.fabric.route(chip, key);
                for &l in &path.links {
                    *self.link_packets.entry(l).or_default() += 1;
                }
                for &ch in &path.lookups {
                    *self.chip_lookups.entry(ch).or_default() += 1;
                }
                let expected = &self.expected[c];
                let missing = *self.missing.entry(key).or_insert_with(|| {
                    expected.iter().filter(|e| !path.cores.contains(e)).count() as u64
                });
                self.report.packets.undelivered += missing;
                for &(_, r) in &path.drops {
                    self.report.add_drop(r);
                }
                for dest in &path.cores {
                    let Some(&d) = self.core_at.get(dest) else {
                        self.report.add_drop(DropReason::NoSuchCore);
                        continue;
                    };
                    self.report.packets.delivered += 1;
                    let st = &mut self.stats[d];
                    st.tick_packets += 1;
                    match &mut self.cores[d].program {
                        CoreProgram::Lif(lif) => {
                            let o = lif.synapses.receive(key, t32);
                            st.tick_events += o.synaptic_events;
                            st.tick_plastic += o.plastic_events;
                            if o.unmatched {
                                st.unmatched += 1;
                                self.report.packets.unmatched += 1;
                            }
                        }
                        CoreProgram::Delay(delay) => {
                            if !delay.receive(key, t32) {
                                st.unmatched += 1;
                                self.report.packets.unmatched += 1;
                            }
                        }
                        CoreProgram::Source(_) => {
                            st.unmatched += 1;
                            self.report.packets.unmatched += 1;
                        }
                    }
                }
            }
        }
        // 3. Load of this tick.
        let cost = &self.report.cost_model;
        for (c, st) in self.stats.iter_mut().enumerate() {
            let n = self.cores[c].n_neurons() as f64;
            let stat = st.tick_events - st.tick_plastic;
            let cycles = match self.cores[c].program {
                CoreProgram::Delay(_) => {
                    n * cost.delay_neuron_cycles
                        + (st.tick_packets + st.tick_sent) as f64 * cost.delay_packet_cycles
                }
                _ => {
                    n * cost.neuron_update_cycles
                        + st.tick_packets as f64 * cost.spike_overhead_cycles
                        + stat as f64 * cost.static_event_cycles
                        + st.tick_plastic as f64 * cost.plastic_event_cycles
                }
            };
            st.cycles_sum += cycles;
            st.cycles_max = st.cycles_max.max(cycles);
            if cycles > self.report.budget_cycles_per_tick {
                st.over_budget += 1;
            }
            st.packets += st.tick_packets;
            st.delayed_sent += st.tick_sent;
            st.events += st.tick_events;
            st.plastic += st.tick_plastic;
            st.events_max = st.events_max.max(st.tick_events);
            st.tick_packets = 0;
            st.tick_sent = 0;
            st.tick_events = 0;
            st.tick_plastic = 0;
        }
        Ok(())
    }

    fn flush(&mut self, obs: &mut dyn Observer) -> Result<(), SpinnakerError> {
        let io = |e: std::io::Error| SpinnakerError::Io(e.to_string());
        for (p, (st, ns)) in self.pending.iter_mut().enumerate() {
            if st.is_empty() {
                continue;
            }
            // Slices of a population are in neuron order, so each tick's spikes are sorted;
            // sort anyway by (step, neuron) in case a population spans cores out of order.
            let mut pairs: Vec<(Step, u32)> = st.iter().copied().zip(ns.iter().copied()).collect();
            pairs.sort_unstable();
            let (a, b): (Vec<Step>, Vec<u32>) = pairs.into_iter().unzip();
            obs.spikes(p, &a, &b).map_err(io)?;
            st.clear();
            ns.clear();
        }
        for (p, s) in self.samples.iter_mut().enumerate() {
            let Some(s) = s else { continue };
            if s.steps.is_empty() {
                continue;
            }
            for (v, &var) in s.vars.iter().enumerate() {
                // values[v]: one row per step, one column per recorded neuron.
                obs.samples(p, var, &s.steps, &s.values[v]).map_err(io)?;
                s.values[v].clear();
            }
            s.steps.clear();
        }
        obs.chunk_done(self.step).map_err(io)
    }

    /// The report of the run so far.
    pub fn report(&self) -> RunReport {
        let mut r = self.report.clone();
        r.ticks = self.step;
        let sizes = self.fabric.table_sizes();
        r.chips = self
            .mapping
            .compressed
            .iter()
            .zip(&self.mapping.tables)
            .map(|(c, u)| ChipReport {
                x: c.x,
                y: c.y,
                router_entries: sizes.get(&(c.x, c.y)).copied().unwrap_or(0),
                uncompressed_entries: u.len(),
                capacity: self.mapping.machine.router_entries((c.x, c.y)),
                lookups_matched: self.chip_lookups.get(&(c.x, c.y)).copied().unwrap_or(0),
            })
            .collect();
        r.links = self
            .link_packets
            .iter()
            .map(|(&((x, y), l), &n)| LinkReport {
                x,
                y,
                link: l,
                direction: LINK_NAMES[l as usize],
                packets: n,
            })
            .collect();
        let ticks = self.step.max(1) as f64;
        r.cores = self
            .cores
            .iter()
            .zip(&self.stats)
            .map(|(c, s)| CoreReport {
                x: c.at.x,
                y: c.at.y,
                p: c.at.p,
                population: self.pop_names[c.pop].clone(),
                kind: match c.program {
                    CoreProgram::Delay(_) => "delay_extension",
                    _ => "neuron",
                },
                neurons: [c.neurons.start, c.neurons.end],
                packets_sent_delayed: s.delayed_sent,
                neuron_updates_per_tick: c.n_neurons(),
                spikes_sent: s.spikes_sent,
                packets_received: s.packets,
                synaptic_events: s.events,
                plastic_events: s.plastic,
                synaptic_events_per_tick_mean: s.events as f64 / ticks,
                synaptic_events_per_tick_max: s.events_max,
                cycles_per_tick_mean: s.cycles_sum / ticks,
                cycles_per_tick_max: s.cycles_max,
                peak_load: s.cycles_max / r.budget_cycles_per_tick,
                ticks_over_budget: s.over_budget,
                unmatched_packets: s.unmatched,
                ring_saturations: match &c.program {
                    CoreProgram::Lif(lif) => lif.synapses.saturations,
                    CoreProgram::Source(_) | CoreProgram::Delay(_) => 0,
                },
            })
            .collect();
        r.cores_missing_real_time = r
            .cores
            .iter()
            .filter(|c| c.ticks_over_budget > 0)
            .map(|c| {
                format!(
                    "({},{},{}) {} [{}, {})",
                    c.x, c.y, c.p, c.population, c.neurons[0], c.neurons[1]
                )
            })
            .collect();
        r.quantisation = self.quantisation.clone();
        r.ok = r.packets.dropped == 0 && r.packets.unmatched == 0 && r.packets.undelivered == 0;
        r
    }
}

/// The board as a backend: it runs at its own dt (1 ms, other networks are refused when
/// loaded) and keeps no checkpoints.
impl Backend for Board {
    fn step(&self) -> Step {
        self.step
    }

    fn run_until(&mut self, end: Step, observer: &mut dyn Observer) -> Result<(), BackendError> {
        Ok(Board::run_until(self, end, observer)?)
    }

    fn counters(&self) -> Counters {
        Counters {
            spikes: self.spikes,
            synaptic_events: self.stats.iter().map(|s| s.events).sum(),
        }
    }

    /// Settled: comparable with the CPU backend's (see [`Board::settled_plastic_weights`]).
    fn plastic_weights(&self, projection: usize) -> Option<Vec<f64>> {
        self.settled_plastic_weights(projection)
    }

    fn checkpoint(&self) -> Option<Checkpoint> {
        None
    }

    fn restore(&mut self, _: &Checkpoint) -> Result<(), BackendError> {
        Err(SpinnakerError::Unsupported(
            "the SpiNNaker backend keeps no checkpoints; resume on the cpu backend".into(),
        )
        .into())
    }

    fn stamps_at_emission(&self) -> bool {
        true
    }

    fn report(&self) -> BackendReport {
        let r = Board::report(self);
        let mut facts = BTreeMap::new();
        facts.insert("machine".into(), r.machine.clone().into());
        facts.insert("packets_dropped".into(), r.packets.dropped.into());
        facts.insert("packets_unmatched".into(), r.packets.unmatched.into());
        facts.insert("packets_undelivered".into(), r.packets.undelivered.into());
        facts.insert(
            "cores_missing_real_time".into(),
            r.cores_missing_real_time.len().into(),
        );
        let failure = (!r.ok).then(|| {
            format!(
                "{} packets dropped, {} unmatched and {} copies undelivered on the board",
                r.packets.dropped, r.packets.unmatched, r.packets.undelivered
            )
        });
        BackendReport {
            ranks: 1,
            backend: "spinnaker",
            threads: 1,
            machine: Some(r.machine.clone()),
            details: Some(ReportDetails {
                file: "spinnaker_report.json",
                contents: serde_json::to_string_pretty(&r).expect("the report is plain data"),
                summary: r.summary(),
                facts,
                failure,
            }),
        }
    }
}

/// sPyNNaker's machine time step is a whole number of microseconds (100 for dt = 0.1 ms).
fn check_dt(net: &Network) -> Result<(), SpinnakerError> {
    let dt = net.grid.dt_ms();
    let us = dt * 1000.0;
    if !(us >= 1.0 && (us - us.round()).abs() < 1e-9) {
        return Err(SpinnakerError::Unsupported(format!(
            "dt = {dt} ms: the SpiNNaker backend's timer tick (sPyNNaker's machine_time_step) is a whole number of microseconds, at least 1; use e.g. dt = 1.0 or 0.1"
        )));
    }
    Ok(())
}
