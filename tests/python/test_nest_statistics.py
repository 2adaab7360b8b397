"""pyNN.engram against pyNN.nest on the same PyNN script (CUBA-4k, 1 s): the mean rate and
the mean CV of the inter-spike intervals of the excitatory population agree within the
seed-to-seed spread. NEST 3.10 with PyNN 0.13.0 is target/peers/nest-pynn, made by
bench/python/setup-nest-pynn.sh (scripts/test-python.sh runs it)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
NEST_PYTHON = ROOT / "target" / "peers" / "nest-pynn" / "bin" / "python"
SCRIPT = Path(__file__).with_name("cuba_statistics.py")
SEEDS = ["1", "2", "3"]


def run(python, backend):
    out = subprocess.run([str(python), str(SCRIPT), backend, *SEEDS], check=True,
                         capture_output=True, text=True).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert len(rows) == len(SEEDS)
    return {k: np.array([r[k] for r in rows]) for k in ("rate_hz", "cv_isi")}


@pytest.mark.skipif(not NEST_PYTHON.exists(),
                    reason="run bench/python/setup-nest-pynn.sh for NEST 3.10 with PyNN")
def test_cuba_statistics_on_engram_are_those_of_nest_within_the_seed_spread():
    engram = run(sys.executable, "engram")
    nest = run(NEST_PYTHON, "nest")
    for key in ("rate_hz", "cv_isi"):
        e, n = engram[key], nest[key]
        assert np.all(np.isfinite(e)) and np.all(np.isfinite(n)), key
        assert e.mean() > 0 and n.mean() > 0, key
        spread = max(np.ptp(e), np.ptp(n))
        assert abs(e.mean() - n.mean()) <= spread, (key, e, n)
