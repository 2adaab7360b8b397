//! The CAM recall table as a figure (`recall_table.png` / `.svg` of `engram cam`): per operation
//! kind, how many operations there were, how many the network answered as an ideal CAM would,
//! and how many answers had extra or missing members.

use std::path::Path;

use networks::ca3::{Answer, RecallRow};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{
    self, Check, Drawn, Figure, LegendEntry, SeriesStyle, FONT, LABEL_SIZE, LEGEND_WIDTH, TICK_SIZE,
};
use super::PlotError;

/// Width and height of `recall_table.png` (pixels) and `recall_table.svg`.
pub const CAM_SIZE: (u32, u32) = (1200, 700);

const KINDS: [(&str, &str); 3] = [
    ("learn", "learn"),
    ("recall_by_cue", "recall by cue"),
    ("recall_by_content", "recall by content"),
];

/// Counts of one operation kind: operations, matches, extra answers, missing answers.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct KindCounts {
    pub operations: usize,
    pub matches: usize,
    pub extra: usize,
    pub missing: usize,
}

/// Does `a` hold anything `b` does not (cues, content or forgotten bits)?
fn has_more(a: &Answer, b: &Answer) -> bool {
    !a.cues.is_subset(&b.cues)
        || !a.content.is_subset(&b.content)
        || !a.forgotten.is_subset(&b.forgotten)
}

/// The counts per operation kind, in the order learn, recall by cue, recall by content.
pub fn counts(rows: &[RecallRow]) -> [KindCounts; 3] {
    let mut out = [KindCounts::default(); 3];
    for r in rows {
        let k = KINDS
            .iter()
            .position(|(kind, _)| *kind == r.operation.kind())
            .expect("every operation kind is listed");
        let c = &mut out[k];
        c.operations += 1;
        c.matches += usize::from(r.matches);
        c.extra += usize::from(has_more(&r.answered, &r.expected));
        c.missing += usize::from(has_more(&r.expected, &r.answered));
    }
    out
}

struct CamFigure {
    title: String,
    counts: [KindCounts; 3],
}

impl Figure for CamFigure {
    fn size(&self) -> (u32, u32) {
        CAM_SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn {
        let (data_area, legend_area) =
            style::data_and_legend(root, &self.title, LEGEND_WIDTH + 20)?;
        let top = self
            .counts
            .iter()
            .map(|c| c.operations)
            .max()
            .unwrap_or(0)
            .max(1) as f64
            * 1.12;
        // Counts: labels at whole numbers only.
        let mut chart =
            style::value_chart(&data_area, -0.5..2.5, 0.0..top, 50, "operations", &|y| {
                if y.fract() == 0.0 {
                    format!("{y}")
                } else {
                    String::new()
                }
            })?;
        let bars = bar_styles();
        let value = (FONT, TICK_SIZE)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Bottom));
        for (k, c) in self.counts.iter().enumerate() {
            let values = [c.operations, c.matches, c.extra, c.missing];
            for (j, (v, (_, s))) in values.iter().zip(&bars).enumerate() {
                let x0 = k as f64 - 0.4 + j as f64 * 0.2;
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x0 + 0.02, 0.0), (x0 + 0.18, *v as f64)],
                        s.color.filled(),
                    )))
                    .check()?;
                let (x, y) = chart.backend_coord(&(x0 + 0.1, *v as f64));
                root.draw(&Text::new(v.to_string(), (x, y - 3), value.clone()))
                    .check()?;
            }
            let (x, y) = chart.backend_coord(&(k as f64, 0.0));
            root.draw(&Text::new(
                KINDS[k].1,
                (x, y + 10),
                (FONT, LABEL_SIZE)
                    .into_font()
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Center, VPos::Top)),
            ))
            .check()?;
        }
        let legend: Vec<LegendEntry> = bars
            .iter()
            .map(|(label, style)| LegendEntry {
                label: label.to_string(),
                style: *style,
            })
            .collect();
        style::draw_legend(&legend_area, None, &legend)
    }
}

fn bar_styles() -> [(&'static str, SeriesStyle); 4] {
    [
        ("operations", SeriesStyle::block(style::GREY)),
        ("as an ideal CAM", SeriesStyle::block(style::color(2))),
        ("extra answers", SeriesStyle::block(style::color(1))),
        ("missing answers", SeriesStyle::block(style::color(0))),
    ]
}

/// Writes the figure of `rows` to `path` (PNG) and beside it as SVG.
pub fn recall_table(
    path: &Path,
    cues: u32,
    content_bits: u32,
    rows: &[RecallRow],
) -> Result<(), PlotError> {
    let counts = counts(rows);
    let matches: usize = counts.iter().map(|c| c.matches).sum();
    style::save(
        path,
        &CamFigure {
            title: format!(
                "CAM recall, {cues} cues x {content_bits} bits: {matches} of {} operations answered as an ideal CAM",
                rows.len()
            ),
            counts,
        },
    )
}
