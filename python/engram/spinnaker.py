"""SpiNNaker from Python: export a network to the files a board needs, or run it on engram's
emulated board.

A PyNN network runs on the emulated board with ``pyNN.engram.setup(backend="spinnaker")``
(dt a whole number of microseconds, 1 or 0.1 ms). ``export`` writes the board's files for the network the PyNN objects describe
now (or for a model file), as ``engram export spinnaker`` does.
"""

import json
from pathlib import Path

from ._engram import check_backend, spinnaker_export


def export(out, model=None, machine="spinn5", duration=1000.0):
    """Writes the SpiNNaker files into directory `out` and returns the mapping report.

    `model` is a model file's path or text; by default, the network described through
    pyNN.engram, run for `duration` ms."""
    if model is None:
        import pyNN.engram as sim
        from pyNN.engram.modelfile import model_file_text
        state = sim.simulator.state
        text = model_file_text(state, duration=duration)
        name = "<pyNN.engram>"
    elif "\n" not in str(model) and Path(model).exists():
        text, name = Path(model).read_text(), str(model)
    else:
        text, name = str(model), "<model>"
    return json.loads(spinnaker_export(text, str(out), name=name, machine=machine))


def check(model_text):
    """Raises EngramError when the emulated board cannot run the network of `model_text`."""
    check_backend(model_text, "spinnaker")
