#!/usr/bin/env python3
"""Runs engram, Brian2 (C++ standalone) and NEST on the same benchmark networks on equal terms,
interleaved (for each round and seed: engram, Brian2, NEST), and prints Markdown tables of
medians, ratios and firing rates, then the raw JSON lines.

Equal terms: the same networks (three seeds by default), every spike recorded in memory by all
three during the timed loop, the same precision compared with the same precision (engram f64
with NEST and Brian2 in double; engram f32 with Brian2 in float32), and how each was compiled
said beside every row.

    python3 bench/peers/side_by_side.py --update-benchmarks   # everything; rewrites BENCHMARKS.md's section
    python3 bench/peers/side_by_side.py --configs cuba4k --seeds 1,2,3,4,5
    python3 bench/peers/side_by_side.py --list

It builds engram (`cargo build --release`, which does nothing when the build is current) and
installs the peers with bench/peers/setup.sh (idempotent) unless told not to. Standard library
only: it runs under any python3.
"""
import argparse
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import time

from peer_common import replace_between_markers

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
PEERS = os.path.join(ROOT, "target", "peers")
ENGRAM = os.path.join(ROOT, "target", "release", "engram")
PYTHON = {"nest": os.path.join(PEERS, "nest", "bin", "python"),
          "brian2": os.path.join(PEERS, "brian2", "bin", "python")}
SCRIPT = {"nest": os.path.join(HERE, "nest_bench.py"),
          "brian2": os.path.join(HERE, "brian2_bench.py")}
SIMULATORS = ("engram", "brian2", "nest")
PRECISIONS = ("f64", "f32")
RATE_TOLERANCE = 0.10   # firing rates of the peers agree with engram's within 10 %

# name: (network, neurons, biological seconds, engram's thread counts, the peers' thread counts,
# delay in ms or None for delay = dt). Ratios are given against the peer at the same thread count
# and against the peer's best median over its thread counts.
CONFIGS = {
    "cuba4k": ("cuba", 4000, 10.0, [1], [1], None),
    "cuba4k-d1": ("cuba", 4000, 10.0, [1], [1], 1.0),
    "cuba40k": ("cuba", 40000, 1.0, [1, 2], [1, 2], None),
    "cuba40k-d1": ("cuba", 40000, 1.0, [1, 2], [1, 2], 1.0),
    "coba4k": ("coba", 4000, 1.0, [1], [1], None),
}
LABEL = {"cuba4k": "CUBA 4 000, 10 s, delay dt", "cuba4k-d1": "CUBA 4 000, 10 s, delay 1 ms",
         "cuba40k": "CUBA 40 000, 1 s, delay dt", "cuba40k-d1": "CUBA 40 000, 1 s, delay 1 ms",
         "coba4k": "COBA 4 000, 1 s, delay dt"}
NAME = {"engram": "engram", "brian2": "Brian2 standalone", "nest": "NEST"}
# How each simulator's code was compiled: said beside every row, since it is not the same.
BUILD = {"engram": "rustc, target-cpu=native",
         "brian2": "g++ with Brian2's default flags (-O3 -ffast-math -march=native)",
         "nest": "PyPI wheel: generic x86-64 binary"}
# Where the simulators do not compute the same thing, said in the row.
CAVEAT = {("coba4k", "nest"): "iaf_cond_exp integrated by GSL RKF45 (adaptive); engram and Brian2: "
                              "exponential Euler"}
# Simulators that have each precision: NEST computes in double only.
HAS_PRECISION = {"f64": ("engram", "brian2", "nest"), "f32": ("engram", "brian2")}


def command(sim, config, threads, precision, seed):
    network, neurons, seconds, _, _, delay = CONFIGS[config]
    common = [network, "--neurons", str(neurons), "--p", "0.02", "--seconds", str(seconds),
              "--threads", str(threads), "--dt", "0.1", "--seed", str(seed), "--record", "spikes"]
    if delay is not None:
        common += ["--delay", str(delay)]
    if sim == "engram":
        return [ENGRAM, "bench"] + common + ["--precision", precision, "--json"]
    if sim == "brian2":
        return [PYTHON[sim], SCRIPT[sim]] + common + ["--precision", precision]
    return [PYTHON[sim], SCRIPT[sim]] + common


