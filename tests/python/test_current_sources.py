"""Current sources on pyNN.engram against pyNN.nest (NEST 3.10, on-grid spiking): one PyNN
script (current_sources_trace.py) with a DCSource, a StepCurrentSource and an ACSource each
into one IF_curr_exp cell, and a DCSource into a view of two cells whose amplitude changes
between runs. engram's iaf_psc_exp arithmetic is NEST's, so the membrane traces agree to
rounding: bit for bit for DC and step currents, to 1e-12 mV for the sine. A change between
runs acts on the membrane from t + dt on engram and from t + 3 dt on NEST (its generator
change travels min_delay, then a step in the neuron), so those two cells are compared up to
the change. The same script with the other cell types that take injected current
(IF_curr_alpha, IF_cond_alpha, EIF_cond_alpha_isfa_ista, EIF_cond_exp_isfa_ista, HH_cond_exp)
agrees to rounding."""

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("current_sources_trace.py")
NEST_PYTHON = ROOT / "target" / "peers" / "nest-pynn" / "bin" / "python"
ENGRAM_PYTHON = ROOT / "target" / "python-engram" / "bin" / "python"


def _trace(python, backend, cell_type="IF_curr_exp"):
    out = subprocess.run([str(python), str(SCRIPT), backend, cell_type], check=True,
                         capture_output=True, text=True, cwd=str(SCRIPT.parent)).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.skipif(not NEST_PYTHON.exists(),
                    reason="run bench/python/setup-nest-pynn.sh for NEST 3.10 with PyNN")
def test_current_sources_drive_the_membrane_as_on_nest():
    engram, nest = _trace(ENGRAM_PYTHON, "engram"), _trace(NEST_PYTHON, "nest")
    v_e, v_n = np.asarray(engram["v"]), np.asarray(nest["v"])
    assert v_e.shape == v_n.shape == (5, 501)
    assert np.all(np.isfinite(v_e)) and np.all(np.isfinite(v_n))
    # DC and step: bit for bit, spikes included.
    np.testing.assert_array_equal(v_e[:2], v_n[:2])
    assert engram["spikes"][:2] == nest["spikes"][:2]
    assert engram["spikes"][1], "the step current makes cell 1 fire"
    # Sine: rounding of sin() only.
    np.testing.assert_allclose(v_e[2], v_n[2], rtol=0, atol=1e-12)
    # The recorded currents, at t = 0, dt, ...: PyNN's values on both.
    for i_e, i_n in zip(engram["i"], nest["i"]):
        assert len(i_e) == len(i_n) == 501
        np.testing.assert_allclose(i_e, i_n, rtol=0, atol=1e-12)
    # The view's DC source: identical until its change at 25 ms reaches the membrane.
    np.testing.assert_array_equal(v_e[3:, :252], v_n[3:, :252])
    assert np.all(v_e[3:, 252] > v_n[3:, 252])


def _steps(spike_trains, dt=0.1):
    return [[round(t / dt) for t in train] for train in spike_trains]


@pytest.mark.skipif(not NEST_PYTHON.exists(),
                    reason="run bench/python/setup-nest-pynn.sh for NEST 3.10 with PyNN")
@pytest.mark.parametrize("cell_type, step_tolerance_mv, sine_tolerance_mv", [
    # engram's iaf_psc_alpha propagators are closed forms, not NEST's expressions: the traces
    # agree to rounding, measured 8.5e-14 mV (models/tests/nest_alpha_models.rs measures
    # 3e-13 mV with synaptic input and bounds it by 1e-12 mV; the same bound here).
    ("IF_curr_alpha", 1e-12, 1e-12),
    # The types NEST integrates with GSL's rkf45 run NEST's integrator on NEST's equations in
    # NEST's units, so every step-size decision is NEST's: bit for bit for DC and step
    # currents; the sine differs by the rounding of sin() (measured 7.1e-15 mV for
    # IF_cond_alpha, 1.4e-14 mV for the EIF types; bound 1e-12 mV as for IF_curr_exp) ...
    ("IF_cond_alpha", 0.0, 1e-12),
    ("EIF_cond_alpha_isfa_ista", 0.0, 1e-12),
    ("EIF_cond_exp_isfa_ista", 0.0, 1e-12),
    # ... which HH_cond_exp's spikes amplify: measured 4.9e-13 mV, bound 5e-12 mV.
    ("HH_cond_exp", 0.0, 5e-12),
])
def test_current_sources_drive_other_cell_types_as_on_nest(cell_type, step_tolerance_mv,
                                                            sine_tolerance_mv):
    engram = _trace(ENGRAM_PYTHON, "engram", cell_type)
    nest = _trace(NEST_PYTHON, "nest", cell_type)
    v_e, v_n = np.asarray(engram["v"]), np.asarray(nest["v"])
    assert v_e.shape == v_n.shape == (5, 501)
    assert np.all(np.isfinite(v_e)) and np.all(np.isfinite(v_n))
    assert any(engram["spikes"]), "the currents make cells fire"
    assert _steps(engram["spikes"][:3]) == _steps(nest["spikes"][:3])
    # DC and step, then the sine.
    np.testing.assert_allclose(v_e[:2], v_n[:2], rtol=0, atol=step_tolerance_mv)
    np.testing.assert_allclose(v_e[2], v_n[2], rtol=0, atol=sine_tolerance_mv)
    # The view's DC source: the same until its change at 25 ms reaches the membrane.
    np.testing.assert_allclose(v_e[3:, :252], v_n[3:, :252], rtol=0, atol=step_tolerance_mv)
    assert np.all(v_e[3:, 252] > v_n[3:, 252])
