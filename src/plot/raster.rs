//! The spike raster: populations stacked bottom-up in their own colours, each subsampled to at
//! most [`NEURONS_SHOWN`] evenly spaced neurons, the population rates (from every spike) under
//! it on the same time axis, and labelled vertical lines (e.g. CAM operations).

use std::path::Path;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{self, thousands, Check, Drawn, Figure, FONT, LABEL_SIZE, TICK_SIZE};
use super::PlotError;

/// Width and height of `raster.png` (pixels) and `raster.svg`.
pub const RASTER_SIZE: (u32, u32) = (1400, 900);
/// Neurons drawn per population at most; larger populations show every k-th neuron.
pub const NEURONS_SHOWN: u32 = 200;
/// Spikes drawn at most (after subsampling neurons); above it every k-th (the title says so).
const MAX_DRAWN: usize = 60_000;
/// Populations with a rate trace each; more share one trace (of all their neurons).
const MAX_RATE_TRACES: usize = 4;

/// The spikes of one population.
pub struct RasterPopulation<'a> {
    pub name: &'a str,
    pub size: u32,
    pub times_ms: &'a [f64],
    pub senders: &'a [u32],
}

impl RasterPopulation<'_> {
    /// Every how many neurons one is drawn.
    fn neuron_stride(&self) -> u32 {
        self.size.div_ceil(NEURONS_SHOWN).max(1)
    }
    /// Rows the population takes in the raster.
    fn rows(&self) -> u32 {
        self.size.div_ceil(self.neuron_stride())
    }
}

/// A labelled vertical line.
#[derive(Debug, Clone)]
pub struct Marker {
    pub t_ms: f64,
    pub label: String,
}

struct Raster<'a> {
    title: String,
    pops: &'a [RasterPopulation<'a>],
    t_stop_ms: f64,
    markers: &'a [Marker],
    spike_stride: usize,
}

/// Writes the raster to `path` (a PNG) and beside it as SVG.
pub fn raster(
    path: &Path,
    title: &str,
    pops: &[RasterPopulation],
    t_stop_ms: f64,
    markers: &[Marker],
) -> Result<(), PlotError> {
    let shown: usize = pops
        .iter()
        .map(|p| {
            let k = p.neuron_stride();
            p.senders.iter().filter(|&&s| s % k == 0).count()
        })
        .sum();
    let spike_stride = shown.div_ceil(MAX_DRAWN).max(1);
    let mut notes = Vec::new();
    if pops.iter().any(|p| p.neuron_stride() > 1) {
        notes.push(format!(
            "{NEURONS_SHOWN} neurons shown per population (evenly spaced)"
        ));
    }
    if spike_stride > 1 {
        notes.push(format!(
            "every {spike_stride}th of {} spikes drawn",
            thousands(shown as u64)
        ));
    }
    let title = if notes.is_empty() {
        title.to_string()
    } else {
        format!("{title}: {}", notes.join("; "))
    };
    style::save(
        path,
        &Raster {
            title,
            pops,
            t_stop_ms: if t_stop_ms > 0.0 { t_stop_ms } else { 1.0 },
            markers,
            spike_stride,
        },
    )
}

/// The smallest of 1, 2, 5 × 10^k ms that is at least `t` / 120 (about 120 bins).
fn rate_bin_ms(t_stop_ms: f64) -> f64 {
    let want = t_stop_ms / 120.0;
    let mut decade = 10f64.powi(want.log10().floor() as i32);
    loop {
        for m in [1.0, 2.0, 5.0] {
            if m * decade >= want {
                return m * decade;
            }
        }
        decade *= 10.0;
    }
}

