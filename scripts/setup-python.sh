#!/usr/bin/env bash
# Creates (once) the Python environment the SpiNNaker interoperability tests use:
# target/python-tools with spinnaker-pacman 1!7.4.1 (PACMAN, SpiNNMachine, SpiNNUtilities),
# rig 2.4.1 and sPyNNaker 1!7.4.1 (with PyNN; runs the exported PyNN script on a virtual board).
# Safe to run again: an environment that already has all three is left alone.
# Then the engram package's environment, target/python-engram (scripts/setup-python-engram.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-python-engram.sh

VENV=target/python-tools
PY="$VENV/bin/python"

if [ -x "$PY" ] && "$PY" - <<'PYEOF' 2>/dev/null; then
from importlib.metadata import version
assert version("spinnaker-pacman") == "1!7.4.1"
assert version("rig") == "2.4.1"
assert version("sPyNNaker") == "1!7.4.1"
PYEOF
    echo "setup-python: $VENV already has spinnaker-pacman 1!7.4.1, rig 2.4.1, sPyNNaker 1!7.4.1"
    exit 0
fi

mkdir -p target
python3 -m venv "$VENV"
"$PY" -m pip install --quiet --upgrade pip
"$PY" -m pip install --quiet "spinnaker-pacman==1!7.4.1"
"$PY" -m pip install --quiet "rig==2.4.1"
"$PY" -m pip install --quiet "sPyNNaker==1!7.4.1"
echo "setup-python: installed spinnaker-pacman 1!7.4.1, rig 2.4.1 and sPyNNaker 1!7.4.1 into $VENV"
