//! Per-population distributions of spike statistics (rate, ISI CV, spike-count correlation),
//! one panel each, one box per population and run: the box spans the quartiles, the bar in it
//! is the median, the whiskers reach the 5th and 95th percentiles. Two runs (`engram analyse A
//! --against B`) stand side by side in each population's slot.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{
    self, Check, Drawn, Figure, LegendEntry, SeriesStyle, FONT, LEGEND_WIDTH, TICK_SIZE,
};
use super::PlotError;
use crate::spike_stats::PopulationStats;

/// Width and height of `analysis.png` and `analysis.svg`.
pub const SIZE: (u32, u32) = (1500, 1150);

/// One run's statistics and its label.
pub struct Series<'a> {
    pub label: String,
    pub stats: &'a [PopulationStats],
}

struct Distributions<'a> {
    title: String,
    series: Vec<Series<'a>>,
}

/// The value at quantile `q` of sorted `v` (linear interpolation, as numpy's default).
fn quantile(v: &[f64], q: f64) -> f64 {
    let pos = q * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

/// (p5, q1, median, q3, p95) of `v`, or `None` when empty.
fn five_numbers(v: &[f64]) -> Option<[f64; 5]> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    Some([0.05, 0.25, 0.5, 0.75, 0.95].map(|q| quantile(&s, q)))
}

type Pick = fn(&PopulationStats) -> &[f64];

impl Distributions<'_> {
    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        y_label: &str,
        pick: Pick,
    ) -> Drawn {
        let names: Vec<&str> = self.series[0]
            .stats
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        let boxes: Vec<Vec<Option<[f64; 5]>>> = self
            .series
            .iter()
            .map(|s| {
                names
                    .iter()
                    .map(|n| {
                        s.stats
                            .iter()
                            .find(|p| p.name == *n)
                            .and_then(|p| five_numbers(pick(p)))
                    })
                    .collect()
            })
            .collect();
        let all = boxes.iter().flatten().flatten();
        let lo = all.clone().map(|b| b[0]).fold(f64::INFINITY, f64::min);
        let hi = all.map(|b| b[4]).fold(f64::NEG_INFINITY, f64::max);
        let (lo, hi) = if lo.is_finite() && hi > lo {
            (lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo))
        } else {
            (0.0, 1.0)
        };
        let n = names.len() as f64;
        let mut chart = style::value_chart(area, 0.0..n, lo..hi, 30, y_label, &|y| {
            if (hi - lo) < 0.1 {
                format!("{y:.3}")
            } else {
                format!("{y:.1}")
            }
        })?;
        let k = self.series.len() as f64;
        let width = 0.7 / k;
        for (s, row) in boxes.iter().enumerate() {
            let color = style::color(s);
            for (i, b) in row.iter().enumerate() {
                let Some([p5, q1, med, q3, p95]) = *b else {
                    continue;
                };
                let x0 = i as f64 + 0.15 + s as f64 * width;
                let (x1, xm) = (x0 + width * 0.9, x0 + width * 0.45);
                chart
                    .draw_series([
                        Rectangle::new([(x0, q1), (x1, q3)], color.mix(0.35).filled()),
                        Rectangle::new([(x0, q1), (x1, q3)], color.stroke_width(2)),
                    ])
                    .check()?;
                chart
                    .draw_series([
                        PathElement::new(vec![(x0, med), (x1, med)], color.stroke_width(3)),
                        PathElement::new(vec![(xm, p5), (xm, q1)], color.stroke_width(2)),
                        PathElement::new(vec![(xm, q3), (xm, p95)], color.stroke_width(2)),
                    ])
                    .check()?;
            }
        }
        let font = (FONT, TICK_SIZE).into_font();
        let top = Pos::new(HPos::Center, VPos::Top);
        for (i, name) in names.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(i as f64 + 0.5, lo));
            area.draw(&Text::new(
                name.to_string(),
                (x, y + 6),
                font.clone().color(&BLACK).pos(top),
            ))
            .check()?;
        }
        Ok(())
    }
}

impl Figure for Distributions<'_> {
    fn size(&self) -> (u32, u32) {
        SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn {
        let (data, legend_area) = style::data_and_legend(root, &self.title, LEGEND_WIDTH)?;
        let panels = data.split_evenly((3, 1));
        let picks: [(&str, Pick); 3] = [
            ("rate (Hz)", |p| &p.rates),
            ("ISI CV", |p| &p.cvs),
            ("spike-count correlation", |p| &p.ccs),
        ];
        for (area, (label, pick)) in panels.iter().zip(picks) {
            self.panel(area, label, pick)?;
        }
        let legend: Vec<LegendEntry> = self
            .series
            .iter()
            .enumerate()
            .map(|(k, s)| LegendEntry {
                label: s.label.clone(),
                style: SeriesStyle::block(style::color(k)),
            })
            .collect();
        style::draw_legend(&legend_area, None, &legend)?;
        style::draw_legend_note(
            &legend_area,
            &["box: quartiles, bar: median;", "whiskers: 5th-95th pct."],
        )?;
        Ok(())
    }
}

/// Draws the distributions of one or two runs to `png` (and the SVG beside it).
pub fn distributions_plot(png: &Path, title: &str, series: Vec<Series>) -> Result<(), PlotError> {
    style::save(
        png,
        &Distributions {
            title: title.to_string(),
            series,
        },
    )
}
