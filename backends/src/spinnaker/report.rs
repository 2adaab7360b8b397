//! The run report: router entries per chip, packets per link, per-core load per tick against the
//! real-time budget, dropped and unmatched packets. Written as `spinnaker_report.json` and
//! summarised on stderr.
//!
//! Cost model: cycles of a core in one tick =
//! `neurons × neuron_update + packets received × spike_overhead + static events × static_event +
//! plastic events × plastic_event`, for a delay-extension core
//! `neurons × delay_neuron + (packets received + sent) × delay_packet`, with the constants of
//! `hw_export::partition::CostModel` (the same ones the export's real-time load estimate uses),
//! against `budget_cycles_per_tick = 200 MHz × dt` (200,000 at 1 ms, 20,000 at 0.1 ms). A core
//! "misses real time" in a tick whose estimate exceeds the budget.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use hw_export::partition::CostModel;
use serde::Serialize;

use super::board::Quantisation;
use super::fabric::DropReason;

pub const LINK_NAMES: [&str; 6] = ["E", "NE", "N", "W", "SW", "S"];

#[derive(Debug, Clone, Serialize)]
pub struct ChipReport {
    pub x: u32,
    pub y: u32,
    /// Entries of the table loaded (compressed) and before compression.
    pub router_entries: usize,
    pub uncompressed_entries: usize,
    pub capacity: usize,
    /// Packets that matched an entry here (the rest passing through were default-routed).
    pub lookups_matched: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LinkReport {
    pub x: u32,
    pub y: u32,
    pub link: u8,
    pub direction: &'static str,
    pub packets: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CoreReport {
    pub x: u32,
    pub y: u32,
    pub p: u8,
    /// For a delay-extension core, its source's population.
    pub population: String,
    /// "neuron" (a neuron or spike-source slice) or "delay_extension".
    pub kind: &'static str,
    pub neurons: [u32; 2],
    /// Packets a delay-extension core re-emitted (0 for other cores).
    pub packets_sent_delayed: u64,
    pub neuron_updates_per_tick: u32,
    pub spikes_sent: u64,
    pub packets_received: u64,
    pub synaptic_events: u64,
    pub plastic_events: u64,
    pub synaptic_events_per_tick_mean: f64,
    pub synaptic_events_per_tick_max: u64,
    pub cycles_per_tick_mean: f64,
    pub cycles_per_tick_max: f64,
    /// `cycles_per_tick_max / budget`.
    pub peak_load: f64,
    pub ticks_over_budget: u64,
    /// Packets whose key matched no row on this core.
    pub unmatched_packets: u64,
    /// Ring-buffer additions that saturated at 0xFFFF.
    pub ring_saturations: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PacketTotals {
    pub sent: u64,
    pub delivered: u64,
    pub dropped: u64,
    pub dropped_by_reason: BTreeMap<String, u64>,
    /// Packets that reached a core whose population table has no row for their key.
    pub unmatched: u64,
    /// Copies the mapping expected at a target core that the routers never delivered there.
    pub undelivered: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub machine: String,
    pub ticks: u64,
    pub cost_model: CostModel,
    /// Cycles a core has per tick in real time (200 MHz × dt).
    pub budget_cycles_per_tick: f64,
    pub packets: PacketTotals,
    pub chips: Vec<ChipReport>,
    pub links: Vec<LinkReport>,
    pub cores: Vec<CoreReport>,
    /// Cores (x, y, p: population) that exceeded the budget in at least one tick.
    pub cores_missing_real_time: Vec<String>,
    pub quantisation: Vec<Quantisation>,
    /// No packet was dropped, unmatched or undelivered.
    pub ok: bool,
}

impl RunReport {
    pub fn add_drop(&mut self, r: DropReason) {
        self.packets.dropped += 1;
        let name = serde_json::to_value(r)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        *self.packets.dropped_by_reason.entry(name).or_default() += 1;
    }

    /// A few lines for stderr.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let p = &self.packets;
        let _ = writeln!(
            s,
            "spinnaker ({}): {} ticks, {} packets sent, {} delivered, {} dropped, {} unmatched, {} undelivered",
            self.machine, self.ticks, p.sent, p.delivered, p.dropped, p.unmatched, p.undelivered
        );
        let entries: usize = self.chips.iter().map(|c| c.router_entries).sum();
        let max_entries = self
            .chips
            .iter()
            .map(|c| c.router_entries)
            .max()
            .unwrap_or(0);
        let busiest = self.links.iter().max_by_key(|l| l.packets);
        let _ = writeln!(
            s,
            "  routers: {} chips with tables, {entries} entries in all, largest {max_entries}; links: {} used{}",
            self.chips.len(),
            self.links.len(),
            busiest
                .map(|l| format!(", busiest ({},{}) {} with {} packets", l.x, l.y, l.direction, l.packets))
                .unwrap_or_default()
        );
        if let Some(c) = self
            .cores
            .iter()
            .max_by(|a, b| a.peak_load.total_cmp(&b.peak_load))
        {
            let _ = writeln!(
                s,
                "  cores: {} used; peak load {:.1} % of {} cycles/tick on ({},{},{}) {}; {} miss real time",
                self.cores.len(),
                100.0 * c.peak_load,
                self.budget_cycles_per_tick,
                c.x,
                c.y,
                c.p,
                c.population,
                self.cores_missing_real_time.len()
            );
        }
        for (reason, n) in &p.dropped_by_reason {
            let _ = writeln!(s, "  dropped: {n} ({reason})");
        }
        s
    }
}
