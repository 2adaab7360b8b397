"""Recording for pyNN.engram: what to record is part of the network engram builds; the data
come back from the engine's in-memory recordings as numpy arrays."""

import numpy as np

from .. import recording
from . import simulator


class Recorder(recording.Recorder):
    _simulator = simulator

    def _record(self, variable, new_ids, sampling_interval=None):
        if sampling_interval is not None:
            self.sampling_interval = sampling_interval
        if new_ids:
            simulator.state.changed()

    @property
    def _pop(self):
        return self.population.engram_index

    def _indices(self, ids):
        return np.asarray([int(i) for i in ids], dtype=np.int64) - int(self.population.first_id)

    def _get_spiketimes(self, ids, clear=False):
        model = simulator.state.built()
        steps, neurons = model.spikes(self._pop)
        times = (steps.astype(np.float64) + model.spike_stamp_offset(self._pop)) * model.dt
        wanted = np.zeros(self.population.size, bool)
        wanted[self._indices(ids)] = True
        keep = wanted[neurons]
        id_array = neurons[keep].astype(np.int64) + int(self.population.first_id)
        if clear:
            model.clear(self._pop)
        return id_array, times[keep]

    def _get_all_signals(self, variable, ids, clear=False):
        model = simulator.state.built()
        name = self.population.celltype.engram_variable(variable.name) if hasattr(
            self.population.celltype, "engram_variable") else variable.name
        found = model.samples(self._pop, name)
        if found is None or len(ids) == 0:
            return np.zeros((0, len(ids))), None
        steps, values = found
        sampled = np.asarray(model.sampled_neurons(self._pop), dtype=np.int64)
        column = {int(n): k for k, n in enumerate(sampled)}
        columns = [column[int(i)] for i in self._indices(ids)]
        if clear:
            model.clear(self._pop)
        return values[:, columns], None

    def _local_count(self, variable, filter_ids=None):
        ids = sorted(self.filter_recorded(variable, filter_ids))
        id_array, _ = self._get_spiketimes(ids)
        counts = dict((int(i), 0) for i in ids)
        for i, n in zip(*np.unique(id_array, return_counts=True)):
            counts[int(i)] = int(n)
        return counts

    def _clear_simulator(self):
        if simulator.state.model is not None:
            simulator.state.model.clear(self._pop)

    def _reset(self):
        simulator.state.changed()
