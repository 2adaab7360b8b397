"""NIR graphs in engram: ``engram.nir.load(graph)`` runs a ``nir.NIRGraph`` (or a ``.nir``
file) as the model file ``engram import nir`` writes (docs/NIR.md: the node mapping, units and
discretisation).

    import engram.nir
    model = engram.nir.load(graph, dt=0.1, duration=50.0, spike_width=1e-4,
                            spike_times={"input": [[1.0, 2.5], [3.0]]})
    model.run_until(model.duration_steps)

The graph is written with ``nir.write`` (the reference implementation, nir 1.0.8) and read by
engram's importer, so a graph and its file give the same model.
"""

import tempfile
from pathlib import Path

from ._engram import EngramError, Model, nir_model_text


def model_text(graph, dt=0.1, duration=100.0, spike_width=None):
    """The model-file text of `graph` (a ``nir.NIRGraph``, or the path of a ``.nir`` file).

    `dt` and `duration` are in ms; `spike_width` (seconds, NIR time) makes a spike a unit pulse
    of that width, the convention of snnTorch (1e-4) and Norse (its dt); ``None``: NIR's Dirac
    pulse."""
    if isinstance(graph, (str, Path)):
        return nir_model_text(str(graph), dt, duration, spike_width)
    import nir

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "graph.nir"
        nir.write(path, graph)
        return nir_model_text(str(path), dt, duration, spike_width)


def with_spike_times(text, spike_times):
    """`text` with the `spike_times` (ms, one list per neuron) of its Input populations, a dict
    from the Input node's name (its population) to the lists."""
    for population, times in spike_times.items():
        header = f"[populations.{population}.params]\nspike_times = "
        at = text.find(header)
        if at < 0:
            raise EngramError(
                f"error[E0003]: spike_times: `{population}` is not an Input population of the "
                "graph; give the name of an Input node", "E0003")
        start = at + len(header)
        end = text.index("\n", start)
        lists = ", ".join("[" + ", ".join(repr(float(t)) for t in neuron) + "]" for neuron in times)
        text = text[:start] + f"[{lists}]" + text[end:]
    return text


def load(graph, dt=0.1, duration=100.0, spike_width=None, spike_times=None, backend="cpu",
         threads=1):
    """An :class:`engram.Model` of `graph` (a ``nir.NIRGraph`` or a ``.nir`` path), loaded on
    `backend`; `spike_times` maps Input node names to their spike times (ms, one list per
    neuron). Populations reaching an Output node record spikes and v."""
    text = model_text(graph, dt, duration, spike_width)
    if spike_times:
        text = with_spike_times(text, spike_times)
    return Model(text, name="<nir graph>", backend=backend, threads=threads)


__all__ = ["load", "model_text", "with_spike_times"]
