//! The one look of every engram figure: the bundled font, type sizes, the Okabe–Ito palette
//! (distinguishable with every common colour-vision deficiency) with a marker shape per series,
//! a sequential colour map, legends in their own panel beside the data, and the PNG + SVG pair
//! every figure is written as.

use std::path::Path;
use std::sync::Once;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

use super::PlotError;

pub const FONT: &str = "sans-serif";
pub const TITLE_SIZE: f64 = 26.0;
pub const LABEL_SIZE: f64 = 20.0;
pub const TICK_SIZE: f64 = 16.0;
pub const LEGEND_SIZE: f64 = 17.0;
/// Width of the legend panel right of the data.
pub const LEGEND_WIDTH: u32 = 250;

/// Okabe & Ito (2008), in the order series take them (yellow last: it is faint on white).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0x00, 0x00, 0x00), // black
    RGBColor(0xF0, 0xE4, 0x42), // yellow
];
pub const GREY: RGBColor = RGBColor(0x99, 0x99, 0x99);
pub const LIGHT_GREY: RGBColor = RGBColor(0xE6, 0xE6, 0xE6);

/// The colour of series `k`.
pub fn color(k: usize) -> RGBColor {
    PALETTE[k % PALETTE.len()]
}

/// Marker shapes, so that series stay apart in greyscale print too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Glyph {
    Circle,
    Square,
    TriangleUp,
    Diamond,
    TriangleDown,
    Cross,
}

const GLYPHS: [Glyph; 6] = [
    Glyph::Circle,
    Glyph::Square,
    Glyph::TriangleUp,
    Glyph::Diamond,
    Glyph::TriangleDown,
    Glyph::Cross,
];

/// The marker of series `k`.
pub fn glyph(k: usize) -> Glyph {
    GLYPHS[k % GLYPHS.len()]
}

/// How one series looks: colour, marker, and whether its line is dashed (reference lines).
#[derive(Clone, Copy, Debug)]
pub struct SeriesStyle {
    pub color: RGBColor,
    pub glyph: Option<Glyph>,
    /// Joined by a line (dashed or solid); otherwise a marker alone, or a block without one.
    pub line: bool,
    pub dashed: bool,
}

impl SeriesStyle {
    /// Series `k` of a figure.
    pub fn nth(k: usize) -> Self {
        SeriesStyle {
            color: color(k),
            glyph: Some(glyph(k)),
            line: true,
            dashed: false,
        }
    }
    /// A reference line (chance, a budget): dashed, no marker.
    pub fn reference(color: RGBColor) -> Self {
        SeriesStyle {
            color,
            glyph: None,
            line: true,
            dashed: true,
        }
    }
    /// A marker alone (points not joined).
    pub fn marker(color: RGBColor, glyph: Glyph) -> Self {
        SeriesStyle {
            color,
            glyph: Some(glyph),
            line: false,
            dashed: false,
        }
    }
    /// A filled block (bars).
    pub fn block(color: RGBColor) -> Self {
        SeriesStyle {
            color,
            glyph: None,
            line: false,
            dashed: false,
        }
    }
}

/// Draws marker `g` of radius `r` pixels centred on the pixel `(x, y)`.
pub fn draw_glyph<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    g: Glyph,
    r: i32,
    color: RGBColor,
) -> Drawn {
    let fill = color.filled();
    let poly = |pts: Vec<(i32, i32)>| Polygon::new(pts, fill);
    match g {
        Glyph::Circle => area.draw(&Circle::new((x, y), r, fill)),
        Glyph::Square => area.draw(&Rectangle::new([(x - r, y - r), (x + r, y + r)], fill)),
        Glyph::TriangleUp => area.draw(&poly(vec![
            (x, y - r - 1),
            (x + r + 1, y + r),
            (x - r - 1, y + r),
        ])),
        Glyph::TriangleDown => area.draw(&poly(vec![
            (x, y + r + 1),
            (x + r + 1, y - r),
            (x - r - 1, y - r),
        ])),
        Glyph::Diamond => area.draw(&poly(vec![
            (x, y - r - 1),
            (x + r + 1, y),
            (x, y + r + 1),
            (x - r - 1, y),
        ])),
        Glyph::Cross => {
            let s = color.stroke_width(3);
            area.draw(&PathElement::new(vec![(x - r, y - r), (x + r, y + r)], s))
                .check()?;
            area.draw(&PathElement::new(vec![(x - r, y + r), (x + r, y - r)], s))
        }
    }
    .check()
}

