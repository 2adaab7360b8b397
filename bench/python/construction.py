"""Construction speed of CUBA (examples/cuba.toml scaled to --neurons; 40 000 neurons make
32 M synapses) built three ways, side by side, each in its own process:

  pyNN.engram   the PyNN script below on engram: setup, populations, projections, built
  model file    the same network as a model file, parsed and built by engram (as `engram run`)
  pyNN.nest     the same PyNN script on NEST 3.10 (PyNN 0.13.0)

Every path ends with the network ready to run and one step run (so that lazy preparation,
NEST's included, is counted). Prints one JSON line per path and the ratios; not a test.

    bash scripts/setup-python-engram.sh        # target/python-engram: engram + PyNN
    bash bench/python/setup-nest-pynn.sh       # target/peers/nest-pynn: NEST 3.10 + PyNN
    target/python-engram/bin/python bench/python/construction.py --neurons 40000 \\
        --nest-python target/peers/nest-pynn/bin/python
"""

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PARAMS = dict(cm=0.02, tau_m=20.0, tau_refrac=5.0, tau_syn_E=5.0, tau_syn_I=10.0,
              v_rest=-49.0, v_reset=-60.0, v_thresh=-50.0, i_offset=0.0)


def scaled_cuba_text(neurons):
    """examples/cuba.toml with 80 % of `neurons` excitatory, 20 % inhibitory."""
    text = (ROOT / "examples" / "cuba.toml").read_text()
    text = re.sub(r"size = 3200", "size = %d" % (neurons * 4 // 5), text)
    return re.sub(r"size = 800", "size = %d" % (neurons // 5), text)


def pynn_cuba(sim, neurons, engram, seed=1234):
    """examples/cuba.toml as a PyNN script (scaled to `neurons`); returns the populations.
    On engram (seed 1234) it is the model file's network (tests/python/test_cuba_identity.py)."""
    sim.setup(timestep=0.1, min_delay=0.1, **({"seed": seed} if engram else {"rng_seed": seed}))
    pops = {}
    for label, size in (("exc", neurons * 4 // 5), ("inh", neurons // 5)):
        p = sim.Population(size, sim.IF_curr_exp(**PARAMS), label=label)
        p.initialize(v=sim.RandomDistribution("uniform", low=-60.0, high=-50.0))
        pops[label] = p
    for pre, post, receptor, weight in (("exc", "exc", "excitatory", 0.00162),
                                        ("exc", "inh", "excitatory", 0.00162),
                                        ("inh", "exc", "inhibitory", -0.009),
                                        ("inh", "inh", "inhibitory", -0.009)):
        sim.Projection(pops[pre], pops[post], sim.FixedProbabilityConnector(0.02),
                       sim.StaticSynapse(weight=weight, delay=0.1), receptor_type=receptor)
    return pops


def child(path, neurons):
    # Imports are not construction: every module is loaded before the clock starts.
    if path == "model file":
        import engram
        text = scaled_cuba_text(neurons)
    else:
        sim = __import__("pyNN.engram" if path == "pyNN.engram" else "pyNN.nest",
                         fromlist=["setup"])
    t0 = time.perf_counter()
    if path == "model file":
        model = engram.Model(text)
        model.run_until(1)
    else:
        pynn_cuba(sim, neurons, engram=path == "pyNN.engram")
        sim.run(0.1)
    construct_s = time.perf_counter() - t0
    if path == "pyNN.nest":
        import nest
        synapses = nest.GetKernelStatus("num_connections")
    else:
        model = model if path == "model file" else sim.simulator.state.model
        synapses = model.n_synapses
    print(json.dumps({"path": path, "neurons": neurons, "synapses": synapses,
                      "construct_s": construct_s}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--neurons", type=int, default=40000)
    ap.add_argument("--nest-python", help="a Python with NEST 3.10 and PyNN 0.13.0")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        return child(a.child, a.neurons)
    runs = [("pyNN.engram", sys.executable), ("model file", sys.executable)]
    if a.nest_python:
        runs.append(("pyNN.nest", a.nest_python))
    results = {}
    for path, python in runs:
        out = subprocess.run([python, __file__, "--child", path, "--neurons", str(a.neurons)],
                             check=True, capture_output=True, text=True).stdout
        line = json.loads(out.strip().splitlines()[-1])
        results[path] = line
        print(json.dumps(line), flush=True)
    base = results["model file"]["construct_s"]
    engram_s = results["pyNN.engram"]["construct_s"]
    print("pyNN.engram / model file: %.2f (goal <= 2)" % (engram_s / base))
    if "pyNN.nest" in results:
        print("pyNN.engram / pyNN.nest:  %.3f (goal <= 0.05)"
              % (engram_s / results["pyNN.nest"]["construct_s"]))


if __name__ == "__main__":
    main()
