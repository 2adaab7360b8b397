"""PyNN's current sources on engram.

A current source becomes a one-unit engram population of the catalogue type of the same name
(``DCSource``, ``StepCurrentSource``, ``ACSource``, ``NoisyCurrentSource``) and, per engram
population it is injected into, a ``graded_connection`` (weight 1, delay dt) to the neurons'
``I_inj`` input; the waveform is computed in Rust every step (models/src/electrodes/). The
current of time t drives the membrane from t to t + dt, and ``record()`` samples the current at
t = 0, dt, 2 dt, ... as PyNN does.
"""

import numpy as np

from .. import common
from ..parameters import ParameterSpace, Sequence
from ..standardmodels import build_translations, electrodes
from . import simulator


class _EngramCurrentSource(object):
    """What the four current sources share; each is PyNN's standard class with identity
    translations."""

    def __init__(self, **parameters):
        self._targets = []      # (PyNN population, population indices)
        self._recording = False
        self.parameter_space = ParameterSpace(self.default_parameters, self.get_schema(),
                                              shape=(1,))
        if parameters:
            self.set_parameters(**parameters)
        simulator.state.current_sources.append(self)
        simulator.state.changed()

    def inject_into(self, cells):
        """Injects into a Population, PopulationView, Assembly or a list of IDs."""
        if isinstance(cells, (common.Population, common.PopulationView, common.Assembly)):
            cells = list(cells)
        by_parent = {}
        for cell in cells:
            if not cell.celltype.injectable:
                raise TypeError("Can't inject current into a spike source.")
            parent = cell.parent
            by_parent.setdefault(id(parent), (parent, []))[1].append(parent.id_to_index(cell))
        for parent, indices in by_parent.values():
            self._targets.append((parent, np.asarray(indices, dtype=np.int64)))
        simulator.state.changed()

    def set_native_parameters(self, parameters):
        parameters.evaluate(simplify=True)
        values = parameters.as_dict()
        self._check(values)
        self.parameter_space.update(**values)
        simulator.state.changed()

    def get_native_parameters(self):
        # As pyNN.nest gives them: plain values, a StepCurrentSource's times as an array.
        return ParameterSpace(self._params())

    def _check(self, values):
        pass

    def _params(self):
        out = {}
        for name, value in self.parameter_space.items():
            if hasattr(value, "evaluate"):
                value = value.evaluate(simplify=True)
            if isinstance(value, np.ndarray) and value.shape == (1,):
                value = value[0]
            if isinstance(value, Sequence):
                value = np.asarray(value.value, float)
            out[name] = value if isinstance(value, np.ndarray) else float(value)
        return out

    def record(self):
        self._recording = True
        simulator.state.changed()

    def _get_data(self):
        """(times, currents) at t = 0, dt, ... up to now: row j of the engine is t = (j+1) dt,
        and the current at t = 0 is that of the source's first step."""
        model = simulator.state.built()
        found = model.samples(self.engram_index, "i")
        if found is None:
            return np.zeros(1), np.zeros(1)
        steps, values = found
        t = np.arange(len(steps) + 1) * model.dt
        # The current of t = 0 reaches no neuron (a source sends it one step ahead): 0.
        return t, np.concatenate([[0.0], np.asarray(values, float).ravel()])


class DCSource(_EngramCurrentSource, electrodes.DCSource):
    __doc__ = electrodes.DCSource.__doc__
    translations = build_translations(*[(n, n) for n in electrodes.DCSource.default_parameters])



class ACSource(_EngramCurrentSource, electrodes.ACSource):
    __doc__ = electrodes.ACSource.__doc__
    translations = build_translations(*[(n, n) for n in electrodes.ACSource.default_parameters])



class StepCurrentSource(_EngramCurrentSource, electrodes.StepCurrentSource):
    __doc__ = electrodes.StepCurrentSource.__doc__
    translations = build_translations(("times", "times"), ("amplitudes", "amplitudes"))

    def _check(self, values):
        # PyNN's rules: times >= 0 and increasing; then rounded to the grid, of several
        # times on one step the last amplitude kept.
        times = values.get("times")
        if times is None:
            return
        times = np.asarray(times.value if isinstance(times, Sequence) else times, float)
        amplitudes = values.get("amplitudes", self.parameter_space["amplitudes"])
        if hasattr(amplitudes, "evaluate"):
            amplitudes = amplitudes.evaluate(simplify=True)
        amplitudes = np.asarray(amplitudes.value if isinstance(amplitudes, Sequence)
                                else amplitudes, float)
        if np.any(times < 0):
            raise ValueError("Step current cannot accept negative timestamps.")
        if np.any(np.diff(times) <= 0):
            raise ValueError("Step current timestamps should be monotonically increasing.")
        dt = simulator.state.dt
        rounded = self._round_timestamp(times, dt)
        keep = np.append(rounded[1:] != rounded[:-1], True) if len(rounded) else rounded.astype(bool)
        values["times"] = Sequence(rounded[keep])
        if len(amplitudes) == len(times):
            values["amplitudes"] = Sequence(amplitudes[keep])



class NoisyCurrentSource(_EngramCurrentSource, electrodes.NoisyCurrentSource):
    __doc__ = electrodes.NoisyCurrentSource.__doc__
    translations = build_translations(
        *[(n, n) for n in electrodes.NoisyCurrentSource.default_parameters])


def population_entries(state, names):
    """The populations the current sources of `state` become, as (name, entry), one unit each
    (their names appended to `names`)."""
    out = []
    for k, source in enumerate(state.current_sources):
        name = "current_source%d" % k
        while name in names:
            name = "_" + name
        source.engram_index = len(names)
        source.engram_name = name
        names.append(name)
        entry = {"cell_type": type(source).__name__, "size": 1, "params": source._params()}
        if source._recording:
            entry.update(record=["i"], record_neurons=[0], sampling_interval=float(state.dt))
        out.append((name, entry))
    return out


def projection_entries(state, names):
    """The graded connections from each current source to the engram populations it is
    injected into, as (name, entry)."""
    out = []
    dt = float(state.dt)
    for source in state.current_sources:
        name = source.engram_name
        for j, (population, indices) in enumerate(source._targets):
            for part, part_indices in population.engram_parts:
                local = np.flatnonzero(np.isin(part_indices, indices))
                if not len(local):
                    continue
                rows = [[0, int(i), 1.0, dt] for i in local]
                out.append(("%s_into%d_part%d" % (name, j, part), {
                    "pre": name, "post": names[part],
                    "connector": {"type": "FromListConnector", "conn_list": rows},
                    "weight": 1.0, "delay": dt,
                    "synapse": {"type": "graded_connection"}}))
    return out
