"""What the peer benchmark scripts share: the benchmark networks' parameters (the same numbers
as engram's `networks/src/benchmarks.rs`), the command line, the machine, and the JSON line
in the fields and meanings of `engram bench --json`."""

import argparse
import json
import os
import sys
from contextlib import contextmanager

# Brette et al. (2007) benchmark 2 (CUBA) and 1 (COBA), in NEST's units (pF, ms, mV, pA, nS).
CUBA = dict(C_m=20.0, tau_m=20.0, E_L=-49.0, V_th=-50.0, V_reset=-60.0, t_ref=5.0,
            tau_syn_ex=5.0, tau_syn_in=10.0, w_exc=1.62, w_inh=9.0)     # pA; R·w = 1.62, 9 mV
COBA = dict(C_m=200.0, g_L=10.0, E_L=-60.0, V_th=-50.0, V_reset=-60.0, t_ref=5.0,
            E_ex=0.0, E_in=-80.0, tau_syn_ex=5.0, tau_syn_in=10.0,
            w_exc=6.0, w_inh=67.0,                                      # nS
            g_ex_init=(40.0, 15.0), g_in_init=(200.0, 120.0))           # nS, normal (mean, sd)
V_INIT = (-60.0, -50.0)   # mV, uniform: both models
EXC_FRACTION = 0.8


def parse_args(description, extra=None):
    """The options of `engram bench` that the peers share (same names, same defaults)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("network", choices=["cuba", "coba"])
    ap.add_argument("--neurons", type=int, default=4000)
    ap.add_argument("--p", type=float, default=0.02, help="connection probability")
    ap.add_argument("--seconds", type=float, default=1.0, help="biological time (s)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--dt", type=float, default=0.1, help="time step (ms)")
    ap.add_argument("--delay", type=float, default=None,
                    help="synaptic delay (ms); default dt, as engram bench")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--record", choices=["spikes", "none"], default="spikes",
                    help="what the timed loop records: every spike (time, sender) in memory, as "
                         "engram bench's default, or nothing")
    ap.add_argument("--precision", choices=["f64", "f32"], default="f64",
                    help="floating-point type of the state (f32: Brian2 only)")
    if extra:
        extra(ap)
    a = ap.parse_args()
    if a.delay is None:
        a.delay = a.dt
    if a.neurons < 5 or not 0.0 <= a.p <= 1.0 or a.seconds <= 0 or a.threads < 1 or a.dt <= 0:
        ap.error("need --neurons >= 5, 0 <= --p <= 1, --seconds > 0, --threads >= 1, --dt > 0")
    a.n_exc = a.neurons * 4 // 5     # engram: neurons * 4 / 5 excitatory
    a.steps = int(round(a.seconds * 1000.0 / a.dt))
    return a


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def machine():
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu_model": cpu_model(), "cores": cores}


def status_mb(key, pid="self"):
    """VmRSS / VmHWM of a process in MiB (Linux), or None."""
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


@contextmanager
def stdout_to_stderr():
    """Sends everything written to file descriptor 1 (banners, progress, C++ prints) to stderr,
    so that the script's stdout is exactly one JSON line."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def emit(a, simulator, version, *, build_s, simulate_s, spikes, synaptic_events, synapses,
         peak_rss_mb, bytes_per_synapse, **extra):
    """Prints the result in `engram bench --json`'s fields; extra fields follow them."""
    seconds = a.steps * a.dt / 1000.0
    line = {
        "simulator": simulator,
        "version": version,
        "model": a.network,
        "neurons": a.neurons,
        "synapses": int(synapses),
        "build_s": build_s,
        "simulate_s": simulate_s,
        "spikes": int(spikes),
        "synaptic_events": int(round(synaptic_events)),
        "events_per_s": synaptic_events / simulate_s,
        "neuron_steps_per_s": a.neurons * a.steps / simulate_s,
        "realtime_factor": seconds / simulate_s,
        "peak_rss_mb": peak_rss_mb,
        "bytes_per_synapse": bytes_per_synapse,
        "mean_rate_hz": spikes / a.neurons / seconds,
        "threads": a.threads,
        "dt_ms": a.dt,
        "seconds": seconds,
        "delay_ms": a.delay,
        "p": a.p,
        "seed": a.seed,
        "record": a.record,
        "precision": a.precision,
        "machine": machine(),
    }
    line.update(extra)
    print(json.dumps(line), flush=True)


def replace_between_markers(path, begin, end, text, made):
    """Rewrites the part of `path` between the lines `begin` and `end`: the line `made` (what
    generated it), then `text`. A file without both markers is an error naming them."""
    doc = open(path).read()
    if begin not in doc or end not in doc:
        raise SystemExit(f"{path} lacks the markers {begin} / {end}")
    head, rest = doc.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(path, "w") as f:
        f.write(f"{head}{begin}\n{made}\n\n{text}\n{end}{tail}")
