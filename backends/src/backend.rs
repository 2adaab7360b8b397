//! What every backend offers, and the choice of one.
//!
//! A [`BackendChoice`] is made once (from `--backend cpu|spinnaker`, `--threads`, `--machine`)
//! and loads each network to run into a [`Backend`]: the CPU engine (a `sim_core::Simulation`
//! with [`CpuBackend`]'s shard layout) or the emulated board ([`Board`]). Commands and
//! experiments run every backend through this one interface; what differs between backends
//! is in its answers (checkpoints supported, spike stamps, the backend's own report).

use std::collections::BTreeMap;

use hw_export::machine::Machine;
use hw_export::RoutingTable;
use sim_core::engine::CheckpointError;
use sim_core::errors::Coded;
use sim_core::{Checkpoint, Counters, Network, Observer, RunError, Step};

use crate::cpu::CpuBackend;
use crate::spinnaker::{Board, SpinnakerError};
use crate::BackendKind;

/// A network loaded on a backend, ready to run.
pub trait Backend {
    /// The next step to run.
    fn step(&self) -> Step;

    /// Runs up to (not including) step `end`, pushing recordings to `observer`.
    fn run_until(&mut self, end: Step, observer: &mut dyn Observer) -> Result<(), BackendError>;

    /// Spikes emitted and synaptic events processed so far.
    fn counters(&self) -> Counters;

    /// Weights (nA) of plastic projection `projection` in synapse-list order, as an engine that
    /// updates a weight at every pre and post spike holds them; `None` for a static projection.
    fn plastic_weights(&self, projection: usize) -> Option<Vec<f64>>;

    /// The whole dynamic state, independent of how the backend lays the network out; `None`
    /// where the backend cannot capture it.
    fn checkpoint(&self) -> Option<Checkpoint>;

    /// Continues from `checkpoint` (taken from the same network).
    fn restore(&mut self, checkpoint: &Checkpoint) -> Result<(), BackendError>;

    /// Whether every spike is stamped at the step that emitted it, whatever its cell type's
    /// convention (a backend that runs every neuron in sPyNNaker's order does so).
    fn stamps_at_emission(&self) -> bool;

    /// What the run so far looked like.
    fn report(&self) -> BackendReport;

    /// The synapses the backend holds, where it counts them without reading the network's
    /// generated projections whole (an MPI rank's engine knows every rank's count).
    fn synapses(&self) -> Option<u64> {
        None
    }
}

/// What a backend says about its run.
#[derive(Debug, Clone)]
pub struct BackendReport {
    /// `cpu` or `spinnaker`.
    pub backend: &'static str,
    /// Threads the run used (the board's loop is one); per process in an MPI run.
    pub threads: usize,
    /// Processes (MPI ranks) the run is spread over; 1 alone.
    pub ranks: usize,
    /// The machine the board emulates.
    pub machine: Option<String>,
    /// The backend's own account of the run, where it keeps one.
    pub details: Option<ReportDetails>,
}

/// A backend's own report (the board's `spinnaker_report.json`).
#[derive(Debug, Clone)]
pub struct ReportDetails {
    /// The file it is written to in the run directory, and its contents.
    pub file: &'static str,
    pub contents: String,
    /// A few lines for the terminal.
    pub summary: String,
    /// Facts for `run.json` (`extra`).
    pub facts: BTreeMap<String, serde_json::Value>,
    /// Why the run failed although every step ran (packets lost on the board).
    pub failure: Option<String>,
}

/// Why a backend could not load or run a network.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The CPU engine failed while running.
    #[error(transparent)]
    Engine(#[from] RunError),
    /// The board refused the network or failed while running.
    #[error(transparent)]
    Board(#[from] SpinnakerError),
    /// A checkpoint that does not fit the network.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
}

impl BackendError {
    /// Whether the input is at fault (a network or checkpoint the backend cannot take), rather
    /// than something that went wrong while running.
    pub fn is_input(&self) -> bool {
        match self {
            BackendError::Engine(_) => false,
            BackendError::Board(e) => {
                matches!(
                    e,
                    SpinnakerError::Unsupported(_) | SpinnakerError::Mapping(_)
                )
            }
            BackendError::Checkpoint(_) => true,
        }
    }
}

/// The code is the one of the error behind it.
impl Coded for BackendError {
    fn code(&self) -> &'static str {
        match self {
            BackendError::Engine(e) => e.code(),
            BackendError::Board(e) => e.code(),
            BackendError::Checkpoint(e) => e.code(),
        }
    }
}

/// How the emulated board is set up.
#[derive(Debug, Clone)]
pub struct BoardOptions {
    pub machine: Machine,
    /// The name the user gave the machine (reported).
    pub machine_name: String,
    /// Tables loaded into the routers instead of the mapping's compressed tables.
    pub routing_tables: Option<Vec<RoutingTable>>,
}

/// A backend chosen once, loaded for every network to run.
#[derive(Debug, Clone)]
pub enum BackendChoice {
    Cpu(CpuBackend),
    Spinnaker(BoardOptions),
}

impl BackendChoice {
    pub fn kind(&self) -> BackendKind {
        match self {
            BackendChoice::Cpu(_) => BackendKind::Cpu,
            BackendChoice::Spinnaker(_) => BackendKind::Spinnaker,
        }
    }

    /// `cpu` or `spinnaker`.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// Threads one loaded network runs on.
    pub fn threads(&self) -> usize {
        match self {
            BackendChoice::Cpu(cpu) => cpu.threads,
            BackendChoice::Spinnaker(_) => 1,
        }
    }

    /// The same backend on `threads` threads where it has any (the board has one loop).
    pub fn with_threads(&self, threads: usize) -> Self {
        match self {
            BackendChoice::Cpu(_) => BackendChoice::Cpu(CpuBackend::new(threads)),
            board => board.clone(),
        }
    }

    /// Whether loaded networks can be checkpointed and restored.
    pub fn checkpoints(&self) -> bool {
        matches!(self, BackendChoice::Cpu(_))
    }

    /// Loads `net`, or says why this backend cannot run it.
    pub fn load(&self, net: &Network) -> Result<Box<dyn Backend>, BackendError> {
        match self {
            BackendChoice::Cpu(cpu) => Ok(Box::new(cpu.instantiate(net))),
            BackendChoice::Spinnaker(o) => Ok(Box::new(o.load(net)?)),
        }
    }

    /// Says whether `net` can be loaded, without keeping it (the CPU engine runs every network;
    /// the board maps it to find out).
    pub fn check(&self, net: &Network) -> Result<(), BackendError> {
        match self {
            BackendChoice::Cpu(_) => Ok(()),
            BackendChoice::Spinnaker(o) => o.load(net).map(drop).map_err(BackendError::from),
        }
    }
}

impl BoardOptions {
    /// Maps `net` onto the machine and loads it on the board.
    pub fn load(&self, net: &Network) -> Result<Board, SpinnakerError> {
        let mut board = Board::new(net, &self.machine, &self.machine_name)?;
        if let Some(tables) = &self.routing_tables {
            board.set_tables(tables);
        }
        Ok(board)
    }
}
