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
from . import electrodes
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


def _spike_trains(p, values, indices, now):
    """Per neuron of `indices`, its spike times; off-grid times are delivered at the next step,
    as NEST's spike_generator does with allow_offgrid_times (PyNN's setting). In the middle of
    a run (`now` > 0) the times already emitted stay and only future times are new."""
    dt = p._simulator.state.dt
    # (+ 0.0: a time of 0 stays 0.0, not the -0.0 the ceiling gives.)
    trains = [(np.ceil(np.asarray(s.value, float) / dt - 1e-9) * dt + 0.0).tolist()
              for s in np.asarray(values)[indices]]
    built = getattr(p, "_built_trains", {})
    if now:
        past = [[t for t in built.get(int(i), []) if t < now - dt / 2] for i in indices]
        trains = [old + [t for t in new if t >= now - dt / 2]
                  for old, new in zip(past, trains)]
    for i, train in zip(indices, trains):
        built[int(i)] = train
    p._built_trains = built
    return [trains[0]] if all(t == trains[0] for t in trains) else trains


def _per_neuron(p, types):
    """The parameters and initial values of `p` that differ between neurons, as columns."""
    columns = {}
    for name, values in p._parameters.items():
        if name != "spike_times":
            values = np.broadcast_to(np.asarray(values, float), (p.size,))
            if np.any(values != values[0]):
                columns[("params", name)] = values
    for var in types.get(p.celltype.engram_name, ()):
        value = p._initial.get(var)
        if value is not None and not (np.isscalar(value)
                                      or isinstance(value, RandomDistribution)):
            values = np.broadcast_to(np.asarray(value, float), (p.size,))
            if np.any(values != values[0]):
                columns[("initial_values", var)] = values
    return columns


def population_parts(p, types):
    """How population `p` becomes engram populations: one, or (when parameters or initial
    values differ between its neurons, and an engram population has one value each) one per
    distinct combination, in order of first appearance. Returns the neuron indices of each."""
    columns = _per_neuron(p, types)
    if not columns:
        return [np.arange(p.size)]
    table = np.column_stack(list(columns.values()))
    _, first, inverse = np.unique(table, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first)
    return [np.flatnonzero(inverse.ravel() == g) for g in order]


def _population(p, types, indices, now):
    cell = p.celltype
    entry = {"cell_type": cell.engram_name, "size": len(indices)}
    # The cell type's own options (an extension's), then those set on the population.
    entry.update(getattr(cell, "engram_options", {}))
    entry.update(getattr(p, "engram_options", {}))
    params = {}
    for name, values in p._parameters.items():
        if name == "spike_times":
            params[name] = _spike_trains(p, values, indices, now)
        else:
            params[name] = float(np.broadcast_to(np.asarray(values, float), (p.size,))[indices[0]])
    entry["params"] = params
    initial = {}
    for var in types.get(cell.engram_name, ()):
        if var in p._initial:
            value = p._initial[var]
            initial[var] = random_value(value, "initial %s of %s" % (var, p.label)) \
                if np.isscalar(value) or isinstance(value, RandomDistribution) \
                else float(np.asarray(value, float)[indices[0]])
    if initial:
        entry["initial_values"] = initial
    local = np.full(p.size, -1)
    local[indices] = np.arange(len(indices))
    record, neurons = set(), set()
    recorder = p.recorder
    for variable, ids in recorder.recorded.items():
        here = [int(local[int(i) - int(p.first_id)]) for i in ids]
        here = [i for i in here if i >= 0]
        if here:
            record.add(variable.name)
            if variable.name != "spikes":
                neurons.update(here)
    if record:
        entry["record"] = sorted(record, key=lambda v: (v != "spikes", v))
    if neurons:
        entry["record_neurons"] = sorted(neurons)
        # Every step: the recorder keeps the rows of PyNN's sampling interval (recording.py).
        entry["sampling_interval"] = float(p._simulator.state.dt)
    return entry


def _name(label, k, taken):
    name = label if label and re.fullmatch(r"[A-Za-z0-9_-]+", label) and label not in taken \
        else "population%d" % k
    taken.add(name)
    return name


def model_file_text(state, duration=None, now=0.0):
    """The model file of the network `state` describes (its duration: one step, or
    `duration` ms; runs go as far as run() asks). Records on each population and projection
    which engram populations and projections it became (`engram_parts`)."""
    types = {name: initial for name, initial, _ in cell_types()}
    lines = ["dt = %s" % toml_value(float(state.dt)),
             "duration = %s" % toml_value(float(duration if duration else state.dt)),
             "seed = %d" % state.seed, ""]
    taken, names = set(), []
    for k, p in enumerate(state.populations):
        name = _name(p.label, k, taken)
        parts = population_parts(p, types)
        p.engram_parts = []
        for j, indices in enumerate(parts):
            part_name = name if len(parts) == 1 else "%s_part%d" % (name, j)
            p.engram_parts.append((len(names), indices))
            names.append(part_name)
            lines.append("[populations.%s]" % toml_key(part_name))
            lines += ["%s = %s" % (toml_key(key), toml_value(v))
                      for key, v in _population(p, types, indices, now).items()]
            lines.append("")
        p.engram_index = p.engram_parts[0][0]
    for name, entry in electrodes.population_entries(state, names):
        lines.append("[populations.%s]" % toml_key(name))
        lines += ["%s = %s" % (toml_key(key), toml_value(v)) for key, v in entry.items()]
        lines.append("")
    sizes = {}
    for p in state.populations:
        sizes.update((pop, len(indices)) for pop, indices in p.engram_parts)
    count = 0
    for k, prj in enumerate(state.projections):
        entries = prj._model_file_entries(names, sizes)
        prj.engram_parts = []
        for j, (entry, pre_indices, post_indices) in enumerate(entries):
            name = "projection%d" % k if len(entries) == 1 else "projection%d_part%d" % (k, j)
            prj.engram_parts.append((count, pre_indices, post_indices))
            count += 1
            lines.append("[projections.%s]" % toml_key(name))
            lines += ["%s = %s" % (toml_key(key), toml_value(v)) for key, v in entry.items()]
            lines.append("")
    for name, entry in electrodes.projection_entries(state, names):
        lines.append("[projections.%s]" % toml_key(name))
        lines += ["%s = %s" % (toml_key(key), toml_value(v)) for key, v in entry.items()]
        lines.append("")
    return "\n".join(lines)
