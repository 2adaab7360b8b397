#!/usr/bin/env python3
"""CUBA or COBA (Brette et al. 2007, benchmarks 2 and 1) in Brian2's C++ standalone mode, the
same network as `engram bench cuba|coba`; prints one JSON line in `engram bench --json`'s fields.

CUBA: exact integration (the propagators of NEST's iaf_psc_exp). COBA: exponential Euler with the
conductances held over a step, as engram. Bernoulli(p) connectivity with autapses, a homogeneous
delay of dt, V uniform in [-60, -50] mV (COBA: g_e ~ N(40, 15) nS, g_i ~ N(200, 120) nS).
Two choices make Brian2's steps those of NEST and engram:
  * delay = dt: with Brian2's default delay 0 a spike acts on the membrane one step earlier
    than with NEST's minimum delay (one step), because NEST adds arriving input after the
    membrane update of the step it arrives in;
  * refractory = t_ref + dt: Brian2 clamps steps k+1 .. k+t_ref/dt-1 after a spike at step k,
    NEST and engram clamp t_ref/dt steps (k+1 .. k+t_ref/dt).
The threshold is v >= V_th as in NEST. A SpikeMonitor records every spike (time, index) in memory
during the run (`--record spikes`, the default, as engram bench and NEST's spike_recorder), or
only counts them (`--record none`: Brian2 cannot run without counting if the rate is to be
known). `--precision f32` sets `prefs.core.default_float_dtype = float32`.
simulate_s is the wall time of Network::run inside the compiled binary (simulate_cpu_s its CPU
time, summed over threads); build_s is the rest of the binary's wall time (allocation, connecting, initial values, writing results); compiling is codegen_compile_s.
peak_rss_mb is the binary's.

    target/peers/brian2/bin/python bench/peers/brian2_bench.py cuba --neurons 4000 --seconds 10 --threads 1
"""
import os
import sys
import time

from peer_common import COBA, CUBA, V_INIT, emit, parse_args, stdout_to_stderr

HERE = os.path.dirname(os.path.abspath(__file__))


def extra(ap):
    ap.add_argument("--workdir", default=None,
                    help="standalone project directory (kept, so a rerun only recompiles what changed); "
                         "default target/peers/brian2-work/NETWORK-NEURONS-THREADSt")


a = parse_args(__doc__.split("\n")[0], extra)
workdir = os.path.abspath(a.workdir or os.path.join(
    HERE, "..", "..", "target", "peers", "brian2-work", f"{a.network}-{a.neurons}-{a.threads}t"))

# Runs the binary in a child of its own, so that its peak RSS is the binary's alone.
RUN_MEASURED = ("import os, sys; pid = os.spawnv(os.P_NOWAIT, sys.argv[1], sys.argv[1:]); "
                "_, status, ru = os.wait4(pid, 0); "
                "open('results/peak_rss_kb', 'w').write(str(ru.ru_maxrss)); "
                "sys.exit(os.waitstatus_to_exitcode(status))")

