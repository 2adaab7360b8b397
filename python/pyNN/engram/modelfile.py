"""The model-file text a pyNN.engram network translates into.

Populations and projections keep their creation order, so they draw from the same random
streams as the model file written in that order: a network built through PyNN and through its
model file is the same network (tests/python/test_cuba_identity.py).
"""

import json
import math
import re

import numpy as np

from ..random import RandomDistribution
from engram import EngramError, cell_types

# PyNN's distribution names and parameters that engram's random values share.
_DISTRIBUTIONS = {
    "uniform": ("low", "high"),
    "normal": ("mu", "sigma"),
    "normal_clipped": ("mu", "sigma", "low", "high"),
    "exponential": ("beta",),
}


def toml_value(v):
    """One value as TOML (inline tables and arrays)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        v = float(v)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, dict):
        return "{ " + ", ".join("%s = %s" % (toml_key(k), toml_value(x))
                                for k, x in v.items()) + " }"
    if isinstance(v, np.ndarray):
        v = v.tolist()
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    raise TypeError("cannot write %r into a model file" % (v,))


def toml_key(k):
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)


def random_value(value, what):
    """A number or a PyNN RandomDistribution as an engram value (a number or a table)."""
    if isinstance(value, RandomDistribution):
        names = _DISTRIBUTIONS.get(value.name)
        if names is None:
            raise EngramError(
                "pyNN.engram: %s: distribution %r is not one engram draws; it draws %s"
                % (what, value.name, ", ".join(_DISTRIBUTIONS)), None)
        table = {"distribution": value.name}
        table.update((n, float(value.parameters[n])) for n in names)
        return table
    return float(value)


def uniform(values, what):
    """The single value of a per-neuron array, or an error naming `what`."""
    values = np.asarray(values)
    if values.size == 0:
        return 0.0
    first = values.flat[0]
    if not np.all(values == first):
        raise EngramError(
            "pyNN.engram: %s differs between neurons; an engram population has one value "
            "per parameter (use one population per value)" % what, None)
    return float(first)


def population_names(state):
    names, taken = [], set()
    for k, p in enumerate(state.populations):
        label = p.label or ""
        name = label if re.fullmatch(r"[A-Za-z0-9_-]+", label) and label not in taken \
            else "population%d" % k
        taken.add(name)
        names.append(name)
    return names


def _population(p, types):
    cell = p.celltype
    entry = {"cell_type": cell.engram_name, "size": p.size}
    entry.update(getattr(p, "engram_options", {}))
    params = {}
    for name, values in p._parameters.items():
        if name == "spike_times":
            # Off-grid times are delivered at the next step, as NEST's spike_generator does
            # with allow_offgrid_times (PyNN's setting).
            dt = p._simulator.state.dt
            trains = [(np.ceil(np.asarray(s.value, float) / dt - 1e-9) * dt).tolist()
                      for s in np.asarray(values).flat]
            same = all(t == trains[0] for t in trains)
            params[name] = [trains[0]] if same else trains
        else:
            params[name] = uniform(values, "%s of %s" % (name, p.label))
    entry["params"] = params
    initial = {}
    for var in types.get(cell.engram_name, ()):
        if var in p._initial:
            value = p._initial[var]
            initial[var] = random_value(value, "initial %s of %s" % (var, p.label)) \
                if np.isscalar(value) or isinstance(value, RandomDistribution) \
                else uniform(value, "initial %s of %s" % (var, p.label))
    if initial:
        entry["initial_values"] = initial
    record, neurons, interval = [], set(), None
    recorder = p.recorder
    for variable, ids in recorder.recorded.items():
        if not ids:
            continue
        record.append(variable.name)
        if variable.name != "spikes":
            neurons.update(int(i) - int(p.first_id) for i in ids)
            interval = recorder.sampling_interval
    if record:
        entry["record"] = sorted(set(record), key=lambda v: (v != "spikes", v))
    if neurons:
        entry["record_neurons"] = sorted(neurons)
        entry["sampling_interval"] = float(interval)
    return entry


def model_file_text(state, duration=None):
    """The model file of the network `state` describes (its duration: one step, or
    `duration` ms; runs go as far as run() asks)."""
    types = {name: initial for name, initial, _ in cell_types()}
    names = population_names(state)
    lines = ["dt = %s" % toml_value(float(state.dt)),
             "duration = %s" % toml_value(float(duration if duration else state.dt)),
             "seed = %d" % state.seed, ""]
    for name, p in zip(names, state.populations):
        lines.append("[populations.%s]" % toml_key(name))
        lines += ["%s = %s" % (toml_key(k), toml_value(v))
                  for k, v in _population(p, types).items()]
        lines.append("")
    for k, prj in enumerate(state.projections):
        lines.append("[projections.%s]" % toml_key("projection%d" % k))
        entry = prj._model_file_entry(names)
        lines += ["%s = %s" % (toml_key(key), toml_value(v)) for key, v in entry.items()]
        lines.append("")
    return "\n".join(lines)
