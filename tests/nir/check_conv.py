"""Checks the connectivity `engram import nir` wrote for a convolutional graph against numpy's
own evaluation of the NIR nodes (sliding windows, PyTorch semantics): for each projection, the
dense matrix from the model file's conn_list (undoing CubaLIF's w_in/tau_syn scaling) must equal
the stateless chain applied to every unit input.

Usage: python check_conv.py GRAPH.nir MODEL.toml  (the graph is tests/nir/make_graphs.py's
conv_snn.nir or conv1d_avgpool.nir)
"""
import sys
import tomllib

import numpy as np
import nir
from numpy.lib.stride_tricks import sliding_window_view

graph = nir.read(sys.argv[1])
model = tomllib.load(open(sys.argv[2], "rb"))


def conv(node, x):
    """PyTorch Conv1d/Conv2d (groups = 1) on one sample x of shape (C, *spatial)."""
    w = node.weight
    dims = w.ndim - 2
    pad = np.broadcast_to(np.asarray(node.padding), (dims,))
    stride = np.broadcast_to(np.asarray(node.stride), (dims,))
    x = np.pad(x, [(0, 0)] + [(int(p), int(p)) for p in pad])
    win = sliding_window_view(x, w.shape[2:], axis=tuple(range(1, dims + 1)))
    win = win[(slice(None),) + tuple(slice(None, None, int(s)) for s in stride)]
    letters = "yx"[-dims:] if dims == 2 else "x"
    k = "ab"[:dims]
    out = np.einsum(f"c{letters}{k},oc{k}->o{letters}", win, w)
    return out + node.bias.reshape((-1,) + (1,) * dims)


def pool(node, x):
    k, s = np.asarray(node.kernel_size), np.asarray(node.stride)
    win = sliding_window_view(x, tuple(k), axis=(1, 2))[:, :: s[0], :: s[1]]
    out = win.sum(axis=(-1, -2))
    return out / k.prod() if isinstance(node, nir.AvgPool2d) else out


def apply(name, x):
    node = graph.nodes[name]
    if isinstance(node, (nir.Conv1d, nir.Conv2d)):
        return conv(node, x)
    if isinstance(node, (nir.SumPool2d, nir.AvgPool2d)):
        return pool(node, x)
    if isinstance(node, nir.Flatten):
        return x.reshape(-1)
    if isinstance(node, (nir.Linear, nir.Affine)):
        return node.weight @ x.reshape(-1)
    raise ValueError(f"{name}: {type(node).__name__}")


def chain(src, dst):
    """The stateless nodes on the path src -> ... -> dst."""
    succ = {}
    for a, b in graph.edges:
        succ.setdefault(a, []).append(b)
    path, at = [], succ[src][0]
    while at != dst:
        path.append(at)
        at = succ[at][0]
    return path


def source_shape(name):
    node = graph.nodes[name]
    if isinstance(node, nir.Input):
        return tuple(node.input_type["input"])
    return node.tau_mem.shape


checked = 0
for key, proj in model.get("projections", {}).items():
    if key.endswith("__inh"):
        continue
    pre, post = proj["pre"], proj["post"]
    shape, target = source_shape(pre), graph.nodes[post]
    n_pre, n_post = int(np.prod(shape)), target.tau_mem.size
    expected = np.zeros((n_post, n_pre))
    for i in range(n_pre):
        x = np.zeros(n_pre)
        x[i] = 1.0
        x = x.reshape(shape)
        for name in chain(pre, post):
            x = apply(name, x)
        # The bias is not a weight: take it out (the chain is affine).
        expected[:, i] = np.asarray(x).reshape(-1)
    zero = np.zeros(shape)
    for name in chain(pre, post):
        zero = apply(name, zero)
    expected -= np.asarray(zero).reshape(-1)[:, None]
    scale = (target.w_in / target.tau_syn).reshape(-1)
    got = np.zeros((n_post, n_pre))
    for other in (key, key + "__inh"):
        for row in model["projections"].get(other, {}).get("connector", {}).get("conn_list", []):
            got[int(row[1]), int(row[0])] += row[2] / scale[int(row[1])]
    if not np.allclose(got, expected, rtol=1e-6, atol=1e-9):
        print(f"{key}: max difference {np.abs(got - expected).max()}")
        sys.exit(1)
    checked += 1
print(f"equal: {checked} projections")