def shown(cmd):
    """A command as a reader types it, from the repository root."""
    return " ".join(shlex.quote(os.path.relpath(c, ROOT) if os.path.isabs(c) else c) for c in cmd)


def run_one(cmd, log, timeout):
    """Runs one benchmark; returns its JSON line as a dict, or a dict with `error`."""
    load = open("/proc/loadavg").read().split()[0] if os.path.exists("/proc/loadavg") else None
    t0 = time.perf_counter()
    c0 = os.times()
    try:
        p = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    wall = time.perf_counter() - t0
    c1 = os.times()
    # CPU time of the whole process and what it waited for (for Brian2 that includes compiling).
    cpu = (c1.children_user - c0.children_user) + (c1.children_system - c0.children_system)
    with open(log, "a") as f:
        f.write(f"$ {shown(cmd)}\n{p.stderr}\n{p.stdout}\n")
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    if p.returncode != 0 or not lines:
        tail = (p.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"error": f"exit code {p.returncode}: {tail} (log: {os.path.relpath(log, ROOT)})"}
    try:
        r = json.loads(lines[-1])
    except json.JSONDecodeError as e:
        return {"error": f"unreadable JSON line ({e}): {lines[-1][:200]}"}
    missing = [k for k in ("simulate_s", "spikes", "neurons", "seconds") if k not in r]
    if missing:
        return {"error": f"JSON line lacks {missing}: {lines[-1][:200]}"}
    r.setdefault("mean_rate_hz", r["spikes"] / r["neurons"] / r["seconds"])
    r["process_wall_s"] = wall
    r["process_cpu_s"] = cpu
    r["loadavg_1min_before"] = float(load) if load else None
    return r


def text_of(cmd):
    try:
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              cwd=ROOT).stdout.strip()
    except OSError:
        return None


def versions(sims):
    v = {"python": platform.python_version()}
    if "engram" in sims:
        v["engram"] = (text_of([ENGRAM, "--version"]) or "?").split()[-1]
        commit = text_of(["git", "rev-parse", "--short", "HEAD"])
        if text_of(["git", "status", "--porcelain", "--untracked-files=no"]):
            commit += " with uncommitted changes"
        v["engram"] += f" (commit {commit})"
        v["rustc"] = (text_of(["rustc", "--version"]) or "? ?").split()[1]
    if "nest" in sims:
        out = text_of([PYTHON["nest"], "-c", "import sys, os; sys.stdout = sys.stderr; import nest; "
                       "os.write(1, nest.__version__.encode())"])
        v["NEST"] = out.splitlines()[-1] if out else None
    if "brian2" in sims:
        out = (text_of([PYTHON["brian2"], "-c", "import brian2, numpy; "
                        "print(brian2.__version__, numpy.__version__)"]) or "? ?").split()
        v["Brian2"], v["numpy"] = out[-2], out[-1]
        v["g++"] = ((text_of(["g++", "--version"]) or "?").splitlines() or ["?"])[0].split()[-1]
    return v


def machine():
    model = "unknown"
    if os.path.exists("/proc/cpuinfo"):
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = None
    if os.path.exists("/proc/meminfo"):
        m = re.search(r"MemTotal:\s+(\d+)", open("/proc/meminfo").read())
        mem = round(int(m.group(1)) / 1024 / 1024, 1) if m else None
    return {"cpu_model": model, "cores": len(os.sched_getaffinity(0)), "memory_gib": mem,
            "os": platform.platform()}


