"""engram.nir.load runs a nir.NIRGraph as `engram import nir` / `engram run FILE.nir` do."""

import subprocess
from pathlib import Path

import numpy as np
import pytest

import nir  # 1.0.8, installed by scripts/setup-python-engram.sh

import engram
import engram.nir

ROOT = Path(__file__).resolve().parents[2]
ENGRAM = ROOT / "target" / "release" / "engram"
needs_cli = pytest.mark.skipif(not ENGRAM.exists(), reason="the engram command is built by "
                               "cargo test --release (scripts/test.sh runs it first)")

INPUT_MS = [1.0, 1.5, 2.0, 5.0, 5.5, 6.0, 6.5]


def if_graph():
    """Input(1) -> Linear(0.3) -> IF(r = 1.5, threshold 1, reset -0.2) -> Output."""
    f32 = lambda *v: np.array(v, dtype=np.float32)
    return nir.NIRGraph(
        nodes={"input": nir.Input(input_type=np.array([1])),
               "linear": nir.Linear(weight=np.array([[0.3]], dtype=np.float32)),
               "neuron": nir.IF(r=f32(1.5), v_threshold=f32(1.0), v_reset=f32(-0.2)),
               "output": nir.Output(output_type=np.array([1]))},
        edges=[("input", "linear"), ("linear", "neuron"), ("neuron", "output")])


def spike_times_ms(model, population):
    pop = model.population_names.index(population)
    steps, _ = model.spikes(pop)
    return (steps + model.spike_stamp_offset(pop)) * model.dt


def test_an_if_neuron_spikes_where_nirs_ode_says():
    model = engram.nir.load(if_graph(), duration=10.0, spike_times={"input": [INPUT_MS]})
    model.run_until(model.duration_steps)
    # Each input raises v by r·w = 0.45, arriving 2 steps (0.2 ms) after the input spike
    # (docs/NIR.md): from 0 the third input crosses 1 and resets to -0.2, from which the third
    # after it crosses again (-0.2 + 3·0.45 = 1.15).
    np.testing.assert_allclose(spike_times_ms(model, "neuron"), [2.2, 6.2], atol=1e-9)


@needs_cli
def test_a_graph_loads_as_its_file_imports_and_runs(tmp_path):
    graph = if_graph()
    path = tmp_path / "if.nir"
    nir.write(path, graph)
    # The same model file as `engram import nir`, but for the source it names.
    subprocess.run([str(ENGRAM), "import", "nir", str(path), "--out", str(tmp_path / "if.toml"),
                    "--duration", "10"], check=True, capture_output=True)
    from_cli = (tmp_path / "if.toml").read_text()
    from_graph = engram.nir.model_text(graph, duration=10.0)
    body = lambda text: [line for line in text.splitlines() if "if.nir" not in line
                         and "graph.nir" not in line]
    assert body(from_graph) == body(from_cli)
    # And the same spikes as `engram run` of the file.
    times = "[[%s]]" % ", ".join(str(t) for t in INPUT_MS)
    subprocess.run([str(ENGRAM), "run", str(path), "--out", str(tmp_path / "run"), "--quiet",
                    "--duration", "10", "--set", "populations.input.params.spike_times=" + times],
                   check=True, capture_output=True)
    model = engram.nir.load(path, duration=10.0, spike_times={"input": [INPUT_MS]})
    model.run_until(model.duration_steps)
    np.testing.assert_array_equal(spike_times_ms(model, "neuron"),
                                  np.load(tmp_path / "run" / "neuron.times.npy"))


def test_unmappable_nodes_and_bad_options_are_coded_errors():
    f32 = lambda *v: np.array(v, dtype=np.float32)
    graph = nir.NIRGraph(
        nodes={"input": nir.Input(input_type=np.array([1])),
               "heaviside": nir.Threshold(threshold=f32(1.0)),
               "output": nir.Output(output_type=np.array([1]))},
        edges=[("input", "heaviside"), ("heaviside", "output")])
    with pytest.raises(engram.EngramError) as raised:
        engram.nir.load(graph)
    assert raised.value.code == "E1102" and "`heaviside` (Threshold)" in str(raised.value)
    with pytest.raises(engram.EngramError) as raised:
        engram.nir.load(if_graph(), dt=-1.0)
    assert raised.value.code == "E0003" and "dt = -1" in str(raised.value)
    with pytest.raises(engram.EngramError) as raised:
        engram.nir.load(if_graph(), spike_times={"inputs": [[1.0]]})
    assert raised.value.code == "E0003" and "`inputs`" in str(raised.value)