/// A dashed line through pixel points (plotters' dashed series, in pixel coordinates).
pub fn draw_dashed<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    from: (i32, i32),
    to: (i32, i32),
    style: ShapeStyle,
) -> Drawn {
    let (dx, dy) = ((to.0 - from.0) as f64, (to.1 - from.1) as f64);
    let len = dx.hypot(dy);
    let (dash, gap) = (10.0, 6.0);
    let mut s = 0.0;
    while s < len {
        let e = (s + dash).min(len);
        let at = |f: f64| {
            (
                from.0 + (dx * f / len).round() as i32,
                from.1 + (dy * f / len).round() as i32,
            )
        };
        area.draw(&PathElement::new(vec![at(s), at(e)], style))
            .check()?;
        s += dash + gap;
    }
    Ok(())
}

/// One legend line: a sample of the series and its label.
pub struct LegendEntry {
    pub label: String,
    pub style: SeriesStyle,
}

/// Draws the legend in `area` (the panel right of the data, so it never covers any).
pub fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: Option<&str>,
    entries: &[LegendEntry],
) -> Drawn {
    let font = (FONT, LEGEND_SIZE).into_font();
    let mut y = 10;
    if let Some(t) = title {
        area.draw(&Text::new(t.to_string(), (8, y), font.clone()))
            .check()?;
        y += 28;
    }
    for e in entries {
        let mid = y + 10;
        let s = e.style;
        if s.line {
            let line = s.color.stroke_width(2);
            if s.dashed {
                draw_dashed(area, (8, mid), (48, mid), line)?;
            } else {
                area.draw(&PathElement::new(vec![(8, mid), (48, mid)], line))
                    .check()?;
            }
        } else if s.glyph.is_none() {
            area.draw(&Rectangle::new(
                [(14, mid - 8), (42, mid + 8)],
                s.color.filled(),
            ))
            .check()?;
        }
        if let Some(g) = s.glyph {
            draw_glyph(area, (28, mid), g, 5, s.color)?;
        }
        area.draw(&Text::new(e.label.clone(), (58, y), font.clone()))
            .check()?;
        y += 28;
    }
    Ok(())
}

/// Lines of small print at the foot of a legend panel (what the marks mean).
pub fn draw_legend_note<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    lines: &[&str],
) -> Drawn {
    let (_, h) = area.dim_in_pixel();
    for (i, line) in lines.iter().enumerate() {
        area.draw(&Text::new(
            *line,
            (8, h as i32 - 60 + 22 * i as i32),
            (FONT, TICK_SIZE - 1.0).into_font(),
        ))
        .check()?;
    }
    Ok(())
}

/// Viridis (perceptually uniform, colour-blind safe) at `v` in [0, 1].
pub fn viridis(v: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 9] = [
        (68, 1, 84),
        (71, 44, 122),
        (59, 81, 139),
        (44, 113, 142),
        (33, 144, 141),
        (39, 173, 129),
        (92, 200, 99),
        (170, 220, 50),
        (253, 231, 37),
    ];
    let v = if v.is_finite() {
        v.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let f = v * (STOPS.len() - 1) as f64;
    let i = (f.floor() as usize).min(STOPS.len() - 2);
    let t = f - i as f64;
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * t).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// What drawing returns: the backend's error as text.
pub type Drawn = Result<(), String>;

/// Turns a plotters error into text.
pub trait Check<T> {
    fn check(self) -> Result<T, String>;
}

impl<T, E: std::fmt::Display> Check<T> for Result<T, E> {
    fn check(self) -> Result<T, String> {
        self.map_err(|e| e.to_string())
    }
}

