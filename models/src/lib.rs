//! The model library of the engram engine: PyNN point neurons, spike sources, STDP, connectors,
//! random values and astrocytes. Whole networks built from them live in the `networks` crate.

pub mod astro;
pub mod catalogue;
pub mod connectors;
pub mod dist;
pub mod electrodes;
pub mod gsl_rkf45;
pub mod neurons;
pub mod params;
pub mod synapses;
