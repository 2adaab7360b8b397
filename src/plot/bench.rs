//! The side-by-side benchmark report as a figure (`engram bench --plot`): per network a panel of
//! simulation wall time against thread count, one series per simulator, median with min–max
//! bars over rounds, on a log scale (the peers differ by orders of magnitude). Reads the JSON
//! lines `engram bench --json` and the peer scripts in `bench/peers/` print; in a Markdown
//! report of `bench/peers/side_by_side.py`, the lines that start with `{`.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use serde_json::Value;

use super::style::{
    self, Check, Drawn, Figure, LegendEntry, SeriesStyle, FONT, LABEL_SIZE, LEGEND_WIDTH, TICK_SIZE,
};
use super::PlotError;

/// Width and height of the benchmark figure (pixels) and its SVG.
pub const BENCH_SIZE: (u32, u32) = (1400, 720);

/// One timed run.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchRecord {
    /// e.g. "CUBA 4 000, 10 s".
    pub network: String,
    /// e.g. "engram (f64)", "NEST".
    pub simulator: String,
    pub threads: u32,
    pub simulate_s: f64,
}

/// A results file that is not what `--plot` reads.
#[derive(Debug, thiserror::Error)]
#[error("{path}, line {line}: {message}")]
pub struct BenchFileError {
    pub path: String,
    pub line: usize,
    pub message: String,
}

fn display_name(simulator: &str, precision: Option<&str>) -> String {
    match (simulator, precision) {
        ("engram", Some(p)) => format!("engram ({p})"),
        ("nest", _) => "NEST".into(),
        ("brian2", _) => "Brian2".into(),
        (s, _) => s.to_string(),
    }
}

fn network_label(model: &str, neurons: u64, seconds: Option<f64>) -> String {
    let name = match model {
        "cuba" | "coba" => model.to_uppercase(),
        path => Path::new(path)
            .file_stem()
            .map_or(path.to_string(), |s| s.to_string_lossy().into_owned()),
    };
    let mut s = format!("{name} {}", style::thousands(neurons));
    if let Some(t) = seconds {
        s.push_str(&format!(", {t} s"));
    }
    s
}

/// The records of a results file; lines with an `"error"` (a failed run) are left out.
pub fn parse_results(path: &Path, text: &str) -> Result<Vec<BenchRecord>, BenchFileError> {
    let markdown = path.extension().is_some_and(|e| e == "md");
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let fail = |message: String| BenchFileError {
            path: path.display().to_string(),
            line: i + 1,
            message,
        };
        let line = raw.trim();
        if line.is_empty() || (markdown && !line.starts_with('{')) {
            continue;
        }
        let v: Value = serde_json::from_str(line).map_err(|e| {
            fail(format!(
                "not a JSON object ({e}); expected one result per line"
            ))
        })?;
        let obj = v
            .as_object()
            .ok_or_else(|| fail("expected a JSON object".into()))?;
        if obj.contains_key("error") {
            continue;
        }
        let key = |k: &str, want: &str| {
            fail(format!(
                "key \"{k}\": {}; expected {want}",
                obj.get(k)
                    .map_or("missing".to_string(), |v| format!("value {v}"))
            ))
        };
        let text_of = |k: &str| {
            obj.get(k)
                .and_then(Value::as_str)
                .ok_or_else(|| key(k, "a string"))
        };
        let simulator = text_of("simulator")?;
        let model = text_of("model")?;
        let neurons = obj
            .get("neurons")
            .and_then(Value::as_u64)
            .ok_or_else(|| key("neurons", "a whole number"))?;
        let threads = obj
            .get("threads")
            .and_then(Value::as_u64)
            .filter(|&t| (1..=u32::MAX as u64).contains(&t))
            .ok_or_else(|| key("threads", "a whole number >= 1"))?;
        let simulate_s = obj
            .get("simulate_s")
            .and_then(Value::as_f64)
            .filter(|s| s.is_finite() && *s > 0.0)
            .ok_or_else(|| key("simulate_s", "a time in seconds > 0"))?;
        out.push(BenchRecord {
            network: network_label(model, neurons, obj.get("seconds").and_then(Value::as_f64)),
            simulator: display_name(simulator, obj.get("precision").and_then(Value::as_str)),
            threads: threads as u32,
            simulate_s,
        });
    }
    if out.is_empty() {
        return Err(BenchFileError {
            path: path.display().to_string(),
            line: text.lines().count(),
            message: "no results: expected JSON lines of `engram bench --json` or the peer \
                      scripts (keys simulator, model, neurons, threads, simulate_s)"
                .into(),
        });
    }
    Ok(out)
}

