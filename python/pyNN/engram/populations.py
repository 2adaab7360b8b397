"""Populations, views and assemblies of pyNN.engram: they hold parameters and initial values
until the network is built (``modelfile.py`` reads them)."""

import numpy as np

from .. import common, errors
from ..parameters import ParameterSpace
from ..random import RandomDistribution
from ..standardmodels import StandardCellType
from . import simulator
from .recording import Recorder


class Assembly(common.Assembly):
    _simulator = simulator


class PopulationView(common.PopulationView):
    _assembly_class = Assembly
    _simulator = simulator

    def _in_population(self):
        return self.index_in_grandparent(np.arange(self.size))

    def _get_parameters(self, *names):
        native = self.celltype.get_native_names(*names) if names else None
        return _reverse(self, self.grandparent._native_values(self._in_population(), native),
                        self.size)

    def _set_parameters(self, parameter_space):
        simulator.state.changed()
        parameter_space.evaluate(simplify=False)
        for name, value in parameter_space.items():
            self.grandparent._parameters[name][self._in_population()] = value

    def _set_initial_value_array(self, variable, initial_values):
        self.grandparent._set_initial_values_at(self._in_population(), variable,
                                                initial_values)

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)


def _reverse(population, native, size):
    ps = ParameterSpace(native, shape=(size,))
    if isinstance(population.celltype, StandardCellType):
        return population.celltype.reverse_translate(ps)
    return ps


class Population(common.Population):
    __doc__ = common.Population.__doc__
    _simulator = simulator
    _recorder_class = Recorder
    _assembly_class = Assembly

    def _create_cells(self):
        if not hasattr(self.celltype, "engram_name"):
            raise errors.InvalidModelError(
                "pyNN.engram has no cell type %s; it has %s" % (
                    type(self.celltype).__name__,
                    ", ".join(sorted(t for t in _engram_types()))))
        simulator.state.changed()
        first = simulator.state.id_counter
        self.all_cells = np.array([simulator.ID(i) for i in range(first, first + self.size)],
                                  dtype=simulator.ID)
        self._mask_local = np.ones((self.size,), bool)
        ps = self.celltype.native_parameters
        ps.shape = (self.size,)
        ps.evaluate(simplify=False)
        self._parameters = ps.as_dict()
        _check_spike_times(self._parameters)
        # Initial values as given (a number or a RandomDistribution for every neuron), or
        # per neuron when they were given to a view or as an array.
        self._initial = dict(self.celltype.default_initial_values)
        for cell in self.all_cells:
            cell.parent = self
        simulator.state.id_counter += self.size
        self.engram_index = len(simulator.state.populations)
        simulator.state.populations.append(self)

    def _native_values(self, mask, names):
        out = {}
        for name in (names or self._parameters.keys()):
            value = self._parameters[name]
            out[name] = value[mask] if isinstance(value, np.ndarray) else value
        return out

    def _get_parameters(self, *names):
        native = self.celltype.get_native_names(*names) if names else None
        return _reverse(self, self._native_values(slice(None), native), self.size)

    def _set_parameters(self, parameter_space):
        simulator.state.changed()
        parameter_space.evaluate(simplify=False)
        for name, value in parameter_space.items():
            self._parameters[name] = value
        _check_spike_times(self._parameters)

    def _set_initial_value_array(self, variable, initial_values):
        simulator.state.changed()
        base = initial_values.base_value
        if isinstance(base, RandomDistribution) or np.isscalar(base):
            self._initial[variable] = base
        else:
            self._set_initial_values_at(slice(None), variable, initial_values)

    def _set_initial_values_at(self, mask, variable, initial_values):
        simulator.state.changed()
        current = self._initial.get(variable, 0.0)
        if isinstance(current, RandomDistribution):
            raise errors.InvalidParameterValueError(
                "pyNN.engram: %s of %s is drawn from a distribution; it cannot be set again "
                "for part of the population" % (variable, self.label))
        values = np.broadcast_to(np.asarray(current, float), (self.size,)).copy()
        values[mask] = initial_values.evaluate(simplify=False) if hasattr(
            initial_values, "evaluate") else initial_values
        self._initial[variable] = values

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)


def _engram_types():
    from . import standardmodels
    return [name for name, obj in vars(standardmodels).items()
            if isinstance(obj, type) and hasattr(obj, "engram_name")]


def _check_spike_times(parameters):
    """PyNN requires each neuron's spike times in ascending order."""
    for train in np.asarray(parameters.get("spike_times", [])).flat:
        times = np.asarray(getattr(train, "value", train), float)
        if times.size > 1 and np.any(np.diff(times) < 0):
            raise errors.InvalidParameterValueError(
                "spike_times must be in ascending order, got %s" % times.tolist())
