//! Curves with error bars: one colour and marker per series, a dashed reference line (chance),
//! the legend beside the data, and a log x axis when x spans decades (with a separate slot for
//! x = 0, which a log axis cannot place). Used for the delayed-recall retention plot.

use std::path::Path;

use networks::experiment::RecallRow;
use networks::modelfile::ExperimentEntry;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{
    self, Check, Drawn, Figure, LegendEntry, SeriesStyle, FONT, LABEL_SIZE, LEGEND_WIDTH, TICK_SIZE,
};
use super::PlotError;

/// Width and height of `recall.png` (pixels) and `recall.svg`.
pub const RECALL_SIZE: (u32, u32) = (1300, 760);

/// One series: (x, y, standard error) points.
pub struct Curve {
    pub name: String,
    pub points: Vec<(f64, f64, f64)>,
}

/// A plot of curves against one x axis.
pub struct Curves {
    pub title: String,
    /// The x quantity and its unit: "delay (ms)" is ("delay", "ms").
    pub x_label: (String, String),
    pub y_label: String,
    pub curves: Vec<Curve>,
    /// A dashed horizontal line (label, y), e.g. chance.
    pub reference: Option<(String, f64)>,
    pub y_range: (f64, f64),
    pub size: (u32, u32),
}

/// Where x values go on the axis: log10 for x > 0 when x spans at least a decade (x = 0 then
/// gets its own slot half a decade left of the smallest positive x), else x itself.
struct XScale {
    log: bool,
    zero_slot: f64,
}

impl XScale {
    fn new(xs: &[f64]) -> Self {
        let pos: Vec<f64> = xs.iter().copied().filter(|&x| x > 0.0).collect();
        let lo = pos.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = pos.iter().copied().fold(0.0, f64::max);
        let log = xs.iter().all(|&x| x >= 0.0) && pos.len() >= 2 && hi / lo >= 10.0;
        XScale {
            log,
            zero_slot: if log { lo.log10() - 0.5 } else { 0.0 },
        }
    }
    fn at(&self, x: f64) -> f64 {
        match (self.log, x > 0.0) {
            (true, true) => x.log10(),
            (true, false) => self.zero_slot,
            (false, _) => x,
        }
    }
}

