#!/usr/bin/env python3
"""One microcircuit neuron in engram and in NEST 3.10, driven by the same input spike trains,
compared step by step: the membrane potential at every step and the spike steps.

The target is an L4E neuron of the microcircuit (`iaf_psc_exp` / `IF_curr_exp` with NEST
integration: C_m 250 pF, tau_m 10 ms, tau_syn 0.5 ms, t_ref 2 ms, E_L = V_reset = -65 mV,
V_th = -50 mV, the L4E DC 8 Hz x 2100 x PSC_ext x tau_syn), fed by Poisson trains of excitatory
and inhibitory sources through synapses with the microcircuit's weights (87.81 pA, g = -4, SD
10 %, redrawn to keep the sign) and delays (1.5 +- 0.75 ms and 0.75 +- 0.375 ms, redrawn below
dt / 2, rounded to the grid). The rates put the neuron in the fluctuation-driven regime of the
network (about as many spikes as an L4E neuron, irregular; inputs arrive while it is
refractory and several share a step). engram runs the model file this script writes, from the
CLI, with weights and DC in PyNN's units (nA), so the path under test is the whole one: model
file, connector, delay ring, kernel, recording.

    bash bench/peers/setup.sh && cargo build --release
    target/peers/nest/bin/python bench/peers/nest_microcircuit_neuron.py [--seconds 10] [--seed 1]

`--write DIR` also records the case for the suite, which needs no NEST
(tests/microcircuit_neuron_nest.rs reads tests/data/microcircuit_neuron_nest/, written with
`--seconds 3 --seed 1 --write tests/data/microcircuit_neuron_nest`).

Exit status 0 when every spike step is NEST's and |V engram - V NEST| stays below --tol mV
(1e-9: the inputs of a step are summed in another order, which changes the last bits), 1
otherwise. Prints one JSON line with the counts and the largest difference.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

from nest_microcircuit import (BG_RATE, D_EXC, D_INH, D_REL_SD, G, K_EXT, NEURON, POPS, PSP_EXC,
                               V0_MEAN, W_REL_SD, psc_over_psp)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENGRAM = os.path.join(ROOT, "target", "release", "engram")
DT = 0.1
L4E = POPS.index("L4E")
# Sources and their rates: chosen so that the mean input keeps V just below threshold.
N_EXC, RATE_EXC = 800, 4.0
N_INH, RATE_INH = 150, 25.0


def redrawn_normal(rng, mean, sd, low, high, n):
    out = rng.normal(mean, sd, n)
    bad = (out < low) | (out > high)
    while bad.any():
        out[bad] = rng.normal(mean, sd, bad.sum())
        bad = (out < low) | (out > high)
    return out


def inputs(rng, seconds):
    """Per source: spike times (ms, on the grid, after the first step), weight (pA), delay (ms,
    on the grid)."""
    j = PSP_EXC * psc_over_psp(NEURON["C_m"], NEURON["tau_m"], NEURON["tau_syn_ex"])
    steps = int(round(seconds * 1000.0 / DT))
    sources = []
    for n, rate, w, d in [(N_EXC, RATE_EXC, j, D_EXC), (N_INH, RATE_INH, G * j, D_INH)]:
        weights = redrawn_normal(rng, w, abs(w) * W_REL_SD,
                                 0.0 if w > 0 else -np.inf, np.inf if w > 0 else 0.0, n)
        delays = redrawn_normal(rng, d, d * D_REL_SD, 0.5 * DT, np.inf, n)
        for k in range(n):
            # Bernoulli per step (at most one spike per source and step, as NEST's generator
            # with times on the grid); steps from 2 on, so that engram's time t - dt is > 0.
            spike_steps = np.nonzero(rng.random(steps) < rate * DT * 1e-3)[0]
            spike_steps = spike_steps[spike_steps >= 2]
            sources.append((spike_steps, float(weights[k]),
                            int(np.floor(delays[k] / DT + 0.5))))
    return j, sources


def run_nest(dc, sources, seconds):
    import nest
    nest.set_verbosity("M_WARNING")
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": DT, "print_time": False})
    neuron = nest.Create("iaf_psc_exp", params=dict(NEURON, I_e=dc))
    neuron.V_m = V0_MEAN[L4E]
    for spike_steps, w, d in sources:
        gen = nest.Create("spike_generator",
                          params={"spike_times": [round(int(s) * DT, 1) for s in spike_steps]})
        nest.Connect(gen, neuron, syn_spec={"weight": w, "delay": d * DT})
    meter = nest.Create("multimeter", params={"interval": DT, "record_from": ["V_m"]})
    nest.Connect(meter, neuron)
    recorder = nest.Create("spike_recorder")
    nest.Connect(neuron, recorder)
    nest.Simulate(seconds * 1000.0)
    return (np.asarray(meter.events["V_m"]), np.asarray(recorder.events["times"]),
            nest.__version__)


def model_file(dc, sources, seconds):
    """engram's model file: one SpikeSourceArray per sign (a spike at NEST time s is sent in
    the step that starts at s - dt) and a FromListConnector with each synapse's weight (nA) and
    delay."""
    lines = ["dt = %r" % DT, "duration = %r" % (seconds * 1000.0), "seed = 1", ""]
    lines += ["[populations.target]", 'cell_type = "IF_curr_exp"', "size = 1",
              'integration = "nest"', 'record = ["spikes", "v"]',
              "initial_values = { v = %r }" % V0_MEAN[L4E],
              "params = { cm = %r, tau_m = %r, tau_syn_E = %r, tau_syn_I = %r, tau_refrac = %r, "
              "v_rest = %r, v_reset = %r, v_thresh = %r, i_offset = %r }" % (
                  NEURON["C_m"] / 1000.0, NEURON["tau_m"], NEURON["tau_syn_ex"],
                  NEURON["tau_syn_in"], NEURON["t_ref"], NEURON["E_L"], NEURON["V_reset"],
                  NEURON["V_th"], dc / 1000.0), ""]
    for name, receptor, part in [("exc", "excitatory", sources[:N_EXC]),
                                 ("inh", "inhibitory", sources[N_EXC:])]:
        trains = ", ".join("[%s]" % ", ".join("%r" % round((int(s) - 1) * DT, 1) for s in steps)
                           for steps, _, _ in part)
        conn = ", ".join("[%d, 0, %r, %r]" % (i, w / 1000.0, round(d * DT, 1))
                         for i, (_, w, d) in enumerate(part))
        lines += ["[populations.%s]" % name, 'cell_type = "SpikeSourceArray"',
                  "size = %d" % len(part), "params = { spike_times = [%s] }" % trains, "",
                  "[projections.%s_target]" % name, 'pre = "%s"' % name, 'post = "target"',
                  'receptor_type = "%s"' % receptor,
                  "# every row gives its own weight and delay; these are the defaults",
                  "weight = 0.0", "delay = %r" % DT,
                  'connector = { type = "FromListConnector", conn_list = [%s] }' % conn, ""]
    return "\n".join(lines)


def run_engram(text, seconds):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "neuron.toml")
        with open(path, "w") as f:
            f.write(text)
        out = os.path.join(tmp, "run")
        subprocess.run([ENGRAM, "run", path, "--out", out, "--quiet"], check=True)
        v = np.load(os.path.join(out, "target.v.npy"))
        times = np.load(os.path.join(out, "target.times.npy"))
    return v.reshape(-1), times


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tol", type=float, default=1e-9, help="largest |dV| allowed (mV)")
    ap.add_argument("--write", metavar="DIR",
                    help="also write the model file (neuron.toml) and NEST's spike times and V_m "
                         "every --every steps (nest.json) into DIR, for a test without NEST")
    ap.add_argument("--every", type=int, default=10)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    j, sources = inputs(rng, a.seconds)
    dc = float(BG_RATE * K_EXT[L4E] * j * NEURON["tau_syn_ex"] * 0.001)
    v_nest, t_nest, version = run_nest(dc, sources, a.seconds)
    text = model_file(dc, sources, a.seconds)
    v_engram, t_engram = run_engram(text, a.seconds)
    if a.write:
        write(a, text, version, dc, t_nest, v_nest)
    steps_nest = np.rint(t_nest / DT).astype(int)
    steps_engram = np.rint(t_engram / DT).astype(int)
    same_spikes = np.array_equal(steps_nest, steps_engram)
    # NEST's multimeter samples the state after updates 0 .. T/dt - 2 (times dt .. T - dt),
    # engram's after every update: its last sample has no NEST counterpart.
    n = len(v_nest)
    aligned = len(v_engram) == n + 1 and n > 0
    worst = float(np.max(np.abs(v_engram[:n] - v_nest))) if aligned else float("nan")
    ok = same_spikes and aligned and np.isfinite(worst) and worst <= a.tol
    print(json.dumps({
        "simulator": "NEST " + version, "seconds": a.seconds, "seed": a.seed,
        "input_spikes": int(sum(len(s) for s, _, _ in sources)), "dc_pA": dc,
        "spikes_nest": len(t_nest), "spikes_engram": len(t_engram),
        "same_spike_steps": bool(same_spikes), "samples": [len(v_nest), len(v_engram)],
        "max_abs_dv_mV": worst, "isi_cv_nest": isi_cv(t_nest), "isi_cv_engram": isi_cv(t_engram),
        "ok": bool(ok),
        "first_spike_difference_ms": None if same_spikes else first_difference(t_nest, t_engram),
    }))
    sys.exit(0 if ok else 1)


def write(a, text, version, dc, t_nest, v_nest):
    os.makedirs(a.write, exist_ok=True)
    with open(os.path.join(a.write, "neuron.toml"), "w") as f:
        f.write("# Written by bench/peers/nest_microcircuit_neuron.py --seconds %r --seed %d: "
                "an L4E neuron of the\n# microcircuit and its input spike trains.\n"
                % (a.seconds, a.seed))
        f.write(text + "\n")
    # V_m after update k (NEST's sample at time (k + 1)·dt), for k = every - 1, 2·every - 1, ...
    sampled = list(range(a.every - 1, len(v_nest), a.every))
    reference = {
        "simulator": "NEST " + version, "model": "iaf_psc_exp", "resolution_ms": DT,
        "seconds": a.seconds, "seed": a.seed, "I_e_pA": dc,
        "spike_times_ms": [float(t) for t in t_nest],
        "v_m_updates": sampled, "v_m": [float(v_nest[k]) for k in sampled],
    }
    with open(os.path.join(a.write, "nest.json"), "w") as f:
        json.dump(reference, f)
        f.write("\n")


def isi_cv(times):
    isi = np.diff(times)
    return float(np.std(isi) / np.mean(isi)) if len(isi) >= 2 else None


def first_difference(a, b):
    for x, y in zip(a, b):
        if abs(x - y) > DT / 2:
            return [float(x), float(y)]
    return [float(a[len(b)]) if len(a) > len(b) else None,
            float(b[len(a)]) if len(b) > len(a) else None]


if __name__ == "__main__":
    main()
