#!/usr/bin/env bash
# The test command of the README: formatting check, then every test of the workspace in
# release mode (the simulations in the tests are long enough that optimised code pays for its
# compile time).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo fmt --all -- --check
cargo test --release --workspace --all-targets --no-fail-fast