def med(rs, key):
    vals = [r[key] for r in rs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def fmt(x, digits=3):
    if x is None:
        return "–"
    if abs(x) >= 1e5:
        return f"{x:.2e}"
    return f"{x:.{digits}g}" if abs(x) < 1000 else f"{x:.0f}"


def report(results, configs, precisions, sims, rounds, seeds, mach, vers, cmds):
    out = []
    w = out.append
    w(f"Machine: {mach['cpu_model']}, {mach['cores']} cores, {mach['memory_gib']} GiB, {mach['os']}.")
    w("Versions: " + ", ".join(f"{k} {v}" for k, v in vers.items() if v) + ".")
    loads = [r["loadavg_1min_before"] for rs in results.values() for r in rs
             if r.get("loadavg_1min_before") is not None]
    busy = (f"; 1-minute load average before each run: median {statistics.median(loads):.1f} "
            f"({min(loads):.1f}–{max(loads):.1f}) on {mach['cores']} cores" if loads else "")
    w(f"Seeds {', '.join(map(str, seeds))} (a different network and initial state each), "
      f"{rounds} interleaved round(s) of every seed; simulate: median (min–max) over the "
      f"{len(seeds) * rounds} runs of the wall time of the simulation loop; the other columns "
      f"are medians{busy}. Every simulator records every spike (time, neuron) in memory during "
      "the timed loop (engram bench --record spikes, NEST's spike_recorder, Brian2's "
      "SpikeMonitor). Precision: the type of the neuron state; f64 rows compare engram's f64 "
      "kernel with NEST and Brian2 in double, f32 rows engram's f32 kernel with Brian2 in "
      "float32 (NEST has no single-precision mode).")
    w("")
    w("| network | precision | simulator | compiled as | threads | simulate (s) | build (s) | "
      "rate (Hz) | synaptic events/s | realtime factor | peak RSS (MiB) | note |")
    w("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for c in configs:
        for prec in precisions:
            for sim in sims:
                for t in sorted({k[3] for k in results if k[:3] == (c, prec, sim)}):
                    rs = [r for r in results[(c, prec, sim, t)] if "error" not in r]
                    errs = [r["error"] for r in results[(c, prec, sim, t)] if "error" in r]
                    head = f"| {LABEL[c]} | {prec} | {NAME[sim]} | {BUILD[sim]} | {t} |"
                    if not rs:
                        w(f"{head} failed: {errs[0]} | | | | | | |")
                        continue
                    sims_s = [r["simulate_s"] for r in rs]
                    span = f"{fmt(statistics.median(sims_s))} ({fmt(min(sims_s))}–{fmt(max(sims_s))})"
                    if errs:
                        span += f", {len(errs)} failed"
                    w(f"{head} {span} | {fmt(med(rs, 'build_s'))} | "
                      f"{med(rs, 'mean_rate_hz'):.2f} | {fmt(med(rs, 'events_per_s'))} | "
                      f"{fmt(med(rs, 'realtime_factor'))} | {fmt(med(rs, 'peak_rss_mb'))} | "
                      f"{CAVEAT.get((c, sim), '')} |")
    w("")
    if "engram" in sims and any(s != "engram" for s in sims):
        w("Speed-up of engram at equal precision: the peer's median simulate time over engram's "
          "(below 1: engram is slower), against the peer at the same thread count and at its "
          "fastest thread count. Rates: medians, the peer's deviation from engram's; "
          f"**outside ±{RATE_TOLERANCE:.0%}** marks a median deviation beyond it, and "
          "'seeds outside' counts the seeds whose own rates deviate beyond it.")
        w("")
        w("| network | precision | engram threads | peer | vs peer, same threads | "
          "vs peer, its best | rate engram (Hz) | rate peer (Hz) | seeds outside ±10 % | note |")
        w("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for c in configs:
            for prec in precisions:
                def ok(sim, t):
                    return [r for r in results.get((c, prec, sim, t), []) if "error" not in r]

                for t in CONFIGS[c][3]:
                    e = ok("engram", t)
                    if not e:
                        continue
                    es, er = med(e, "simulate_s"), med(e, "mean_rate_hz")
                    for p in sims:
                        if p == "engram" or p not in HAS_PRECISION[prec]:
                            continue
                        cands = [(med(ok(p, pt), "simulate_s"), pt) for pt in CONFIGS[c][4]
                                 if ok(p, pt)]
                        if not cands:
                            continue
                        best = min(cands)
                        same = med(ok(p, t), "simulate_s") if ok(p, t) else None
                        pr = med(ok(p, best[1]), "mean_rate_hz")
                        dev = pr / er - 1
                        flag = "" if abs(dev) <= RATE_TOLERANCE else f" **outside ±{RATE_TOLERANCE:.0%}**"
                        by_seed_e = {r["seed"]: r["mean_rate_hz"] for r in e}
                        outside = sum(1 for r in ok(p, best[1]) if r["seed"] in by_seed_e and
                                      abs(r["mean_rate_hz"] / by_seed_e[r["seed"]] - 1) > RATE_TOLERANCE)
                        w(f"| {LABEL[c]} | {prec} | {t} | {NAME[p]} | "
                          f"{f'{same / es:.2f}×' if same else '–'} | "
                          f"{best[0] / es:.2f}× ({best[1]} thr.) | {er:.2f} | "
                          f"{pr:.2f} ({dev:+.1%}){flag} | {outside} of {len(ok(p, best[1]))} | "
                          f"{CAVEAT.get((c, p), '')} |")
        for c in configs:
            ts = CONFIGS[c][3]
            if len(ts) < 2:
                continue
            for prec in precisions:
                m = {t: med([r for r in results.get((c, prec, "engram", t), []) if "error" not in r],
                            "simulate_s") for t in ts}
                if all(m.values()):
                    w("")
                    w(f"engram {prec} on {LABEL[c]}: speed-up of {ts[-1]} threads over {ts[0]}: "
                      f"{m[ts[0]] / m[ts[-1]]:.2f}× (median simulate times).")
    w("")
    w("Commands (one round of one seed, in this order):")
    w("")
    for cmd in cmds:
        w("    " + cmd)
    w("")
    w("Raw JSON lines:")
    w("")
    w("```")
    for key in results:
        for r in results[key]:
            w(json.dumps(r) if "error" not in r else json.dumps(
                {"config": key[0], "precision": key[1], "simulator": key[2], "threads": key[3], **r}))
    w("```")
    return "\n".join(out)


BEGIN = "<!-- side_by_side.py report: begin -->"
END = "<!-- side_by_side.py report: end -->"


def update_benchmarks(text, args):
    """Puts the report between BENCHMARKS.md's markers, with the command that produced it."""
    path = os.path.join(ROOT, "BENCHMARKS.md")
    made = (f"Generated by `python3 bench/peers/side_by_side.py {args}` on "
            f"{time.strftime('%Y-%m-%d')}; do not edit by hand.")
    replace_between_markers(path, BEGIN, END, text, made)


def int_list(text, what, ap):
    try:
        vals = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        ap.error(f"{what} {text}: expected comma-separated integers, e.g. 1,2,3")
    if not vals:
        ap.error(f"{what} {text}: empty")
    return vals


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--configs", default=",".join(CONFIGS),
                    help=f"comma-separated, from {', '.join(CONFIGS)} (default: all)")
    ap.add_argument("--simulators", default=",".join(SIMULATORS),
                    help="comma-separated, from engram, brian2, nest (default: all three)")
    ap.add_argument("--precisions", default=",".join(PRECISIONS),
                    help="comma-separated, from f64, f32 (default: both); f32 runs engram's f32 "
                    "kernel and Brian2 in float32, NEST has no f32 mode")
    ap.add_argument("--seeds", default="1,2,3",
                    help="comma-separated network seeds (default 1,2,3); medians are over seeds "
                    "and rounds")
    ap.add_argument("--rounds", type=int, default=1, help="interleaved rounds of every seed")
    ap.add_argument("--peer-threads", help="comma-separated thread counts for NEST and Brian2 in "
                    "every configuration (default: each configuration's own)")
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds per run")
    ap.add_argument("--no-build", action="store_true", help="do not run cargo build --release")
    ap.add_argument("--no-setup", action="store_true", help="do not run bench/peers/setup.sh")
    ap.add_argument("--out", help="also write the report to this file")
    ap.add_argument("--update-benchmarks", action="store_true",
                    help="replace the generated side-by-side section of BENCHMARKS.md "
                    f"(between {BEGIN} and {END}) with this report")
    ap.add_argument("--list", action="store_true", help="print the configurations and exit")
    a = ap.parse_args()
    configs = [c.strip() for c in a.configs.split(",") if c.strip()]
    sims = [s.strip() for s in a.simulators.split(",") if s.strip()]
    precisions = [p.strip() for p in a.precisions.split(",") if p.strip()]
    seeds = int_list(a.seeds, "--seeds", ap)
    bad = ([c for c in configs if c not in CONFIGS] + [s for s in sims if s not in SIMULATORS]
           + [p for p in precisions if p not in PRECISIONS])
    if bad or a.rounds < 1:
        ap.error(f"unknown configuration, simulator or precision {bad} (allowed: {list(CONFIGS)}, "
                 f"{list(SIMULATORS)}, {list(PRECISIONS)}), or --rounds < 1")
    sims = [s for s in SIMULATORS if s in sims]   # the interleaving order is fixed
    precisions = [p for p in PRECISIONS if p in precisions]
    if a.peer_threads:
        threads = sorted(set(int_list(a.peer_threads, "--peer-threads", ap)))
        if threads[0] < 1:
            ap.error(f"--peer-threads {a.peer_threads}: thread counts must be >= 1")
        for c in CONFIGS:
            CONFIGS[c] = CONFIGS[c][:4] + (threads,) + CONFIGS[c][5:]
    if a.list:
        for k, (net, n, s, et, pt, d) in CONFIGS.items():
            print(f"{k}: {net} {n} neurons, {s} s, delay {d or 'dt'}; engram threads {et}, "
                  f"peer threads {pt}")
        return 0

    if "engram" in sims and not a.no_build:
        print("side_by_side: cargo build --release", file=sys.stderr, flush=True)
        subprocess.run(["cargo", "build", "--release", "--bin", "engram"], cwd=ROOT, check=True)
    if any(s != "engram" for s in sims) and not a.no_setup:
        subprocess.run(["bash", os.path.join(HERE, "setup.sh")], cwd=ROOT, check=True,
                       stdout=sys.stderr)
    os.makedirs(os.path.join(PEERS, "logs"), exist_ok=True)
    log = os.path.join(PEERS, "logs", time.strftime("side_by_side-%Y%m%dT%H%M%S.log"))
    mach, vers = machine(), versions(sims)

    results, cmds = {}, []
    for c in configs:
        _, _, _, e_threads, p_threads, _ = CONFIGS[c]
        # engram has an f32 kernel for CUBA's IF_curr_exp only.
        plan = [(prec, s, t) for prec in precisions if prec == "f64" or CONFIGS[c][0] == "cuba"
                for s in sims if s in HAS_PRECISION[prec]
                for t in (e_threads if s == "engram" else p_threads)]
        cmds += [shown(command(s, c, t, prec, seeds[0])) for prec, s, t in plan]
        for r in range(a.rounds):
            for seed in seeds:
                for prec, s, t in plan:
                    print(f"side_by_side: {c} round {r + 1}/{a.rounds} seed {seed}: {s} {prec}, "
                          f"{t} thread(s)", file=sys.stderr, flush=True)
                    res = run_one(command(s, c, t, prec, seed), log, a.timeout)
                    res["round"] = r + 1
                    res.setdefault("seed", seed)
                    results.setdefault((c, prec, s, t), []).append(res)
                    if "error" in res:
                        print(f"side_by_side:   failed: {res['error']}", file=sys.stderr, flush=True)
                    else:
                        print(f"side_by_side:   simulate {res['simulate_s']:.3f} s, "
                              f"{res['mean_rate_hz']:.2f} Hz", file=sys.stderr, flush=True)
    text = report(results, configs, precisions, sims, a.rounds, seeds, mach, vers, cmds)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")
    if a.update_benchmarks:
        update_benchmarks(text, " ".join(shlex.quote(x) for x in sys.argv[1:]))
    failed = sum("error" in r for rs in results.values() for r in rs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
