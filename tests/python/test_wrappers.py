"""engram.cam, engram.bench and engram.spinnaker give what the engram command gives."""

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

import engram
import engram.bench
import engram.cam
import engram.spinnaker
import pyNN.engram as sim

ROOT = Path(__file__).resolve().parents[2]
ENGRAM = ROOT / "target" / "release" / "engram"
needs_cli = pytest.mark.skipif(not ENGRAM.exists(), reason="the engram command is built by "
                               "cargo test --release (scripts/test.sh runs it first)")


@needs_cli
def test_cam_e1_gives_the_recall_table_of_engram_cam(tmp_path):
    experiment = ROOT / "examples" / "cam" / "e1_functional.toml"
    subprocess.run([str(ENGRAM), "cam", str(experiment), "--out", str(tmp_path / "run"),
                    "--quiet", "--threads", "1"], check=True, capture_output=True)
    expected = json.loads((tmp_path / "run" / "recall_table.json").read_text())
    result = engram.cam.run(experiment)
    assert result["table"] == expected
    assert len(expected) == 9
    assert engram.cam.recall_rate(result) == 1.0
    for population, count in result["spikes"].items():
        times = np.load(tmp_path / "run" / ("%s.times.npy" % population))
        assert len(times) == count


def test_cam_errors_carry_their_code():
    with pytest.raises(engram.EngramError) as raised:
        engram.cam.run("[memory]\ncues = 0\n")
    assert raised.value.code is not None and raised.value.code.startswith("E02")


@needs_cli
def test_bench_gives_the_network_engram_bench_runs():
    out = subprocess.run([str(ENGRAM), "bench", "cuba", "--neurons", "1000", "--seconds",
                          "0.2", "--threads", "1", "--json"], check=True,
                         capture_output=True, text=True).stdout
    cli = json.loads(out.strip().splitlines()[-1])
    record = engram.bench.run("cuba", neurons=1000, seconds=0.2)
    for key in ("neurons", "synapses", "spikes", "synaptic_events"):
        assert record[key] == cli[key], key
    assert record["spikes"] > 0 and record["build_s"] >= 0 and record["simulate_s"] > 0


def small_network(backend="cpu"):
    sim.setup(timestep=1.0, seed=5, backend=backend)
    src = sim.Population(20, sim.SpikeSourcePoisson(rate=80.0), label="src")
    cells = sim.Population(30, sim.IF_curr_exp(tau_refrac=2.0), label="cells")
    cells.record("spikes")
    sim.Projection(src, cells, sim.FixedProbabilityConnector(0.5),
                   sim.StaticSynapse(weight=2.0, delay=1.0))
    return cells


def test_spinnaker_export_writes_the_board_files(tmp_path):
    small_network()
    report = engram.spinnaker.export(tmp_path / "board", duration=200.0)
    for name in ("routing_tables.json", "placements.json", "report.txt"):
        assert (tmp_path / "board" / name).exists(), name
    assert isinstance(report, dict) and report
    sim.end()


def test_a_pynn_network_runs_on_the_emulated_board():
    cells = small_network(backend="spinnaker")
    sim.run(200.0)
    assert sim.simulator.state.model.backend == "spinnaker"
    board = sum(len(s) for s in cells.get_data("spikes").segments[0].spiketrains)
    sim.end()
    cells = small_network(backend="cpu")
    sim.run(200.0)
    cpu = sum(len(s) for s in cells.get_data("spikes").segments[0].spiketrains)
    sim.end()
    assert board > 0 and cpu > 0
