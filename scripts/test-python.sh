#!/usr/bin/env bash
# The Python tests: builds and installs the engram package into target/python-engram
# (scripts/setup-python-engram.sh) and NEST with PyNN into target/peers/nest-pynn, runs
# tests/python with pytest, then PyNN 0.13.0's own
# system tests (test/system/scenarios of its source distribution, fetched from the package
# index, unmodified) against pyNN.engram, and checks the result against
# tests/python/pynn_scenarios_not_passing.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-python-engram.sh
# NEST 3.10 with PyNN 0.13.0, for the statistics comparison of tests/python/test_nest_statistics.py.
bash bench/python/setup-nest-pynn.sh
PY=target/python-engram/bin/python

"$PY" -m pytest -q -p no:cacheprovider tests/python

PYNN=target/pynn-0.13.0
if [ ! -f "$PYNN/scenarios/fixtures.py" ]; then
    rm -rf "$PYNN"
    mkdir -p "$PYNN"
    "$PY" -m pip download --quiet --no-binary :all: --no-deps "PyNN==0.13.0" -d "$PYNN"
    tar -xzf "$PYNN/pynn-0.13.0.tar.gz" -C "$PYNN" pynn-0.13.0/test/system/scenarios
    mv "$PYNN/pynn-0.13.0/test/system/scenarios" "$PYNN/scenarios"
    rm -rf "$PYNN/pynn-0.13.0"
fi
# The one addition: a conftest.py that adds "engram" to the simulators of every scenario.
cp tests/python/pynn_scenarios_conftest.py "$PYNN/scenarios/conftest.py"
# Scenarios that do not pass are checked against the list below, not by pytest's exit code.
(cd "$PYNN" && "../python-engram/bin/python" -m pytest -q -p no:cacheprovider -k engram \
    --junitxml=scenarios.xml scenarios >/dev/null) || true
"$PY" tests/python/check_pynn_scenarios.py "$PYNN/scenarios.xml"
