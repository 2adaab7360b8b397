"""Projections of pyNN.engram.

A projection whose connector, weight and delay engram's connectors express is written into the
model file as that connector: engram then draws and builds its synapses in Rust, in bulk.
Any other connector is run by PyNN itself (``connector.connect``), which hands the connections
over column by column as arrays (``_convergent_connect``); they reach engram as an explicit
list. Reading connections asks the built network.
"""

import numpy as np

from .. import common, errors
from ..connectors import (AllToAllConnector, FixedNumberPostConnector,
                           FixedNumberPreConnector, FixedProbabilityConnector,
                           FixedTotalNumberConnector, OneToOneConnector)
from ..random import RandomDistribution
from ..space import Space
from . import simulator
from .modelfile import random_value
from .standardmodels import STDPMechanism, StaticSynapse, _DynamicSynapse

def _native_connector(connector, pre, post):
    """engram's connector for a PyNN connector between whole populations, or None."""
    if not (isinstance(pre, common.Population) and isinstance(post, common.Population)):
        return None
    if getattr(connector, "rng", None) is not None and not hasattr(connector.rng, "seed"):
        return None
    self_ok = bool(getattr(connector, "allow_self_connections", True))
    if getattr(connector, "allow_self_connections", True) == "NoMutual":
        return None
    kind = type(connector)
    if kind is AllToAllConnector:
        return {"type": "AllToAllConnector", "allow_self_connections": self_ok}
    if kind is OneToOneConnector:
        return {"type": "OneToOneConnector"}
    if kind is FixedProbabilityConnector:
        return {"type": "FixedProbabilityConnector", "p_connect": float(connector.p_connect),
                "allow_self_connections": self_ok}
    if kind in (FixedNumberPreConnector, FixedNumberPostConnector):
        if isinstance(connector.n, RandomDistribution) or callable(connector.n):
            return None
        return {"type": kind.__name__, "n": int(connector.n),
                "allow_self_connections": self_ok,
                "with_replacement": bool(connector.with_replacement)}
    if kind is FixedTotalNumberConnector:
        if isinstance(connector.n, RandomDistribution) or callable(connector.n):
            return None
        return {"type": "FixedTotalNumberConnector", "n": int(connector.n),
                "allow_self_connections": self_ok,
                "with_replacement": bool(connector.with_replacement)}
    return None


def _native_value(lazy, what):
    """A synapse parameter engram can draw itself (a number or a distribution), or None."""
    base = lazy.base_value
    if np.isscalar(base) and lazy.operations == []:
        return float(base)
    if isinstance(base, RandomDistribution) and lazy.operations == []:
        try:
            return random_value(base, what)
        except Exception:
            return None
    return None


