//! `engram analyse RUN_DIR [--against OTHER]`: the spike statistics of a run per population
//! (rate, ISI CV, spike-count correlation; `engram::spike_stats`) as a table, `analysis.json`
//! (summaries and the distributions) and `analysis.png`/`.svg` in the run directory; with
//! `--against`, the Kolmogorov–Smirnov distances between the two runs' distributions.

use std::path::{Path, PathBuf};

use clap::Args;
use engram::plot::distributions::{distributions_plot, Series};
use engram::spike_stats::{self, mean_sd, PopulationStats, RunSpikes, Window};
use serde_json::json;

use super::{CliError, CommandError};

#[derive(Args)]
pub struct AnalyseArgs {
    /// The run directory (spikes as `POP.senders.npy`, `POP.times.npy`, and `run.json`).
    pub run: PathBuf,
    /// Another run directory: report the KS distances of its distributions to this run's.
    #[arg(long, value_name = "DIR")]
    pub against: Option<PathBuf>,
    /// Start of the analysed window (ms), e.g. 500 to leave out a presimulation.
    #[arg(long = "from", value_name = "MS", default_value_t = 0.0)]
    pub from_ms: f64,
    /// End of the window (ms; default: the run's duration).
    #[arg(long = "to", value_name = "MS")]
    pub to_ms: Option<f64>,
    /// Bin of the spike counts whose correlations are computed (ms).
    #[arg(long = "bin", value_name = "MS", default_value_t = 2.0)]
    pub bin_ms: f64,
    /// Neurons per population whose pairs are correlated (the first ones of each).
    #[arg(long, default_value_t = 50)]
    pub subsample: usize,
}

fn read(dir: &Path) -> Result<RunSpikes, CliError> {
    spike_stats::read_run(dir).map_err(|e| {
        CliError::input(CommandError::Read {
            path: e.path,
            source: e.source,
        })
    })
}

fn option_error(option: &'static str, value: f64, allowed: String) -> CliError {
    CliError::input(CommandError::OptionValue {
        option,
        value: value.to_string(),
        allowed,
    })
}

/// "mean ± sd (n)" of `v`, or "–".
fn summary(v: &[f64], digits: usize) -> String {
    match mean_sd(v) {
        Some((m, s)) => format!("{m:.digits$} ± {s:.digits$} ({})", v.len()),
        None => "–".into(),
    }
}

fn summary_json(v: &[f64]) -> serde_json::Value {
    match mean_sd(v) {
        Some((m, s)) => json!({ "mean": m, "sd": s, "n": v.len() }),
        None => json!({ "mean": null, "sd": null, "n": 0 }),
    }
}

fn print_table(stats: &[PopulationStats]) {
    println!("| population | neurons | rate (Hz) | ISI CV | spike-count correlation |");
    println!("| --- | ---: | --- | --- | --- |");
    for p in stats {
        println!(
            "| {} | {} | {} | {} | {} |",
            p.name,
            p.size,
            summary(&p.rates, 3),
            summary(&p.cvs, 3),
            summary(&p.ccs, 4)
        );
    }
}

fn show(x: Option<f64>) -> String {
    x.map_or("–".into(), |d| format!("{d:.3}"))
}

pub fn analyse(a: AnalyseArgs) -> Result<(), CliError> {
    let run = read(&a.run)?;
    let to_ms = a.to_ms.unwrap_or(run.duration_ms);
    if !(a.from_ms >= 0.0 && to_ms > a.from_ms && to_ms <= run.duration_ms) {
        return Err(option_error(
            "--from/--to",
            a.from_ms,
            format!(
                "the window [{}, {to_ms}) ms must be non-empty and within the run's 0 to {} ms",
                a.from_ms, run.duration_ms
            ),
        ));
    }
    if !(a.bin_ms > 0.0 && a.bin_ms <= to_ms - a.from_ms) {
        return Err(option_error(
            "--bin",
            a.bin_ms,
            "must be > 0 ms and within the window".into(),
        ));
    }
    if a.subsample < 2 {
        return Err(option_error(
            "--subsample",
            a.subsample as f64,
            "must be >= 2 (pairs of neurons)".into(),
        ));
    }
    let window = Window {
        from_ms: a.from_ms,
        to_ms,
        bin_ms: a.bin_ms,
        subsample: a.subsample,
    };
    let stats = spike_stats::analyse(&run, &window);
    print_table(&stats);
    let mut out = json!({
        "run": a.run.display().to_string(),
        "window": window,
        "populations": stats.iter().map(|p| json!({
            "name": p.name,
            "size": p.size,
            "rate_hz": summary_json(&p.rates),
            "cv": summary_json(&p.cvs),
            "cc": summary_json(&p.ccs),
            "rates": p.rates,
            "cvs": p.cvs,
            "ccs": p.ccs,
        })).collect::<Vec<_>>(),
    });
    let mut series = vec![Series {
        label: label_of(&a.run),
        stats: &stats,
    }];
    let other;
    if let Some(b) = &a.against {
        let run_b = read(b)?;
        if to_ms > run_b.duration_ms {
            return Err(option_error(
                "--to",
                to_ms,
                format!("{} lasts only {} ms", b.display(), run_b.duration_ms),
            ));
        }
        other = spike_stats::analyse(&run_b, &window);
        let ks = spike_stats::ks_table(&stats, &other);
        println!();
        println!("KS distance to {}", b.display());
        println!("| population | rate | ISI CV | correlation |");
        println!("| --- | ---: | ---: | ---: |");
        for (name, [r, c, cc]) in &ks {
            println!("| {name} | {} | {} | {} |", show(*r), show(*c), show(*cc));
        }
        out["against"] = json!({
            "run": b.display().to_string(),
            "ks": ks.iter().map(|(name, [r, c, cc])| json!({
                "population": name, "rate": r, "cv": c, "cc": cc,
            })).collect::<Vec<_>>(),
        });
        series.push(Series {
            label: label_of(b),
            stats: &other,
        });
    }
    let write_err = |e: std::io::Error| CliError::runtime(CommandError::Output(e));
    std::fs::write(
        a.run.join("analysis.json"),
        serde_json::to_string(&out).expect("plain JSON values"),
    )
    .map_err(write_err)?;
    let png = a.run.join("analysis.png");
    let title = format!(
        "spike statistics, {:.0}–{:.0} ms, correlations in {} ms bins of {} neurons",
        window.from_ms, window.to_ms, window.bin_ms, window.subsample
    );
    distributions_plot(&png, &title, series)
        .map_err(|e| CliError::runtime(CommandError::Plot(e.to_string())))?;
    eprintln!(
        "wrote {}, {} and {}",
        a.run.join("analysis.json").display(),
        png.display(),
        png.with_extension("svg").display()
    );
    Ok(())
}

/// A run's label in the figure: its directory name.
fn label_of(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string())
}
