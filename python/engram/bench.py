"""The benchmark runner: build and run CUBA or COBA (Brette et al. 2007) as ``engram bench``
does, and get its record as a dict (neurons, synapses, build_s, simulate_s, spikes, ...).

    import engram.bench
    engram.bench.run("cuba", neurons=4000, seconds=1.0)["simulate_s"]
"""

import json

from ._engram import bench_run


def run(network="cuba", neurons=4000, p=0.02, seconds=1.0, dt=0.1, delay=None, seed=1234,
        threads=1, record=True):
    """Builds and runs the benchmark `network` ("cuba" or "coba"); returns the record."""
    return json.loads(bench_run(network, neurons=neurons, p=p, seconds=seconds, dt=dt,
                                delay=delay, seed=seed, threads=threads, record=record))