class Projection(common.Projection):
    __doc__ = common.Projection.__doc__
    _simulator = simulator
    _static_synapse_class = StaticSynapse

    def __init__(self, presynaptic_population, postsynaptic_population, connector,
                 synapse_type=None, source=None, receptor_type=None, space=Space(),
                 label=None):
        common.Projection.__init__(self, presynaptic_population, postsynaptic_population,
                                   connector, synapse_type, source, receptor_type, space,
                                   label)
        simulator.state.changed()
        self.engram_index = len(simulator.state.projections)
        simulator.state.projections.append(self)
        params = self.synapse_type.native_parameters
        self._connector_entry = _native_connector(connector, self.pre, self.post)
        self._weight = _native_value(params["weight"], "weight of %s" % self.label)
        self._delay = _native_value(params["delay"], "delay of %s" % self.label) \
            if params["delay"].base_value is not None else float(simulator.state.dt)
        self._positive = True
        # Per-connection parameters of a dynamic synapse (U, tau_rec, ... or p), aligned with
        # the explicit list: such projections always reach engram as one.
        self._dynamic = [n for n in params.keys() if n not in ("weight", "delay")] \
            if isinstance(self.synapse_type, _DynamicSynapse) else []
        self._extra = {}
        if self._dynamic:
            self._connector_entry = None
        if self._connector_entry is None or self._weight is None or self._delay is None:
            self._connector_entry = None
            self._columns = []
            connector.connect(self)
            self._lists = self._gather_columns()

    # --- building ------------------------------------------------------------------------

    def _convergent_connect(self, presynaptic_indices, postsynaptic_index,
                            location_selector=None, **connection_parameters):
        if location_selector is not None:
            raise NotImplementedError("pyNN.engram has no multicompartment models")
        pre = np.asarray(presynaptic_indices, dtype=np.int64)
        n = pre.size
        weight = np.broadcast_to(np.asarray(connection_parameters["weight"], float), (n,))
        delay = connection_parameters.get("delay", simulator.state.dt)
        # Delays on the time grid, rounded to the nearest step as NEST stores them (a delay
        # computed from distance is rarely a whole number of steps).
        dt = float(simulator.state.dt)
        delay = np.asarray(delay, float)
        on_grid = np.round(delay / dt) * dt
        delay = np.broadcast_to(np.where(np.abs(delay - on_grid) < 1e-9, delay, on_grid), (n,))
        post = np.full(n, int(postsynaptic_index), dtype=np.int64)
        extra = tuple(np.broadcast_to(np.asarray(connection_parameters[k], float), (n,)).copy()
                      for k in self._dynamic)
        self._columns.append((pre, post, weight.copy(), delay.copy()) + extra)

    def _gather_columns(self):
        if not self._columns:
            empty = np.zeros(0)
            self._extra = {k: empty for k in self._dynamic}
            return (empty.astype(np.int64), empty.astype(np.int64), empty, empty)
        pre, post, w, d, *extra = (np.concatenate(c) for c in zip(*self._columns))
        self._columns = []
        self._extra = dict(zip(self._dynamic, extra))
        return pre, post, w, d

    def _model_file_entries(self, names, sizes):
        """The model-file entries this projection becomes, each with, for its pre and post
        engram populations, the index within self.pre / self.post of each of their neurons
        (-1: not in it). One entry for an engram connector between whole populations; else
        explicit lists, one per pair of engram populations the connections join (populations
        split by their parameters, views, assemblies)."""
        whole = all(isinstance(side, common.Population) and len(side.engram_parts) == 1
                    for side in (self.pre, self.post))
        if self._connector_entry is not None and not whole:
            self._connector_entry = None
            self._columns = []
            self._connector.connect(self)
            self._lists = self._gather_columns()
        common_keys = {"receptor_type": self.receptor_type}
        if isinstance(self.synapse_type, STDPMechanism):
            common_keys["synapse"] = _stdp_entry(self.synapse_type)
        if self._connector_entry is not None:
            p, q = self.pre.engram_parts[0][0], self.post.engram_parts[0][0]
            entry = {"pre": names[p], "post": names[q], "connector": self._connector_entry,
                     "weight": self._weight, "delay": self._delay}
            entry.update(common_keys)
            return [(entry, np.arange(self.pre.size), np.arange(self.post.size))]
        (pre_pop, pre_local), (post_pop, post_local) = _side_map(self.pre), _side_map(self.post)
        i, j, w, d = self._lists
        self._list_order = []
        pairs = np.column_stack([pre_pop[i], post_pop[j]]) if len(i) \
            else np.array([[pre_pop[0], post_pop[0]]])
        _, first = np.unique(pairs, axis=0, return_index=True)
        out = []
        for p, q in pairs[np.sort(first)]:
            keep = (pre_pop[i] == p) & (post_pop[j] == q)
            rows = np.column_stack([pre_local[i[keep]], post_local[j[keep]], w[keep], d[keep]])
            entry = {"pre": names[p], "post": names[q],
                     "connector": {"type": "FromListConnector", "conn_list": rows.tolist()},
                     "weight": float(w[keep][0]) if keep.any() else 0.0,
                     "delay": float(d[keep][0]) if keep.any() else float(simulator.state.dt)}
            entry.update(common_keys)
            if self._dynamic:
                entry["synapse"] = dict(type=type(self.synapse_type).__name__,
                                        **{k: v[keep].tolist() for k, v in self._extra.items()})
            self._list_order.append(np.flatnonzero(keep))
            out.append((entry, _inverse(pre_pop, pre_local, p, sizes[p]),
                        _inverse(post_pop, post_local, q, sizes[q])))
        return out

    # --- reading and changing connections ------------------------------------------------

    def _connections(self):
        """(pre, post, weight, delay) of every synapse, indices within self.pre/self.post."""
        model = simulator.state.built()
        parts = []
        for k, in_pre, in_post in self.engram_parts:
            pre, post, weight, delay = model.connections(k)
            parts.append((in_pre[pre], in_post[post], weight,
                          delay.astype(np.float64) * model.dt))
        return tuple(np.concatenate(c) for c in zip(*parts))

    def __len__(self):
        return len(self._connections()[0])

    @property
    def connections(self):
        """Every connection, as objects with pre/post indices, weight and delay."""
        return [_Connection(self, k, *c) for k, c in enumerate(zip(*self._connections()))]

    def _min_delay(self):
        d = self._connections()[3]
        return float(d.min()) if len(d) else None

    def __getitem__(self, i):
        pre, post, w, d = self._connections()
        return _Connection(self, i, pre[i], post[i], w[i], d[i])

    def _columns_of(self, names):
        """Per connection: indices, weight, delay, and the STDP rule's (constant) parameters."""
        pre, post, w, d = self._connections()
        columns = {"presynaptic_index": pre, "postsynaptic_index": post,
                   "weight": w, "delay": d, "presynaptic_cell": pre + int(self.pre.first_id),
                   "postsynaptic_cell": post + int(self.post.first_id)}
        if isinstance(self.synapse_type, STDPMechanism):
            entry = _stdp_entry(self.synapse_type)
            for part in ("timing_dependence", "weight_dependence"):
                for k, v in entry[part].items():
                    if k != "type":
                        columns[k] = np.full(len(pre), v)
        columns.update(self._extra_in_connection_order())
        aliases = {"weights": "weight", "delays": "delay"}
        names = [aliases.get(n, n) for n in names]
        for n in names:
            if n not in columns:
                raise errors.NonExistentParameterError(n, self.synapse_type, sorted(columns))
        return pre, post, [columns[n] for n in names]

    def _extra_in_connection_order(self):
        """The dynamic synapse's per-connection parameters in the order of _connections()
        (the built network's parts follow the model-file entries, each its list's subset)."""
        if not self._dynamic:
            return {}
        order = np.concatenate(self._list_order) if self._list_order \
            else np.zeros(0, np.int64)
        return {k: v[order] for k, v in self._extra.items()}

    def _get_attributes_as_list(self, names):
        _, _, columns = self._columns_of(names)
        return list(zip(*[c.tolist() for c in columns]))

    def _get_attributes_as_arrays(self, names, multiple_synapses="sum"):
        combine = common.Projection.MULTI_SYNAPSE_OPERATIONS[multiple_synapses]
        pre, post, columns = self._columns_of(names)
        out = []
        for values in columns:
            a = np.full((self.pre.size, self.post.size), np.nan)
            for i, j, v in zip(pre, post, values):
                a[i, j] = v if np.isnan(a[i, j]) else combine(a[i, j], v)
            out.append(a)
        return out

    def _set_connection(self, index, name, value):
        """Sets `name` (weight or delay) of connection `index` (a Connection's setter)."""
        pre, post, w, d = self._connections()
        values = {"weight": w.copy(), "delay": d.copy()}
        values.update(self._extra_in_connection_order())
        values[name][index] = value
        self._hold(pre, post, values)

    def _hold(self, pre, post, values):
        """From now on the projection is the explicit list given (indices within pre/post;
        `values`: weight, delay and the dynamic synapse's parameters, per connection)."""
        simulator.state.changed()
        self._connector_entry = None
        self._lists = (pre, post, values["weight"], values["delay"])
        self._extra = {k: values[k] for k in self._dynamic}

    def _set_attributes(self, parameter_space):
        pre, post, w, d = self._connections()
        values = {"weight": w.copy(), "delay": d.copy()}
        values.update(self._extra_in_connection_order())
        for name, value in parameter_space.items():
            if name not in values:
                raise errors.NonExistentParameterError(name, self.synapse_type,
                                                       list(values))
            full = value.evaluate(simplify=False)
            values[name] = np.asarray(full, float)[pre, post] if np.ndim(full) == 2 \
                else np.broadcast_to(np.asarray(full, float), pre.shape).copy()
        self._hold(pre, post, values)


