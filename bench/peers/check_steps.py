#!/usr/bin/env python3
"""Checks that engram, NEST and Brian2 (as the peer scripts set it up) take the same steps:
a neuron A that fires by itself drives a neuron B through one synapse of delay dt, and the
script compares A's spike steps and B's membrane potential, step by step, between the three.

    python3 bench/peers/check_steps.py            # after bench/peers/setup.sh and cargo build --release

Every simulator labels its recordings in its own way; they are mapped to the step index k whose
update (from k·dt to (k+1)·dt) produced the spike or the potential:
  NEST     spike stamp T and multimeter time T: k = T/dt - 1 (both at the end of the step);
  Brian2   spike time t (start of the step): k = t/dt; StateMonitor time T holds the state at T,
           i.e. after the update of step T/dt - 1;
  engram   spike time T and sample time T: k = T/dt - 1 (NEST-convention models stamp both at
           the end of the step).
CUBA (iaf_psc_exp, exact integration) must agree to rounding. COBA shows how far NEST's adaptive
RKF45 for iaf_cond_exp is from the exponential Euler step that engram and Brian2 share.
Exit code 1 when the CUBA spike steps differ or a CUBA potential differs by more than 1e-9 mV.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
PEERS = os.path.join(ROOT, "target", "peers")
DT, T_MS, DELAY = 0.1, 200.0, 0.1
# A fires by itself: CUBA through E_L above threshold, COBA through a constant current (nA).
# B sits at rest and receives A's spikes; weights large enough to see every PSP.
CASES = {
    "cuba": dict(a_rest=-49.0, a_current=0.0, b_rest=-70.0, weight=0.1),      # nA
    "coba": dict(a_rest=-60.0, a_current=0.25, b_rest=-60.0, weight=0.05),    # µS
}
CUBA = dict(cm=0.02, tau_m=20.0, tau_refrac=5.0, tau_syn_E=5.0, tau_syn_I=10.0,
            v_reset=-60.0, v_thresh=-50.0)
COBA = dict(cm=0.2, tau_m=20.0, tau_refrac=5.0, tau_syn_E=5.0, tau_syn_I=10.0,
            e_rev_E=0.0, e_rev_I=-80.0, v_reset=-60.0, v_thresh=-50.0)


def part_nest(model, c):
    import nest
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": DT})
    if model == "cuba":
        p = CUBA
        base = dict(C_m=p["cm"] * 1000, tau_m=p["tau_m"], t_ref=p["tau_refrac"],
                    tau_syn_ex=p["tau_syn_E"], tau_syn_in=p["tau_syn_I"],
                    V_reset=p["v_reset"], V_th=p["v_thresh"])
        kind = "iaf_psc_exp"
        w = c["weight"] * 1000   # pA
    else:
        p = COBA
        base = dict(C_m=p["cm"] * 1000, g_L=p["cm"] / p["tau_m"] * 1e6 / 1000, t_ref=p["tau_refrac"],
                    tau_syn_ex=p["tau_syn_E"], tau_syn_in=p["tau_syn_I"], E_ex=p["e_rev_E"],
                    E_in=p["e_rev_I"], V_reset=p["v_reset"], V_th=p["v_thresh"])
        kind = "iaf_cond_exp"
        w = c["weight"] * 1000   # nS
    a = nest.Create(kind, params=dict(base, E_L=c["a_rest"], I_e=c["a_current"] * 1000))
    b = nest.Create(kind, params=dict(base, E_L=c["b_rest"], I_e=0.0))
    a.V_m, b.V_m = -60.0, c["b_rest"]
    nest.Connect(a, b, syn_spec={"weight": w, "delay": DELAY})
    sr, sr_b = nest.Create("spike_recorder"), nest.Create("spike_recorder")
    nest.Connect(a, sr)
    nest.Connect(b, sr_b)
    mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": DT})
    nest.Connect(mm, b)
    nest.Simulate(T_MS)
    ev = mm.get("events")
    spikes = [[round(t / DT) - 1 for t in r.get("events")["times"]] for r in (sr, sr_b)]
    v = {round(t / DT) - 1: x for t, x in zip(ev["times"], ev["V_m"])}
    return spikes, v


def part_brian2(model, c):
    import brian2 as b2
    from brian2 import ms, mV, nA, nF, uS
    b2.prefs.codegen.target = "numpy"   # the same equations as the standalone benchmark
    b2.defaultclock.dt = DT * ms
    if model == "cuba":
        p = CUBA
        taum, taue, taui = p["tau_m"] * ms, p["tau_syn_E"] * ms, p["tau_syn_I"] * ms
        r = p["tau_m"] / p["cm"]      # MOhm: nA -> mV
        eqs = """dv/dt = (ge + gi - (v - El)) / taum : volt (unless refractory)
                 dge/dt = -ge / taue : volt
                 dgi/dt = -gi / taui : volt
                 El : volt"""
        on_pre, w, method = "ge += w", c["weight"] * r * mV, "exact"
    else:
        p = COBA
        Cm, gl = p["cm"] * nF, p["cm"] / p["tau_m"] * uS
        Ee, Ei = p["e_rev_E"] * mV, p["e_rev_I"] * mV
        taue, taui = p["tau_syn_E"] * ms, p["tau_syn_I"] * ms
        eqs = """dv/dt = (gl * (El - v) + ge * (Ee - v) + gi * (Ei - v) + I) / Cm : volt (unless refractory)
                 dge/dt = -ge / taue : siemens
                 dgi/dt = -gi / taui : siemens
                 El : volt
                 I : amp"""
        on_pre, w, method = "ge += w", c["weight"] * uS, "exponential_euler"
    g = b2.NeuronGroup(2, eqs, threshold="v >= %g*mV" % p["v_thresh"],
                       reset="v = %g*mV" % p["v_reset"],
                       refractory=(p["tau_refrac"] + DT) * ms, method=method)
    g.El = [c["a_rest"], c["b_rest"]] * mV
    g.v = [-60.0, c["b_rest"]] * mV
    if model == "coba":
        g.I = [c["a_current"], 0.0] * nA
    s = b2.Synapses(g, g, on_pre=on_pre, delay=DELAY * ms)
    s.connect(i=0, j=1)
    sm = b2.SpikeMonitor(g)
    st = b2.StateMonitor(g, "v", record=1)
    b2.run(T_MS * ms)
    spikes = [[round(t / DT) for t, i in zip(sm.t / ms, sm.i) if i == n] for n in (0, 1)]
    v = {round(t / DT) - 1: x for t, x in zip(st.t / ms, st.v[0] / mV)}
    return spikes, v


def part_engram(model, c):
    import numpy as np
    cell = "IF_curr_exp" if model == "cuba" else "IF_cond_exp"
    p = CUBA if model == "cuba" else COBA
    integ = 'integration = "nest"\n' if model == "cuba" else ""

    def pop(name, rest, current, v0, record):
        params = ", ".join(f"{k} = {x}" for k, x in dict(p, v_rest=rest, i_offset=current).items())
        return (f'[populations.{name}]\ncell_type = "{cell}"\nsize = 1\n{integ}'
                f"params = {{ {params} }}\ninitial_values = {{ v = {v0} }}\n"
                f"record = {record}\nsampling_interval = {DT}\n\n")

    toml = (f"dt = {DT}\nduration = {T_MS}\nseed = 1\n\n"
            + pop("a", c["a_rest"], c["a_current"], -60.0, '["spikes"]')
            + pop("b", c["b_rest"], 0.0, c["b_rest"], '["spikes", "v"]')
            + '[projections.ab]\npre = "a"\npost = "b"\nconnector = { type = "OneToOneConnector" }\n'
            f'receptor_type = "excitatory"\nweight = {c["weight"]}\ndelay = {DELAY}\n')
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "steps.toml"), "w") as f:
            f.write(toml)
        subprocess.run([os.path.join(ROOT, "target", "release", "engram"), "run",
                        os.path.join(d, "steps.toml"), "--out", os.path.join(d, "run"), "--quiet"],
                       check=True, stdout=subprocess.DEVNULL)
        times = [np.load(os.path.join(d, "run", f"{n}.times.npy")) for n in "ab"]
        vt = np.load(os.path.join(d, "run", "b.v.times.npy"))
        vv = np.load(os.path.join(d, "run", "b.v.npy"))[:, 0]
    spikes = [[int(round(t / DT)) - 1 for t in ts] for ts in times]
    v = {int(round(t / DT)) - 1: float(x) for t, x in zip(vt, vv)}
    return spikes, v


def run_part(sim, model):
    py = os.path.join(PEERS, "nest" if sim == "nest" else "brian2", "bin", "python")
    out = subprocess.run([py, os.path.abspath(__file__), "--part", sim, model],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True)
    spikes, v = json.loads(out.stdout.strip().splitlines()[-1])
    return spikes, {int(k): x for k, x in v.items()}


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--part":
        sim, model = sys.argv[2], sys.argv[3]
        fn = {"nest": part_nest, "brian2": part_brian2, "engram": part_engram}[sim]
        saved = os.dup(1)
        os.dup2(2, 1)             # NEST's banner and Brian2's messages go to stderr
        spikes, v = fn(model, CASES[model])
        os.dup2(saved, 1)
        print(json.dumps([spikes, v]))
        return 0
    failed = False
    for model in CASES:
        res = {sim: run_part(sim, model) for sim in ("engram", "brian2", "nest")}
        for n, who in enumerate("AB"):
            print(f"{model}: {who}'s spike steps: " + "; ".join(
                f"{s} {res[s][0][n][:4]}{' ...' if len(res[s][0][n]) > 4 else ''} "
                f"({len(res[s][0][n])})" for s in res))
        for x, y in (("engram", "nest"), ("engram", "brian2"), ("brian2", "nest")):
            same = res[x][0] == res[y][0]
            # B's potential up to the first step at which B fires in only one of the two.
            b_x, b_y = set(res[x][0][1]), set(res[y][0][1])
            end = min(b_x ^ b_y, default=None)
            steps = sorted(k for k in set(res[x][1]) & set(res[y][1]) if end is None or k < end)
            dv = max(abs(res[x][1][k] - res[y][1][k]) for k in steps)
            print(f"  {x} vs {y}: spike steps {'identical' if same else 'DIFFER'}; B's V over "
                  f"{len(steps)} steps{'' if end is None else f' (up to step {end})'}: "
                  f"max |dV| = {dv:.3g} mV")
            if model == "cuba" and (not same or dv > 1e-9):
                failed = True
    print("FAILED: CUBA steps differ" if failed else "CUBA: the three simulators take the same steps")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
