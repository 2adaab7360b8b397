//! What `engram run` and `engram cam` do on `--backend spinnaker`: map the network onto the named
//! machine, run it on the emulated board, and write `spinnaker_report.json` into the run
//! directory next to the usual files, with a summary on stderr. A run in which any packet was
//! dropped or reached a core without a matching row fails.

use std::path::{Path, PathBuf};

use backends::spinnaker::report::RunReport;
use backends::spinnaker::{machine_by_name, Board, SpinnakerError};
use engram::rundir::RunDir;
use sim_core::Network;

use super::{CliError, CommandError};

/// The machine and table options shared by `run` and `cam`.
#[derive(clap::Args, Clone, Debug)]
pub struct BoardArgs {
    /// With --backend spinnaker: the machine, spinn5 (one 48-chip board), spinn3, or WxH.
    #[arg(long, default_value = "spinn5")]
    pub machine: String,
    /// With --backend spinnaker: load these routing tables (PACMAN JSON, one per chip, in
    /// priority order) into the routers instead of the compressed tables of the mapping.
    #[arg(long, value_name = "FILE")]
    pub routing_tables: Option<PathBuf>,
}

/// Maps `net` and loads it on the board the arguments name.
pub fn board(net: &Network, a: &BoardArgs) -> Result<Board, CliError> {
    let machine = machine_by_name(&a.machine).map_err(|allowed| {
        CliError::input(CommandError::OptionValue {
            option: "--machine",
            value: a.machine.clone(),
            allowed,
        })
    })?;
    let mut board = Board::new(net, &machine, &a.machine).map_err(|e| match e {
        SpinnakerError::Io(_) | SpinnakerError::Model(_) => CliError::runtime(e),
        e => CliError::input_in("--backend spinnaker", e),
    })?;
    if let Some(path) = &a.routing_tables {
        let tables =
            hw_export::load_tables(path).map_err(|e| CliError::input_in("--routing-tables", e))?;
        board.set_tables(&tables);
    }
    Ok(board)
}

/// Writes the report, prints its summary, and says whether the run must fail.
pub fn finish_report(
    dir: &mut RunDir,
    board: &Board,
    quiet: bool,
) -> Result<Option<String>, CliError> {
    let report: RunReport = board.report();
    let json = serde_json::to_string_pretty(&report).map_err(std::io::Error::other)?;
    dir.write_file("spinnaker_report.json", json.as_bytes())?;
    engram::plot::board::run_figures(dir.path(), &report)
        .map_err(|e| CliError::runtime(CommandError::Plot(e.to_string())))?;
    let info = &mut dir.info;
    info.synaptic_events = report.cores.iter().map(|c| c.synaptic_events).sum();
    info.extra
        .insert("machine".into(), report.machine.clone().into());
    info.extra
        .insert("packets_dropped".into(), report.packets.dropped.into());
    info.extra
        .insert("packets_unmatched".into(), report.packets.unmatched.into());
    info.extra.insert(
        "packets_undelivered".into(),
        report.packets.undelivered.into(),
    );
    info.extra.insert(
        "cores_missing_real_time".into(),
        report.cores_missing_real_time.len().into(),
    );
    if !quiet || !report.ok {
        eprint!("{}", report.summary());
    }
    Ok((!report.ok).then(|| {
        format!(
            "{} packets dropped, {} unmatched and {} copies undelivered on the board; see {}",
            report.packets.dropped,
            report.packets.unmatched,
            report.packets.undelivered,
            Path::new(dir.path())
                .join("spinnaker_report.json")
                .display()
        )
    }))
}

/// `engram run MODEL --backend spinnaker`.
pub fn run_model(a: &super::run::RunArgs) -> Result<(), CliError> {
    use engram::rundir::{draw_raster, ModelInfo, RunInfo};
    use std::time::Instant;
    if a.resume.is_some() || a.checkpoint_every.is_some() {
        return Err(CliError::input(CommandError::OptionValue {
            option: "--backend",
            value: "spinnaker".into(),
            allowed: "--checkpoint-every and --resume are CPU-backend features; use --backend cpu"
                .into(),
        }));
    }
    let t_build = Instant::now();
    let model_path = a.model.clone().expect("required by clap");
    let out = a.out.clone().expect("required by clap");
    let spec = networks::modelfile::load(&model_path, &a.set, a.seed).map_err(CliError::input)?;
    let net = &spec.network;
    let mut board = board(net, &a.board).map_err(|e| e.in_file(model_path.display()))?;
    let model_file = model_path.display().to_string();
    let mut info = RunInfo::new(
        "run",
        ModelInfo {
            file: model_file.clone(),
            sha256: spec.sha256.clone(),
            overrides: a.set.clone(),
        },
        &a.backend,
        net,
    );
    info.duration_ms = spec.duration_steps as f64 * net.grid.dt_ms();
    info.build_s = t_build.elapsed().as_secs_f64();
    let mut dir = RunDir::create(&out, info)
        .map_err(|e| CliError::runtime_in(out.display(), CommandError::Output(e)))?;
    dir.write_file("model.toml", spec.source.as_bytes())?;
    let mut rec = dir.recorder(net, spec.duration_steps, a.quiet)?;
    rec.stamp_at_emission();
    let t_sim = Instant::now();
    let outcome = board.run_until(spec.duration_steps, &mut rec);
    rec.finish()?;
    let simulate_s = t_sim.elapsed().as_secs_f64();
    let info = &mut dir.info;
    info.simulate_s = simulate_s;
    info.steps_done = board.step();
    info.spikes = rec.spike_counts.iter().sum();
    info.spikes_per_s = info.spikes as f64 / simulate_s.max(1e-12);
    for (p, n) in info.populations.iter_mut().zip(&rec.spike_counts) {
        if p.spikes.is_some() {
            p.spikes = Some(*n);
        }
    }
    let failure = finish_report(&mut dir, &board, a.quiet)?;
    dir.info.synaptic_events_per_s = dir.info.synaptic_events as f64 / simulate_s.max(1e-12);
    let t_stop = board.step() as f64 * net.grid.dt_ms();
    let raster = draw_raster(dir.path(), net, t_stop, &[]);
    let error = match (outcome, failure) {
        (Err(e), _) => Some(CliError::runtime_in(&model_file, e)),
        (Ok(()), Some(f)) => Some(CliError::runtime_in(&model_file, CommandError::BoardRun(f))),
        (Ok(()), None) => None,
    };
    dir.finish(error.as_ref().map(|e| e.to_string()))?;
    if let Some(e) = error {
        return Err(e);
    }
    raster.map_err(|e| CliError::runtime(CommandError::Plot(e.to_string())))?;
    if !a.quiet {
        eprintln!(
            "{model_file}: {} spikes in {:.3} s simulated on the board ({simulate_s:.3} s wall); wrote {}",
            dir.info.spikes,
            t_stop / 1000.0,
            out.display()
        );
    }
    Ok(())
}
