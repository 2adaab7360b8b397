//! Whole networks built from the model library: model files (TOML schema, validation, building),
//! the CUBA/COBA benchmark builders, the CA3 content-addressable memory (network, protocol,
//! decoding, experiment files) and the astrocyte experiments.

pub mod benchmarks;
pub mod ca3;
pub mod experiment;
pub mod modelfile;
pub mod nir;
