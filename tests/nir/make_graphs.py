"""Writes the NIR test graphs with the reference implementation (nir 1.0.8) into a directory.

Usage: python make_graphs.py OUT_DIR
"""
import sys
from pathlib import Path

import numpy as np
import nir

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
f32 = lambda *v: np.array(v, dtype=np.float32)


def cubalif(n, tau_syn=0.005, tau_mem=0.02, r=2.0, v_leak=0.0, v_th=1.0, v_reset=0.0):
    full = lambda x: np.full(n, x, dtype=np.float32)
    return nir.CubaLIF(tau_syn=full(tau_syn), tau_mem=full(tau_mem), r=full(r), v_leak=full(v_leak),
                       v_threshold=full(v_th), v_reset=full(v_reset), w_in=full(1.0))


def io(n):
    return nir.Input(input_type=np.array([n])), nir.Output(output_type=np.array([n]))


# Round-trip graphs: every node engram maps one-to-one.
i3, _ = io(3)
_, o2 = io(2)
nir.write(out / "affine_cubalif.nir", nir.NIRGraph(
    nodes={"input": i3, "affine": nir.Affine(weight=np.array([[1.0, 0.5, -0.25], [0.0, 2.0, 1.0]], dtype=np.float32),
                                               bias=f32(0.2, 0.2)),
           "lif": cubalif(2), "output": o2},
    edges=[("input", "affine"), ("affine", "lif"), ("lif", "output")]))

i2, o2 = io(2)
nir.write(out / "linear_cubali.nir", nir.NIRGraph(
    nodes={"input": i2, "linear": nir.Linear(weight=np.array([[3.0, -1.0], [0.5, 0.0]], dtype=np.float32)),
           "li": nir.CubaLI(tau_syn=f32(0.002, 0.002), tau_mem=f32(0.01, 0.01), r=f32(1.5, 1.5),
                            v_leak=f32(-0.5, -0.5), w_in=f32(1.0, 1.0)),
           "output": o2},
    edges=[("input", "linear"), ("linear", "li"), ("li", "output")]))

i2, _ = io(2)
_, o1 = io(1)
nir.write(out / "delay_cubalif.nir", nir.NIRGraph(
    nodes={"input": i2, "linear_delay": nir.Delay(delay=f32(0.0005, 0.002)),
           "linear": nir.Linear(weight=np.array([[1.5, 2.0]], dtype=np.float32)),
           "lif": cubalif(1), "output": o1},
    edges=[("input", "linear_delay"), ("linear_delay", "linear"), ("linear", "lif"), ("lif", "output")]))

# A zero bias and w_in != 1 (kept as written, not folded into the weights).
i2, o2 = io(2)
nir.write(out / "affine_zero_bias_w_in.nir", nir.NIRGraph(
    nodes={"input": i2, "affine": nir.Affine(weight=np.array([[0.7, -0.3], [0.1, 0.9]], dtype=np.float32),
                                               bias=f32(0.0, 0.0)),
           "lif": nir.CubaLIF(tau_syn=f32(0.004, 0.004), tau_mem=f32(0.015, 0.015), r=f32(1.0, 1.0),
                              v_leak=f32(0.0, 0.0), v_threshold=f32(0.5, 0.5), v_reset=f32(0.0, 0.0),
                              w_in=f32(2.5, 2.5)),
           "output": o2},
    edges=[("input", "affine"), ("affine", "lif"), ("lif", "output")]))

# Single-neuron graph for the behaviour test: one input, weight 1, CubaLIF(r=2).
i1, o1 = io(1)
nir.write(out / "single_cubalif.nir", nir.NIRGraph(
    nodes={"input": i1, "linear": nir.Linear(weight=np.array([[0.004]], dtype=np.float32)),
           "lif": cubalif(1, tau_syn=0.005, tau_mem=0.02, r=2.0, v_leak=0.0, v_th=1.0, v_reset=0.0),
           "output": o1},
    edges=[("input", "linear"), ("linear", "lif"), ("lif", "output")]))

# Nested graph: Input -> [Input -> Scale -> Linear -> CubaLIF -> Output] -> Output.
si, so = io(2)
sub = nir.NIRGraph(nodes={"input": si, "scale": nir.Scale(scale=f32(2.0, 0.5)),
                          "linear": nir.Linear(weight=np.eye(2, dtype=np.float32)),
                          "lif": cubalif(2), "output": so},
                   edges=[("input", "scale"), ("scale", "linear"), ("linear", "lif"), ("lif", "output")])
i2, o2 = io(2)
nir.write(out / "nested.nir", nir.NIRGraph(nodes={"input": i2, "block": sub, "output": o2},
                                           edges=[("input", "block"), ("block", "output")]))

# A small convolutional SNN: (1, 6, 6) spikes -> Conv2d -> CubaLIF -> SumPool2d -> Flatten ->
# Affine -> CubaLIF; and a Conv1d/AvgPool2d variant.
rng = np.random.default_rng(7)
conv_w = rng.normal(0.0, 0.02, (2, 1, 3, 3)).astype(np.float32)
fc_w = rng.normal(0.0, 0.02, (3, 8)).astype(np.float32)
inp = nir.Input(input_type=np.array([1, 6, 6]))
nodes = {"input": inp,
         "conv": nir.Conv2d(input_shape=(6, 6), weight=conv_w, stride=1, padding=0, dilation=1, groups=1,
                            bias=np.zeros(2, dtype=np.float32)),
         "lif1": cubalif(2 * 4 * 4).__class__(**{k: v.reshape(2, 4, 4) for k, v in cubalif(32).__dict__.items()
                                                  if k in ("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in")}),
         "pool": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])),
         "flat": nir.Flatten(input_type={"input": np.array([2, 2, 2])}, start_dim=0, end_dim=-1),
         "fc": nir.Linear(weight=fc_w),
         "lif2": cubalif(3), "output": nir.Output(output_type=np.array([3]))}
