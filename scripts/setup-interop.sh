#!/usr/bin/env bash
# Creates target/interop-venv with the SpiNNaker tool chain's Python packages (PACMAN, rig),
# used by the tests that load engram's exported tables with PACMAN's own reader and checkers.
# Idempotent; skipped (with a message) when python3 is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=target/interop-venv
if ! command -v python3 >/dev/null 2>&1; then
    echo "setup-interop: python3 not found; interop tests will be skipped" >&2
    exit 0
fi
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import pacman, rig" 2>/dev/null; then
    exit 0
fi
mkdir -p target
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet "spinnaker-pacman==1!7.4.1" "rig==2.4.1"
