//! SpiNNaker figures: the board map (chips as hexagons on the machine's hexagonal mesh, boards
//! outlined as they tile in triads, each chip coloured by its router entries after compression
//! against the router's capacity, links drawn with width by their traffic) and the load of each
//! core against the real-time budget. Written by `engram export spinnaker` (traffic: multicast
//! routes per link; load: the export's estimate) and by `--backend spinnaker` runs from their
//! `spinnaker_report.json` (traffic: packets per link; load: measured per tick).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use hw_export::formats::report::Report;
use hw_export::machine::{Chip, Machine, LINK_DELTAS, ROUTER_ENTRIES, SPINN5_CHIPS};
use hw_export::Mapping;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{
    self, thousands, Check, Drawn, Figure, LegendEntry, SeriesStyle, FONT, LABEL_SIZE, LEGEND_SIZE,
    LEGEND_WIDTH, TICK_SIZE,
};
use super::PlotError;

/// Width and height of `board_map.png` (pixels) and `board_map.svg`.
pub const BOARD_SIZE: (u32, u32) = (1300, 1000);
/// Width and height of `core_load.png` and `core_load.svg`.
pub const LOAD_SIZE: (u32, u32) = (1400, 720);

/// Outline of a chip whose table exceeds its router (links are drawn in `style::color(1)`).
const OVER_CAPACITY: RGBColor = style::PALETTE[3];

/// The board's report file in a run directory.
const SPINNAKER_REPORT: &str = "spinnaker_report.json";

/// Machines with more chips show only the part around the chips with tables.
const MAX_CHIPS_DRAWN: usize = 48 * 48;

/// Router entries of one chip.
pub struct ChipEntries {
    pub chip: Chip,
    /// After compression (what the router holds).
    pub entries: usize,
    pub before: usize,
    pub capacity: usize,
}

/// Traffic on one directed link.
pub struct LinkTraffic {
    pub from: Chip,
    pub link: u8,
    pub amount: u64,
}

struct BoardMap<'a> {
    title: String,
    machine: &'a Machine,
    chips: Vec<ChipEntries>,
    links: Vec<LinkTraffic>,
    /// What a link's width stands for ("packets", "multicast routes").
    link_unit: &'static str,
}

/// Screen position of a chip on the hexagonal mesh (unit distance between neighbours).
fn hex_position((x, y): Chip) -> (f64, f64) {
    (x as f64 - 0.5 * y as f64, y as f64 * 3f64.sqrt() / 2.0)
}

/// The chip positions the machine is built on (live and dead).
fn layout(m: &Machine) -> BTreeSet<Chip> {
    if is_single_board(m) {
        SPINN5_CHIPS.iter().map(|&(x, y, _)| (x, y)).collect()
    } else {
        (0..m.width)
            .flat_map(|x| (0..m.height).map(move |y| (x, y)))
            .collect()
    }
}

fn is_single_board(m: &Machine) -> bool {
    m.width == 8 && m.height == 8 && !m.wrap_x && !m.wrap_y
}

/// The board a chip is on, named by the chip of its board-local (0, 0); multi-board machines
/// tile 12 x 12 chips with three boards offset by (0, 0), (4, 8) and (8, 4).
fn board_of(m: &Machine, (x, y): Chip) -> Chip {
    if !m.width.is_multiple_of(12) || !m.height.is_multiple_of(12) || is_single_board(m) {
        return (0, 0);
    }
    let on_board: BTreeSet<Chip> = SPINN5_CHIPS.iter().map(|&(x, y, _)| (x, y)).collect();
    for (bx, by) in [(0u32, 0u32), (4, 8), (8, 4)] {
        let local = ((x % 12 + 12 - bx) % 12, (y % 12 + 12 - by) % 12);
        if on_board.contains(&local) {
            let origin = (
                (x + m.width - local.0) % m.width,
                (y + m.height - local.1) % m.height,
            );
            return origin;
        }
    }
    (0, 0)
}

/// The neighbour of `c` over `link` on the drawn grid (no wrap-around).
fn grid_neighbour((x, y): Chip, link: u8) -> Option<Chip> {
    let (dx, dy) = LINK_DELTAS[link as usize % 6];
    Some((x.checked_add_signed(dx)?, y.checked_add_signed(dy)?))
}

/// Pixel placement of the mesh in an area.
struct Placement {
    min: (f64, f64),
    max_y: f64,
    scale: f64,
    origin: (f64, f64),
}

