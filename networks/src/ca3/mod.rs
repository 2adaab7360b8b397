//! The hippocampal CA3 content-addressable memory of Casanueva-Morato et al., "Bio-inspired
//! computational memory model of the Hippocampus: an approach to a neuromorphic spike-based
//! Content-Addressable Memory", Neural Networks 178:106474 (2024), arXiv:2310.05868, as rebuilt
//! from the authors' code and verified against their SpiNNaker recordings (specs/ca3-cam.md).
//!
//! n one-hot cue neurons and m content bits. Nine populations of `IF_curr_exp` neurons with
//! sPyNNaker's integration (dt = 1 ms), 18 projections, two of them plastic (cue→content and
//! content→cue, sPyNNaker's pair STDP with absolute amplitudes, τ± = 3 ms, A± = 6 nA,
//! w ∈ [0, 6] nA, weights start at 0). Operations are spike patterns on the IN layer:
//!
//! | operation | input | earliest next operation | output on OUT |
//! | --- | --- | --- | --- |
//! | learn (c, K) | cue c and bits K at t0, t0+1, t0+2 | t0+7 | c and K at t0+5 and t0+7; the forgotten bits at t0+6 |
//! | recall by cue c | cue c at t0 | t0+6 | c at t0+5, its content at t0+6 |
//! | recall by content F | bits F at t0 | t0+6 | F at t0+5, every cue whose content meets F at t0+6 |

mod decode;
mod file;
mod network;
mod protocol;

pub use decode::{assemble, decode, recall_table, Answer, CamRun, Oracle, RecallRow};
pub use file::{
    load_experiment, parse_experiment, random_schedule, random_schedule_mix, Experiment,
    OperationMix,
};
pub use network::{
    build, build_seeded, learning_rule, neuron_params, population_cell, population_sizes,
    projections, Ca3Connector, Ca3Network, Ca3Projection, Ca3Size, LearningRule, Receptor,
    COND_INT, CONT_COND, CONT_CONT, CONT_CUE, CUE_CONT, CUE_CUE, DT_MS, IN, MERGE_CONT, MERGE_CUE,
    OUT, POPULATIONS,
};
pub use protocol::{input_spikes, validate, Operation, Protocol, Scheduled};

use backends::cpu::CpuBackend;
use backends::{Backend, BackendError};
use sim_core::{MemoryObserver, Step};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CamError {
    #[error("operations[{index}] ({kind} at t = {t0} ms): {what}")]
    Operation {
        index: usize,
        kind: &'static str,
        t0: Step,
        what: String,
    },
    #[error("memory size: {0}")]
    Size(String),
    /// An experiment file that cannot be read or is invalid: the file, then `key = value: what
    /// is allowed`.
    #[error("{file}: {message}")]
    Experiment { file: String, message: String },
    /// The engine refused or failed the run (not expected for a validated schedule).
    #[error("simulation: {0}")]
    Engine(String),
}

sim_core::error_codes! { CamError {
    Experiment => "E0201",
    Operation => "E0202",
    Size => "E0203",
    Engine => "E0204",
} }

/// Runs an experiment (from a file or built in code) on the CPU backend with `threads`
/// threads.
pub fn run_experiment(exp: &Experiment, threads: usize) -> Result<CamRun, CamError> {
    run_seeded(exp.size, &exp.schedule, threads, exp.min_steps, exp.seed)
}

/// Runs a schedule on a fresh memory (all weights 0) on the CPU backend with `threads` threads,
/// for at least `min_steps` steps and until every operation's output is out.
pub fn run(
    size: Ca3Size,
    schedule: &[Scheduled],
    threads: usize,
    min_steps: Step,
) -> Result<CamRun, CamError> {
    run_seeded(size, schedule, threads, min_steps, 0)
}

fn run_seeded(
    size: Ca3Size,
    schedule: &[Scheduled],
    threads: usize,
    min_steps: Step,
    seed: u64,
) -> Result<CamRun, CamError> {
    let (memory, steps) = prepare(size, schedule, min_steps, seed)?;
    let mut cpu = CpuBackend::new(threads).instantiate(&memory.network);
    run_loaded(memory, schedule, steps, &mut cpu).map_err(|e| CamError::Engine(e.to_string()))
}

/// Runs [`prepare`]'s memory on `backend` (any backend, loaded with `memory.network`) for
/// `steps` steps, and decodes the run.
pub fn run_loaded(
    memory: Ca3Network,
    schedule: &[Scheduled],
    steps: Step,
    backend: &mut dyn Backend,
) -> Result<CamRun, BackendError> {
    let mut obs = MemoryObserver::default();
    backend.run_until(steps, &mut obs)?;
    // Plastic projections were built all-to-all in (pre, post) order: row-major matrices.
    let weights = |p| backend.plastic_weights(p).expect("a plastic projection");
    let cue_to_content = weights(memory.cue_to_content);
    let content_to_cue = weights(memory.content_to_cue);
    Ok(assemble(
        memory,
        schedule,
        steps,
        obs.spikes,
        cue_to_content,
        content_to_cue,
    ))
}

/// The memory for `schedule` (validated) and the number of steps its run takes: at least
/// `min_steps` and until every operation's output is out. Any backend runs it from here.
pub fn prepare(
    size: Ca3Size,
    schedule: &[Scheduled],
    min_steps: Step,
    seed: u64,
) -> Result<(Ca3Network, Step), CamError> {
    validate(size, schedule)?;
    let memory = build_seeded(size, input_spikes(size, schedule), seed)?;
    Ok((memory, run_steps(schedule, min_steps)))
}

/// The steps a run of `schedule` takes: at least `min_steps` and until every operation's
/// output is out.
pub fn run_steps(schedule: &[Scheduled], min_steps: Step) -> Step {
    // The last output of any operation is at t0 + 7.
    let last = schedule.last().map(|s| s.t0 + 8).unwrap_or(0);
    min_steps.max(last)
}
