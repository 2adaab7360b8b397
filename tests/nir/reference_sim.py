"""Reference simulations of NIR graphs by the SNN libraries that import or export NIR, for
tests/cli_nir_torch.rs (docs/NIR.md, "Behaviour against Norse and snnTorch").

Usage: python reference_sim.py OUT_DIR

Writes into OUT_DIR, for each case, the graph (CASE.nir, written by `nir`) and the library's
simulation of it (CASE.json):

- lif, cubalif, if: Input(2) -> Linear -> NODE(6) -> Output, simulated by Norse's own importer
  (`norse.torch.from_nir`, dt = 1e-4 s) on a fixed input spike train: per step the state after
  the step (`v`, and the synaptic current `i` of CubaLIF) and the spikes. Norse and snnTorch have
  no importer for LI, CubaLI or I (tests/cli_nir.rs checks those against the analytic solution).
  Parameters are those Norse implements as NIR defines them: LIF with r = 1 (Norse ignores r),
  IF with r = 1/dt (Norse adds the input to v without dt or r), v_leak = 0 (Norse's CubaLIF
  synapse also leaks to v_leak).
- conv_snntorch: Conv2d -> Leaky -> AvgPool2d -> Flatten -> Linear -> Leaky built in snnTorch
  (1x8x8 input, 4 channels, 10 outputs, seed 3), exported by snnTorch's own `export_to_nir`, and
  snnTorch's simulation of the same model on a fixed input spike train: the output spikes per
  step.

Input spikes are given as the steps (from 1) at which each input neuron spikes; a spike is a 1
held for one step, the libraries' convention (engram: --spike-width = dt).
"""
import json
import sys
from pathlib import Path

import nir
import numpy as np
import torch

DT = 1e-4
STEPS = 400

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
torch.set_default_dtype(torch.float64)


def f32(*v):
    return np.array(v, dtype=np.float32)


def input_train(rng, n_inputs, rate):
    """Bernoulli spikes per step, none at step 0: (STEPS, n_inputs) of 0/1."""
    train = (rng.random((STEPS, n_inputs)) < rate).astype(np.float64)
    train[0] = 0.0
    return train


def steps_of(train):
    return [np.flatnonzero(train[:, k]).tolist() for k in range(train.shape[1])]


def single_node_graph(node, weight):
    n_out, n_in = weight.shape
    return nir.NIRGraph(
        nodes={"input": nir.Input(input_type=np.array([n_in])),
               "linear": nir.Linear(weight=weight.astype(np.float32)),
               "neuron": node, "output": nir.Output(output_type=np.array([n_out]))},
        edges=[("input", "linear"), ("linear", "neuron"), ("neuron", "output")])


def simulate_norse(name, graph, train, params):
    import norse.torch

    nir.write(out / f"{name}.nir", graph)
    # Simulate what nir.read gives back, the file engram reads.
    module = norse.torch.from_nir(nir.read(out / f"{name}.nir"), dt=DT, ignore_warnings=True).double()
    state, v, i, spikes = None, [], [], []
    for step in range(STEPS):
        z, state = module(torch.from_numpy(train[step]), state)
        neuron = state.state["neuron"][0]
        if not hasattr(neuron, "v"):  # CubaLIF: (synapse state, membrane state)
            i.append(neuron[0].v.tolist())
            neuron = neuron[1]
        v.append(neuron.v.tolist())
        spikes.append(z.tolist())
    # The input of each step, W·s(n): a pulse of this height lasting the step.
    x = (train @ graph.nodes["linear"].weight.astype(np.float64).T).tolist()
    result = {"dt_s": DT, "steps": STEPS, "input_steps": steps_of(train), "v": v, "x": x,
              "spikes": spikes, **params}
    if i:
        result["i"] = i
    (out / f"{name}.json").write_text(json.dumps(result))


rng = np.random.default_rng(11)
n = 6
weight = np.round(rng.uniform(-0.5, 2.0, (n, 2)), 2)

