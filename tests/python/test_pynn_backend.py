"""pyNN.engram beyond PyNN's own scenarios: connectors engram draws itself, explicit lists,
STDP, errors with engram's codes, Ctrl-C during run(), the progress bar."""

import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import engram
import pyNN.engram as sim


def two_populations(n_pre=50, n_post=40):
    sim.setup(timestep=0.1, seed=7)
    a = sim.Population(n_pre, sim.SpikeSourcePoisson(rate=50.0), label="a")
    b = sim.Population(n_post, sim.IF_curr_exp(), label="b")
    return a, b


def test_fixed_total_number_connector_makes_exactly_n_synapses_as_the_model_file_does():
    a, b = two_populations()
    prj = sim.Projection(a, b, sim.FixedTotalNumberConnector(300, with_replacement=False),
                         sim.StaticSynapse(weight=0.1, delay=0.5))
    pairs = prj.get("weight", format="list")
    assert len(pairs) == 300
    assert len(set((i, j) for i, j, _ in pairs)) == 300  # without replacement: no multapses
    text = sim.model_file()
    assert 'type = "FixedTotalNumberConnector", n = 300' in text
    from_file = engram.Model(text)
    pre, post, _, _ = from_file.connections(0)
    assert sorted(zip(pre.tolist(), post.tolist())) == sorted((i, j) for i, j, _ in pairs)


def test_a_connector_engram_lacks_runs_in_pynn_and_arrives_as_a_list():
    a, b = two_populations(10, 10)
    conn = [(0, 1, 0.2, 1.0), (3, 4, 0.3, 2.0), (9, 9, 0.4, 0.5)]
    prj = sim.Projection(a, b, sim.FromListConnector(conn, column_names=["weight", "delay"]),
                         sim.StaticSynapse())
    got = sorted(prj.get(["weight", "delay"], format="list"))
    assert got == [(0, 1, 0.2, 1.0), (3, 4, 0.3, 2.0), (9, 9, 0.4, 0.5)]
    dist = sim.Projection(a, b, sim.DistanceDependentProbabilityConnector("d < 3"),
                          sim.StaticSynapse(weight=0.1))
    assert len(dist) > 0
    assert all(abs(i - j) < 3 for i, j, _ in dist.get("weight", format="list"))


def test_stdp_changes_weights_within_bounds():
    sim.setup(timestep=0.1, seed=3)
    pre = sim.Population(20, sim.SpikeSourcePoisson(rate=40.0), label="pre")
    post = sim.Population(10, sim.IF_curr_exp(i_offset=1.0), label="post")
    stdp = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0,
                                            A_plus=0.01, A_minus=0.012),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=0.5),
        weight=0.25, delay=1.0)
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), stdp)
    before = np.array(prj.get("weight", format="list"))[:, 2]
    sim.run(500.0)
    after = np.array(prj.get("weight", format="list"))[:, 2]
    assert np.all(before == 0.25)
    assert np.any(after != 0.25)
    assert after.min() >= 0.0 and after.max() <= 0.5


def test_bad_input_raises_engram_error_with_its_code():
    sim.setup(timestep=0.1)
    sim.Population(5, sim.IF_curr_exp(tau_m=-20.0), label="bad")
    with pytest.raises(engram.EngramError) as raised:
        sim.run(10.0)
    assert raised.value.code == "E0107"
    assert "tau_m" in str(raised.value) and "-20" in str(raised.value)


CTRL_C_SCRIPT = """
import sys
import pyNN.engram as sim
sim.setup(timestep=0.1, seed=1)
p = sim.Population(200, sim.IF_curr_exp(i_offset=1.0), label="busy")
p.record("spikes")
print("running", flush=True)
try:
    sim.run(1e7)  # hours of simulated time: only Ctrl-C ends it
    sys.exit(3)
except KeyboardInterrupt:
    t = sim.get_current_time()
    trains = p.get_data("spikes").segments[0].spiketrains
    last = max(s.max() for s in trains if len(s))
    sim.run(10.0)  # and the run can go on
    print(t, len(trains), sum(len(s) for s in trains), float(last), sim.get_current_time())
"""


def test_ctrl_c_during_run_stops_cleanly_with_the_data_readable():
    child = subprocess.Popen([sys.executable, "-c", CTRL_C_SCRIPT], stdout=subprocess.PIPE,
                             text=True)
    assert child.stdout.readline().strip() == "running"
    time.sleep(1.0)
    child.send_signal(signal.SIGINT)
    out, _ = child.communicate(timeout=120)
    assert child.returncode == 0, out
    t, n_trains, n_spikes, last, t_after = (float(x) for x in out.split())
    assert 0 < t < 1e7
    assert n_trains == 200 and n_spikes > 0
    assert last <= t
    assert t_after == pytest.approx(t + 10.0)


def test_progress_bar_is_off_by_default_and_on_with_setup_progress(capfd):
    sim.setup(timestep=0.1)
    sim.Population(10, sim.IF_curr_exp(), label="quiet")
    sim.run(200.0)
    assert capfd.readouterr().err == ""
    sim.setup(timestep=0.1, progress=True)
    sim.Population(10, sim.IF_curr_exp(), label="loud")
    sim.run(200.0)
    assert "100%" in capfd.readouterr().err