/// A figure: drawn the same way onto the PNG and the SVG backend.
pub trait Figure {
    /// Width and height in pixels (PNG) and user units (SVG).
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn;
}

static FONT_ONCE: Once = Once::new();

fn ensure_font() {
    FONT_ONCE.call_once(|| {
        // Registration only fails for invalid font data, which the bundled file is not.
        let _ = register_font(
            FONT,
            FontStyle::Normal,
            include_bytes!("../../assets/fonts/DejaVuSans.ttf"),
        );
    });
}

/// Writes `fig` to `png` and, beside it, to the same name with `.svg`.
pub fn save(png: &Path, fig: &impl Figure) -> Result<(), PlotError> {
    ensure_font();
    let fail = |e: String| PlotError {
        path: png.display().to_string(),
        message: e,
    };
    let (w, h) = fig.size();
    let mut pixels = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
        root.fill(&WHITE).check().map_err(fail)?;
        fig.draw(&root).map_err(fail)?;
        root.present().check().map_err(fail)?;
    }
    write_png(png, &pixels, (w, h)).map_err(fail)?;
    let svg = png.with_extension("svg");
    let fail = |e: String| PlotError {
        path: svg.display().to_string(),
        message: e,
    };
    let root = SVGBackend::new(&svg, fig.size()).into_drawing_area();
    root.fill(&WHITE).check().map_err(fail)?;
    fig.draw(&root).map_err(fail)?;
    root.present().check().map_err(fail)
}

/// Encodes RGB pixels as a PNG with the best compression (half the size of plotters' default,
/// which keeps the figures the docs commit small).
fn write_png(path: &Path, rgb: &[u8], (w, h): (u32, u32)) -> Result<(), String> {
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    use image::ImageEncoder;
    let file = std::fs::File::create(path).check()?;
    PngEncoder::new_with_quality(
        std::io::BufWriter::new(file),
        CompressionType::Best,
        FilterType::Adaptive,
    )
    .write_image(rgb, w, h, image::ColorType::Rgb8)
    .check()
}

/// The figure's title across the top; returns the area below it.
pub fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, String> {
    root.titled(title, (FONT, TITLE_SIZE)).check()
}

/// The data area and the legend panel beside it.
pub type DataAndLegend<DB> = (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>);

/// The title across the top, then the area below split into the data (left) and a legend panel
/// `legend_width` wide (right).
pub fn data_and_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    legend_width: u32,
) -> Result<DataAndLegend<DB>, String> {
    let body = titled(root, title)?;
    let (w, _) = body.dim_in_pixel();
    Ok(body.split_horizontally(w - legend_width))
}

/// A chart whose x ticks and labels the figure draws itself (categories, or a transformed
/// axis), with values on y: light horizontal grid, the y axis labelled `y_desc`.
pub fn value_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    x_label_area: u32,
    y_desc: &str,
    y_format: &dyn Fn(&f64) -> String,
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>, String> {
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .margin_right(20)
        .x_label_area_size(x_label_area)
        .y_label_area_size(80)
        .build_cartesian_2d(x, y)
        .check()?;
    chart
        .configure_mesh()
        .x_labels(0)
        .disable_x_mesh()
        .light_line_style(WHITE)
        .bold_line_style(LIGHT_GREY)
        .y_label_formatter(y_format)
        .y_desc(y_desc)
        .label_style((FONT, TICK_SIZE))
        .axis_desc_style((FONT, LABEL_SIZE))
        .draw()
        .check()?;
    Ok(chart)
}

/// `n` with thin spaces between thousands (40 000), as the docs write numbers.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palette_colours_and_glyphs_are_distinct() {
        for (i, a) in PALETTE.iter().enumerate() {
            assert!(PALETTE[..i].iter().all(|b| b != a), "{a:?} twice");
        }
        assert_ne!(glyph(0), glyph(1));
        assert_eq!(glyph(6), glyph(0));
    }

    #[test]
    fn viridis_ends_and_thousands() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
        assert_eq!(viridis(f64::NAN), RGBColor(68, 1, 84));
        assert_eq!(thousands(40000), "40 000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1234567), "1 234 567");
    }
}
