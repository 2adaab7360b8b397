#!/usr/bin/env python3
"""Runs engram, Brian2 (C++ standalone) and NEST on the same benchmark networks, interleaved
(round 1: engram, Brian2, NEST; round 2: the same; ...), and prints Markdown tables of medians,
ratios and firing rates, then the raw JSON lines, ready to paste into BENCHMARKS.md.

    python3 bench/peers/side_by_side.py                       # every configuration, 3 rounds
    python3 bench/peers/side_by_side.py --configs cuba4k --rounds 5
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

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
PEERS = os.path.join(ROOT, "target", "peers")
ENGRAM = os.path.join(ROOT, "target", "release", "engram")
PYTHON = {"nest": os.path.join(PEERS, "nest", "bin", "python"),
          "brian2": os.path.join(PEERS, "brian2", "bin", "python")}
SCRIPT = {"nest": os.path.join(HERE, "nest_bench.py"),
          "brian2": os.path.join(HERE, "brian2_bench.py")}
SIMULATORS = ("engram", "brian2", "nest")
RATE_TOLERANCE = 0.10   # firing rates of the peers agree with engram's within 10 %

# name: (network, neurons, biological seconds, engram's thread counts, the peers' thread counts).
# Where the peers run on several thread counts, the ratios use each peer's best median.
CONFIGS = {
    "cuba4k": ("cuba", 4000, 10.0, [1], [1]),
    "cuba40k": ("cuba", 40000, 1.0, [1, 2], [1, 2]),
    "coba4k": ("coba", 4000, 1.0, [1], [1]),
}
LABEL = {"cuba4k": "CUBA 4 000, 10 s", "cuba40k": "CUBA 40 000, 1 s", "coba4k": "COBA 4 000, 1 s"}
NAME = {"engram": "engram", "brian2": "Brian2 standalone", "nest": "NEST"}
ENGRAM_PRECISION = ["f64"]   # set by --engram-precision


def command(sim, network, neurons, seconds, threads):
    common = [network, "--neurons", str(neurons), "--p", "0.02", "--seconds", str(seconds),
              "--threads", str(threads), "--dt", "0.1"]
    if sim == "engram":
        return [ENGRAM, "bench"] + common + ["--precision", ENGRAM_PRECISION[0], "--json"]
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


def report(results, configs, sims, rounds, mach, vers, cmds):
    out = []
    w = out.append
    w(f"Machine: {mach['cpu_model']}, {mach['cores']} cores, {mach['memory_gib']} GiB, {mach['os']}.")
    w("Versions: " + ", ".join(f"{k} {v}" for k, v in vers.items() if v) + ".")
    loads = [r["loadavg_1min_before"] for rs in results.values() for r in rs
             if r.get("loadavg_1min_before") is not None]
    busy = (f"; 1-minute load average before each run: median {statistics.median(loads):.1f} "
            f"({min(loads):.1f}–{max(loads):.1f}) on {mach['cores']} cores" if loads else "")
    w(f"{rounds} interleaved rounds; simulate: median (min–max) wall time of the simulation "
      f"loop; the other columns are medians{busy}.")
    w("")
    w("| network | simulator | threads | simulate (s) | build (s) | rate (Hz) | synaptic events/s | realtime factor | peak RSS (MiB) |")
    w("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for c in configs:
        for sim in sims:
            for t in sorted({k[2] for k in results if k[0] == c and k[1] == sim}):
                rs = [r for r in results[(c, sim, t)] if "error" not in r]
                errs = [r["error"] for r in results[(c, sim, t)] if "error" in r]
                if not rs:
                    w(f"| {LABEL[c]} | {NAME[sim]} | {t} | failed: {errs[0]} | | | | | |")
                    continue
                sims_s = [r["simulate_s"] for r in rs]
                span = f"{fmt(statistics.median(sims_s))} ({fmt(min(sims_s))}–{fmt(max(sims_s))})"
                if errs:
                    span += f", {len(errs)} failed"
                w(f"| {LABEL[c]} | {NAME[sim]} | {t} | {span} | {fmt(med(rs, 'build_s'))} | "
                  f"{med(rs, 'mean_rate_hz'):.2f} | {fmt(med(rs, 'events_per_s'))} | "
                  f"{fmt(med(rs, 'realtime_factor'))} | {fmt(med(rs, 'peak_rss_mb'))} |")
    w("")
    peers = [s for s in sims if s != "engram"]
    if "engram" in sims and peers:
        w("Speed-up of engram: the peer's median simulate time over engram's, the peer at its "
          "fastest thread count (below 1: engram is slower); firing rates side by side, with the "
          "peer's deviation from engram's.")
        w("")
        w("| network | engram threads | " + " | ".join(f"vs {NAME[p]}" for p in peers)
          + " | rate engram (Hz) | " + " | ".join(f"rate {NAME[p]} (Hz)" for p in peers) + " |")
        w("| --- | --- | " + " | ".join("---" for _ in peers) + " | --- | "
          + " | ".join("---" for _ in peers) + " |")
        for c in configs:
            def ok(sim, t):
                return [r for r in results.get((c, sim, t), []) if "error" not in r]

            best = {}
            for p in peers:
                cands = [(med(ok(p, t), "simulate_s"), t) for t in CONFIGS[c][4] if ok(p, t)]
                best[p] = min(cands) if cands else (None, None)
            for t in CONFIGS[c][3]:
                e = ok("engram", t)
                if not e:
                    continue
                es = med(e, "simulate_s")
                ratios = [f"{best[p][0] / es:.2f}× ({best[p][1]} thr.)" if best[p][0] else "–"
                          for p in peers]
                er = med(e, "mean_rate_hz")
                rates = []
                for p in peers:
                    pr = [med(ok(p, pt), "mean_rate_hz") for pt in CONFIGS[c][4] if ok(p, pt)]
                    if not pr:
                        rates.append("–")
                        continue
                    dev = pr[0] / er - 1
                    flag = "" if abs(dev) <= RATE_TOLERANCE else " **outside ±10 %**"
                    rates.append(f"{pr[0]:.2f} ({dev:+.1%}){flag}")
                w(f"| {LABEL[c]} | {t} | " + " | ".join(ratios) + f" | {er:.2f} | "
                  + " | ".join(rates) + " |")
        for c in configs:
            if len(CONFIGS[c][3]) > 1:
                ts = CONFIGS[c][3]
                m = {t: med([r for r in results.get((c, "engram", t), []) if "error" not in r],
                            "simulate_s") for t in ts}
                if all(m.values()):
                    w("")
                    w(f"engram on {LABEL[c]}: speed-up of {ts[-1]} threads over {ts[0]}: "
                      f"{m[ts[0]] / m[ts[-1]]:.2f}× (median simulate times).")
    w("")
    w("Commands (one round, in this order):")
    w("")
    for cmd in cmds:
        w("    " + cmd)
    w("")
    w("Raw JSON lines:")
    w("")
    w("```")
    for key in results:
        for r in results[key]:
            w(json.dumps(r) if "error" not in r else json.dumps({"config": key[0], "simulator": key[1],
                                                                 "threads": key[2], **r}))
    w("```")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--configs", default=",".join(CONFIGS),
                    help=f"comma-separated, from {', '.join(CONFIGS)} (default: all)")
    ap.add_argument("--simulators", default=",".join(SIMULATORS),
                    help="comma-separated, from engram, brian2, nest (default: all three)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--engram-precision", choices=("f64", "f32"), default="f64",
                    help="engram's IF_curr_exp kernel (engram bench --precision); f64 is NEST's "
                    "arithmetic to the last bit, f32 the throughput option")
    ap.add_argument("--peer-threads", help="comma-separated thread counts for NEST and Brian2 in "
                    "every configuration (default: each configuration's own)")
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds per run")
    ap.add_argument("--no-build", action="store_true", help="do not run cargo build --release")
    ap.add_argument("--no-setup", action="store_true", help="do not run bench/peers/setup.sh")
    ap.add_argument("--out", help="also write the report to this file")
    ap.add_argument("--list", action="store_true", help="print the configurations and exit")
    a = ap.parse_args()
    ENGRAM_PRECISION[0] = a.engram_precision
    NAME["engram"] = f"engram ({a.engram_precision})"
    configs = [c.strip() for c in a.configs.split(",") if c.strip()]
    sims = [s.strip() for s in a.simulators.split(",") if s.strip()]
    bad = [c for c in configs if c not in CONFIGS] + [s for s in sims if s not in SIMULATORS]
    if bad or a.rounds < 1:
        ap.error(f"unknown configuration or simulator {bad} (allowed: {list(CONFIGS)}, "
                 f"{list(SIMULATORS)}), or --rounds < 1")
    sims = [s for s in SIMULATORS if s in sims]   # the interleaving order is fixed
    if a.peer_threads:
        try:
            threads = sorted({int(t) for t in a.peer_threads.split(",")})
        except ValueError:
            ap.error(f"--peer-threads {a.peer_threads}: expected e.g. 1 or 1,2")
        if threads[0] < 1:
            ap.error(f"--peer-threads {a.peer_threads}: thread counts must be >= 1")
        for c in CONFIGS:
            CONFIGS[c] = CONFIGS[c][:4] + (threads,)
    if a.list:
        for k, (net, n, s, et, pt) in CONFIGS.items():
            print(f"{k}: {net} {n} neurons, {s} s; engram threads {et}, peer threads {pt}")
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
        net, n, secs, e_threads, p_threads = CONFIGS[c]
        plan = [(s, t) for s in sims for t in (e_threads if s == "engram" else p_threads)]
        cmds += [shown(command(s, net, n, secs, t)) for s, t in plan]
        for r in range(a.rounds):
            for s, t in plan:
                print(f"side_by_side: {c} round {r + 1}/{a.rounds}: {s}, {t} thread(s)",
                      file=sys.stderr, flush=True)
                res = run_one(command(s, net, n, secs, t), log, a.timeout)
                res["round"] = r + 1
                results.setdefault((c, s, t), []).append(res)
                if "error" in res:
                    print(f"side_by_side:   failed: {res['error']}", file=sys.stderr, flush=True)
                else:
                    print(f"side_by_side:   simulate {res['simulate_s']:.3f} s, "
                          f"{res['mean_rate_hz']:.2f} Hz", file=sys.stderr, flush=True)
    text = report(results, configs, sims, a.rounds, mach, vers, cmds)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")
    failed = sum("error" in r for rs in results.values() for r in rs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