impl Figure for Raster<'_> {
    fn size(&self) -> (u32, u32) {
        RASTER_SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn {
        let body = style::titled(root, &self.title)?;
        let (_, h) = body.dim_in_pixel();
        let (upper, lower) = body.split_vertically(h * 70 / 100);
        // Bands in units of rows; a small population still gets a band its label fits in.
        let shown: u32 = self.pops.iter().map(|p| p.rows()).sum::<u32>().max(1);
        let min_band = shown as f64 * 0.06;
        let bands: Vec<f64> = self
            .pops
            .iter()
            .map(|p| (p.rows() as f64).max(min_band))
            .collect();
        let rows: f64 = bands.iter().sum::<f64>().max(1.0);
        let name_font = (FONT, LABEL_SIZE).into_font();
        let mut name_width = 120;
        for p in self.pops {
            let (w, _) = root
                .estimate_text_size(p.name, &name_font.clone().color(&BLACK))
                .check()?;
            name_width = name_width.max(w + 40);
        }
        let name_width = name_width.min(360);
        let top_margin = if self.markers.is_empty() { 8 } else { 52 };
        let mut chart = ChartBuilder::on(&upper)
            .margin_top(top_margin)
            .margin_left(10)
            .margin_right(36)
            .y_label_area_size(name_width)
            .build_cartesian_2d(0.0..self.t_stop_ms, 0.0..rows)
            .check()?;
        chart
            .configure_mesh()
            .disable_mesh()
            .y_labels(0)
            .draw()
            .check()?;
        let (_, ph) = chart.plotting_area().dim_in_pixel();
        let mut base = 0.0;
        for (k, (p, &band)) in self.pops.iter().zip(&bands).enumerate() {
            let color = style::color(k);
            let stride = p.neuron_stride();
            let row_height = band / p.rows().max(1) as f64;
            let dot = (
                3,
                (row_height * ph as f64 / rows).clamp(2.0, 3.0).round() as i32,
            );
            if k > 0 {
                chart
                    .draw_series(LineSeries::new(
                        [(0.0, base), (self.t_stop_ms, base)],
                        BLACK.mix(0.3),
                    ))
                    .check()?;
            }
            let points = p
                .times_ms
                .iter()
                .zip(p.senders)
                .filter(|(_, &s)| s % stride == 0)
                .step_by(self.spike_stride)
                .map(|(&t, &s)| {
                    EmptyElement::at((t, base + ((s / stride) as f64 + 0.5) * row_height))
                        + Rectangle::new([(0, 0), dot], color.filled())
                });
            chart.draw_series(points).check()?;
            // The name (black, readable whatever the colour) with a swatch of the colour, in
            // the margin beside its band, and how many neurons the band shows.
            let (x, y) = chart.backend_coord(&(0.0, base + band / 2.0));
            let band_px = band * ph as f64 / rows;
            let right = Pos::new(HPos::Right, VPos::Center);
            let count = if stride > 1 {
                format!("{} of {}", p.rows(), thousands(p.size as u64))
            } else {
                format!("{} neurons", thousands(p.size as u64))
            };
            let name_y = if band_px >= 44.0 { y - 10 } else { y };
            root.draw(&Text::new(
                p.name.to_string(),
                (x - 26, name_y),
                name_font.clone().color(&BLACK).pos(right),
            ))
            .check()?;
            root.draw(&Rectangle::new(
                [(x - 20, name_y - 6), (x - 8, name_y + 6)],
                color.filled(),
            ))
            .check()?;
            if band_px >= 44.0 {
                let small = (FONT, TICK_SIZE - 2.0).into_font().color(&BLACK).pos(right);
                root.draw(&Text::new(count, (x - 26, y + 12), small))
                    .check()?;
            }
            base += band;
        }
        root.draw(&Rectangle::new(
            [
                chart.backend_coord(&(0.0, rows)),
                chart.backend_coord(&(self.t_stop_ms, 0.0)),
            ],
            BLACK.stroke_width(1),
        ))
        .check()?;

        let bin = rate_bin_ms(self.t_stop_ms);
        let bins = (self.t_stop_ms / bin).ceil().max(1.0) as usize;
        let rate = |pops: &[&RasterPopulation]| -> Vec<(f64, f64)> {
            let mut counts = vec![0u64; bins];
            for &t in pops.iter().flat_map(|p| p.times_ms) {
                counts[((t / bin) as usize).min(bins - 1)] += 1;
            }
            let neurons: u32 = pops.iter().map(|p| p.size).sum();
            let per = 1000.0 / (bin * neurons.max(1) as f64);
            counts
                .iter()
                .enumerate()
                .map(|(i, &c)| ((i as f64 + 0.5) * bin, c as f64 * per))
                .collect()
        };
        // One trace per population while they stay apart; beyond that, the whole network's.
        let (rates, colors): (Vec<Vec<(f64, f64)>>, Vec<RGBColor>) =
            if self.pops.len() <= MAX_RATE_TRACES {
                self.pops
                    .iter()
                    .enumerate()
                    .map(|(k, p)| (rate(&[p]), style::color(k)))
                    .unzip()
            } else {
                let all: Vec<&RasterPopulation> = self.pops.iter().collect();
                (vec![rate(&all)], vec![BLACK])
            };
        let top = rates
            .iter()
            .flatten()
            .map(|p| p.1)
            .fold(0.0, f64::max)
            .max(1.0)
            * 1.08;
        let colors_all = self.pops.len() > MAX_RATE_TRACES;
        let mut rate_chart = ChartBuilder::on(&lower)
            .margin_left(10)
            .margin_top(10)
            .margin_right(36)
            .margin_bottom(6)
            .y_label_area_size(name_width)
            .x_label_area_size(52)
            .build_cartesian_2d(0.0..self.t_stop_ms, 0.0..top)
            .check()?;
        rate_chart
            .configure_mesh()
            .light_line_style(WHITE)
            .bold_line_style(style::LIGHT_GREY)
            .x_label_formatter(&|x| format!("{x}"))
            .x_desc(if colors_all {
                format!("time (ms); rate of all neurons in {bin} ms bins")
            } else {
                format!("time (ms); rates in {bin} ms bins")
            })
            .y_label_formatter(&|y| format!("{y:.0}"))
            .y_desc("rate (Hz)")
            .label_style((FONT, TICK_SIZE))
            .axis_desc_style((FONT, LABEL_SIZE - 2.0))
            .y_labels(4)
            .draw()
            .check()?;
        for (r, c) in rates.iter().zip(colors) {
            rate_chart
                .draw_series(LineSeries::new(r.iter().copied(), c.stroke_width(2)))
                .check()?;
        }

        self.draw_markers(root, &chart, &rate_chart, rows, top)
    }
}

