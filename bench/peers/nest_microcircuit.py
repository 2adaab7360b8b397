#!/usr/bin/env python3
"""The cortical microcircuit (Potjans & Diesmann 2014) in NEST 3.10, built from the canonical
parameters (INM-6 microcircuit-PD14-model, PyNEST/src/microcircuit/{network_params,
sim_params,stimulus_params,helpers}.py), restated here so that this peer does not depend on
engram's model file: the same network as `examples/microcircuit.toml`.

Two modes:

  --out DIR    records every spike after the presimulation and writes DIR as an engram run
               directory holds spikes (POP.senders.npy: uint32 index in the population,
               POP.times.npy: float64 ms; run.json with populations, sizes, duration), which
               `engram analyse DIR` reads.
  (no --out)   performance: no recording; presimulates --presim ms, then times
               nest.Simulate(--seconds); prints one JSON line in `engram bench --json`'s fields.

    target/peers/nest/bin/python bench/peers/nest_microcircuit.py --scale 0.1 --seed 1 --out /tmp/nest_s1
    target/peers/nest/bin/python bench/peers/nest_microcircuit.py --scale 1 --threads 2 --presim 500 --seconds 10
"""
import argparse
import json
import os
import time

import numpy as np

from peer_common import machine, status_mb, stdout_to_stderr

POPS = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
FULL_N = np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])
FULL_RATES = np.array([0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829])
# Rows: targets, columns: sources.
P = np.array([
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443],
])
K_EXT = np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])
V0_MEAN = [-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43]
V0_SD = [5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48]
PSP_EXC, G, W_REL_SD = 0.15, -4.0, 0.1
D_EXC, D_INH, D_REL_SD, D_POISSON = 1.5, 0.75, 0.5, 1.5
BG_RATE = 8.0
NEURON = dict(C_m=250.0, tau_m=10.0, tau_syn_ex=0.5, tau_syn_in=0.5, t_ref=2.0,
              E_L=-65.0, V_reset=-65.0, V_th=-50.0)
TH_N, TH_RATE, TH_START, TH_DUR = 902, 120.0, 700.0, 10.0
TH_P = np.array([0.0, 0.0, 0.0983, 0.0619, 0.0, 0.0, 0.0512, 0.0196])


def psc_over_psp(c_m, tau_m, tau_syn):
    sub = 1.0 / (tau_syn - tau_m)
    pre = tau_m * tau_syn / c_m * sub
    frac = (tau_m / tau_syn) ** sub
    return 1.0 / (pre * (frac ** tau_m - frac ** tau_syn))


def synapses_from_probability(p, n_a, n_b):
    prod = np.outer(n_a, n_b)
    return np.log(1.0 - p) / np.log((prod - 1.0) / prod)


def derive(scale, k_scale, background):
    """The reference's derived quantities (Network.__derive_parameters)."""
    full_syn = synapses_from_probability(P, FULL_N, FULL_N)
    n = np.round(FULL_N * scale).astype(int)
    syn = np.round(full_syn * scale * k_scale).astype(int)
    factor = psc_over_psp(NEURON["C_m"], NEURON["tau_m"], NEURON["tau_syn_ex"])
    psp = np.zeros((8, 8))
    psp[:, 0::2] = PSP_EXC
    psp[:, 1::2] = PSP_EXC * G
    psp[0, 2] *= 2.0
    psc = psp * factor
    psc_ext = PSP_EXC * factor
    tau = NEURON["tau_syn_ex"]
    dc = BG_RATE * K_EXT * psc_ext * tau * 0.001 if background == "dc" else np.zeros(8)
    w, w_ext = psc, psc_ext
    if k_scale != 1:
        w, w_ext = psc / np.sqrt(k_scale), psc_ext / np.sqrt(k_scale)
        input_rec = np.sum(psc * full_syn / FULL_N[:, None] * FULL_RATES, axis=1)
        dc = dc + 0.001 * tau * (1.0 - np.sqrt(k_scale)) * input_rec
        if background == "poisson":
            dc = dc + 0.001 * tau * (1.0 - np.sqrt(k_scale)) * psc_ext * K_EXT * BG_RATE
    delay = np.zeros((8, 8))
    delay[:, 0::2], delay[:, 1::2] = D_EXC, D_INH
    th_syn = np.round(synapses_from_probability(TH_P[None, :], [TH_N], FULL_N)[0] * k_scale)
    th_w = PSP_EXC * factor / np.sqrt(k_scale)
    return dict(n=n, syn=syn, w=w, w_ext=w_ext, dc=dc, delay=delay,
                k_ext=np.round(K_EXT * k_scale), th_syn=th_syn.astype(int), th_w=th_w)


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=float, default=1.0, help="N_scaling")
    ap.add_argument("--k-scale", type=float, default=1.0, help="K_scaling")
    ap.add_argument("--background", choices=["dc", "poisson"], default="dc")
    ap.add_argument("--thalamus", action="store_true", help="the thalamic pulse")
    ap.add_argument("--seed", type=int, default=55)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--presim", type=float, default=500.0, help="ms, not recorded or timed")
    ap.add_argument("--seconds", type=float, default=1.0, help="model time after presim (s)")
    ap.add_argument("--out", help="write the spikes after presim here (statistics mode)")
    a = ap.parse_args()
    if not (0 < a.scale <= 1 and 0 < a.k_scale <= 1 and a.threads >= 1 and a.seconds > 0
            and a.presim >= 0):
        ap.error("need 0 < --scale, --k-scale <= 1, --threads >= 1, --seconds > 0, --presim >= 0")
    return a


