"""The CA3 content-addressable memory (docs/CAM.md) built from PyNN objects.

    import pyNN.engram as sim
    from pyNN.engram.ca3 import CA3Memory

    sim.setup(timestep=1.0)
    memory = CA3Memory(cues=5, content_bits=10)
    memory.learn(0, [0, 1, 8, 9])         # at t = 0 ms
    memory.recall_by_cue(0)               # 10 ms later
    memory.recall_by_content([8])
    memory.record("spikes")
    sim.run(memory.duration)
    for row in memory.recall_table():
        print(row["operation"], row["answered"]["cues"], row["matches"])

``CA3Memory`` creates ordinary PyNN objects: ten ``Population``s (the IN layer a
``SpikeSourceArray``, the others ``extensions.IF_curr_exp_spynnaker``) and 18 ``Projection``s,
two of them plastic (``extensions.STDPMechanism_spynnaker``), in the order and with the
parameters of the network ``engram cam`` builds (``networks::ca3``, handed over by
``engram._engram.cam_layout``: one description, not a second one in Python). Operations are
spike trains of the IN layer (``memory.input``), computed and checked against the protocol's
spacing by engram's operation layer. Everything can be inspected, recorded and changed as in
any PyNN script; the recall table is read off the OUT layer's Neo spike trains by the decoder
``engram cam`` uses.
"""

import json

import numpy as np

from ..connectors import AllToAllConnector, ArrayConnector, OneToOneConnector
from ..parameters import Sequence
from . import simulator, standardmodels
from .extensions import IF_curr_exp_spynnaker, STDPMechanism_spynnaker
from .populations import Population
from .projections import Projection
from engram._engram import cam_layout, cam_protocol, cam_recall_table


class CA3Memory:
    """The CA3 memory of `cues` one-hot cues and `content_bits` content bits as PyNN
    populations and projections of the current simulation (``setup(timestep=1.0)``: the
    protocol is defined in steps of 1 ms).

    Attributes: ``populations`` (name -> Population, in network order; names as in
    ``engram cam``'s run directory, prefixed with ``label_`` when `label` is given),
    ``projections`` (in network order), ``input`` (the IN layer), ``output`` (the OUT layer:
    cues 0..cues-1, then content bits), ``cue_to_content`` and ``content_to_cue`` (the
    plastic projections), ``schedule`` (the operations so far, as ``engram cam`` reads them).
    `spacing` (ms) is the time between operations given without ``at``."""

    def __init__(self, cues, content_bits, spacing=10.0, label=None):
        layout = json.loads(cam_layout(int(cues), int(content_bits)))
        dt = float(simulator.state.dt)
        if dt != layout["dt_ms"]:
            raise ValueError("the CA3 memory runs at dt = %s ms, the simulation at %s ms: "
                             "call setup(timestep=%s)" % (layout["dt_ms"], dt, layout["dt_ms"]))
        self.cues, self.content_bits = int(cues), int(content_bits)
        self.spacing = float(spacing)
        self.schedule = []
        self.min_duration = 0.0
        prefix = "%s_" % label if label else ""
        self.populations = {}
        for entry in layout["populations"]:
            cell = entry["cell"]
            if cell is None:
                celltype = standardmodels.SpikeSourceArray(spike_times=[])
            else:
                celltype = IF_curr_exp_spynnaker(**cell)
            population = Population(entry["size"], celltype, label=prefix + entry["name"])
            if cell is not None:
                population.initialize(v=cell["v_rest"])
            self.populations[entry["name"]] = population
        ordered = list(self.populations.values())
        self.input, self.output = ordered[0], ordered[-1]
        rule = layout["learning_rule"]
        self.projections = []
        plastic = []
        for k, entry in enumerate(layout["projections"]):
            pre, post, connector = _sides(ordered[entry["pre"]], ordered[entry["post"]],
                                          entry["connector"])
            # PyNN's sign convention: current-based inhibitory weights are negative (engram
            # takes them as magnitudes, as the memory's network stores them).
            sign = -1.0 if entry["receptor"] == "inhibitory" else 1.0
            weight, delay = sign * entry["weight"], entry["delay"] * dt
            if entry["plastic"]:
                synapse = STDPMechanism_spynnaker(
                    timing_dependence=standardmodels.SpikePairRule(**rule["timing"]),
                    weight_dependence=_weight_dependence(rule["weight"]),
                    weight=weight, delay=delay)
            else:
                synapse = standardmodels.StaticSynapse(weight=weight, delay=delay)
            names = [layout["populations"][entry[side]]["name"] for side in ("pre", "post")]
            projection = Projection(pre, post, connector, synapse,
                                    receptor_type=entry["receptor"],
                                    label="%s%s_%s_%d" % (prefix, names[0], names[1], k))
            self.projections.append(projection)
            if entry["plastic"]:
                plastic.append(projection)
        self.cue_to_content, self.content_to_cue = plastic

    @classmethod
    def from_experiment(cls, experiment, label=None):
        """The memory of a CAM experiment (a path or TOML text, as ``engram cam`` reads it)
        with its operations scheduled; ``duration`` is the run ``engram cam`` makes of it."""
        from engram.cam import load_experiment
        exp = load_experiment(experiment)
        memory = cls(exp["cues"], exp["content_bits"], label=label)
        memory.min_duration = exp["min_steps"] * float(simulator.state.dt)
        for scheduled in exp["schedule"]:
            memory._schedule(scheduled["op"], scheduled["t0"] * float(simulator.state.dt))
        return memory

    # --- operations ----------------------------------------------------------------------

    def learn(self, cue, content, at=None):
        """Learns `content` (bits) under `cue`, forgetting its old content; at `at` ms (default:
        `spacing` after the previous operation). Returns the operation's start (ms)."""
        return self._schedule({"op": "learn", "cue": int(cue),
                               "content": [int(b) for b in content]}, at)

    def recall_by_cue(self, cue, at=None):
        """Recalls the content stored under `cue`."""
        return self._schedule({"op": "recall_by_cue", "cue": int(cue)}, at)

    def recall_by_content(self, content, at=None):
        """Recalls every cue whose content shares a bit with `content`."""
        return self._schedule({"op": "recall_by_content",
                               "content": [int(b) for b in content]}, at)

    def _schedule(self, op, at):
        dt = float(simulator.state.dt)
        if at is None:
            at = self.schedule[-1]["t0"] * dt + self.spacing if self.schedule else 0.0
        t0 = int(round(at / dt))
        if abs(t0 * dt - at) > 1e-9 * max(1.0, abs(at)) or t0 < 0:
            raise ValueError("%s at %r ms: operations start on the 1 ms grid, at t >= 0"
                             % (op["op"], at))
        if at < simulator.state.t:
            raise ValueError("%s at %r ms: the simulation is already at %r ms"
                             % (op["op"], at, simulator.state.t))
        schedule = self.schedule + [{"t0": t0, "op": op}]
        # Checked against the protocol (ranges, spacing) by engram's operation layer, which
        # also gives the IN layer's spikes: nothing is changed when it refuses.
        spikes, _ = cam_protocol(self.cues, self.content_bits, json.dumps(schedule))
        self.schedule = schedule
        self.input.set(spike_times=[Sequence(np.asarray(s, float) * dt) for s in spikes])
        return t0 * dt

    @property
    def duration(self):
        """How long (ms) a run from t = 0 must last for every operation's output to be out."""
        _, steps = cam_protocol(self.cues, self.content_bits, json.dumps(self.schedule),
                                int(round(self.min_duration / float(simulator.state.dt))))
        return steps * float(simulator.state.dt)

    # --- recording and reading -----------------------------------------------------------

    def record(self, variables="spikes"):
        """Records `variables` of every population."""
        for population in self.populations.values():
            population.record(variables)

    def recall_table(self, data=None):
        """The recall table (one dict per operation: index, t0, operation, expected and
        answered cues, content and forgotten bits, matches; as ``engram cam`` writes it in
        recall_table.json) read off the OUT layer's spike trains: those of `data` (a Neo
        Block or Segment of the OUT population, e.g. read back from a file) or, by default,
        ``self.output.get_data("spikes")``'s last segment."""
        if data is None:
            data = self.output.get_data("spikes")
        segment = data.segments[-1] if hasattr(data, "segments") else data
        steps, neurons = spike_steps(self.output, segment.spiketrains)
        return json.loads(cam_recall_table(self.cues, self.content_bits,
                                           json.dumps(self.schedule), steps.tolist(),
                                           neurons.tolist()))


