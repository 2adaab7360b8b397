//! PNG plots of runs: spike rasters (with optional markers, e.g. CAM operations) and line plots.
//!
//! The DejaVu Sans font is compiled in (`assets/fonts`), so plots work on machines without any
//! font installed.

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

static FONT: Once = Once::new();

fn ensure_font() {
    FONT.call_once(|| {
        // Registration only fails for invalid font data, which the bundled file is not.
        let _ = register_font(
            "sans-serif",
            FontStyle::Normal,
            include_bytes!("../assets/fonts/DejaVuSans.ttf"),
        );
    });
}

#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct PlotError {
    pub path: String,
    pub message: String,
}

fn err(path: &Path, e: impl std::fmt::Display) -> PlotError {
    PlotError {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// The spikes of one population.
pub struct RasterPopulation<'a> {
    pub name: &'a str,
    pub size: u32,
    pub times_ms: &'a [f64],
    pub senders: &'a [u32],
}

/// A labelled vertical line.
#[derive(Debug, Clone)]
pub struct Marker {
    pub t_ms: f64,
    pub label: String,
}

/// At most this many spikes are drawn; above it every k-th spike is (and the title says so).
const MAX_DRAWN: usize = 200_000;

/// One PNG with the populations stacked bottom-up, each in its labelled band.
pub fn raster_png(
    path: &Path,
    title: &str,
    pops: &[RasterPopulation],
    t_stop_ms: f64,
    markers: &[Marker],
) -> Result<(), PlotError> {
    ensure_font();
    let total: usize = pops.iter().map(|p| p.times_ms.len()).sum();
    let stride = total.div_ceil(MAX_DRAWN).max(1);
    let title = if stride > 1 {
        format!("{title} (every {stride}th of {total} spikes)")
    } else {
        title.to_string()
    };
    let rows: u32 = pops.iter().map(|p| p.size).sum::<u32>().max(1);
    let root = BitMapBackend::new(path, (1600, 900)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(path, e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(&title, ("sans-serif", 24))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..t_stop_ms.max(1e-9), 0.0..rows as f64)
        .map_err(|e| err(path, e))?;
    let mut offsets = Vec::with_capacity(pops.len());
    let mut acc = 0u32;
    for p in pops {
        offsets.push((acc, p));
        acc += p.size;
    }
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("time (ms)")
        .y_desc("neuron (stacked by population)")
        .draw()
        .map_err(|e| err(path, e))?;
    let palette = [&BLUE, &RED, &GREEN, &MAGENTA, &CYAN, &BLACK];
    for (k, (off, p)) in offsets.iter().enumerate() {
        let color = palette[k % palette.len()];
        if k > 0 {
            chart
                .draw_series(LineSeries::new(
                    [(0.0, *off as f64), (t_stop_ms, *off as f64)],
                    BLACK.mix(0.2),
                ))
                .map_err(|e| err(path, e))?;
        }
        let points = p
            .times_ms
            .iter()
            .zip(p.senders)
            .step_by(stride)
            .map(|(&t, &s)| Circle::new((t, *off as f64 + s as f64 + 0.5), 1, color.filled()));
        chart.draw_series(points).map_err(|e| err(path, e))?;
        // The population's name inside its band, at the left edge.
        chart
            .draw_series(std::iter::once(Text::new(
                p.name.to_string(),
                (t_stop_ms * 0.004, *off as f64 + p.size as f64 * 0.5),
                ("sans-serif", 16).into_font().color(&BLACK),
            )))
            .map_err(|e| err(path, e))?;
    }
    for m in markers {
        chart
            .draw_series(LineSeries::new(
                [(m.t_ms, 0.0), (m.t_ms, rows as f64)],
                BLACK.mix(0.35),
            ))
            .map_err(|e| err(path, e))?;
        chart
            .draw_series(std::iter::once(Text::new(
                m.label.clone(),
                (m.t_ms, rows as f64 * 0.985),
                ("sans-serif", 13),
            )))
            .map_err(|e| err(path, e))?;
    }
    root.present().map_err(|e| err(path, e))
}

/// A line plot of named (x, y) series.
pub fn line_plot_png(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(&str, &[(f64, f64)])],
) -> Result<(), PlotError> {
    ensure_font();
    let pts = series.iter().flat_map(|s| s.1.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in pts {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if x0 > x1 {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
    }
    let pad = ((y1 - y0) * 0.05).max(1e-9);
    let root = BitMapBackend::new(path, (1200, 800)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(path, e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 24))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(x0..x1.max(x0 + 1e-9), (y0 - pad)..(y1 + pad))
        .map_err(|e| err(path, e))?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .draw()
        .map_err(|e| err(path, e))?;
    let palette = [&BLUE, &RED, &GREEN, &MAGENTA, &CYAN, &BLACK];
    for (k, (name, data)) in series.iter().enumerate() {
        let color = palette[k % palette.len()];
        chart
            .draw_series(LineSeries::new(data.iter().copied(), color.stroke_width(2)))
            .map_err(|e| err(path, e))?
            .label(*name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
        chart
            .draw_series(data.iter().map(|&p| Circle::new(p, 4, color.filled())))
            .map_err(|e| err(path, e))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(path, e))?;
    root.present().map_err(|e| err(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_size(path: &Path) -> (u32, u32) {
        let b = std::fs::read(path).unwrap();
        assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&b[12..16], b"IHDR");
        (
            u32::from_be_bytes([b[16], b[17], b[18], b[19]]),
            u32::from_be_bytes([b[20], b[21], b[22], b[23]]),
        )
    }

    #[test]
    fn raster_and_line_plots_are_pngs() {
        let dir = std::env::temp_dir().join(format!("engram-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let t = [1.0, 2.0, 5.5];
        let s = [0, 3, 1];
        let pops = [
            RasterPopulation {
                name: "in",
                size: 4,
                times_ms: &t,
                senders: &s,
            },
            RasterPopulation {
                name: "out",
                size: 2,
                times_ms: &[],
                senders: &[],
            },
        ];
        let markers = [Marker {
            t_ms: 2.0,
            label: "learn".into(),
        }];
        let p = dir.join("raster.png");
        raster_png(&p, "test", &pops, 10.0, &markers).unwrap();
        assert_eq!(png_size(&p), (1600, 900));
        let empty = dir.join("empty.png");
        raster_png(&empty, "empty", &[], 0.0, &[]).unwrap();
        assert_eq!(png_size(&empty), (1600, 900));
        let l = dir.join("line.png");
        line_plot_png(
            &l,
            "curve",
            "delay (ms)",
            "accuracy",
            &[("on", &[(0.0, 1.0), (1.0, 0.5)])],
        )
        .unwrap();
        assert_eq!(png_size(&l), (1200, 800));
    }
}
