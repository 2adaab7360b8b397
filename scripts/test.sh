#!/usr/bin/env bash
# The test command of the README: formatting check, then every test of the workspace in
# release mode (the simulations in the tests are long enough that optimised code pays for its
# compile time).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo fmt --all -- --check
# PACMAN and rig for the SpiNNaker interoperability tests (tests/cli_export.rs); idempotent.
bash scripts/setup-python.sh
# nir 1.0.8, the reference implementation the NIR tests (tests/cli_nir.rs) check against; idempotent.
bash scripts/setup-nir.sh
cargo test --release --workspace --all-targets --no-fail-fast
# The engine's multi-thread invariant tests under ThreadSanitizer (skipped without nightly).
bash scripts/tsan.sh
