//! Concrete models on the engram engine: PyNN point neurons, spike sources, STDP, connectors,
//! network builders (CUBA/COBA benchmarks, the CA3 content-addressable memory) and astrocytes.

pub mod astro;
pub mod builders;
pub mod connectors;
pub mod dist;
pub mod experiment;
pub mod modelfile;
pub mod neurons;
pub mod params;
pub mod synapses;