def _side_map(side):
    """For each neuron of a projection's side (population, view or assembly): its engram
    population and its index there."""
    if isinstance(side, common.Assembly):
        maps = [_side_map(p) for p in side.populations]
        return tuple(np.concatenate(m) for m in zip(*maps))
    population = side.grandparent if isinstance(side, common.PopulationView) else side
    engram_pop = np.empty(population.size, np.int64)
    local = np.empty(population.size, np.int64)
    for pop, indices in population.engram_parts:
        engram_pop[indices] = pop
        local[indices] = np.arange(len(indices))
    if isinstance(side, common.PopulationView):
        within = side.index_in_grandparent(np.arange(side.size))
        return engram_pop[within], local[within]
    return engram_pop, local


def _inverse(engram_pop, local, pop, size):
    """For each neuron of engram population `pop` (of `size`), its index in the side."""
    out = np.full(size, -1, np.int64)
    mine = np.flatnonzero(engram_pop == pop)
    out[local[mine]] = mine
    return out


class _Connection(common.Connection):

    def __init__(self, projection, index, pre, post, weight, delay):
        self.projection = projection
        self.index = index
        self.presynaptic_index = int(pre)
        self.postsynaptic_index = int(post)
        self._weight = float(weight)
        self._delay = float(delay)

    def _setter(name):
        def set_value(self, value):
            setattr(self, "_" + name, float(value))
            self.projection._set_connection(self.index, name, float(value))
        return set_value

    weight = property(lambda self: self._weight, _setter("weight"))
    delay = property(lambda self: self._delay, _setter("delay"))

    def as_tuple(self, *names):
        return tuple(getattr(self, n) for n in names)


def _stdp_entry(stdp):
    timing = stdp.timing_dependence
    weight = stdp.weight_dependence
    if type(timing).__name__ != "SpikePairRule":
        raise NotImplementedError("pyNN.engram: STDP timing dependence %s; engram has "
                                  "SpikePairRule" % type(timing).__name__)
    kind = type(weight).__name__
    if kind not in ("AdditiveWeightDependence", "MultiplicativeWeightDependence"):
        raise NotImplementedError("pyNN.engram: weight dependence %s; engram has "
                                  "AdditiveWeightDependence and "
                                  "MultiplicativeWeightDependence" % kind)

    def values(component):
        return {k: float(getattr(v, "base_value", v))
                for k, v in component.parameter_space.items()}

    entry = {"type": "STDPMechanism"}
    if getattr(stdp, "engram_semantics", None):
        entry["semantics"] = stdp.engram_semantics
    return dict(entry,
                timing_dependence=dict(type="SpikePairRule", **values(timing)),
                weight_dependence=dict(type=kind, **values(weight)))