/// Tick label of x: integers without decimals.
fn tick(x: f64) -> String {
    if x == x.round() && x.abs() < 1e9 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

impl Figure for Curves {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn {
        let (data_area, legend_area) = style::data_and_legend(root, &self.title, LEGEND_WIDTH)?;
        let mut xs: Vec<f64> = self
            .curves
            .iter()
            .flat_map(|c| c.points.iter().map(|p| p.0))
            .collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        let scale = XScale::new(&xs);
        let us: Vec<f64> = xs.iter().map(|&x| scale.at(x)).collect();
        let (u0, u1) = match (us.first(), us.last()) {
            (Some(&a), Some(&b)) if b > a => (a, b),
            (Some(&a), _) => (a - 1.0, a + 1.0),
            _ => (0.0, 1.0),
        };
        let pad = (u1 - u0) * 0.06;
        let mut chart = style::value_chart(
            &data_area,
            (u0 - pad)..(u1 + pad),
            self.y_range.0..self.y_range.1,
            60,
            &self.y_label,
            &|y| format!("{y:.1}"),
        )?;
        // x ticks at the values measured (few) or at the decades.
        let ticks: Vec<f64> = if xs.len() <= 12 {
            xs.clone()
        } else if scale.log {
            let (a, b) = (us[0].ceil() as i32, u1.floor() as i32);
            (a..=b).map(|k| 10f64.powi(k)).collect()
        } else {
            (0..=6).map(|i| u0 + (u1 - u0) * i as f64 / 6.0).collect()
        };
        let font = (FONT, TICK_SIZE).into_font();
        let top = Pos::new(HPos::Center, VPos::Top);
        let (y0, y1) = self.y_range;
        for &x in &ticks {
            let u = scale.at(x);
            let a = chart.backend_coord(&(u, y0));
            let b = chart.backend_coord(&(u, y1));
            root.draw(&PathElement::new(
                vec![a, b],
                style::LIGHT_GREY.stroke_width(1),
            ))
            .check()?;
            root.draw(&PathElement::new(
                vec![a, (a.0, a.1 + 6)],
                BLACK.stroke_width(1),
            ))
            .check()?;
            root.draw(&Text::new(
                tick(x),
                (a.0, a.1 + 9),
                font.clone().color(&BLACK).pos(top),
            ))
            .check()?;
        }
        let (quantity, unit) = &self.x_label;
        let x_desc = if scale.log {
            format!("{quantity} ({unit}, log scale)")
        } else {
            format!("{quantity} ({unit})")
        };
        let (xl, yl) = chart.backend_coord(&((u0 + u1) / 2.0, y0));
        root.draw(&Text::new(
            x_desc,
            (xl, yl + 34),
            (FONT, LABEL_SIZE).into_font().color(&BLACK).pos(top),
        ))
        .check()?;
        if scale.log && xs.first() == Some(&0.0) {
            // An axis break between the x = 0 slot and the log axis.
            let mid = (scale.zero_slot + us[1]) / 2.0;
            let (bx, by) = chart.backend_coord(&(mid, y0));
            for dx in [-4, 3] {
                root.draw(&PathElement::new(
                    vec![(bx + dx - 4, by + 7), (bx + dx + 4, by - 7)],
                    BLACK.stroke_width(2),
                ))
                .check()?;
            }
        }
        let mut legend = Vec::new();
        if let Some((label, y)) = &self.reference {
            let style = SeriesStyle::reference(style::GREY);
            let a = chart.backend_coord(&(u0 - pad, *y));
            let b = chart.backend_coord(&(u1 + pad, *y));
            style::draw_dashed(root, a, b, style.color.stroke_width(2))?;
            legend.push(LegendEntry {
                label: label.clone(),
                style,
            });
        }
        let n = self.curves.len() as f64;
        for (k, c) in self.curves.iter().enumerate() {
            let style = SeriesStyle::nth(k);
            // Series side by side at each x, so that their error bars do not hide each other.
            let dodge = (k as f64 - (n - 1.0) / 2.0) * 0.006 * (u1 - u0);
            let pts: Vec<(f64, f64, f64)> = c
                .points
                .iter()
                .map(|&(x, y, e)| (scale.at(x) + dodge, y, e))
                .collect();
            let color = style.color;
            chart
                .draw_series(pts.iter().map(|&(u, y, e)| {
                    ErrorBar::new_vertical(u, y - e, y, y + e, color.stroke_width(2), 10)
                }))
                .check()?;
            // Lines only within a run of positive x: no line across the axis break.
            let (zero, positive): (Vec<_>, Vec<_>) = pts
                .iter()
                .zip(&c.points)
                .partition(|(_, orig)| scale.log && orig.0 <= 0.0);
            for part in [zero, positive] {
                chart
                    .draw_series(LineSeries::new(
                        part.iter().map(|(p, _)| (p.0, p.1)),
                        color.stroke_width(2),
                    ))
                    .check()?;
            }
            for &(u, y, _) in &pts {
                let g = style.glyph.expect("series have markers");
                style::draw_glyph(root, chart.backend_coord(&(u, y)), g, 6, color)?;
            }
            legend.push(LegendEntry {
                label: c.name.clone(),
                style,
            });
        }
        style::draw_legend(&legend_area, None, &legend)
    }
}

/// `recall.png` / `recall.svg` of a delayed-recall experiment: accuracy ± standard error
/// against the delay, per condition; chance as a dashed line.
pub fn recall_curve(
    path: &Path,
    exp: &ExperimentEntry,
    rows: &[RecallRow],
) -> Result<(), PlotError> {
    let curves = exp
        .conditions
        .iter()
        .map(|(name, _)| Curve {
            name: name.clone(),
            points: rows
                .iter()
                .filter(|r| &r.condition == name)
                .map(|r| (r.delay_ms, r.accuracy, r.stderr))
                .collect(),
        })
        .collect();
    style::save(
        path,
        &Curves {
            title: format!(
                "Delayed recall: {} items, {} trials per point (± standard error)",
                exp.items, exp.trials
            ),
            x_label: ("delay between cue and probe".into(), "ms".into()),
            y_label: "recall accuracy (fraction of trials)".into(),
            curves,
            reference: Some((
                format!("chance (1/{})", exp.items),
                1.0 / exp.items.max(1) as f64,
            )),
            y_range: (0.0, 1.02),
            size: RECALL_SIZE,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::super::check::{png_size, svg_size, temp_dir};
    use super::*;

    #[test]
    fn log_scale_only_when_x_spans_decades() {
        let s = XScale::new(&[0.0, 100.0, 1000.0, 8000.0]);
        assert!(s.log);
        assert_eq!(s.at(1000.0), 3.0);
        assert_eq!(s.at(0.0), 1.5);
        assert!(!XScale::new(&[1.0, 2.0, 5.0]).log);
        assert!(!XScale::new(&[-1.0, 100.0, 1000.0]).log);
    }

    #[test]
    fn curves_are_a_png_and_an_svg_of_the_stated_size() {
        let p = temp_dir("lines").join("curves.png");
        let fig = Curves {
            title: "t".into(),
            x_label: ("delay".into(), "ms".into()),
            y_label: "accuracy".into(),
            curves: vec![Curve {
                name: "a".into(),
                points: vec![(0.0, 0.9, 0.05), (100.0, 0.5, 0.1), (1000.0, 0.2, 0.05)],
            }],
            reference: Some(("chance".into(), 0.125)),
            y_range: (0.0, 1.0),
            size: RECALL_SIZE,
        };
        style::save(&p, &fig).unwrap();
        assert_eq!(png_size(&p), RECALL_SIZE);
        assert_eq!(svg_size(&p.with_extension("svg")), RECALL_SIZE);
    }
}