impl Placement {
    fn new(chips: &BTreeSet<Chip>, (w, h): (u32, u32)) -> Self {
        let pts: Vec<(f64, f64)> = chips.iter().map(|&c| hex_position(c)).collect();
        let fold = |f: fn(f64, f64) -> f64, i: usize, init: f64| {
            pts.iter()
                .map(|p| if i == 0 { p.0 } else { p.1 })
                .fold(init, f)
        };
        let (x0, x1) = (fold(f64::min, 0, f64::MAX), fold(f64::max, 0, f64::MIN));
        let (y0, y1) = (fold(f64::min, 1, f64::MAX), fold(f64::max, 1, f64::MIN));
        let scale = (w as f64 / (x1 - x0 + 1.3)).min(h as f64 / (y1 - y0 + 1.3));
        let used = (scale * (x1 - x0), scale * (y1 - y0));
        Placement {
            min: (x0, y0),
            max_y: y1,
            scale,
            origin: ((w as f64 - used.0) / 2.0, (h as f64 - used.1) / 2.0),
        }
    }
    fn pixel(&self, c: Chip) -> (f64, f64) {
        let (px, py) = hex_position(c);
        (
            self.origin.0 + self.scale * (px - self.min.0),
            self.origin.1 + self.scale * (self.max_y - py),
        )
    }
    /// Corner `k` of a chip's hexagon: the edge facing link direction d lies between corners
    /// d and d + 1.
    fn corner(&self, c: Chip, k: usize) -> (i32, i32) {
        let (cx, cy) = self.pixel(c);
        let r = self.scale / 3f64.sqrt() * 0.97;
        let a = (60.0 * k as f64 - 30.0).to_radians();
        (
            (cx + r * a.cos()).round() as i32,
            (cy - r * a.sin()).round() as i32,
        )
    }
}

fn px((x, y): (f64, f64)) -> (i32, i32) {
    (x.round() as i32, y.round() as i32)
}

