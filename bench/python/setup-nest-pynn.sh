#!/usr/bin/env bash
# target/peers/nest-pynn: NEST 3.10.0 (the peer of bench/peers) with PyNN 0.13.0 and neo, for
# bench/python/construction.py's pyNN.nest path. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=target/peers/nest-pynn
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import nest, pyNN.nest" >/dev/null 2>&1; then
    echo "setup-nest-pynn: $VENV is up to date"
    exit 0
fi
mkdir -p target/peers
"${PYTHON:-python3}" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "nest-simulator==3.10.0" numpy "PyNN==0.13.0" neo
"$VENV/bin/python" -c "import nest, pyNN.nest; print('setup-nest-pynn: NEST', nest.__version__, 'with PyNN')"
