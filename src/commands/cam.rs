//! `engram cam`: run an experiment on the CA3 content-addressable memory and write its recall
//! table (operation, ideal-CAM answer, network answer, match) next to the usual run directory.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use engram::plot::Marker;
use engram::rundir::{draw_raster, ModelInfo, RunDir, RunInfo};
use networks::ca3::{self, Operation, RecallRow, POPULATIONS};
use sim_core::npy::{write_npy_1d, write_npy_2d};

use super::backend::{backend_error, finish_report, BackendArgs};
use super::{CliError, CommandError};

#[derive(Args)]
pub struct CamArgs {
    /// The experiment file (TOML): memory size and operations, or a random generator.
    pub experiment: PathBuf,
    /// The run directory to write.
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub backend: BackendArgs,
    /// Threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print only the summary line, not the table.
    #[arg(long)]
    pub quiet: bool,
}

fn fmt_set(s: &BTreeSet<u32>) -> String {
    s.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

fn describe(op: &Operation) -> (String, String) {
    match op {
        Operation::Learn { cue, content } => {
            (cue.to_string(), fmt_set(&content.iter().copied().collect()))
        }
        Operation::RecallByCue { cue } => (cue.to_string(), String::new()),
        Operation::RecallByContent { content } => {
            (String::new(), fmt_set(&content.iter().copied().collect()))
        }
    }
}

fn csv(rows: &[RecallRow]) -> String {
    let mut s = String::from(
        "index,t0_ms,operation,cue,content,expected_cues,expected_content,expected_forgotten,\
         answered_cues,answered_content,answered_forgotten,match\n",
    );
    for r in rows {
        let (cue, content) = describe(&r.operation);
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{},{}",
            r.index,
            r.t0,
            r.operation.kind(),
            cue,
            content,
            fmt_set(&r.expected.cues),
            fmt_set(&r.expected.content),
            fmt_set(&r.expected.forgotten),
            fmt_set(&r.answered.cues),
            fmt_set(&r.answered.content),
            fmt_set(&r.answered.forgotten),
            r.matches
        );
    }
    s
}

