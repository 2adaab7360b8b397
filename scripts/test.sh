#!/usr/bin/env bash
# The test command of the README. Installs what the interoperability tests need (a Python
# virtualenv with PACMAN and rig, used to check exported routing tables with the SpiNNaker tool
# chain's own code), then runs every test of the workspace in release mode.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-interop.sh

cargo fmt --all -- --check
cargo test --release --workspace --all-targets --no-fail-fast
