//! The resource and quantisation report: cores, SDRAM and router entries per chip; per-core
//! load; weights that sPyNNaker's 16-bit fixed point rounds to 0 or saturates; delays beyond the
//! ring buffer; each problem with a suggested fix. Written as JSON and as readable text.

use crate::formats::placements_json::slice_label;
use crate::mapping::{MapOptions, Mapping};
use crate::quantise::{plastic_w_max, weight_unit, FixedWeight, Rounding, WeightScaling};
use serde::Serialize;
use sim_core::Network;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

/// Ring-buffer depth in time steps without delay extensions (4 delay bits).
pub const RING_BUFFER_STEPS: u16 = 16;
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
    pub x: u32,
    pub y: u32,
    pub p: u8,
    pub neurons: u32,
    pub incoming_synapses: u64,
    pub sdram_bytes: u64,
    pub dtcm_bytes: u64,
    pub cycles_per_tick: f64,
    pub load: f64,
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
    pub beyond_ring_buffer: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub machine: String,
    pub chips_in_machine: usize,
    pub chips_used: usize,
    pub cores_used: usize,
    pub app_cores_in_machine: usize,
    pub entries_uncompressed: usize,
    pub entries_compressed: usize,
    pub max_table: usize,
    pub tables_over_capacity: usize,
    pub verified: bool,
    pub keys_verified: usize,
    pub verification_failures: Vec<String>,
    pub dt_ms: f64,
    pub time_scale_factor: u32,
    pub max_core_load: f64,
    pub compression_seconds: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub summary: Summary,
    pub problems: Vec<Problem>,
    pub chips: Vec<ChipRow>,
    pub cores: Vec<CoreRow>,
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
    let cores: Vec<CoreRow> = (0..mapping.slices.len())
        .map(|s| {
            let r = &mapping.resources[s];
            let c = mapping.placements[s];
            CoreRow {
                label: slice_label(pop_names, mapping, s),
                x: c.x,
                y: c.y,
                p: c.p,
                neurons: r.neurons,
                incoming_synapses: r.incoming_synapses,
                sdram_bytes: r.sdram_bytes,
                dtcm_bytes: r.dtcm_bytes,
                cycles_per_tick: r.cycles_per_tick,
                load: r.load,
            }
        })
        .collect();
    let max_load = cores.iter().map(|c| c.load).fold(0.0, f64::max);
    for c in cores.iter().filter(|c| c.load > 1.0) {
        problems.push(Problem {
            severity: "warning",
            kind: "not_real_time",
            location: format!("core ({}, {}, {}) {}", c.x, c.y, c.p, c.label),
            detail: format!(
                "estimated {:.0} cycles per step at {} Hz input, {:.0} available (load {:.2})",
                c.cycles_per_tick,
                opts.partition.assumed_rate_hz,
                opts.partition.budget_cycles(dt),
                c.load
            ),
            fix: format!(
                "set time_scale_factor >= {} (sim.setup(..., time_scale_factor=N)), or fewer \
                 neurons per core (sim.set_number_of_neurons_per_core)",
                c.load.ceil() as u32 * tsf
            ),
        });
    }
    if (dt - 1.0).abs() > 1e-12 {
        problems.push(Problem {
            severity: "info",
            kind: "timestep",
            location: "network".into(),
            detail: format!(
                "dt = {dt} ms; sPyNNaker runs it with time_scale_factor {tsf}, so each step has \
                 {:.0} cycles",
                opts.partition.budget_cycles(dt)
            ),
            fix: "use dt = 1 ms for real-time runs, or give --time-scale-factor".into(),
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
            max_delay_steps: proj.synapses.iter().map(|s| s.3).max().unwrap_or(0),
            beyond_ring_buffer: proj
                .synapses
                .iter()
                .filter(|s| s.3 > RING_BUFFER_STEPS)
                .count(),
        })
        .collect();
    for d in delays.iter().filter(|d| d.beyond_ring_buffer > 0) {
        problems.push(Problem {
            severity: "warning",
            kind: "delay_beyond_ring_buffer",
            location: format!("projection {}", d.projection),
            detail: format!(
                "{} synapses have delays above {RING_BUFFER_STEPS} steps (max {})",
                d.beyond_ring_buffer, d.max_delay_steps
            ),
            fix: "sPyNNaker adds delay-extension cores for them (more cores, packets and router \
                  entries than this report counts); or keep delays <= 16 steps"
                .into(),
        });
    }
    let (before, after, max) = mapping.entry_counts();
    let app_cores_in_machine = m.chips().map(|(&c, _)| m.app_cores(c) as usize).sum();
    let summary = Summary {
        machine: machine_name.to_string(),
        chips_in_machine: m.n_chips(),
        chips_used: mapping.used_chips().len(),
        cores_used: mapping.slices.len(),
        app_cores_in_machine,
        entries_uncompressed: before,
        entries_compressed: after,
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
        max_core_load: max_load,
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
        "machine {}: {} of {} chips, {} of {} application cores",
        s.machine, s.chips_used, s.chips_in_machine, s.cores_used, s.app_cores_in_machine
    );
    let _ = writeln!(
        t,
        "router entries: {} uncompressed -> {} compressed ({:.2} s); largest table {}; {} over capacity",
        s.entries_uncompressed,
        s.entries_compressed,
        s.compression_seconds,
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
        "max core load {:.2} at dt {} ms, time_scale_factor {}; {} problems ({} errors)",
        s.max_core_load,
        s.dt_ms,
        s.time_scale_factor,
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
        "\nper core:\n  {:<28} {:>9} {:>8} {:>10} {:>10} {:>8} {:>6}",
        "slice", "(x,y,p)", "neurons", "synapses", "SDRAM (KB)", "DTCM (KB)", "load"
    );
    for c in &r.cores {
        let _ = writeln!(
            t,
            "  {:<28} {:>9} {:>8} {:>10} {:>10.1} {:>8.1} {:>6.2}",
            c.label,
            format!("{},{},{}", c.x, c.y, c.p),
            c.neurons,
            c.incoming_synapses,
            c.sdram_bytes as f64 / 1024.0,
            c.dtcm_bytes as f64 / 1024.0,
            c.load
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
