#!/usr/bin/env python3
"""Records a reference of NEST 3.10's tsodyks_synapse for networks/tests/tsodyks_markram.rs.

One spike_generator, repeated by a parrot_neuron (NEST's plastic synapses take no input from
devices; the parrot's spikes, one step after the generator's, are the presynaptic times),
drives two iaf_psc_exp neurons, one through a depressing and one through a
facilitating tsodyks_synapse (tau_psc = the neuron's tau_syn_ex, as PyNN's NEST backend sets
it), with a regular train (25 Hz) followed by an irregular one (fixed random intervals), dt =
0.1 ms. The multimeter records V_m and I_syn_ex of both neurons at every step; after the run the
synapses' u, x and y are read back. Values are written with %.17g, so the test reads NEST's
doubles exactly and needs no NEST:

    models/tests/data/nest_tsodyks/setup.json   parameters (NEST units), spike times, final u, x, y
    models/tests/data/nest_tsodyks/trace.csv    time_ms, V_m and I_syn_ex of each neuron per step

    bash bench/peers/setup.sh
    target/peers/nest/bin/python bench/peers/nest_tsodyks_trace.py
"""
import json
import os
import random

import nest

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                   "models", "tests", "data", "nest_tsodyks")
DT = 0.1
DURATION = 1200.0
DELAY = 1.0
# NEST units: pF, ms, mV, pA. Subthreshold: the trace shows every PSC's amplitude.
NEURON = dict(C_m=250.0, tau_m=10.0, tau_syn_ex=3.0, tau_syn_in=2.0, t_ref=2.0,
              E_L=-65.0, V_reset=-70.0, V_th=-40.0, I_e=0.0)
SYNAPSES = {
    "depressing": dict(weight=2000.0, U=0.5, tau_rec=400.0, tau_fac=0.0),
    "facilitating": dict(weight=2000.0, U=0.1, tau_rec=100.0, tau_fac=800.0),
}


def spike_times():
    """25 Hz from 20 ms for 400 ms, then intervals drawn uniformly from 5 to 120 ms (whole
    steps)."""
    times = [20.0 + 40.0 * k for k in range(10)]
    rng = random.Random(16)
    t = 560.0
    while t < DURATION - 20.0:
        times.append(round(t, 1))
        t += round(rng.uniform(5.0, 120.0), 1)
    return times


def main():
    nest.verbosity = nest.VerbosityLevel.WARNING
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": DT, "print_time": False})
    times = spike_times()
    gen = nest.Create("spike_generator", params={"spike_times": times})
    parrot = nest.Create("parrot_neuron")
    nest.Connect(gen, parrot, syn_spec={"delay": DT})
    pre_recorder = nest.Create("spike_recorder")
    nest.Connect(parrot, pre_recorder)
    neurons = nest.Create("iaf_psc_exp", 2, params=NEURON)
    for neuron, (name, syn) in zip(neurons, SYNAPSES.items()):
        spec = dict(synapse_model="tsodyks_synapse", delay=DELAY,
                    tau_psc=NEURON["tau_syn_ex"], **syn)
        nest.Connect(parrot, neuron, syn_spec=spec)
    meter = nest.Create("multimeter", params={"interval": DT,
                                              "record_from": ["V_m", "I_syn_ex"]})
    nest.Connect(meter, neurons)
    nest.Simulate(DURATION)

    ev = meter.events
    rows = {}
    for t, sender, v, i in zip(ev["times"], ev["senders"], ev["V_m"], ev["I_syn_ex"]):
        rows.setdefault(t, {})[sender] = (v, i)
    ids = neurons.tolist()
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "trace.csv"), "w") as f:
        f.write("time_ms,V_m_depressing,I_syn_ex_depressing,V_m_facilitating,"
                "I_syn_ex_facilitating\n")
        for t in sorted(rows):
            values = [t] + [x for n in ids for x in rows[t][n]]
            f.write(",".join("%.17g" % x for x in values) + "\n")
    final = {}
    for neuron, name in zip(neurons, SYNAPSES):
        conn = nest.GetConnections(source=parrot, target=neuron)
        final[name] = {k: float(conn.get(k)) for k in ("u", "x", "y")}
    setup = {
        "simulator": "NEST " + nest.__version__,
        "model": "tsodyks_synapse",
        "resolution_ms": DT,
        "duration_ms": DURATION,
        "delay_ms": DELAY,
        "neuron": NEURON,
        "synapses": SYNAPSES,
        "presynaptic_spikes_ms": [float(t) for t in pre_recorder.events["times"]],
        "final_state": final,
    }
    with open(os.path.join(OUT, "setup.json"), "w") as f:
        json.dump(setup, f, indent=1)


if __name__ == "__main__":
    main()