impl Figure for BoardMap<'_> {
    fn size(&self) -> (u32, u32) {
        BOARD_SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn {
        let body = style::titled(root, &self.title)?;
        let (w, _) = body.dim_in_pixel();
        let (map_area, legend_area) = body.split_horizontally(w - LEGEND_WIDTH - 30);
        let map_area = map_area.margin(10, 10, 10, 10);
        let mut positions = layout(self.machine);
        if positions.len() > MAX_CHIPS_DRAWN && !self.chips.is_empty() {
            // A large machine: the box around the chips with tables, one chip beyond it.
            let (xs, ys): (Vec<u32>, Vec<u32>) = self.chips.iter().map(|c| c.chip).unzip();
            let lo = |v: &[u32]| v.iter().min().map_or(0, |m| m.saturating_sub(1));
            let hi = |v: &[u32]| v.iter().max().map_or(0, |m| m + 1);
            let (x0, x1, y0, y1) = (lo(&xs), hi(&xs), lo(&ys), hi(&ys));
            positions.retain(|&(x, y)| (x0..=x1).contains(&x) && (y0..=y1).contains(&y));
        }
        let place = Placement::new(&positions, map_area.dim_in_pixel());
        let entries: BTreeMap<Chip, &ChipEntries> =
            self.chips.iter().map(|c| (c.chip, c)).collect();
        let font_px = (place.scale * 0.28).min(18.0);
        for &c in &positions {
            let hex: Vec<(i32, i32)> = (0..6).map(|k| place.corner(c, k)).collect();
            let live = self.machine.chip(c).is_some();
            let fill = match entries.get(&c) {
                _ if !live => WHITE,
                Some(e) => style::viridis(e.entries as f64 / e.capacity.max(1) as f64),
                None => style::LIGHT_GREY,
            };
            map_area
                .draw(&Polygon::new(hex.clone(), fill.filled()))
                .check()?;
            let mut ring = hex.clone();
            ring.push(hex[0]);
            map_area
                .draw(&PathElement::new(ring, WHITE.stroke_width(1)))
                .check()?;
            let (cx, cy) = px(place.pixel(c));
            if !live {
                let d = (place.scale * 0.2) as i32;
                for (a, b) in [((-d, -d), (d, d)), ((-d, d), (d, -d))] {
                    map_area
                        .draw(&PathElement::new(
                            vec![(cx + a.0, cy + a.1), (cx + b.0, cy + b.1)],
                            style::GREY.stroke_width(2),
                        ))
                        .check()?;
                }
            }
            if let (Some(e), true) = (entries.get(&c), font_px >= 10.0) {
                let v = e.entries as f64 / e.capacity.max(1) as f64;
                let ink = if v > 0.6 { BLACK } else { WHITE };
                let font = (FONT, font_px)
                    .into_font()
                    .color(&ink)
                    .pos(Pos::new(HPos::Center, VPos::Center));
                map_area
                    .draw(&Text::new(e.entries.to_string(), (cx, cy), font))
                    .check()?;
            }
            if entries.get(&c).is_some_and(|e| e.entries > e.capacity) {
                let mut ring = hex.clone();
                ring.push(hex[0]);
                map_area
                    .draw(&PathElement::new(ring, OVER_CAPACITY.stroke_width(4)))
                    .check()?;
            }
        }
        // Board edges: a hexagon side whose neighbour is off the board or on another board.
        for &c in &positions {
            let board = board_of(self.machine, c);
            for d in 0..6u8 {
                let same = grid_neighbour(c, d)
                    .filter(|n| positions.contains(n))
                    .is_some_and(|n| board_of(self.machine, n) == board);
                if !same {
                    let (a, b) = (place.corner(c, d as usize), place.corner(c, d as usize + 1));
                    map_area
                        .draw(&PathElement::new(vec![a, b], BLACK.stroke_width(3)))
                        .check()?;
                }
            }
        }
        let max = self
            .links
            .iter()
            .map(|l| l.amount)
            .max()
            .unwrap_or(0)
            .max(1);
        let width = |amount: u64| 1.0 + 9.0 * amount as f64 / max as f64;
        let mut wrapped = 0usize;
        for l in self.links.iter().filter(|l| l.amount > 0) {
            let Some(to) = grid_neighbour(l.from, l.link).filter(|n| positions.contains(n)) else {
                wrapped += 1;
                continue;
            };
            let (a, b) = (place.pixel(l.from), place.pixel(to));
            let (dx, dy) = (b.0 - a.0, b.1 - a.1);
            let len = dx.hypot(dy);
            // The two directions of a link side by side: each on its right.
            let off = (
                dy / len * place.scale * 0.12,
                -dx / len * place.scale * 0.12,
            );
            let at = |f: f64| px((a.0 + dx * f + off.0, a.1 + dy * f + off.1));
            let w = width(l.amount);
            map_area
                .draw(&PathElement::new(
                    vec![at(0.28), at(0.72)],
                    WHITE.stroke_width((w + 2.0) as u32),
                ))
                .check()?;
            map_area
                .draw(&PathElement::new(
                    vec![at(0.28), at(0.72)],
                    style::color(1).stroke_width(w as u32),
                ))
                .check()?;
        }
        self.draw_key(&legend_area, max, wrapped)
    }
}

