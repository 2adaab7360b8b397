#!/usr/bin/env bash
# Creates (once) the Python environment the NIR interoperability tests use: target/nir-venv with
# the reference implementation nir 1.0.8 (and its h5py/numpy), which writes the test graphs and
# reads engram's exports back, and the two SNN libraries whose simulations the behaviour tests
# compare engram with: Norse (`norse.torch.from_nir`) and snnTorch (`export_to_nir`), on PyTorch.
# PyTorch comes from PyPI, whose Linux wheel pulls the CUDA libraries: about 5.4 GB in all (the
# CPU-only wheel index is not on PyPI). Every version is pinned.
# Safe to run again: an environment that already has these versions is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=target/nir-venv
PY="$VENV/bin/python"
PINS=("nir==1.0.8" "torch==2.15.0" "torchvision==0.29.2" "nirtorch==2.6" "snntorch==1.0.0" "norse==1.1.0")

installed() {
    "$PY" - "${PINS[@]}" <<'PYEOF' 2>/dev/null
import sys
from importlib.metadata import version
for pin in sys.argv[1:]:
    name, want = pin.split("==")
    assert version(name) == want, pin
PYEOF
}

if [ -x "$PY" ] && installed; then
    echo "setup-nir: $VENV already has ${PINS[*]}"
    exit 0
fi

mkdir -p target
[ -x "$PY" ] || python3 -m venv "$VENV"
"$PY" -m pip install --quiet --upgrade pip
"$PY" -m pip install --quiet "${PINS[@]}"
installed
echo "setup-nir: installed ${PINS[*]} into $VENV"
