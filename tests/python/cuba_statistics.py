"""Seed-independent statistics of CUBA-4k run as the same PyNN script on a PyNN backend:
mean rate and mean CV of the inter-spike intervals of the excitatory population, per seed.
Run with the Python of the backend; prints one JSON line per seed.

    python tests/python/cuba_statistics.py engram|nest SEED...
"""

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "python"))
from construction import pynn_cuba  # noqa: E402

DURATION_MS = 1000.0


def statistics(trains, duration_ms):
    """(mean rate in Hz, mean CV of ISIs over neurons with at least 3 spikes)."""
    counts = np.array([len(t) for t in trains])
    cvs = []
    for t in trains:
        isi = np.diff(np.sort(np.asarray(t)))
        if len(isi) >= 2 and isi.mean() > 0:
            cvs.append(isi.std() / isi.mean())
    return counts.mean() / (duration_ms / 1000.0), float(np.mean(cvs)) if cvs else float("nan")


def main(backend, seeds):
    sim = __import__("pyNN.%s" % backend, fromlist=["setup"])
    for seed in seeds:
        pops = pynn_cuba(sim, 4000, engram=backend == "engram", seed=seed)
        pops["exc"].record("spikes")
        sim.run(DURATION_MS)
        trains = pops["exc"].get_data("spikes").segments[0].spiketrains
        rate, cv = statistics([np.asarray(t) for t in trains], DURATION_MS)
        print(json.dumps({"backend": backend, "seed": seed, "rate_hz": rate, "cv_isi": cv}),
              flush=True)
        sim.end()


if __name__ == "__main__":
    main(sys.argv[1], [int(s) for s in sys.argv[2:]])
