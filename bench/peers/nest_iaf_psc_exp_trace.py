#!/usr/bin/env python3
"""Records a reference trace of NEST 3.10's iaf_psc_exp for models/tests/nest_iaf_psc_exp.rs.

One neuron with a constant current, excitatory and inhibitory input spikes (tau_syn_ex differs
from tau_syn_in; several spikes share a step; some arrive while the neuron is refractory),
dt = 0.1 ms. The multimeter records V_m, I_syn_ex and I_syn_in at every step (interval = dt;
a sample carries the time of the state it holds, the end of the step that produced it) and a
spike recorder the spike times. Values are written with %.17g, so the test reads NEST's doubles
exactly and needs no NEST:

    models/tests/data/nest_iaf_psc_exp/setup.json   parameters (NEST units) and input spikes
    models/tests/data/nest_iaf_psc_exp/trace.csv    time_ms,V_m,I_syn_ex,I_syn_in per step
    models/tests/data/nest_iaf_psc_exp/spikes.csv   spike times (ms)

    bash bench/peers/setup.sh
    target/peers/nest/bin/python bench/peers/nest_iaf_psc_exp_trace.py
"""
import json
import os
import random

import nest

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                   "models", "tests", "data", "nest_iaf_psc_exp")
DT = 0.1
DURATION = 400.0
DELAY = 1.0
# NEST units: pF, ms, mV, pA.
PARAMS = dict(C_m=250.0, tau_m=10.0, tau_syn_ex=2.0, tau_syn_in=6.0, t_ref=2.0,
              E_L=-65.0, V_reset=-70.0, V_th=-50.0, I_e=340.0)
V_INIT = -60.0


def input_spikes():
    """(emission time, weight) pairs: bursts of excitation that make the neuron fire and keep
    arriving while it is refractory, inhibition in between, and steps where both arrive.
    Weights are whole pA and times whole steps."""
    rng = random.Random(15)
    spikes = []
    for burst in range(14):
        start = 10.0 + 27.0 * burst
        for k in range(rng.randint(2, 6)):
            spikes.append((start + 0.3 * k, float(rng.randint(500, 1400))))
        for _ in range(rng.randint(1, 3)):
            spikes.append((start + round(rng.uniform(3.0, 20.0), 1), -float(rng.randint(200, 900))))
    # Excitation and inhibition in the same step, and two excitatory spikes in one step.
    spikes += [(150.0, 700.0), (150.0, -450.0), (270.5, 600.0), (270.5, 650.0)]
    return sorted(spikes)


def main():
    nest.verbosity = nest.VerbosityLevel.WARNING
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": DT, "print_time": False})
    neuron = nest.Create("iaf_psc_exp", params=PARAMS)
    neuron.V_m = V_INIT
    spikes = input_spikes()
    for t, w in spikes:
        gen = nest.Create("spike_generator", params={"spike_times": [t]})
        nest.Connect(gen, neuron, syn_spec={"weight": w, "delay": DELAY})
    meter = nest.Create("multimeter", params={"interval": DT,
                                              "record_from": ["V_m", "I_syn_ex", "I_syn_in"]})
    nest.Connect(meter, neuron)
    recorder = nest.Create("spike_recorder")
    nest.Connect(neuron, recorder)
    nest.Simulate(DURATION)

    ev = meter.events
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "trace.csv"), "w") as f:
        f.write("time_ms,V_m,I_syn_ex,I_syn_in\n")
        for row in zip(ev["times"], ev["V_m"], ev["I_syn_ex"], ev["I_syn_in"]):
            f.write(",".join("%.17g" % x for x in row) + "\n")
    with open(os.path.join(OUT, "spikes.csv"), "w") as f:
        f.write("time_ms\n")
        for t in recorder.events["times"]:
            f.write("%.17g\n" % t)
    setup = {
        "simulator": "NEST " + nest.__version__,
        "model": "iaf_psc_exp",
        "resolution_ms": DT,
        "duration_ms": DURATION,
        "delay_ms": DELAY,
        "params": PARAMS,
        "V_m_init": V_INIT,
        "input_spikes": [{"time_ms": t, "weight_pA": w} for t, w in spikes],
    }
    with open(os.path.join(OUT, "setup.json"), "w") as f:
        json.dump(setup, f, indent=1)
        f.write("\n")
    print("nest_iaf_psc_exp_trace: %d samples, %d spikes, %d input spikes -> %s"
          % (len(ev["times"]), len(recorder.events["times"]), len(spikes), os.path.normpath(OUT)))


if __name__ == "__main__":
    main()
