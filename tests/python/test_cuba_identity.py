"""The same network built through PyNN (pyNN.engram) and through its model file gives
bit-identical spikes: CUBA-4k, examples/cuba.toml, written as the PyNN script of the
construction benchmark (bench/python/construction.py)."""

import sys
from pathlib import Path

import numpy as np
import pytest

import engram
import pyNN.engram as sim

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "python"))
from construction import pynn_cuba  # noqa: E402


def cuba_spikes(neurons, seed, duration):
    """Runs CUBA through pyNN.engram; returns the model and its populations."""
    pops = pynn_cuba(sim, neurons, engram=True, seed=seed)
    for p in pops.values():
        p.record("spikes")
    sim.run(duration)
    return sim.simulator.state.model, pops


def test_cuba_through_pynn_equals_the_model_file():
    through_pynn, pops = cuba_spikes(4000, 1234, 1000.0)
    model = engram.run_model_file(ROOT / "examples" / "cuba.toml")
    assert model.population_names == ["exc", "inh"]
    for pop, label in enumerate(model.population_names):
        steps, neurons = model.spikes(pop)
        got_steps, got_neurons = through_pynn.spikes(pops[label].engram_index)
        assert len(steps) > 1000, "CUBA must be active for the comparison to mean anything"
        assert len(got_steps) == len(steps)
        np.testing.assert_array_equal(got_steps, steps)
        np.testing.assert_array_equal(got_neurons, neurons)
        # The Neo spike trains hold the same spikes, stamped as engram stamps them.
        trains = pops[label].get_data("spikes").segments[0].spiketrains
        assert sum(len(t) for t in trains) == len(steps)
        offset = model.spike_stamp_offset(pop)
        first = trains[int(neurons[0])]
        assert first[0].magnitude == pytest.approx((steps[0] + offset) * 0.1)
    sim.end()


def test_a_changed_seed_changes_the_spikes():
    """The comparison above can fail: another seed gives another network."""
    spikes = []
    for seed in (1234, 4321):
        model, pops = cuba_spikes(400, seed, 200.0)
        spikes.append(model.spikes(pops["exc"].engram_index))
        sim.end()
    (steps_a, neurons_a), (steps_b, neurons_b) = spikes
    assert len(steps_a) > 0 and len(steps_b) > 0
    assert not (len(steps_a) == len(steps_b) and np.array_equal(neurons_a, neurons_b))
