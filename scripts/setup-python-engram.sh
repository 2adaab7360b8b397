#!/usr/bin/env bash
# Creates (once) the Python environment of the engram package's tests, target/python-engram,
# with maturin, PyNN 0.13.0, neo, pytest, numpy, scipy (PyNN's tests use it), matplotlib and nir 1.0.8
# (engram.nir.load takes its graphs), then builds the engram package
# (python/, PyO3 + maturin) and installs it there: `import engram`, `import pyNN.engram`.
# Safe to run again: the tools are installed once; the package is rebuilt (cargo builds only
# what changed) and reinstalled.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=target/python-engram
PY="$VENV/bin/python"

if ! { [ -x "$PY" ] && "$PY" - <<'PYEOF' 2>/dev/null; }; then
from importlib.metadata import version
assert version("PyNN") == "0.13.0"
assert version("nir") == "1.0.8"
for name in ("maturin", "neo", "pytest", "numpy", "scipy", "matplotlib"):
    version(name)
PYEOF
    mkdir -p target
    python3 -m venv "$VENV"
    "$PY" -m pip install --quiet --upgrade pip
    "$PY" -m pip install --quiet maturin "PyNN==0.13.0" neo pytest numpy scipy matplotlib "nir==1.0.8"
    echo "setup-python-engram: installed maturin, PyNN 0.13.0, neo, pytest, numpy, matplotlib, nir 1.0.8 into $VENV"
fi

rm -rf target/wheels/engram-*.whl
(cd python && "../$VENV/bin/maturin" build --release --quiet --out ../target/wheels)
"$PY" -m pip install --quiet --force-reinstall --no-deps target/wheels/engram-*.whl
echo "setup-python-engram: built and installed the engram package into $VENV"
