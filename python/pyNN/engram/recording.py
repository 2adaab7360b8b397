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

    def _parts(self):
        """(engram population, population indices of its neurons) of each part."""
        simulator.state.built()
        return self.population.engram_parts

    def _indices(self, ids):
        return np.asarray([int(i) for i in ids], dtype=np.int64) - int(self.population.first_id)

    def _get_spiketimes(self, ids, clear=False):
        model = simulator.state.built()
        wanted = np.zeros(self.population.size, bool)
        wanted[self._indices(ids)] = True
        id_parts, time_parts = [], []
        for pop, indices in self._parts():
            steps, neurons = model.spikes(pop)
            neurons = indices[neurons]
            times = (steps.astype(np.float64) + model.spike_stamp_offset(pop)) * model.dt
            keep = wanted[neurons]
            id_parts.append(neurons[keep].astype(np.int64) + int(self.population.first_id))
            time_parts.append(times[keep])
            if clear:
                model.clear(pop)
        times = np.concatenate(time_parts)
        order = np.argsort(times, kind="stable")
        return np.concatenate(id_parts)[order], times[order]

    def _get_all_signals(self, variable, ids, clear=False):
        """Rows at t = 0, k, 2k, ... (k the sampling interval): the engine samples every step
        after its update (the row of step j is the state at (j + 1) dt), so the row at m k is
        that of step m k - 1, and the one at t = 0 the state as loaded."""
        model = simulator.state.built()
        every = max(1, int(round(self.sampling_interval / model.dt)))
        columns, signals = {}, []
        for pop, indices in self._parts():
            found = model.samples(pop, variable.name)
            if found is None:
                continue
            steps, values = found
            sampled = np.asarray(model.sampled_neurons(pop), dtype=np.int64)
            rows = values[(steps + 1) % every == 0]
            if len(steps) and steps[0] == 0:
                rows = np.vstack([self._initial_row(model, pop, variable.name,
                                                    indices[sampled]), rows])
            for k, n in enumerate(sampled):
                columns[int(indices[n])] = (len(signals), k)
            signals.append(rows)
            if clear:
                model.clear(pop)
        wanted = [columns.get(int(i)) for i in self._indices(ids)]
        if not signals or not wanted or any(w is None for w in wanted):
            return np.zeros((0, len(ids))), None
        return np.column_stack([signals[s][:, k] for s, k in wanted]), None

    def _initial_row(self, model, pop, name, neurons):
        """The values of `name` at t = 0 of population indices `neurons` (part `pop`): from the
        engine where it can say, else as given to PyNN, else unknown (NaN)."""
        local = model.initial_values(pop, name)
        if local is not None:
            position = {int(n): k for k, n in enumerate(self._part_indices(pop))}
            return local[[position[int(n)] for n in neurons]]
        given = self.population._initial.get(name)
        if given is not None and not hasattr(given, "next"):
            return np.broadcast_to(np.asarray(given, float), (self.population.size,))[neurons]
        return np.full(len(neurons), np.nan)

    def _part_indices(self, pop):
        return next(indices for p, indices in self._parts() if p == pop)

    def _local_count(self, variable, filter_ids=None):
        ids = sorted(self.filter_recorded(variable, filter_ids))
        id_array, _ = self._get_spiketimes(ids)
        counts = dict((int(i), 0) for i in ids)
        for i, n in zip(*np.unique(id_array, return_counts=True)):
            counts[int(i)] = int(n)
        return counts

    def _clear_simulator(self):
        if simulator.state.model is not None:
            for pop, _ in self.population.engram_parts:
                simulator.state.model.clear(pop)

    def _reset(self):
        simulator.state.changed()
