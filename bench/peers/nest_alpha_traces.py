#!/usr/bin/env python3
"""Records reference traces of NEST 3.10's iaf_psc_alpha, iaf_cond_alpha, aeif_cond_alpha,
aeif_cond_exp and hh_cond_exp_traub for models/tests/nest_alpha_models.rs, in the format of nest_iaf_psc_exp_trace.py (whose input spike
train they share: bursts of excitation that make the neuron fire and keep arriving while it is
refractory, inhibition in between, and steps where both arrive), dt = 0.1 ms:

    models/tests/data/nest_MODEL/setup.json   parameters (NEST units) and input spikes
    models/tests/data/nest_MODEL/trace.csv    time_ms,V_m,<synaptic variables> per step
    models/tests/data/nest_MODEL/spikes.csv   spike times (ms)

The conductance models' weights are the current model's pA read as nS / 100 (5 to 14 nS).
Model names as arguments record only those models (all of them without).

    bash scripts/setup-python-engram.sh   # or bench/peers/setup.sh: any venv with NEST 3.10
    target/peers/nest-pynn/bin/python bench/peers/nest_alpha_traces.py [MODEL ...]
"""
import json
import os
import sys

import nest

from nest_iaf_psc_exp_trace import DELAY, DT, DURATION, input_spikes

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                    "models", "tests", "data")
V_INIT = -60.0

# NEST units: pF, ms, mV, pA, nS.
MODELS = {
    "iaf_psc_alpha": dict(
        params=dict(C_m=250.0, tau_m=10.0, tau_syn_ex=2.0, tau_syn_in=6.0, t_ref=2.0,
                    E_L=-65.0, V_reset=-70.0, V_th=-50.0, I_e=300.0),
        record=["V_m", "I_syn_ex", "I_syn_in"], weight_scale=1.0, weight_unit="pA"),
    "iaf_cond_alpha": dict(
        params=dict(C_m=250.0, g_L=25.0, tau_syn_ex=0.5, tau_syn_in=2.0, t_ref=2.0,
                    E_L=-70.0, V_reset=-70.0, V_th=-55.0, E_ex=0.0, E_in=-85.0, I_e=300.0),
        record=["V_m", "g_ex", "g_in"], weight_scale=0.01, weight_unit="nS"),
    "aeif_cond_alpha": dict(
        params=dict(C_m=281.0, g_L=28.1, E_L=-70.6, V_th=-50.4, Delta_T=2.0, V_peak=0.0,
                    V_reset=-60.0, t_ref=2.0, a=4.0, b=80.5, tau_w=144.0, E_ex=0.0, E_in=-85.0,
                    tau_syn_ex=0.5, tau_syn_in=2.0, I_e=800.0),
        record=["V_m", "w", "g_ex"], weight_scale=0.01, weight_unit="nS"),
    "aeif_cond_exp": dict(
        params=dict(C_m=281.0, g_L=28.1, E_L=-70.6, V_th=-50.4, Delta_T=2.0, V_peak=0.0,
                    V_reset=-60.0, t_ref=2.0, a=4.0, b=80.5, tau_w=144.0, E_ex=0.0, E_in=-85.0,
                    tau_syn_ex=0.5, tau_syn_in=2.0, I_e=800.0),
        record=["V_m", "w", "g_ex"], weight_scale=0.01, weight_unit="nS"),
    # PyNN's HH_cond_exp defaults except the synaptic time constants and a constant current;
    # the gating variables start where PyNN starts them (m = 0, h = 1, n = 0).
    "hh_cond_exp_traub": dict(
        params=dict(g_Na=20000.0, g_K=6000.0, g_L=10.0, C_m=200.0, V_T=-63.0, E_Na=50.0,
                    E_K=-90.0, E_L=-65.0, E_ex=0.0, E_in=-80.0, tau_syn_ex=2.0, tau_syn_in=5.0,
                    t_ref=2.0, I_e=300.0),
        initial=dict(Act_m=0.0, Inact_h=1.0, Act_n=0.0),
        record=["V_m", "g_ex", "g_in"], weight_scale=0.01, weight_unit="nS"),
}


def record(model, spec):
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": DT, "print_time": False})
    neuron = nest.Create(model, params=spec["params"])
    neuron.V_m = V_INIT
    neuron.set(spec.get("initial", {}))
    spikes = [(t, w * spec["weight_scale"]) for t, w in input_spikes()]
    for t, w in spikes:
        gen = nest.Create("spike_generator", params={"spike_times": [t]})
        nest.Connect(gen, neuron, syn_spec={"weight": w, "delay": DELAY})
    meter = nest.Create("multimeter", params={"interval": DT, "record_from": spec["record"]})
    nest.Connect(meter, neuron)
    recorder = nest.Create("spike_recorder")
    nest.Connect(neuron, recorder)
    nest.Simulate(DURATION)

    out = os.path.join(DATA, "nest_" + model)
    os.makedirs(out, exist_ok=True)
    ev = meter.events
    with open(os.path.join(out, "trace.csv"), "w") as f:
        f.write(",".join(["time_ms"] + spec["record"]) + "\n")
        for row in zip(ev["times"], *[ev[k] for k in spec["record"]]):
            f.write(",".join("%.17g" % x for x in row) + "\n")
    with open(os.path.join(out, "spikes.csv"), "w") as f:
        f.write("time_ms\n")
        for t in recorder.events["times"]:
            f.write("%.17g\n" % t)
    setup = {
        "simulator": "NEST " + nest.__version__,
        "model": model,
        "resolution_ms": DT,
        "duration_ms": DURATION,
        "delay_ms": DELAY,
        "params": spec["params"],
        "V_m_init": V_INIT,
        "initial": spec.get("initial", {}),
        "weight_unit": spec["weight_unit"],
        "input_spikes": [{"time_ms": t, "weight": w} for t, w in spikes],
    }
    with open(os.path.join(out, "setup.json"), "w") as f:
        json.dump(setup, f, indent=1)
        f.write("\n")
    print("%s: %d samples, %d spikes -> %s"
          % (model, len(ev["times"]), len(recorder.events["times"]), os.path.normpath(out)))


def main():
    nest.verbosity = nest.VerbosityLevel.WARNING
    for model in sys.argv[1:] or MODELS:
        record(model, MODELS[model])


if __name__ == "__main__":
    main()