/// (min, median, max) of `v` (not empty).
fn spread(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    (v[0], median, v[n - 1])
}

/// Values in first-seen order, without repeats.
fn distinct<T: PartialEq + Clone>(it: impl Iterator<Item = T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for x in it {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}

struct BenchFigure {
    title: String,
    records: Vec<BenchRecord>,
}

impl Figure for BenchFigure {
    fn size(&self) -> (u32, u32) {
        BENCH_SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn {
        let (data_area, legend_area) = style::data_and_legend(root, &self.title, LEGEND_WIDTH)?;
        let networks = distinct(self.records.iter().map(|r| r.network.clone()));
        let mut sims = distinct(self.records.iter().map(|r| r.simulator.clone()));
        // engram's variants first and next to each other, then the peers as they come.
        sims.sort_by_key(|s| !s.starts_with("engram"));
        let lo = self
            .records
            .iter()
            .map(|r| r.simulate_s)
            .fold(f64::MAX, f64::min);
        let hi = self
            .records
            .iter()
            .map(|r| r.simulate_s)
            .fold(0.0, f64::max);
        // Whole decades around the data, the same in every panel.
        // (Slightly wider, so that the end decades are inside the range and get their labels.)
        let (y0, y1) = (
            10f64.powf(lo.log10().floor()) * 0.999,
            10f64.powf(hi.log10().ceil().max(lo.log10().floor() + 1.0)) * 1.001,
        );
        let panels = data_area.split_evenly((1, networks.len()));
        for (i, (net, panel)) in networks.iter().zip(&panels).enumerate() {
            let recs: Vec<&BenchRecord> =
                self.records.iter().filter(|r| &r.network == net).collect();
            let mut threads = distinct(recs.iter().map(|r| r.threads));
            threads.sort_unstable();
            let nt = threads.len() as f64;
            let mut chart = ChartBuilder::on(panel)
                .caption(net, (FONT, LABEL_SIZE))
                .margin(10)
                .x_label_area_size(56)
                .y_label_area_size(80)
                .build_cartesian_2d(-0.5..nt - 0.5, (y0..y1).log_scale())
                .check()?;
            let t_labels = threads.clone();
            chart
                .configure_mesh()
                .x_labels(threads.len() * 2 + 1)
                .x_label_formatter(&|x: &f64| {
                    let i = x.round();
                    if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < t_labels.len() {
                        t_labels[i as usize].to_string()
                    } else {
                        String::new()
                    }
                })
                .y_label_formatter(&|y: &f64| format!("{}", (y * 1e6).round() / 1e6))
                .disable_x_mesh()
                .light_line_style(WHITE)
                .bold_line_style(style::LIGHT_GREY)
                .y_labels(12)
                .x_desc("threads")
                .y_desc(if i == 0 {
                    "simulation wall time (s, log scale)"
                } else {
                    ""
                })
                .label_style((FONT, TICK_SIZE))
                .axis_desc_style((FONT, LABEL_SIZE - 2.0))
                .draw()
                .check()?;
            let n = sims.len() as f64;
            for (k, sim) in sims.iter().enumerate() {
                let style = SeriesStyle::nth(k);
                let dodge = (k as f64 - (n - 1.0) / 2.0) * 0.08;
                let pts: Vec<(f64, (f64, f64, f64))> = threads
                    .iter()
                    .enumerate()
                    .filter_map(|(i, t)| {
                        let v: Vec<f64> = recs
                            .iter()
                            .filter(|r| &r.simulator == sim && r.threads == *t)
                            .map(|r| r.simulate_s)
                            .collect();
                        (!v.is_empty()).then(|| (i as f64 + dodge, spread(v)))
                    })
                    .collect();
                let c = style.color;
                chart
                    .draw_series(LineSeries::new(
                        pts.iter().map(|&(x, (_, m, _))| (x, m)),
                        c.stroke_width(2),
                    ))
                    .check()?;
                chart
                    .draw_series(pts.iter().map(|&(x, (a, m, b))| {
                        ErrorBar::new_vertical(x, a, m, b, c.stroke_width(2), 10)
                    }))
                    .check()?;
                for &(x, (_, m, _)) in &pts {
                    let g = style.glyph.expect("series have markers");
                    style::draw_glyph(root, chart.backend_coord(&(x, m)), g, 6, c)?;
                }
            }
        }
        let legend: Vec<LegendEntry> = sims
            .iter()
            .enumerate()
            .map(|(k, s)| LegendEntry {
                label: s.clone(),
                style: SeriesStyle::nth(k),
            })
            .collect();
        style::draw_legend(&legend_area, None, &legend)?;
        style::draw_legend_note(
            &legend_area,
            &["median over rounds;", "bars: fastest to slowest"],
        )?;
        Ok(())
    }
}

/// The records of the results file `input`.
pub fn read_results(input: &Path) -> Result<Vec<BenchRecord>, BenchFileError> {
    let text = std::fs::read_to_string(input).map_err(|e| BenchFileError {
        path: input.display().to_string(),
        line: 0,
        message: format!("cannot read: {e}"),
    })?;
    parse_results(input, &text)
}

/// Draws `records` to `out` (PNG) and beside it as SVG.
pub fn bench_plot(out: &Path, records: Vec<BenchRecord>) -> Result<(), PlotError> {
    style::save(
        out,
        &BenchFigure {
            title: format!(
                "Simulation wall time per simulator and thread count ({} runs)",
                records.len()
            ),
            records,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"simulator": "engram", "model": "cuba", "neurons": 4000, "threads": 2, "simulate_s": 0.1, "precision": "f64", "seconds": 10.0}"#;

    #[test]
    fn records_are_read_and_labelled() {
        let text = format!(
            "{LINE}\n{{\"simulator\": \"nest\", \"threads\": 1, \"error\": \"timeout\"}}\n"
        );
        let r = parse_results(Path::new("r.jsonl"), &text).unwrap();
        assert_eq!(
            r,
            vec![BenchRecord {
                network: "CUBA 4 000, 10 s".into(),
                simulator: "engram (f64)".into(),
                threads: 2,
                simulate_s: 0.1
            }]
        );
        let md = format!("# report\n| a | b |\n```\n{LINE}\n```\n");
        assert_eq!(parse_results(Path::new("r.md"), &md).unwrap().len(), 1);
    }

    #[test]
    fn bad_lines_name_file_line_key_and_value() {
        let bad = LINE.replace("\"threads\": 2", "\"threads\": 0");
        let e = parse_results(Path::new("r.jsonl"), &format!("{LINE}\n{bad}\n")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "r.jsonl, line 2: key \"threads\": value 0; expected a whole number >= 1"
        );
        let e = parse_results(Path::new("r.jsonl"), "simulate_s = 3\n").unwrap_err();
        assert!(e
            .to_string()
            .starts_with("r.jsonl, line 1: not a JSON object"));
        let e = parse_results(Path::new("r.md"), "# nothing\n").unwrap_err();
        assert!(e.to_string().contains("no results"), "{e}");
    }

    #[test]
    fn spread_is_min_median_max() {
        assert_eq!(spread(vec![3.0, 1.0, 2.0]), (1.0, 2.0, 3.0));
        assert_eq!(spread(vec![4.0, 1.0]), (1.0, 2.5, 4.0));
    }
}
