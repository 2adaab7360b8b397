"""One PyNN script with every current source, run on the backend named by argv[1]
(engram or nest) with the cell type named by argv[2] (IF_curr_exp by default): prints the
membrane traces and the recorded currents as JSON. tests/python/test_current_sources.py
compares the two."""

import json
import sys

import numpy as np

backend = sys.argv[1]
cell_type = sys.argv[2] if len(sys.argv) > 2 else "IF_curr_exp"
if backend == "nest":
    import pyNN.nest as sim
else:
    import pyNN.engram as sim

# NEST on the grid (PyNN's default there is precise, off-grid spiking).
sim.setup(timestep=0.1, min_delay=0.1, **({"spike_precision": "on_grid"} if backend == "nest" else {}))
# The integrate-and-fire types share these parameters; HH_cond_exp takes its defaults.
params = dict(i_offset=0.1) if cell_type == "HH_cond_exp" else dict(
    tau_m=20.0, cm=1.0, v_rest=-65.0, v_thresh=-50.0, tau_refrac=2.0, i_offset=0.1)
cells = sim.Population(5, getattr(sim, cell_type)(**params))
cells.initialize(v=-65.0)
sources = [
    sim.DCSource(amplitude=0.8, start=10.0, stop=30.0),
    sim.StepCurrentSource(times=[5.0, 12.3, 31.0], amplitudes=[0.4, 1.2, -0.3]),
    sim.ACSource(start=7.5, stop=37.5, amplitude=0.9, offset=0.2, frequency=100.0, phase=30.0),
]
for k, source in enumerate(sources):
    source.inject_into(cells[k:k + 1])
# One DC source into a view of two cells, changed between runs.
both = sim.DCSource(amplitude=0.6, start=2.0, stop=45.0)
both.inject_into(cells[3:5])
for source in sources:
    source.record()
cells.record(["v", "spikes"])
sim.run(25.0)
both.amplitude = 1.1
sim.run(25.0)
block = cells.get_data()
v = block.segments[0].filter(name="v")[0]
out = {"v": np.asarray(v.magnitude).T.tolist(),
       "spikes": [np.asarray(st.magnitude).tolist() for st in block.segments[0].spiketrains],
       "i": [np.asarray(s.get_data().magnitude).ravel().tolist() for s in sources]}
sim.end()
print(json.dumps(out))
