#!/usr/bin/env bash
# Creates (once) the Python environment the NIR interoperability tests use: target/nir-venv with
# the reference implementation nir 1.0.8 (and its h5py/numpy). The tests write NIR graphs with it
# and read engram's exports back with `nir.read`.
# Safe to run again: an environment that already has nir 1.0.8 is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=target/nir-venv
PY="$VENV/bin/python"

if [ -x "$PY" ] && "$PY" -c 'from importlib.metadata import version; assert version("nir") == "1.0.8"' 2>/dev/null; then
    echo "setup-nir: $VENV already has nir 1.0.8"
    exit 0
fi

mkdir -p target
python3 -m venv "$VENV"
"$PY" -m pip install --quiet --upgrade pip
"$PY" -m pip install --quiet "nir==1.0.8"
echo "setup-nir: installed nir 1.0.8 into $VENV"