impl BoardMap<'_> {
    /// The colour bar of router entries and the key of link widths.
    fn draw_key<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        max: u64,
        wrapped: usize,
    ) -> Drawn {
        let font = (FONT, LEGEND_SIZE).into_font();
        let small = (FONT, TICK_SIZE).into_font();
        let capacity = self
            .chips
            .iter()
            .map(|c| c.capacity)
            .max()
            .unwrap_or(ROUTER_ENTRIES);
        area.draw(&Text::new("router entries", (8, 10), font.clone()))
            .check()?;
        area.draw(&Text::new(
            format!("after compression (of {capacity})"),
            (8, 34),
            small.clone(),
        ))
        .check()?;
        let (bar_top, bar_h, bar_x) = (66, 300, 12);
        for i in 0..bar_h {
            let v = 1.0 - i as f64 / (bar_h - 1) as f64;
            area.draw(&Rectangle::new(
                [(bar_x, bar_top + i), (bar_x + 30, bar_top + i + 1)],
                style::viridis(v).filled(),
            ))
            .check()?;
        }
        // Round ticks, and the capacity itself at the top.
        let mut steps: Vec<usize> = (0..capacity).step_by(250).collect();
        if steps.last().is_some_and(|&t| capacity - t < 100) {
            steps.pop();
        }
        steps.push(capacity);
        for t in steps {
            let y = bar_top + bar_h - 1 - (t as f64 / capacity as f64 * (bar_h - 1) as f64) as i32;
            area.draw(&PathElement::new(
                vec![(bar_x + 30, y), (bar_x + 36, y)],
                BLACK.stroke_width(1),
            ))
            .check()?;
            area.draw(&Text::new(
                t.to_string(),
                (bar_x + 40, y),
                small
                    .clone()
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .check()?;
        }
        let mut y = bar_top + bar_h + 24;
        let swatches = [
            (style::LIGHT_GREY, "no routing entries"),
            (WHITE, "dead chip (×)"),
        ];
        for (c, label) in swatches {
            area.draw(&Rectangle::new(
                [(bar_x, y), (bar_x + 30, y + 20)],
                c.filled(),
            ))
            .check()?;
            area.draw(&Rectangle::new(
                [(bar_x, y), (bar_x + 30, y + 20)],
                style::GREY.stroke_width(1),
            ))
            .check()?;
            area.draw(&Text::new(label, (bar_x + 40, y + 1), small.clone()))
                .check()?;
            y += 30;
        }
        area.draw(&PathElement::new(
            vec![(bar_x, y + 10), (bar_x + 30, y + 10)],
            BLACK.stroke_width(3),
        ))
        .check()?;
        area.draw(&Text::new("board edge", (bar_x + 40, y + 1), small.clone()))
            .check()?;
        if self.chips.iter().any(|c| c.entries > c.capacity) {
            y += 30;
            area.draw(&PathElement::new(
                vec![(bar_x, y + 10), (bar_x + 30, y + 10)],
                OVER_CAPACITY.stroke_width(4),
            ))
            .check()?;
            area.draw(&Text::new(
                "over capacity",
                (bar_x + 40, y + 1),
                small.clone(),
            ))
            .check()?;
        }
        y += 46;
        area.draw(&Text::new(
            format!("links: {}", self.link_unit),
            (8, y),
            font.clone(),
        ))
        .check()?;
        y += 30;
        if self.links.iter().all(|l| l.amount == 0) {
            area.draw(&Text::new("none", (bar_x, y), small.clone()))
                .check()?;
            y += 30;
        } else {
            for amount in [max, max.div_ceil(2), max.div_ceil(10)] {
                let w = 1.0 + 9.0 * amount as f64 / max as f64;
                area.draw(&PathElement::new(
                    vec![(bar_x, y + 10), (bar_x + 40, y + 10)],
                    style::color(1).stroke_width(w as u32),
                ))
                .check()?;
                area.draw(&Text::new(
                    thousands(amount),
                    (bar_x + 52, y + 1),
                    small.clone(),
                ))
                .check()?;
                y += 30;
            }
        }
        let notes = [
            "each direction drawn",
            "on its right-hand side",
            if wrapped > 0 {
                "wrap-around links not drawn"
            } else {
                ""
            },
        ];
        for n in notes.iter().filter(|n| !n.is_empty()) {
            area.draw(&Text::new(*n, (bar_x, y), small.clone()))
                .check()?;
            y += 22;
        }
        Ok(())
    }
}

/// The load of one core, as fractions of the real-time budget.
pub struct CoreLoad {
    pub population: String,
    pub core: (u32, u32, u8),
    pub load: f64,
    /// The worst tick (runs only).
    pub peak: Option<f64>,
}

struct LoadFigure {
    title: String,
    cores: Vec<CoreLoad>,
    load_label: &'static str,
    budget_label: String,
}

impl Figure for LoadFigure {
    fn size(&self) -> (u32, u32) {
        LOAD_SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn {
        let (data_area, legend_area) =
            style::data_and_legend(root, &self.title, LEGEND_WIDTH + 40)?;
        let mut pops: Vec<&str> = Vec::new();
        for c in &self.cores {
            if !pops.contains(&c.population.as_str()) {
                pops.push(&c.population);
            }
        }
        let mut cores: Vec<&CoreLoad> = self.cores.iter().collect();
        cores.sort_by_key(|c| (pops.iter().position(|p| *p == c.population), c.core));
        let n = cores.len().max(1) as f64;
        let top = cores
            .iter()
            .map(|c| c.peak.unwrap_or(c.load).max(c.load))
            .fold(1.0, f64::max)
            * 110.0;
        let mut chart = style::value_chart(
            &data_area,
            -0.5..n - 0.5,
            0.0..top,
            64,
            "load (% of the real-time budget)",
            &|y| format!("{y:.0}"),
        )?;
        let half = if cores.len() > 200 { 0.5 } else { 0.4 };
        chart
            .draw_series(cores.iter().enumerate().map(|(i, c)| {
                let k = pops.iter().position(|p| *p == c.population).unwrap_or(0);
                let x = i as f64;
                Rectangle::new(
                    [(x - half, 0.0), (x + half, 100.0 * c.load)],
                    style::color(k).filled(),
                )
            }))
            .check()?;
        let has_peak = cores.iter().any(|c| c.peak.is_some());
        for (i, c) in cores.iter().enumerate() {
            if let Some(p) = c.peak {
                let (x, y) = chart.backend_coord(&(i as f64, 100.0 * p));
                style::draw_glyph(root, (x, y), style::Glyph::Diamond, 3, BLACK)?;
            }
        }
        let a = chart.backend_coord(&(-0.5, 100.0));
        let b = chart.backend_coord(&(n - 0.5, 100.0));
        style::draw_dashed(root, a, b, BLACK.stroke_width(2))?;
        // Population names under their cores.
        let font = (FONT, TICK_SIZE).into_font();
        let mut start = 0usize;
        for p in &pops {
            let count = cores.iter().filter(|c| c.population == *p).count();
            let mid = start as f64 + (count as f64 - 1.0) / 2.0;
            let (x, y) = chart.backend_coord(&(mid, 0.0));
            root.draw(&Text::new(
                p.to_string(),
                (x, y + 8),
                font.clone()
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Center, VPos::Top)),
            ))
            .check()?;
            start += count;
        }
        let (x, y) = chart.backend_coord(&((n - 1.0) / 2.0, 0.0));
        root.draw(&Text::new(
            format!("cores ({}), by population, then chip and core", cores.len()),
            (x, y + 34),
            (FONT, LABEL_SIZE)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Top)),
        ))
        .check()?;
        let mut legend: Vec<LegendEntry> = pops
            .iter()
            .enumerate()
            .map(|(k, p)| LegendEntry {
                label: format!("{p}: {}", self.load_label),
                style: SeriesStyle::block(style::color(k)),
            })
            .collect();
        if has_peak {
            legend.push(LegendEntry {
                label: "worst tick".into(),
                style: SeriesStyle::marker(BLACK, style::Glyph::Diamond),
            });
        }
        legend.push(LegendEntry {
            label: "real-time budget".into(),
            style: SeriesStyle::reference(BLACK),
        });
        style::draw_legend(&legend_area, None, &legend)?;
        let (_, lh) = legend_area.dim_in_pixel();
        legend_area
            .draw(&Text::new(
                self.budget_label.clone(),
                (8, lh as i32 - 40),
                (FONT, TICK_SIZE - 2.0).into_font(),
            ))
            .check()
    }
}

