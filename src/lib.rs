//! engram: an event-driven spiking neural network simulator for the CPU and SpiNNaker.
//!
//! This crate is the command-line front end and a thin facade over the workspace:
//! [`sim_core`] (the engine), [`models`] (neuron, synapse and network models, model files),
//! [`hw_export`] (the SpiNNaker mapping and export pipeline) and [`backends`] (where a network
//! runs). The run directory format lives in [`rundir`], plots in [`plot`].

pub use backends;
pub use hw_export;
pub use models;
pub use sim_core;

pub mod errors;
pub mod plot;
pub mod ranks;
pub mod rundir;
pub mod sysinfo;