def test_parameters_that_differ_between_neurons_run_as_separate_populations_would():
    """A population whose i_offset and initial v differ per neuron gives each neuron the
    spikes it has in a population of its own values (engram splits it)."""
    offsets = [0.0, 0.9, 1.5, 0.9, 2.5]
    starts = [-65.0, -60.0, -65.0, -60.0, -55.0]
    sim.setup(timestep=0.1)
    mixed = sim.Population(5, sim.IF_curr_exp(i_offset=offsets), label="mixed")
    mixed.initialize(v=np.array(starts))
    mixed.record(["spikes", "v"])
    sim.run(300.0)
    block = mixed.get_data().segments[0]
    trains = [np.asarray(t) for t in block.spiketrains]
    v = np.asarray(block.analogsignals[0])
    sim.end()
    for i, (offset, start) in enumerate(zip(offsets, starts)):
        sim.setup(timestep=0.1)
        alone = sim.Population(1, sim.IF_curr_exp(i_offset=offset), label="alone")
        alone.initialize(v=start)
        alone.record(["spikes", "v"])
        sim.run(300.0)
        own = alone.get_data().segments[0]
        np.testing.assert_array_equal(trains[i], np.asarray(own.spiketrains[0]))
        np.testing.assert_array_equal(v[:, i], np.asarray(own.analogsignals[0])[:, 0])
        sim.end()
    assert len(trains[0]) == 0 and len(trains[4]) > len(trains[1]) > 0


def test_neo_blocks_have_units_and_annotations_and_write_to_files(tmp_path):
    import neo
    import quantities as pq
    sim.setup(timestep=0.1, seed=11)
    src = sim.Population(10, sim.SpikeSourcePoisson(rate=100.0), label="src")
    cells = sim.Population(4, sim.IF_cond_exp(), label="cells")
    cells.record(["spikes", "v", "gsyn_exc"], sampling_interval=1.0)
    prj = sim.Projection(src, cells, sim.AllToAllConnector(),
                         sim.StaticSynapse(weight=0.01, delay=1.0))
    sim.run(100.0)
    block = cells.get_data()
    assert block.annotations["simulator"] == "engram" and block.annotations["size"] == 4
    segment = block.segments[0]
    v = next(s for s in segment.analogsignals if s.name == "v")
    g = next(s for s in segment.analogsignals if s.name == "gsyn_exc")
    assert v.units == pq.mV and g.units == pq.uS
    # PyNN's convention: samples at t = 0, 1, ..., 100 ms, the first being the initial value.
    assert v.sampling_period == 1.0 * pq.ms and v.shape == (101, 4)
    assert np.all(np.asarray(v)[0] == -65.0) and np.any(np.asarray(v)[1:] != -65.0)
    assert segment.spiketrains[0].units == pq.ms
    cells.write_data(str(tmp_path / "cells.pkl"))
    again = neo.io.PickleIO(str(tmp_path / "cells.pkl")).read_block()
    np.testing.assert_array_equal(
        np.asarray(next(s for s in again.segments[0].analogsignals if s.name == "v")),
        np.asarray(v))
    prj.save("all", str(tmp_path / "weights.txt"), format="list")
    saved = np.loadtxt(tmp_path / "weights.txt")
    assert saved.shape == (40, 4) and np.all(saved[:, 2] == 0.01) and np.all(saved[:, 3] == 1.0)
    sim.end()


def test_projections_between_views_and_assemblies_keep_their_indices():
    sim.setup(timestep=0.1)
    a = sim.Population(6, sim.SpikeSourceArray(spike_times=[1.0, 2.0]), label="a")
    b = sim.Population(4, sim.IF_curr_exp(), label="b")
    c = sim.Population(3, sim.IF_curr_exp(), label="c")
    conn = [(0, 5, 0.1, 1.0), (5, 0, 0.2, 1.5), (2, 3, 0.3, 2.0), (1, 6, 0.4, 0.5)]
    to_both = sim.Projection(a, b + c, sim.FromListConnector(conn, column_names=["weight",
                                                                                 "delay"]),
                             sim.StaticSynapse())
    view = sim.Projection(a[1:4], b[2:], sim.AllToAllConnector(), sim.StaticSynapse(weight=0.5))
    assert sorted(to_both.get(["weight", "delay"], format="list")) == sorted(conn)
    assert sorted((i, j) for i, j, _ in view.get("weight", format="list")) == \
        [(i, j) for i in range(3) for j in range(2)]
    text = sim.model_file()
    assert text.count("[projections.") == 3  # a -> b and a -> c, then the view's
    sim.run(10.0)
    sim.end()


def test_a_parameter_changed_between_runs_acts_from_then_on():
    sim.setup(timestep=0.1)
    kept = sim.Population(1, sim.IF_curr_exp(), label="kept")
    changed = sim.Population(1, sim.IF_curr_exp(), label="changed")
    pair = sim.Population(2, sim.IF_curr_exp(), label="pair")
    kept.record("v")
    changed.record("v")
    sim.run(50.0)
    changed.set(i_offset=1.0)
    sim.run(50.0)
    v = np.column_stack([np.asarray(p.get_data().segments[0].analogsignals[0])[:, 0]
                         for p in (kept, changed)])
    # Giving part of a population its own value would split it: a change of structure.
    with pytest.raises(engram.EngramError) as raised:
        pair[0:1].set(tau_m=10.0)
        sim.run(10.0)
    assert raised.value.code == "E0401"
    sim.end()
    assert v.shape == (1001, 2)
    assert np.all(v[:501] == -65.0)            # nothing moves before the change
    assert np.all(v[:, 0] == -65.0)            # nor the neuron that was not changed
    assert np.all(np.diff(v[501:560, 1]) > 0)  # the changed one charges from 50 ms on


def test_a_panic_arrives_as_engram_error_without_a_code():
    from engram import _engram
    with pytest.raises(engram.EngramError) as raised:
        _engram._panic_for_tests()
    assert raised.value.code is None
    assert "a deliberate panic" in str(raised.value) and "defect" in str(raised.value)