/// `board_map` and `core_load` (PNG and SVG) of an export, into its output directory.
pub fn export_figures(
    dir: &Path,
    machine_name: &str,
    mapping: &Mapping,
    report: &Report,
    rate_hz: f64,
) -> Result<(), PlotError> {
    let mut routes: BTreeMap<(Chip, u8), u64> = BTreeMap::new();
    for tree in mapping.trees.iter().flatten() {
        for (&chip, node) in &tree.nodes {
            for l in (0..6u8).filter(|l| node.links & (1 << l) != 0) {
                *routes.entry((chip, l)).or_default() += 1;
            }
        }
    }
    let chips = report
        .chips
        .iter()
        .map(|c| ChipEntries {
            chip: (c.x, c.y),
            entries: c.compressed,
            before: c.entries,
            capacity: c.router_capacity,
        })
        .collect();
    let links = routes
        .into_iter()
        .map(|((from, link), amount)| LinkTraffic { from, link, amount })
        .collect();
    let cores = report
        .cores
        .iter()
        .map(|c| CoreLoad {
            population: c.label.split(':').next().unwrap_or("").to_string(),
            core: (c.x, c.y, c.p),
            load: c.load,
            peak: None,
        })
        .collect();
    let s = &report.summary;
    let load = LoadFigure {
        title: format!(
            "Estimated load per core at {rate_hz} Hz: {} cores, largest {:.0} % of the budget",
            report.cores.len(),
            100.0 * s.max_core_load
        ),
        cores,
        load_label: "estimate",
        budget_label: format!(
            "budget: a step of {} ms x time scale {}",
            s.dt_ms, s.time_scale_factor
        ),
    };
    save_both(
        dir,
        machine_name,
        &mapping.machine,
        chips,
        links,
        "multicast routes",
        &load,
    )
}

/// Writes `board_map` and `core_load` into `dir`.
fn save_both(
    dir: &Path,
    machine_name: &str,
    machine: &Machine,
    chips: Vec<ChipEntries>,
    links: Vec<LinkTraffic>,
    link_unit: &'static str,
    load: &LoadFigure,
) -> Result<(), PlotError> {
    let largest = chips.iter().max_by_key(|c| c.entries);
    let title = format!(
        "Board map, {machine_name}: {} chips with routing tables{}",
        chips.len(),
        largest
            .map(|c| format!(
                "; largest {} entries ({} before compression)",
                c.entries, c.before
            ))
            .unwrap_or_default()
    );
    let board = BoardMap {
        title,
        machine,
        chips,
        links,
        link_unit,
    };
    style::save(&dir.join("board_map.png"), &board)?;
    style::save(&dir.join("core_load.png"), load)
}

