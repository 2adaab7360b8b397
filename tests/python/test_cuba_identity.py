"""The same network built through PyNN (pyNN.engram) and through its model file gives
bit-identical spikes: CUBA-4k, examples/cuba.toml, written as a PyNN script."""

from pathlib import Path

import numpy as np
import pytest

import engram
import pyNN.engram as sim

ROOT = Path(__file__).resolve().parents[2]

CUBA_PARAMS = dict(cm=0.02, tau_m=20.0, tau_refrac=5.0, tau_syn_E=5.0, tau_syn_I=10.0,
                   v_rest=-49.0, v_reset=-60.0, v_thresh=-50.0, i_offset=0.0)


def cuba_through_pynn(duration=1000.0):
    """examples/cuba.toml as a PyNN script; returns {population: (steps, neurons)}."""
    sim.setup(timestep=0.1, seed=1234)
    pops = {}
    for label, size in (("exc", 3200), ("inh", 800)):
        p = sim.Population(size, sim.IF_curr_exp(**CUBA_PARAMS), label=label)
        sim.set_options(p, integration="nest")
        p.initialize(v=sim.RandomDistribution("uniform", low=-60.0, high=-50.0))
        p.record("spikes")
        pops[label] = p
    for pre, post, receptor, weight in (("exc", "exc", "excitatory", 0.00162),
                                        ("exc", "inh", "excitatory", 0.00162),
                                        ("inh", "exc", "inhibitory", -0.009),
                                        ("inh", "inh", "inhibitory", -0.009)):
        sim.Projection(pops[pre], pops[post], sim.FixedProbabilityConnector(0.02),
                       sim.StaticSynapse(weight=weight, delay=0.1), receptor_type=receptor)
    sim.run(duration)
    model = sim.simulator.state.model
    out = {label: model.spikes(p.engram_index) for label, p in pops.items()}
    times = {label: pops[label].get_data("spikes").segments[0].spiketrains
             for label in pops}
    sim.end()
    return out, times


def test_cuba_through_pynn_equals_the_model_file():
    through_pynn, trains = cuba_through_pynn()
    model = engram.run_model_file(ROOT / "examples" / "cuba.toml")
    assert model.population_names == ["exc", "inh"]
    for pop, label in enumerate(model.population_names):
        steps, neurons = model.spikes(pop)
        got_steps, got_neurons = through_pynn[label]
        assert len(steps) > 1000, "CUBA must be active for the comparison to mean anything"
        assert len(got_steps) == len(steps)
        np.testing.assert_array_equal(got_steps, steps)
        np.testing.assert_array_equal(got_neurons, neurons)
        # The Neo spike trains hold the same spikes, stamped as engram stamps them.
        offset = model.spike_stamp_offset(pop)
        n_in_trains = sum(len(t) for t in trains[label])
        assert n_in_trains == len(steps)
        first = trains[label][int(neurons[0])]
        assert first[0].magnitude == pytest.approx((steps[0] + offset) * 0.1)


def test_a_changed_seed_changes_the_spikes():
    """The comparison above can fail: another seed gives another network."""
    sim.setup(timestep=0.1, seed=4321)
    p = sim.Population(400, sim.IF_curr_exp(**CUBA_PARAMS), label="exc")
    p.initialize(v=sim.RandomDistribution("uniform", low=-60.0, high=-50.0))
    p.record("spikes")
    sim.Projection(p, p, sim.FixedProbabilityConnector(0.02),
                   sim.StaticSynapse(weight=0.00162, delay=0.1))
    sim.run(200.0)
    other = sim.simulator.state.model.spikes(0)
    sim.setup(timestep=0.1, seed=1234)
    p = sim.Population(400, sim.IF_curr_exp(**CUBA_PARAMS), label="exc")
    p.initialize(v=sim.RandomDistribution("uniform", low=-60.0, high=-50.0))
    p.record("spikes")
    sim.Projection(p, p, sim.FixedProbabilityConnector(0.02),
                   sim.StaticSynapse(weight=0.00162, delay=0.1))
    sim.run(200.0)
    this = sim.simulator.state.model.spikes(0)
    assert len(this[0]) > 0 and len(other[0]) > 0
    assert not (len(this[0]) == len(other[0]) and np.array_equal(this[1], other[1]))