pub fn cam(mut a: CamArgs) -> Result<(), CliError> {
    // In an MPI run every rank runs this command; rank 0 writes the run directory.
    a.quiet |= !engram::ranks::writes_output();
    engram::ranks::watch_dir(&a.out);
    a.out = engram::ranks::output_dir(&a.out);
    let _scratch = engram::ranks::Scratch::for_dir(&a.out);
    let choice = a.backend.choose(a.threads)?;
    let name = a.experiment.display().to_string();
    let experiment_error = |message| {
        CliError::input(ca3::CamError::Experiment {
            file: name.clone(),
            message,
        })
    };
    let text = std::fs::read_to_string(&a.experiment)
        .map_err(|e| experiment_error(format!("cannot read: {e}")))?;
    let exp = ca3::parse_experiment(&text).map_err(experiment_error)?;

    let t = Instant::now();
    let (memory, steps) = ca3::prepare(exp.size, &exp.schedule, exp.min_steps, exp.seed)
        .map_err(|e| CliError::input_in(&name, e))?;
    let mut backend = super::backend::load(&choice, &memory.network, &name)?;
    let run = ca3::run_loaded(memory, &exp.schedule, steps, backend.as_mut())
        .map_err(|e| backend_error(&name, e))?;
    let wall = t.elapsed().as_secs_f64();

    let net = &run.memory.network;
    let model = ModelInfo {
        file: name.clone(),
        sha256: engram::rundir::sha256_hex(text.as_bytes()),
        overrides: Vec::new(),
    };
    let mut info = RunInfo::new("cam", model, choice.name(), net, backend.synapses());
    info.threads = choice.threads();
    info.duration_ms = run.steps as f64 * ca3::DT_MS;
    info.simulate_s = wall;
    info.steps_done = run.steps;
    let mut dir = RunDir::create(&a.out, info)
        .map_err(|e| CliError::runtime_in(a.out.display(), CommandError::Output(e)))?;
    dir.write_file("experiment.toml", text.as_bytes())?;

    let mut total = 0u64;
    for (p, spikes) in run.spikes.iter().enumerate() {
        let times: Vec<f64> = spikes.iter().map(|&(t, _)| t as f64 * ca3::DT_MS).collect();
        let senders: Vec<u32> = spikes.iter().map(|&(_, i)| i).collect();
        write_npy_1d(a.out.join(format!("{}.times.npy", POPULATIONS[p])), &times)?;
        write_npy_1d(
            a.out.join(format!("{}.senders.npy", POPULATIONS[p])),
            &senders,
        )?;
        dir.info.populations[p].spikes = Some(spikes.len() as u64);
        total += spikes.len() as u64;
    }
    let (n, m) = (exp.size.cues as usize, exp.size.content_bits as usize);
    write_npy_2d(
        a.out.join("weights_cue_to_content.npy"),
        m,
        &run.cue_to_content,
    )?;
    write_npy_2d(
        a.out.join("weights_content_to_cue.npy"),
        n,
        &run.content_to_cue,
    )?;
    let json = serde_json::to_string_pretty(&run.table)
        .map_err(|e| CliError::runtime(CommandError::Output(e.into())))?;
    dir.write_file("recall_table.json", json.as_bytes())?;
    dir.write_file("recall_table.csv", csv(&run.table).as_bytes())?;

    let matches = run.table.iter().filter(|r| r.matches).count();
    let mut by_kind = serde_json::Map::new();
    for kind in ["learn", "recall_by_cue", "recall_by_content"] {
        let rows: Vec<&RecallRow> = run
            .table
            .iter()
            .filter(|r| r.operation.kind() == kind)
            .collect();
        by_kind.insert(
            kind.into(),
            serde_json::json!({
                "operations": rows.len(),
                "match": rows.iter().filter(|r| r.matches).count(),
                "extra_cues": rows.iter().filter(|r| !r.answered.cues.is_subset(&r.expected.cues)).count(),
                "missing_cues": rows.iter().filter(|r| !r.expected.cues.is_subset(&r.answered.cues)).count(),
            }),
        );
    }
    dir.info.spikes = total;
    dir.info.spikes_per_s = total as f64 / wall.max(1e-12);
    dir.info.synaptic_events = backend.counters().synaptic_events;
    dir.info.synaptic_events_per_s = dir.info.synaptic_events as f64 / wall.max(1e-12);
    dir.info.extra.insert("cues".into(), n.into());
    dir.info.extra.insert("content_bits".into(), m.into());
    dir.info
        .extra
        .insert("operations".into(), run.table.len().into());
    dir.info.extra.insert("recall_match".into(), matches.into());
    dir.info
        .extra
        .insert("recall_by_kind".into(), serde_json::Value::Object(by_kind));

    let markers: Vec<Marker> = if run.schedule.len() <= 60 {
        run.schedule
            .iter()
            .map(|s| Marker {
                t_ms: s.t0 as f64 * ca3::DT_MS,
                label: match &s.op {
                    Operation::Learn { cue, .. } => format!("L{cue}"),
                    Operation::RecallByCue { cue } => format!("C{cue}"),
                    Operation::RecallByContent { .. } => "K".into(),
                },
            })
            .collect()
    } else {
        Vec::new()
    };
    draw_raster(&a.out, net, run.steps as f64 * ca3::DT_MS, &markers)
        .map_err(|e| CliError::runtime(CommandError::Plot(e)))?;
    engram::plot::cam::recall_table(
        &a.out.join("recall_table.png"),
        n as u32,
        m as u32,
        &run.table,
    )
    .map_err(|e| CliError::runtime(CommandError::Plot(e.to_string())))?;
    if let Some(failure) = finish_report(&mut dir, backend.as_ref(), a.quiet)? {
        let err = CliError::runtime_in(&name, CommandError::BoardRun(failure));
        dir.finish(Some(err.to_string()))?;
        return Err(err);
    }
    dir.finish(None)?;

    if !a.quiet && run.table.len() <= 100 {
        println!(
            "{:>4} {:>6}  {:<17} {:>4} {:<20} {:<24} {:<24} match",
            "#", "t0", "operation", "cue", "content", "expected", "answered"
        );
        for r in &run.table {
            let (cue, content) = describe(&r.operation);
            let show = |x: &ca3::Answer| match r.operation {
                Operation::RecallByContent { .. } => format!("cues {{{}}}", fmt_set(&x.cues)),
                Operation::RecallByCue { .. } => format!("content {{{}}}", fmt_set(&x.content)),
                Operation::Learn { .. } if !x.forgotten.is_empty() => {
                    format!(
                        "{{{}}} forgot {{{}}}",
                        fmt_set(&x.content),
                        fmt_set(&x.forgotten)
                    )
                }
                Operation::Learn { .. } => format!("{{{}}}", fmt_set(&x.content)),
            };
            println!(
                "{:>4} {:>6}  {:<17} {:>4} {:<20} {:<24} {:<24} {}",
                r.index,
                r.t0,
                r.operation.kind(),
                cue,
                content,
                show(&r.expected),
                show(&r.answered),
                if r.matches { "yes" } else { "NO" }
            );
        }
    }
    if !engram::ranks::writes_output() {
        return Ok(());
    }
    println!(
        "{name}: {} cues x {} bits, {} operations, {matches} answered as an ideal CAM would; \
         {} ms simulated in {wall:.3} s; wrote {}",
        n,
        m,
        run.table.len(),
        run.steps,
        a.out.display()
    );
    Ok(())
}
