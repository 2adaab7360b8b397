#!/usr/bin/env bash
# The test command of the README: formatting check, then every test of the workspace in
# release mode (the simulations in the tests are long enough that optimised code pays for its
# compile time).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo fmt --all -- --check
# PACMAN and rig for the SpiNNaker interoperability tests (tests/cli_export.rs), and the engram
# Python package with PyNN 0.13.0; idempotent.
bash scripts/setup-python.sh
# nir 1.0.8, the reference implementation the NIR tests (tests/cli_nir.rs) check against, and
# PyTorch with Norse and snnTorch, whose simulations tests/cli_nir_torch.rs compares with; idempotent.
bash scripts/setup-nir.sh
cargo test --release --workspace --all-targets --no-fail-fast
# MPI ranks (docs/DISTRIBUTED.md): Debian's OpenMPI and libclang, idempotent; then the runs
# under mpirun, built with the `mpi` feature (the default build needs no MPI).
bash scripts/setup-mpi.sh
cargo test --release --features mpi --test distributed
# The Python package: its tests, then PyNN's own system tests against pyNN.engram.
bash scripts/test-python.sh
# The engine's multi-thread invariant tests under ThreadSanitizer (skipped without nightly).
bash scripts/tsan.sh
