"""Installed as conftest.py beside PyNN 0.13.0's own system tests (test/system/scenarios of
its source distribution, unmodified) by scripts/test-python.sh: every scenario is also
parametrised with the "engram" simulator, i.e. run against pyNN.engram."""

from . import fixtures

_run_with_simulators = fixtures.run_with_simulators


def run_with_simulators(*sim_names):
    names = sim_names if "engram" in sim_names else sim_names + ("engram",)
    return _run_with_simulators(*names)


fixtures.run_with_simulators = run_with_simulators