with stdout_to_stderr():
    import brian2 as b
    from brian2 import ms, mV, nS, pF, second
    import numpy as np

    b.set_device("cpp_standalone", directory=workdir, build_on_run=False)
    b.prefs.devices.cpp_standalone.openmp_threads = a.threads if a.threads > 1 else 0
    b.prefs.devices.cpp_standalone.run_cmd_unix = [sys.executable, "-c", RUN_MEASURED, "./main"]
    if a.precision == "f32":
        b.prefs.core.default_float_dtype = b.float32
    b.seed(a.seed)
    b.defaultclock.dt = a.dt * ms
    N, NE = a.neurons, a.n_exc
    Vt, Vr = -50 * mV, -60 * mV
    if a.network == "cuba":
        c = CUBA
        # ge, gi in volts: R·I with R = tau_m / C_m = 1 GOhm, so 1 pA is 1 mV.
        taum, taue, taui, El = c["tau_m"] * ms, c["tau_syn_ex"] * ms, c["tau_syn_in"] * ms, c["E_L"] * mV
        eqs = """
        dv/dt  = (ge + gi - (v - El)) / taum : volt (unless refractory)
        dge/dt = -ge / taue : volt
        dgi/dt = -gi / taui : volt
        """
        r = c["tau_m"] / c["C_m"]  # GOhm
        we, wi = c["w_exc"] * r * mV, -c["w_inh"] * r * mV
        method = "exact"
    else:
        c = COBA
        Cm, gl, El = c["C_m"] * pF, c["g_L"] * nS, c["E_L"] * mV
        Ee, Ei = c["E_ex"] * mV, c["E_in"] * mV
        taue, taui = c["tau_syn_ex"] * ms, c["tau_syn_in"] * ms
        eqs = """
        dv/dt  = (gl * (El - v) + ge * (Ee - v) + gi * (Ei - v)) / Cm : volt (unless refractory)
        dge/dt = -ge / taue : siemens
        dgi/dt = -gi / taui : siemens
        """
        we, wi = c["w_exc"] * nS, c["w_inh"] * nS
        method = "exponential_euler"
    assert c["V_th"] == -50.0 and c["V_reset"] == -60.0
    P = b.NeuronGroup(N, eqs, threshold="v >= Vt", reset="v = Vr",
                      refractory=(c["t_ref"] + a.dt) * ms, method=method)
    P.v = f"{V_INIT[0]}*mV + rand() * ({V_INIT[1] - V_INIT[0]}*mV)"
    if a.network == "cuba":
        P.ge = 0 * mV
        P.gi = 0 * mV
    else:
        P.ge = f"({c['g_ex_init'][0]} + {c['g_ex_init'][1]} * randn()) * nS"
        P.gi = f"({c['g_in_init'][0]} + {c['g_in_init'][1]} * randn()) * nS"
    delay = a.delay * ms
    Ce = b.Synapses(P, P, on_pre="ge += we", delay=delay)
    Ci = b.Synapses(P, P, on_pre="gi += wi", delay=delay)
    Ce.connect(f"i < {NE}", p=a.p)
    Ci.connect(f"i >= {NE}", p=a.p)
    monitor = b.SpikeMonitor(P, record=(a.record == "spikes"))
    net = b.Network(P, Ce, Ci, monitor)
    # Wall and CPU time around Network::run, written by the binary: Brian2's own run timer
    # (last_run_info.txt) is std::clock() without OpenMP, i.e. CPU time, which a busy machine
    # does not inflate the way it inflates the wall time that engram and NEST report.
    b.device.insert_code("before_network_run", """
        struct timespec _bench_wall0; clock_gettime(CLOCK_MONOTONIC, &_bench_wall0);
        std::clock_t _bench_cpu0 = std::clock();""")
    b.device.insert_code("after_network_run", """
        {
            struct timespec _bench_wall1; clock_gettime(CLOCK_MONOTONIC, &_bench_wall1);
            std::ofstream _f(brian::results_dir + "bench_times.txt");
            _f.precision(9);
            _f << (_bench_wall1.tv_sec - _bench_wall0.tv_sec)
                      + 1e-9 * (_bench_wall1.tv_nsec - _bench_wall0.tv_nsec) << " "
               << (double)(std::clock() - _bench_cpu0) / CLOCKS_PER_SEC << std::endl;
        }""")
    net.run(a.steps * a.dt * ms)

    t0 = time.perf_counter()
    b.device.build(directory=workdir, compile=True, run=False, debug=False)
    compile_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    b.device.run(directory=workdir, with_output=False)
    binary_s = time.perf_counter() - t1
    with open(os.path.join(workdir, "results", "bench_times.txt")) as f:
        simulate_s, simulate_cpu_s = map(float, f.read().split())

    synapses = len(Ce) + len(Ci)
    counts = np.asarray(monitor.count[:])
    out_degree = np.bincount(np.concatenate([np.asarray(Ce.i[:]), np.asarray(Ci.i[:])]),
                             minlength=N)
    events = float((counts.astype(np.int64) * out_degree).sum())
    peak_rss_mb = int(open(os.path.join(workdir, "results", "peak_rss_kb")).read()) / 1024.0

emit(a, "brian2", b.__version__,
     build_s=binary_s - simulate_s, simulate_s=simulate_s, spikes=int(counts.sum()),
     synaptic_events=events, synapses=synapses, peak_rss_mb=peak_rss_mb,
     # RSS growth while building is not observable from outside the binary: its peak RSS over
     # synapses is an upper bound (it includes the neurons, the spike queues and the runtime).
     bytes_per_synapse=peak_rss_mb * 1024 * 1024 / max(synapses, 1),
     bytes_per_synapse_is_upper_bound=True,
     synaptic_events_exact=True,
     simulate_cpu_s=simulate_cpu_s, brian2_run_timer_s=float(b.device._last_run_time),
     codegen_compile_s=compile_s, mode="cpp_standalone", method=method,
     numpy_version=np.__version__,
     recorded_spikes=int(len(monitor.t[:])) if a.record == "spikes" else 0,
     build="g++ " + " ".join(b.prefs.codegen.cpp.extra_compile_args_gcc))