def spike_steps(population, spiketrains):
    """The spikes of Neo `spiketrains` of `population` as (step, neuron) arrays, sorted by
    step then neuron: the steps engram emitted them in (the stamp minus the cell type's
    offset), the neurons' indices in the population."""
    model = simulator.state.built()
    offset = model.spike_stamp_offset(population.engram_parts[0][0])
    dt = float(simulator.state.dt)
    steps, neurons = [], []
    for train in spiketrains:
        times = np.asarray(train.rescale("ms").magnitude, float)
        steps.append(np.rint(times / dt).astype(np.int64) - offset)
        neurons.append(np.full(len(times), int(train.annotations["source_index"]), np.int64))
    steps = np.concatenate(steps) if steps else np.zeros(0, np.int64)
    neurons = np.concatenate(neurons) if neurons else np.zeros(0, np.int64)
    order = np.lexsort((neurons, steps))
    return steps[order], neurons[order]


def _sides(pre, post, connector):
    """(pre, post, PyNN connector) for one of the memory's connectors."""
    kind = connector["type"]
    if kind == "one_to_one":
        n = connector["n"]

        def part(population, offset):
            if offset == 0 and n == population.size:
                return population
            return population[offset:offset + n]
        return (part(pre, connector["pre_offset"]), part(post, connector["post_offset"]),
                OneToOneConnector())
    if kind == "all_to_all":
        return pre, post, AllToAllConnector()
    if kind == "all_but_same_index":
        if pre is post:
            return pre, post, AllToAllConnector(allow_self_connections=False)
        # Between two populations PyNN's allow_self_connections does not apply: the matrix
        # says it.
        return pre, post, ArrayConnector(~np.eye(pre.size, post.size, dtype=bool))
    raise ValueError("unknown connector %r in the memory's layout" % kind)


def _weight_dependence(entry):
    kind = dict(entry)
    cls = getattr(standardmodels, kind.pop("type"))
    return cls(**kind)


__all__ = ["CA3Memory", "spike_steps"]