# LIF: tau = 5 ms, so h = dt/tau = 0.02; a pulse of weight w raises v by h*w.
tau, theta = 0.005, 0.06
simulate_norse("lif", single_node_graph(
    nir.LIF(tau=np.full(n, tau, np.float32), r=np.ones(n, np.float32), v_leak=np.zeros(n, np.float32),
            v_threshold=np.full(n, theta, np.float32), v_reset=np.zeros(n, np.float32)), weight),
    input_train(rng, 2, 0.25), {"tau_s": float(np.float32(tau)), "v_threshold": float(np.float32(theta))})

# IF: r = 1/dt, so a pulse of weight w raises v by r*w*dt = w, as Norse's v += x.
theta = 2.95
simulate_norse("if", single_node_graph(
    nir.IF(r=np.full(n, 1.0 / DT, np.float32), v_threshold=np.full(n, theta, np.float32),
           v_reset=np.zeros(n, np.float32)), weight),
    input_train(rng, 2, 0.25), {"v_threshold": theta})

# CubaLIF: tau_syn = 5 ms (h_syn = 0.02), tau_mem = 10 ms (h_mem = 0.01), r = 1, w_in = 1.
tau_syn, tau_mem = 0.005, 0.01
cubalif_train = input_train(rng, 2, 0.3)
for name, theta in (("cubalif", 0.25), ("cubalif_subthreshold", 1e6)):
    simulate_norse(name, single_node_graph(
        nir.CubaLIF(tau_syn=np.full(n, tau_syn, np.float32), tau_mem=np.full(n, tau_mem, np.float32),
                    r=np.ones(n, np.float32), v_leak=np.zeros(n, np.float32),
                    v_threshold=np.full(n, theta, np.float32), v_reset=np.zeros(n, np.float32),
                    w_in=np.ones(n, np.float32)), weight),
        cubalif_train,
        {"tau_syn_s": float(np.float32(tau_syn)), "tau_s": float(np.float32(tau_mem)), "r": 1.0,
         "v_threshold": theta})


def conv_snntorch():
    import snntorch as snn
    from snntorch.export_nir import export_to_nir

    torch.manual_seed(3)
    # Per-neuron beta and threshold: with scalars the exporter writes shapeless LIF nodes that
    # nir's type inference rejects.
    beta, shape1 = 0.99, (4, 8, 8)

    def leaky(shape, **kw):
        return snn.Leaky(beta=torch.full(shape, beta), threshold=torch.ones(shape), init_hidden=True,
                         reset_mechanism="zero", reset_delay=False, **kw)

    with torch.no_grad():
        net = torch.nn.Sequential(
            torch.nn.Conv2d(1, 4, 3, padding=1, bias=False), leaky(shape1),
            torch.nn.AvgPool2d(2), torch.nn.Flatten(),
            torch.nn.Linear(64, 10, bias=False), leaky((10,), output=True)).float()
        net[0].weight.mul_(4.0)
        net[4].weight.mul_(6.0)
        graph = export_to_nir(net, torch.zeros(1, 1, 8, 8, dtype=torch.float32), ignore_dims=[0])
        nir.write(out / "conv_snntorch.nir", graph)
        train = input_train(np.random.default_rng(5), 64, 0.2)
        utils = __import__("snntorch.utils", fromlist=["reset"])
        utils.reset(net)
        spikes = []
        for step in range(STEPS):
            x = torch.from_numpy(train[step]).float().reshape(1, 1, 8, 8)
            spk, _ = net(x)
            spikes.append(spk.reshape(10).tolist())
    (out / "conv_snntorch.json").write_text(json.dumps(
        {"dt_s": DT, "steps": STEPS, "input_steps": steps_of(train), "spikes": spikes,
         "beta": beta, "layers": 2}))


conv_snntorch()
print("wrote", len(list(out.glob("*.json"))), "reference simulations")
