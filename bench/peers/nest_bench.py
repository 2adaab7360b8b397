#!/usr/bin/env python3
"""CUBA or COBA (Brette et al. 2007, benchmarks 2 and 1) in NEST, the same network as
`engram bench cuba|coba`; prints one JSON line in `engram bench --json`'s fields.

CUBA: iaf_psc_exp (exact propagators, the integration engram's CUBA uses). COBA: iaf_cond_exp,
which NEST integrates with GSL's adaptive RKF45 (engram and Brian2 use exponential Euler; NEST
has no such option). Pairwise Bernoulli(p) connectivity with autapses, delay = dt, V uniform in
[-60, -50] mV (COBA: g_ex ~ N(40, 15) nS, g_in ~ N(200, 120) nS). A spike_recorder keeps every
spike (time, sender) in memory during the run, as engram bench and the Brian2 script do by
default (`--record spikes`); NEST has no other way to count spikes, so `--record none` is refused,
and NEST computes in double only (`--precision f32` is refused). build_s covers Create, Connect and Prepare (NEST sorts its connections there);
simulate_s is nest.Run alone.

    target/peers/nest/bin/python bench/peers/nest_bench.py cuba --neurons 4000 --seconds 10 --threads 1
"""
import time

from peer_common import COBA, CUBA, EXC_FRACTION, V_INIT, emit, parse_args, status_mb, stdout_to_stderr

# Synaptic events are counted exactly (spikes of each neuron times its out-degree) up to this many
# synapses; beyond it GetConnections costs more than the simulation and the mean fan-out is used.
EXACT_EVENTS_MAX_SYNAPSES = 5_000_000

a = parse_args(__doc__.split("\n")[0])
if a.record != "spikes" or a.precision != "f64":
    raise SystemExit("nest_bench.py: NEST records spikes with a spike_recorder and computes in "
                     "double: only --record spikes --precision f64")
assert abs(EXC_FRACTION - 0.8) < 1e-12
with stdout_to_stderr():
    import nest
    import numpy as np

    if hasattr(nest, "VerbosityLevel"):
        nest.verbosity = nest.VerbosityLevel.WARNING
    else:
        nest.set_verbosity("M_WARNING")
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": a.dt, "local_num_threads": a.threads,
                          "rng_seed": a.seed, "print_time": False})
    rss_before = status_mb("VmRSS")
    t0 = time.perf_counter()
    if a.network == "cuba":
        c = CUBA
        pop = nest.Create("iaf_psc_exp", a.neurons, params=dict(
            C_m=c["C_m"], tau_m=c["tau_m"], E_L=c["E_L"], V_th=c["V_th"], V_reset=c["V_reset"],
            t_ref=c["t_ref"], tau_syn_ex=c["tau_syn_ex"], tau_syn_in=c["tau_syn_in"], I_e=0.0))
    else:
        c = COBA
        pop = nest.Create("iaf_cond_exp", a.neurons, params=dict(
            C_m=c["C_m"], g_L=c["g_L"], E_L=c["E_L"], V_th=c["V_th"], V_reset=c["V_reset"],
            t_ref=c["t_ref"], E_ex=c["E_ex"], E_in=c["E_in"], tau_syn_ex=c["tau_syn_ex"],
            tau_syn_in=c["tau_syn_in"], I_e=0.0))
        pop.g_ex = nest.random.normal(*c["g_ex_init"])
        pop.g_in = nest.random.normal(*c["g_in_init"])
    pop.V_m = nest.random.uniform(*V_INIT)
    exc, inh = pop[:a.n_exc], pop[a.n_exc:]
    conn = {"rule": "pairwise_bernoulli", "p": a.p, "allow_autapses": True}
    nest.Connect(exc, pop, conn, {"synapse_model": "static_synapse",
                                  "weight": c["w_exc"], "delay": a.delay})
    nest.Connect(inh, pop, conn, {"synapse_model": "static_synapse",
                                  "weight": -c["w_inh"], "delay": a.delay})
    recorder = nest.Create("spike_recorder")
    nest.Connect(pop, recorder)
    nest.Prepare()
    build_s = time.perf_counter() - t0
    rss_built = status_mb("VmRSS")

    t1, c1 = time.perf_counter(), time.process_time()
    nest.Run(a.steps * a.dt)
    simulate_s = time.perf_counter() - t1
    simulate_cpu_s = time.process_time() - c1   # summed over threads
    peak_rss_mb = status_mb("VmHWM")  # before GetConnections below allocates its own copy
    nest.Cleanup()

    synapses = nest.GetKernelStatus("num_connections") - a.neurons  # minus the recorder's
    senders = np.asarray(recorder.get("events")["senders"])
    spikes = len(senders)
    exact = synapses <= EXACT_EVENTS_MAX_SYNAPSES
    if exact:
        first = pop[0].global_id
        sources = np.asarray(nest.GetConnections(source=pop, target=pop).get("source"))
        out_degree = np.bincount(sources - first, minlength=a.neurons)
        counts = np.bincount(senders - first, minlength=a.neurons)
        events = float((counts * out_degree).sum())
    else:
        events = spikes * synapses / a.neurons
    ks = nest.GetKernelStatus()

emit(a, "nest", nest.__version__,
     build_s=build_s, simulate_s=simulate_s, spikes=spikes, synaptic_events=events,
     synapses=synapses, peak_rss_mb=peak_rss_mb,
     bytes_per_synapse=(rss_built - rss_before) * 1024 * 1024 / max(synapses, 1),
     synaptic_events_exact=exact, simulate_cpu_s=simulate_cpu_s,
     min_delay_ms=ks.get("min_delay"),
     neuron_model="iaf_psc_exp" if a.network == "cuba" else "iaf_cond_exp",
     recorded_spikes=spikes,
     build="nest-simulator PyPI wheel (generic x86-64 binary)")
