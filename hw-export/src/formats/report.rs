//! The resource and quantisation report: boards, chips and cores (neuron and delay-extension
//! cores), SDRAM and router entries per chip (the largest table before and after compression);
//! per-core real-time budget and the cores that miss it; weights that sPyNNaker's 16-bit fixed
//! point rounds to 0 or saturates; delays through delay extensions; each problem with a suggested
//! fix. Written as JSON and as readable text.

use crate::delays::ROW_MAX_DELAY;
use crate::formats::placements_json::slice_label;
use crate::mapping::{MapOptions, Mapping};
use crate::quantise::{plastic_w_max, weight_unit, FixedWeight, Rounding, WeightScaling};
use serde::Serialize;
use sim_core::Network;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

/// Chips of one SpiNN-5 board.
pub const CHIPS_PER_BOARD: usize = 48;
/// Fractional bits of S16.15 (`accum`).
const ACCUM_FRAC_BITS: i32 = 15;

#[derive(Clone, Debug, Serialize)]
pub struct Problem {
    /// "error" (will not run as exported), "warning" (runs, differs from engram) or "info".
    pub severity: &'static str,
    pub kind: &'static str,
    /// Which population, projection, chip or core.
    pub location: String,
    pub detail: String,
    pub fix: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChipRow {
    pub x: u32,
    pub y: u32,
    pub cores_used: usize,
    pub app_cores: u8,
    pub sdram_bytes: u64,
    pub sdram_capacity: u64,
    pub entries: usize,
    pub compressed: usize,
    pub router_capacity: usize,
    pub method: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct CoreRow {
    pub label: String,
    /// "neuron" (a neuron or spike-source slice) or "delay_extension".
    pub kind: &'static str,
    pub x: u32,
    pub y: u32,
    pub p: u8,
    pub neurons: u32,
    pub incoming_synapses: u64,
    pub sdram_bytes: u64,
    pub dtcm_bytes: u64,
    /// Per time step at the assumed rate: packets received and sent, synaptic events.
    pub packets_in_per_tick: f64,
    pub packets_out_per_tick: f64,
    pub events_per_tick: f64,
    pub cycles_per_tick: f64,
    /// `cycles_per_tick` over the cycles a time step has; above 1 the core misses real time.
    pub load: f64,
}

/// A core whose estimated time step does not fit the real-time budget.
#[derive(Clone, Debug, Serialize)]
pub struct RealTimeRow {
    pub label: String,
    pub kind: &'static str,
    pub x: u32,
    pub y: u32,
    pub p: u8,
    pub cycles_per_tick: f64,
    pub budget_cycles: f64,
    pub load: f64,
    /// How much longer than the time step the core takes: `load − 1` (0.25 = 25 % over).
    pub over_by: f64,
}

/// Weight representation of one projection on the board ([`crate::quantise`], the rule the
/// emulated board loads).
#[derive(Clone, Debug, Serialize)]
pub struct WeightRow {
    pub projection: String,
    pub post: String,
    pub receptor: String,
    /// Ring-buffer left shift of (post population, receptor), from sPyNNaker's bound on the
    /// input one ring-buffer slot is expected to hold.
    pub shift: u32,
    /// Weight of one 16-bit unit, `2^(shift - 15)`.
    pub lsb: f64,
    /// A plastic projection's w_max, counted for the shift instead of its weights.
    pub plastic_w_max: Option<f64>,
    pub synapses: usize,
    pub rounded_to_zero: usize,
    pub saturated: usize,
    /// Largest |w_board - w| / |w| over nonzero weights.
    pub max_relative_error: f64,
    /// Every distinct weight with its 16-bit value, when there are at most
    /// [`MAX_LISTED_WEIGHTS`]; empty otherwise.
    pub values: Vec<WeightValue>,
}

/// Distinct weights a projection may have for the report to list them.
pub const MAX_LISTED_WEIGHTS: usize = 16;

/// One distinct weight of a projection and how the board stores it.
#[derive(Clone, Debug, Serialize)]
pub struct WeightValue {
    pub weight: f64,
    /// `rint(|weight| / lsb)`, saturated at 65535.
    pub units: u16,
    pub synapses: usize,
}

/// The ring-buffer left shift of one receptor on one core.
#[derive(Clone, Debug, Serialize)]
pub struct ShiftRow {
    pub label: String,
    pub x: u32,
    pub y: u32,
    pub p: u8,
    pub receptor: String,
    pub shift: u32,
    pub lsb: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct DelayRow {
    pub projection: String,
    pub max_delay_steps: u16,
    /// Synapses longer than a row's 16 steps, delivered through the pre population's delay
    /// extension.
    pub beyond_ring_buffer: usize,
    /// Stages of the pre population's delay extension (0 = none).
    pub delay_stages: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub machine: String,
    /// SpiNN-5 boards in the machine (48 chips each; 0 for smaller machines).
    pub boards_in_machine: usize,
    /// Boards the used chips need at least (`ceil(chips_used / 48)`).
    pub boards_needed: usize,
    pub chips_in_machine: usize,
    pub chips_used: usize,
    /// Neuron cores plus delay-extension cores.
    pub cores_used: usize,
    pub neuron_cores: usize,
    pub delay_extension_cores: usize,
    pub app_cores_in_machine: usize,
    pub entries_uncompressed: usize,
    pub entries_compressed: usize,
    /// The largest table before compression.
    pub max_table_uncompressed: usize,
    /// The largest table after compression.
    pub max_table: usize,
    pub tables_over_capacity: usize,
    pub verified: bool,
    pub keys_verified: usize,
    pub verification_failures: Vec<String>,
    pub dt_ms: f64,
    pub time_scale_factor: u32,
    /// Cycles a core has per time step (`200 MHz · dt · time_scale_factor`).
    pub budget_cycles_per_tick: f64,
    /// The firing rate the loads assume for every source (Hz).
    pub assumed_rate_hz: f64,
    pub max_core_load: f64,
    pub cores_missing_real_time: usize,
    pub compression_seconds: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub summary: Summary,
    pub problems: Vec<Problem>,
    pub chips: Vec<ChipRow>,
    pub cores: Vec<CoreRow>,
    /// The cores that miss real time, worst first.
    pub real_time: Vec<RealTimeRow>,
    pub weights: Vec<WeightRow>,
    /// Per core and receptor: the left shift (every core of a population has its population's).
    pub shifts: Vec<ShiftRow>,
    pub delays: Vec<DelayRow>,
}

fn receptor_name(net: &Network, pop: usize, receptor: usize) -> String {
    net.populations[pop]
        .model
        .receptors()
        .get(receptor)
        .unwrap_or(&"?")
        .to_string()
}

fn weight_rows(
    net: &Network,
    scaling: &WeightScaling,
    proj_names: &[String],
    pop_names: &[String],
) -> Vec<WeightRow> {
    net.projections
        .iter()
        .enumerate()
        .map(|(i, proj)| {
            let shift = scaling.shift(proj.post, proj.receptor);
            let mut rounding = Rounding::default();
            let mut distinct: HashMap<u64, (f64, FixedWeight, usize)> = HashMap::new();
            for (_, _, w, _) in proj.synapses.iter() {
                let fixed = scaling.quantise(proj, w);
                rounding.add(w, fixed, shift);
                if distinct.len() <= MAX_LISTED_WEIGHTS || distinct.contains_key(&w.to_bits()) {
                    distinct.entry(w.to_bits()).or_insert((w, fixed, 0)).2 += 1;
                }
            }
            let mut values: Vec<WeightValue> = if distinct.len() <= MAX_LISTED_WEIGHTS {
                distinct
                    .into_values()
                    .map(|(weight, fixed, synapses)| WeightValue {
                        weight,
                        units: fixed.units,
                        synapses,
                    })
                    .collect()
            } else {
                Vec::new()
            };
            values.sort_by(|a, b| a.weight.total_cmp(&b.weight));
            WeightRow {
                projection: proj_names[i].clone(),
                post: pop_names[proj.post].clone(),
                receptor: receptor_name(net, proj.post, proj.receptor),
                shift,
                lsb: weight_unit(shift),
                plastic_w_max: plastic_w_max(proj),
                synapses: proj.synapses.len(),
                rounded_to_zero: rounding.rounded_to_zero as usize,
                saturated: rounding.saturated as usize,
                max_relative_error: rounding.max_relative_error,
                values,
            }
        })
        .collect()
}

fn shift_rows(
    net: &Network,
    scaling: &WeightScaling,
    pop_names: &[String],
    mapping: &Mapping,
) -> Vec<ShiftRow> {
    let mut rows = Vec::new();
    for (s, slice) in mapping.slices.iter().enumerate() {
        let c = mapping.placements[s];
        for r in 0..net.populations[slice.pop].model.receptors().len() {
            let shift = scaling.shift(slice.pop, r);
            rows.push(ShiftRow {
                label: slice_label(pop_names, mapping, s),
                x: c.x,
                y: c.y,
                p: c.p,
                receptor: receptor_name(net, slice.pop, r),
                shift,
                lsb: weight_unit(shift),
            });
        }
    }
    rows
}

/// The PyNN parameters of a neuron of a PyNN standard cell type, as (name, value) sorted by
/// name; `None` for other models and for spike sources.
pub fn cell_parameters(model: &dyn sim_core::PopulationModel) -> Option<Vec<(String, f64)>> {
    let d = model.describe();
    if !d.pynn_standard || d.kind != sim_core::ModelKind::Neuron {
        return None;
    }
    let mut params: Vec<(String, f64)> = d
        .parameters
        .iter()
        .map(|q| (q.name.to_string(), q.value))
        .collect();
    params.sort_by(|a, b| a.0.cmp(&b.0));
    Some(params)
}

/// Build the report.
pub fn build_report(
    net: &Network,
    pop_names: &[String],
    proj_names: &[String],
    mapping: &Mapping,
    opts: &MapOptions,
    machine_name: &str,
) -> Report {
    let m = &mapping.machine;
    let dt = net.grid.dt_ms();
    let tsf = opts.partition.time_scale_factor(dt);
    let mut problems = Vec::new();
    let mut per_chip: BTreeMap<(u32, u32), (usize, u64)> = BTreeMap::new();
    for (s, c) in mapping.placements.iter().enumerate() {
        let e = per_chip.entry(c.chip()).or_default();
        e.0 += 1;
        e.1 += mapping.resources[s].sdram_bytes;
    }
    let mut chips = Vec::new();
    let chip_keys: std::collections::BTreeSet<(u32, u32)> = per_chip
        .keys()
        .copied()
        .chain(mapping.tables.iter().map(|t| (t.x, t.y)))
        .collect();
    for chip in chip_keys {
        let (cores_used, sdram) = per_chip.get(&chip).copied().unwrap_or_default();
        let ti = mapping.tables.iter().position(|t| (t.x, t.y) == chip);
        let info = m.chip(chip).expect("mapped chips are live");
        let row = ChipRow {
            x: chip.0,
            y: chip.1,
            cores_used,
            app_cores: m.app_cores(chip),
            sdram_bytes: sdram,
            sdram_capacity: info.sdram,
            entries: ti.map_or(0, |i| mapping.tables[i].len()),
            compressed: ti.map_or(0, |i| mapping.compressed[i].len()),
            router_capacity: info.router_entries,
            method: ti.map_or(String::new(), |i| mapping.compression[i].method.to_string()),
        };
        if row.compressed > row.router_capacity {
            problems.push(Problem {
                severity: "error",
                kind: "router_table_over_capacity",
                location: format!("chip ({}, {})", chip.0, chip.1),
                detail: format!(
                    "{} entries after compression ({} before), the router holds {}",
                    row.compressed, row.entries, row.router_capacity
                ),
                fix: "spread the populations routed through this chip over more chips (a larger \
                      machine), or merge populations so fewer keys pass through it"
                    .into(),
            });
        }
        chips.push(row);
    }
    let cores: Vec<CoreRow> = (0..mapping.n_vertices())
        .map(|s| {
            let r = &mapping.resources[s];
            let c = mapping.placements[s];
            CoreRow {
                label: slice_label(pop_names, mapping, s),
                kind: if mapping.delay_slice(s).is_some() {
                    "delay_extension"
                } else {
                    "neuron"
                },
                x: c.x,
                y: c.y,
                p: c.p,
                neurons: r.neurons,
                incoming_synapses: r.incoming_synapses,
                sdram_bytes: r.sdram_bytes,
                dtcm_bytes: r.dtcm_bytes,
                packets_in_per_tick: r.packets_in_per_tick,
                packets_out_per_tick: r.packets_out_per_tick,
                events_per_tick: r.events_per_tick,
                cycles_per_tick: r.cycles_per_tick,
                load: r.load,
            }
        })
        .collect();
    let max_load = cores.iter().map(|c| c.load).fold(0.0, f64::max);
    let budget = opts.partition.budget_cycles(dt);
    let mut real_time: Vec<RealTimeRow> = cores
        .iter()
        .filter(|c| c.load > 1.0)
        .map(|c| RealTimeRow {
            label: c.label.clone(),
            kind: c.kind,
            x: c.x,
            y: c.y,
            p: c.p,
            cycles_per_tick: c.cycles_per_tick,
            budget_cycles: budget,
            load: c.load,
            over_by: c.load - 1.0,
        })
        .collect();
    real_time.sort_by(|a, b| b.load.total_cmp(&a.load));
    // One warning per population (and per delay extension): how many of its cores miss real
    // time and the worst of them.
    let mut missing: BTreeMap<String, (usize, usize, &RealTimeRow)> = BTreeMap::new();
    for r in &real_time {
        let group = r.label.split(':').next().unwrap_or("").to_string();
        let n_group = cores
            .iter()
            .filter(|c| c.label.split(':').next() == Some(group.as_str()))
            .count();
        let e = missing.entry(group).or_insert((0, n_group, r));
        e.0 += 1;
    }
    for (group, (n, of, worst)) in &missing {
        problems.push(Problem {
            severity: "warning",
            kind: "not_real_time",
            location: format!("{group}: {n} of {of} cores"),
            detail: format!(
                "at {} Hz input the worst core ({}, {}, {}) {} needs {:.0} cycles per step, \
                 {:.0} available: {:.0} % over",
                opts.partition.assumed_rate_hz,
                worst.x,
                worst.y,
                worst.p,
                worst.label,
                worst.cycles_per_tick,
                budget,
                worst.over_by * 100.0
            ),
            fix: format!(
                "set time_scale_factor >= {} (sim.setup(..., time_scale_factor=N)), or fewer \
                 neurons per core (sim.set_number_of_neurons_per_core)",
                worst.load.ceil() as u32 * tsf
            ),
        });
    }
    if (dt - 1.0).abs() > 1e-12 {
        problems.push(Problem {
            severity: "info",
            kind: "timestep",
            location: "network".into(),
            detail: format!(
                "dt = {dt} ms: machine time step {:.0} us, time_scale_factor {tsf}, so each step \
                 has {:.0} cycles",
                dt * 1000.0,
                opts.partition.budget_cycles(dt)
            ),
            fix: "none needed; give --time-scale-factor to run slower than real time".into(),
        });
    }
    for (p, pop) in net.populations.iter().enumerate() {
        if pop.model.spike_stamp_offset() == 1 {
            problems.push(Problem {
                severity: "warning",
                kind: "integration",
                location: format!("population {}", pop_names[p]),
                detail: format!(
                    "integrated with NEST's exact propagators here; sPyNNaker integrates \
                     {} its own way (input before the membrane update, S16.15), so spike \
                     times differ",
                    pop.model.type_name()
                ),
                fix: "set integration = \"spynnaker\" in the model file to simulate what the \
                      board computes"
                    .into(),
            });
        }
        if let Some(params) = cell_parameters(pop.model.as_ref()) {
            let unit = 2f64.powi(-ACCUM_FRAC_BITS);
            for (k, v) in params {
                if v != 0.0 && v.abs() < unit / 2.0 {
                    problems.push(Problem {
                        severity: "warning",
                        kind: "parameter_rounds_to_zero",
                        location: format!("population {} parameter {k}", pop_names[p]),
                        detail: format!("{v} is below half an S16.15 unit ({unit:e})"),
                        fix: "rescale units (e.g. nA -> pA with matching weights)".into(),
                    });
                } else if v.abs() >= 65536.0 {
                    problems.push(Problem {
                        severity: "error",
                        kind: "parameter_saturates",
                        location: format!("population {} parameter {k}", pop_names[p]),
                        detail: format!("{v} exceeds the S16.15 range (+-65536)"),
                        fix: "rescale the parameter's units".into(),
                    });
                }
            }
        }
    }
    let scaling = WeightScaling::of(net);
    let weights = weight_rows(net, &scaling, proj_names, pop_names);
    let shifts = shift_rows(net, &scaling, pop_names, mapping);
    for w in &weights {
        if w.rounded_to_zero > 0 {
            problems.push(Problem {
                severity: "warning",
                kind: "weight_rounds_to_zero",
                location: format!("projection {}", w.projection),
                detail: format!(
                    "{} of {} weights are below half a 16-bit unit ({:e}; the {} input of {} \
                     has left shift {}, for the largest input sPyNNaker expects in one step)",
                    w.rounded_to_zero, w.synapses, w.lsb, w.receptor, w.post, w.shift
                ),
                fix: "move the large and the small weights onto different receptors or \
                      populations, or scale weights up (and the cell's cm/tau accordingly)"
                    .into(),
            });
        }
        if w.max_relative_error > 0.01 {
            problems.push(Problem {
                severity: "info",
                kind: "weight_precision",
                location: format!("projection {}", w.projection),
                detail: format!(
                    "16-bit weights of {:e} per unit change some weights by up to {:.1} %",
                    w.lsb,
                    w.max_relative_error * 100.0
                ),
                fix: "keep weights of very different size on different receptors; the unit \
                      follows the largest input the receptor is expected to sum in one step"
                    .into(),
            });
        }
        if w.saturated > 0 {
            problems.push(Problem {
                severity: "error",
                kind: "weight_saturates",
                location: format!("projection {}", w.projection),
                detail: format!("{} weights exceed 65535 units of {:e}", w.saturated, w.lsb),
                fix: "reduce the weights".into(),
            });
        }
    }
    let delays: Vec<DelayRow> = net
        .projections
        .iter()
        .enumerate()
        .map(|(i, proj)| DelayRow {
            projection: proj_names[i].clone(),
            max_delay_steps: proj.synapses.max_delay(),
            beyond_ring_buffer: if proj.synapses.max_delay() as u32 > ROW_MAX_DELAY {
                proj.synapses
                    .iter()
                    .filter(|s| s.3 as u32 > ROW_MAX_DELAY)
                    .count()
            } else {
                0
            },
            delay_stages: mapping.delay_stages[proj.pre],
        })
        .collect();
    for (p, &stages) in mapping.delay_stages.iter().enumerate() {
        if stages == 0 {
            continue;
        }
        let n_cores = mapping
            .delay_slices
            .iter()
            .filter(|d| mapping.slices[d.source].pop == p)
            .count();
        problems.push(Problem {
            severity: "info",
            kind: "delay_extension",
            location: format!("population {}", pop_names[p]),
            detail: format!(
                "delays above {ROW_MAX_DELAY} steps go through a delay extension of {stages} \
                 stages ({} steps) on {n_cores} cores",
                stages * ROW_MAX_DELAY
            ),
            fix: "none needed; delays <= 16 steps need no extension".into(),
        });
    }
    let (before, after, max) = mapping.entry_counts();
    let app_cores_in_machine = m.chips().map(|(&c, _)| m.app_cores(c) as usize).sum();
    let chips_used = mapping.used_chips().len();
    let summary = Summary {
        machine: machine_name.to_string(),
        boards_in_machine: m.n_chips() / CHIPS_PER_BOARD,
        boards_needed: chips_used.div_ceil(CHIPS_PER_BOARD),
        chips_in_machine: m.n_chips(),
        chips_used,
        cores_used: mapping.n_vertices(),
        neuron_cores: mapping.slices.len(),
        delay_extension_cores: mapping.delay_slices.len(),
        app_cores_in_machine,
        entries_uncompressed: before,
        entries_compressed: after,
        max_table_uncompressed: mapping.tables.iter().map(|t| t.len()).max().unwrap_or(0),
        max_table: max,
        tables_over_capacity: mapping.compression.iter().filter(|r| !r.fits).count(),
        verified: mapping.ok(),
        keys_verified: mapping.verification.n_sources,
        verification_failures: mapping
            .verification
            .failures
            .iter()
            .take(20)
            .map(|f| f.to_string())
            .collect(),
        dt_ms: dt,
        time_scale_factor: tsf,
        budget_cycles_per_tick: budget,
        assumed_rate_hz: opts.partition.assumed_rate_hz,
        max_core_load: max_load,
        cores_missing_real_time: real_time.len(),
        compression_seconds: mapping
            .compression
            .iter()
            .map(|r| r.time.as_secs_f64())
            .sum(),
    };
    Report {
        summary,
        problems,
        chips,
        cores,
        real_time,
        weights,
        shifts,
        delays,
    }
}

/// The short summary printed after an export.
pub fn summary_text(r: &Report) -> String {
    let s = &r.summary;
    let mut t = String::new();
    let _ = writeln!(
        t,
        "machine {} ({} board(s)): {} of {} chips (at least {} board(s)), {} of {} application \
         cores ({} neuron, {} delay extension)",
        s.machine,
        s.boards_in_machine,
        s.chips_used,
        s.chips_in_machine,
        s.boards_needed,
        s.cores_used,
        s.app_cores_in_machine,
        s.neuron_cores,
        s.delay_extension_cores
    );
    let _ = writeln!(
        t,
        "router entries: {} uncompressed -> {} compressed ({:.2} s); largest table {} -> {}; {} \
         over capacity",
        s.entries_uncompressed,
        s.entries_compressed,
        s.compression_seconds,
        s.max_table_uncompressed,
        s.max_table,
        s.tables_over_capacity
    );
    let _ = writeln!(
        t,
        "verification: {} ({} keys walked hop by hop{})",
        if s.verified { "ok" } else { "FAILED" },
        s.keys_verified,
        if s.verification_failures.is_empty() {
            String::new()
        } else {
            format!("; first failure: {}", s.verification_failures[0])
        }
    );
    let _ = writeln!(
        t,
        "real time: {:.0} cycles per step (dt {} ms, time_scale_factor {}); at {} Hz max core \
         load {:.2}, {} cores miss real time; {} problems ({} errors)",
        s.budget_cycles_per_tick,
        s.dt_ms,
        s.time_scale_factor,
        s.assumed_rate_hz,
        s.max_core_load,
        s.cores_missing_real_time,
        r.problems.len(),
        r.problems.iter().filter(|p| p.severity == "error").count()
    );
    t
}

/// The whole report as readable text.
pub fn report_text(r: &Report) -> String {
    let mut t = summary_text(r);
    let _ = writeln!(t, "\nproblems:");
    if r.problems.is_empty() {
        let _ = writeln!(t, "  none");
    }
    for p in &r.problems {
        let _ = writeln!(
            t,
            "  [{}] {} at {}: {}\n      fix: {}",
            p.severity, p.kind, p.location, p.detail, p.fix
        );
    }
    let _ = writeln!(
        t,
        "\nper chip:\n  {:>3} {:>3} {:>6} {:>12} {:>8} {:>11} {:<22}",
        "x", "y", "cores", "SDRAM (MB)", "entries", "compressed", "method"
    );
    for c in &r.chips {
        let _ = writeln!(
            t,
            "  {:>3} {:>3} {:>6} {:>12.2} {:>8} {:>11} {:<22}",
            c.x,
            c.y,
            c.cores_used,
            c.sdram_bytes as f64 / 1e6,
            c.entries,
            c.compressed,
            c.method
        );
    }
    let _ = writeln!(
        t,
        "\nper core (per step at {} Hz: packets in/out, synaptic events, cycles):\n  {:<28} {:>9} \
         {:>8} {:>10} {:>10} {:>8} {:>8} {:>8} {:>9} {:>9} {:>6}",
        r.summary.assumed_rate_hz,
        "slice",
        "(x,y,p)",
        "neurons",
        "synapses",
        "SDRAM (KB)",
        "DTCM (KB)",
        "pkt in",
        "pkt out",
        "events",
        "cycles",
        "load"
    );
    for c in &r.cores {
        let _ = writeln!(
            t,
            "  {:<28} {:>9} {:>8} {:>10} {:>10.1} {:>8.1} {:>8.2} {:>8.2} {:>9.1} {:>9.0} {:>6.2}",
            c.label,
            format!("{},{},{}", c.x, c.y, c.p),
            c.neurons,
            c.incoming_synapses,
            c.sdram_bytes as f64 / 1024.0,
            c.dtcm_bytes as f64 / 1024.0,
            c.packets_in_per_tick,
            c.packets_out_per_tick,
            c.events_per_tick,
            c.cycles_per_tick,
            c.load
        );
    }
    let _ = writeln!(
        t,
        "\ncores missing real time ({} of {}; budget {:.0} cycles per step), worst first:",
        r.real_time.len(),
        r.cores.len(),
        r.summary.budget_cycles_per_tick
    );
    if r.real_time.is_empty() {
        let _ = writeln!(t, "  none");
    }
    for c in &r.real_time {
        let _ = writeln!(
            t,
            "  {:<28} {:>9} {:>9.0} cycles, load {:.2}, {:.0} % over",
            c.label,
            format!("{},{},{}", c.x, c.y, c.p),
            c.cycles_per_tick,
            c.load,
            c.over_by * 100.0
        );
    }
    let _ = writeln!(
        t,
        "\nweights (16-bit, per-receptor shift):\n  {:<32} {:>5} {:>10} {:>9} {:>6} {:>9} {:>10}",
        "projection", "shift", "lsb", "synapses", "zero", "saturated", "max rel err"
    );
    for w in &r.weights {
        let _ = writeln!(
            t,
            "  {:<32} {:>5} {:>10.3e} {:>9} {:>6} {:>9} {:>10.2e}",
            w.projection,
            w.shift,
            w.lsb,
            w.synapses,
            w.rounded_to_zero,
            w.saturated,
            w.max_relative_error
        );
        if !w.values.is_empty() {
            let listed: Vec<String> = w
                .values
                .iter()
                .map(|v| format!("{} -> {} (x{})", v.weight, v.units, v.synapses))
                .collect();
            let _ = writeln!(t, "      weight -> units: {}", listed.join(", "));
        }
    }
    // One line per core: its receptors' shifts (rows of one core are adjacent).
    let _ = write!(t, "\nleft shift per core and receptor:");
    let mut last_core = None;
    for s in &r.shifts {
        if last_core != Some((s.x, s.y, s.p)) {
            last_core = Some((s.x, s.y, s.p));
            let _ = write!(t, "\n  {} ({},{},{}):", s.label, s.x, s.y, s.p);
        }
        let _ = write!(t, " {} {} ({:e})", s.receptor, s.shift, s.lsb);
    }
    let _ = writeln!(t);
    t
}
