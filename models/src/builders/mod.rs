//! Network builders: the CUBA/COBA benchmarks and the CA3 content-addressable memory.

pub mod benchmarks;
pub mod ca3;