/// The parts of the board's `spinnaker_report.json` the figures draw
/// (`backends::spinnaker::report::RunReport`, read back from the file as written).
#[derive(serde::Deserialize)]
struct BoardReport {
    machine: String,
    ticks: u64,
    budget_cycles_per_tick: f64,
    chips: Vec<ChipRow>,
    links: Vec<LinkRow>,
    cores: Vec<CoreRow>,
    cores_missing_real_time: Vec<String>,
}

#[derive(serde::Deserialize)]
struct ChipRow {
    x: u32,
    y: u32,
    router_entries: usize,
    uncompressed_entries: usize,
    capacity: usize,
}

#[derive(serde::Deserialize)]
struct LinkRow {
    x: u32,
    y: u32,
    link: u8,
    packets: u64,
}

#[derive(serde::Deserialize)]
struct CoreRow {
    x: u32,
    y: u32,
    p: u8,
    population: String,
    cycles_per_tick_mean: f64,
    peak_load: f64,
}

/// The figures of a backend's report file, written next to it in the run directory: for the
/// board's `spinnaker_report.json`, `board_map` (packets per link) and `core_load` (mean and
/// worst tick); other reports have none.
pub fn report_figures(dir: &Path, file: &str, contents: &str) -> Result<(), PlotError> {
    if file != SPINNAKER_REPORT {
        return Ok(());
    }
    let fail = |message: String| PlotError {
        path: dir.join(file).display().to_string(),
        message,
    };
    let report: BoardReport =
        serde_json::from_str(contents).map_err(|e| fail(format!("cannot read: {e}")))?;
    let machine = backends::spinnaker::machine_by_name(&report.machine).map_err(fail)?;
    let chips = report
        .chips
        .iter()
        .map(|c| ChipEntries {
            chip: (c.x, c.y),
            entries: c.router_entries,
            before: c.uncompressed_entries,
            capacity: c.capacity,
        })
        .collect();
    let links = report
        .links
        .iter()
        .map(|l| LinkTraffic {
            from: (l.x, l.y),
            link: l.link,
            amount: l.packets,
        })
        .collect();
    let budget = report.budget_cycles_per_tick.max(1.0);
    let cores = report
        .cores
        .iter()
        .map(|c| CoreLoad {
            population: c.population.clone(),
            core: (c.x, c.y, c.p),
            load: c.cycles_per_tick_mean / budget,
            peak: Some(c.peak_load),
        })
        .collect();
    let peak = report.cores.iter().map(|c| c.peak_load).fold(0.0, f64::max);
    let load = LoadFigure {
        title: format!(
            "Load per core over {} ticks: worst tick {:.0} % of the budget; {} cores miss real time",
            report.ticks,
            100.0 * peak,
            report.cores_missing_real_time.len()
        ),
        cores,
        load_label: "mean tick",
        budget_label: format!("budget: {} cycles per tick", thousands(budget as u64)),
    };
    save_both(
        dir,
        &report.machine,
        &machine,
        chips,
        links,
        "packets",
        &load,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chips_of_a_triad_fall_on_three_boards() {
        let m = Machine::multi_board(12, 12).unwrap();
        let mut boards: BTreeMap<Chip, usize> = BTreeMap::new();
        for (&c, _) in m.chips() {
            *boards.entry(board_of(&m, c)).or_default() += 1;
        }
        assert_eq!(boards.len(), 3);
        assert!(boards.values().all(|&n| n == 48), "{boards:?}");
        let one = Machine::spinn5();
        assert_eq!(layout(&one).len(), 48);
        assert!(one.chips().all(|(&c, _)| board_of(&one, c) == (0, 0)));
    }

    #[test]
    fn neighbours_on_the_mesh_are_one_apart() {
        for link in 0..6u8 {
            let n = grid_neighbour((3, 3), link).unwrap();
            let (a, b) = (hex_position((3, 3)), hex_position(n));
            assert!(((a.0 - b.0).hypot(a.1 - b.1) - 1.0).abs() < 1e-12);
        }
        assert_eq!(grid_neighbour((0, 0), 3), None);
    }
}