nir.write(out / "conv_snn.nir", nir.NIRGraph(nodes=nodes, edges=[
    ("input", "conv"), ("conv", "lif1"), ("lif1", "pool"), ("pool", "flat"), ("flat", "fc"), ("fc", "lif2"),
    ("lif2", "output")]))

# Strided, padded convolution with a (uniform) bias, then average pooling.
lif_c = cubalif(2 * 3 * 3)
nir.write(out / "conv_avgpool.nir", nir.NIRGraph(nodes={
    "input": nir.Input(input_type=np.array([1, 6, 6])),
    "conv": nir.Conv2d(input_shape=(6, 6), weight=rng.normal(0.0, 0.05, (2, 1, 3, 3)).astype(np.float32),
                       stride=2, padding=1, dilation=1, groups=1, bias=np.full(2, 0.1, np.float32)),
    "lif1": nir.CubaLIF(**{k: getattr(lif_c, k).reshape(2, 3, 3) for k in
                           ("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in")}),
    "pool": nir.AvgPool2d(kernel_size=np.array([2, 2]), stride=np.array([1, 1]), padding=np.array([0, 0])),
    "flat": nir.Flatten(input_type={"input": np.array([2, 2, 2])}, start_dim=0, end_dim=-1),
    "fc": nir.Linear(weight=rng.normal(0.0, 0.05, (3, 8)).astype(np.float32)),
    "lif2": cubalif(3), "output": nir.Output(output_type=np.array([3]))},
    edges=[("input", "conv"), ("conv", "lif1"), ("lif1", "pool"), ("pool", "flat"), ("flat", "fc"),
           ("fc", "lif2"), ("lif2", "output")]))

inp1 = nir.Input(input_type=np.array([1, 8]))
c1w = rng.normal(0.0, 0.05, (2, 1, 3)).astype(np.float32)
nir.write(out / "conv1d_avgpool.nir", nir.NIRGraph(nodes={
    "input": inp1,
    "conv": nir.Conv1d(input_shape=8, weight=c1w, stride=1, padding=1, dilation=1, groups=1,
                       bias=np.zeros(2, dtype=np.float32)),
    "lif1": cubalif(16).__class__(**{k: v.reshape(2, 8) for k, v in cubalif(16).__dict__.items()
                                     if k in ("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in")}),
    "flat": nir.Flatten(input_type={"input": np.array([2, 8])}, start_dim=0, end_dim=-1),
    "fc": nir.Linear(weight=rng.normal(0.0, 0.05, (4, 16)).astype(np.float32)),
    "li": nir.CubaLI(tau_syn=np.full(4, 0.005, np.float32), tau_mem=np.full(4, 0.02, np.float32),
                     r=np.ones(4, np.float32), v_leak=np.zeros(4, np.float32), w_in=np.ones(4, np.float32)),
    "output": nir.Output(output_type=np.array([4]))},
    edges=[("input", "conv"), ("conv", "lif1"), ("lif1", "flat"), ("flat", "fc"), ("fc", "li"), ("li", "output")]))

# The delta-current neurons, one neuron each, for the round trip and the behaviour tests.
def single(node, w=0.3):
    i1, o1 = io(1)
    return nir.NIRGraph(nodes={"input": i1, "linear": nir.Linear(weight=np.array([[w]], dtype=np.float32)),
                               "neuron": node, "output": o1},
                        edges=[("input", "linear"), ("linear", "neuron"), ("neuron", "output")])


nir.write(out / "single_lif.nir", single(nir.LIF(tau=f32(0.01), r=f32(2.0), v_leak=f32(0.0), v_threshold=f32(1.0),
                                                 v_reset=f32(0.0)), w=0.002))
nir.write(out / "single_li.nir", single(nir.LI(tau=f32(0.01), r=f32(2.0), v_leak=f32(-0.25)), w=0.002))
nir.write(out / "single_if.nir", single(nir.IF(r=f32(1.5), v_threshold=f32(1.0), v_reset=f32(-0.2)), w=0.3))
nir.write(out / "single_i.nir", single(nir.I(r=f32(1.5)), w=0.3))

# The pulse convention of the discrete-time libraries (engram import --spike-width 1e-4: a spike
# is a 1 held for one 0.1 ms step), for LI and I, which neither Norse nor snnTorch imports.
nir.write(out / "pulse_li.nir", single(nir.LI(tau=f32(0.01), r=f32(2.0), v_leak=f32(-0.25)), w=20.0))
nir.write(out / "pulse_i.nir", single(nir.I(r=f32(1.5)), w=3000.0))

# Unmappable: a Threshold node (a Heaviside of a continuous value, not a spike event).
i1, o1 = io(1)
nir.write(out / "threshold_unmapped.nir", nir.NIRGraph(
    nodes={"input": i1, "linear": nir.Linear(weight=np.ones((1, 1), dtype=np.float32)),
           "heaviside": nir.Threshold(threshold=f32(1.0)), "output": o1},
    edges=[("input", "linear"), ("linear", "heaviside"), ("heaviside", "output")]))
print("wrote", len(list(out.glob("*.nir"))), "graphs")
