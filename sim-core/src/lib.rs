//! engram's simulation engine: network IR, integer time, event-driven spike delivery through
//! per-neuron delay ring buffers, pair-STDP hooks, recording, RNG streams and checkpoints.
//!
//! sim-core knows no concrete neuron model: models implement [`model::PopulationModel`] and
//! [`plasticity::PairRule`] and [`dynamics::SynapseDynamics`] in the `models` crate.

pub mod describe;
pub mod dynamics;
pub mod engine;
pub mod errors;
pub mod graded;
pub mod model;
pub mod network;
pub mod npy;
pub mod plasticity;
pub mod readable;
pub mod rng;
pub mod state;
pub mod time;

pub use describe::{
    ModelDescription, ModelKind, Quantity, RuleDescription, SourceKind, Variable,
    WeightDependenceKind,
};
pub use engine::{Checkpoint, Counters, MemoryObserver, Observer, RunError, Simulation};
pub use graded::GradedProjection;
pub use model::{ModelError, NeuronKernel, PopulationId, PopulationModel, StepContext};
pub use network::{Network, Population, Projection, RecordSpec, SynapseGenerator, SynapseList};
pub use time::{Step, TimeGrid};