impl Raster<'_> {
    /// Vertical lines through both panels, labels above the raster in up to two rows.
    fn draw_markers<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        chart: &ChartContext<DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
        rate_chart: &ChartContext<DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
        rows: f64,
        top: f64,
    ) -> Drawn {
        let line = BLACK.mix(0.45).stroke_width(1);
        let font = (FONT, TICK_SIZE - 2.0).into_font().color(&BLACK);
        let mut row_end = [i32::MIN; 2];
        for m in self.markers {
            let through = [
                (
                    chart.backend_coord(&(m.t_ms, 0.0)),
                    chart.backend_coord(&(m.t_ms, rows)),
                ),
                (
                    rate_chart.backend_coord(&(m.t_ms, 0.0)),
                    rate_chart.backend_coord(&(m.t_ms, top)),
                ),
            ];
            for (a, b) in through {
                root.draw(&PathElement::new(vec![a, b], line)).check()?;
            }
            let (x, y) = chart.backend_coord(&(m.t_ms, rows));
            let (w, _) = root.estimate_text_size(&m.label, &font).check()?;
            let start = x - w as i32 / 2;
            // The first row with room; a label with none is left out rather than overlapping.
            if let Some(r) = (0..2).find(|&r| start > row_end[r] + 4) {
                row_end[r] = start + w as i32;
                let ty = y - 22 - 20 * r as i32;
                root.draw(&Text::new(m.label.clone(), (start, ty), font.clone()))
                    .check()?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::check::{png_size, svg_size, temp_dir};
    use super::*;

    #[test]
    fn raster_is_a_png_and_an_svg_of_the_stated_size() {
        let dir = temp_dir("raster");
        let t = [1.0, 2.0, 5.5];
        let s = [0, 3, 1];
        let many: Vec<u32> = (0..1000).collect();
        let many_t: Vec<f64> = (0..1000).map(|i| i as f64 / 100.0).collect();
        let pops = [
            RasterPopulation {
                name: "in",
                size: 4,
                times_ms: &t,
                senders: &s,
            },
            RasterPopulation {
                name: "big",
                size: 1000,
                times_ms: &many_t,
                senders: &many,
            },
        ];
        assert_eq!(pops[1].neuron_stride(), 5);
        assert_eq!(pops[1].rows(), 200);
        let markers = [Marker {
            t_ms: 2.0,
            label: "learn".into(),
        }];
        let p = dir.join("raster.png");
        raster(&p, "test", &pops, 10.0, &markers).unwrap();
        assert_eq!(png_size(&p), RASTER_SIZE);
        assert_eq!(svg_size(&p.with_extension("svg")), RASTER_SIZE);
        let empty = dir.join("empty.png");
        raster(&empty, "empty", &[], 0.0, &[]).unwrap();
        assert_eq!(png_size(&empty), RASTER_SIZE);
    }

    #[test]
    fn rate_bins_are_round_numbers() {
        assert_eq!(rate_bin_ms(1000.0), 10.0);
        assert_eq!(rate_bin_ms(120.0), 1.0);
        assert_eq!(rate_bin_ms(8000.0), 100.0);
    }
}