def main():
    a = parse_args()
    dt = 0.1
    d = derive(a.scale, a.k_scale, a.background)
    with stdout_to_stderr():
        import nest
        nest.verbosity = nest.VerbosityLevel.WARNING
        nest.ResetKernel()
        nest.SetKernelStatus({"resolution": dt, "local_num_threads": a.threads,
                              "rng_seed": a.seed, "print_time": False})
        rss_before = status_mb("VmRSS")
        t0 = time.perf_counter()
        pops = []
        for i in range(8):
            pop = nest.Create("iaf_psc_exp", int(d["n"][i]), params=dict(NEURON, I_e=d["dc"][i]))
            pop.V_m = nest.random.normal(V0_MEAN[i], V0_SD[i])
            pops.append(pop)
        recorders = []
        if a.out:
            recorders = nest.Create("spike_recorder", 8, params={"start": a.presim})
            for pop, rec in zip(pops, recorders):
                nest.Connect(pop, rec)
        if a.background == "poisson":
            gens = nest.Create("poisson_generator", 8)
            gens.rate = list(BG_RATE * d["k_ext"])
            for i, pop in enumerate(pops):
                nest.Connect(gens[i], pop, "all_to_all",
                             {"weight": d["w_ext"], "delay": D_POISSON})
        d_min = dt - 0.5 * dt
        # NEST holds at most 2^27 - 2 connections per virtual process and synapse model; at
        # full scale (2.99e8 synapses) one or two threads exceed it, so each source population
        # gets its own copy of static_synapse (the same synapse, counted apart).
        for name in POPS:
            nest.CopyModel("static_synapse", f"static_from_{name}")
        for i, target in enumerate(pops):
            for j, source in enumerate(pops):
                if d["syn"][i][j] <= 0:
                    continue
                w = d["w"][i][j]
                lo, hi = (-np.inf, 0.0) if w < 0 else (0.0, np.inf)
                syn = {"synapse_model": f"static_from_{POPS[j]}",
                       "weight": nest.math.redraw(
                           nest.random.normal(mean=w, std=abs(w * W_REL_SD)), min=lo, max=hi),
                       "delay": nest.math.redraw(
                           nest.random.normal(mean=d["delay"][i][j],
                                              std=d["delay"][i][j] * D_REL_SD),
                           min=d_min, max=np.inf)}
                nest.Connect(source, target,
                             {"rule": "fixed_total_number", "N": int(d["syn"][i][j])}, syn)
        if a.thalamus:
            th = nest.Create("parrot_neuron", TH_N)
            gen = nest.Create("poisson_generator", params=dict(
                rate=TH_RATE, start=TH_START, stop=TH_START + TH_DUR))
            nest.Connect(gen, th)
            for i, target in enumerate(pops):
                if d["th_syn"][i] > 0:
                    nest.Connect(th, target, {"rule": "fixed_total_number",
                                              "N": int(d["th_syn"][i])}, {
                        "weight": nest.math.redraw(nest.random.normal(
                            mean=d["th_w"], std=d["th_w"] * W_REL_SD), min=0.0, max=np.inf),
                        "delay": nest.math.redraw(nest.random.normal(
                            mean=D_EXC, std=D_EXC * D_REL_SD), min=d_min, max=np.inf)})
        nest.Prepare()
        nest.Cleanup()
        build_s = time.perf_counter() - t0
        synapses = nest.num_connections
        if a.presim > 0:
            nest.Simulate(a.presim)
        t1 = time.perf_counter()
        nest.Simulate(a.seconds * 1000.0)
        simulate_s = time.perf_counter() - t1
        spikes = nest.local_spike_counter  # of the most recent Simulate call
        version = nest.__version__
    neurons = int(sum(d["n"]))
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        populations = []
        for name, pop, rec in zip(POPS, pops, recorders):
            ev = rec.get("events")
            first = pop[0].global_id
            order = np.lexsort((ev["senders"], ev["times"]))
            np.save(os.path.join(a.out, f"{name}.senders.npy"),
                    (ev["senders"][order] - first).astype(np.uint32))
            np.save(os.path.join(a.out, f"{name}.times.npy"),
                    ev["times"][order].astype(np.float64))
            populations.append({"name": name, "size": len(pop), "spikes": int(len(order))})
        with open(os.path.join(a.out, "run.json"), "w") as f:
            json.dump({"simulator": f"NEST {version}", "command": "nest_microcircuit.py",
                       "status": "complete", "seed": a.seed, "dt_ms": dt,
                       "duration_ms": a.presim + a.seconds * 1000.0, "recorded_from_ms": a.presim,
                       "scale": a.scale, "k_scale": a.k_scale, "background": a.background,
                       "threads": a.threads, "neurons": neurons, "synapses": int(synapses),
                       "populations": populations}, f, indent=2)
    peak = status_mb("VmHWM")
    # Synaptic events: each spike reaches the mean out-degree (no per-neuron counts without
    # recording).
    events = spikes * synapses / neurons
    print(json.dumps({
        "simulator": "nest", "version": version, "model": "microcircuit",
        "neurons": neurons, "synapses": int(synapses), "build_s": build_s,
        "simulate_s": simulate_s, "spikes": int(spikes), "synaptic_events": int(events),
        "events_per_s": events / simulate_s,
        "realtime_factor": a.seconds / simulate_s,
        "peak_rss_mb": peak,
        "bytes_per_synapse": (peak - rss_before) * 1024 * 1024 / synapses if peak else None,
        "mean_rate_hz": spikes / neurons / a.seconds, "threads": a.threads, "dt_ms": dt,
        "seconds": a.seconds, "presim_ms": a.presim, "scale": a.scale, "k_scale": a.k_scale,
        "background": a.background, "seed": a.seed,
        "record": "spikes" if a.out else "none", "machine": machine(),
    }), flush=True)


if __name__ == "__main__":
    main()
