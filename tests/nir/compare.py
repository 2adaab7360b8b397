"""Checks with nir.read that two NIR files hold the same graph: node names and types, every
parameter (float32 tolerance) and the set of edges. Exit 1 with the differences otherwise.

Usage: python compare.py ORIGINAL.nir EXPORTED.nir
"""
import sys

import numpy as np
import nir

a, b = nir.read(sys.argv[1]), nir.read(sys.argv[2])
problems = []
if set(a.nodes) != set(b.nodes):
    problems.append(f"nodes {sorted(a.nodes)} != {sorted(b.nodes)}")
for name in sorted(set(a.nodes) & set(b.nodes)):
    x, y = a.nodes[name], b.nodes[name]
    if type(x) is not type(y):
        problems.append(f"{name}: {type(x).__name__} != {type(y).__name__}")
        continue
    for key, vx in x.to_dict().items():
        vy = y.to_dict().get(key)
        if key in ("type", "metadata", "input_type", "output_type"):
            continue
        vx, vy = np.asarray(vx), np.asarray(vy)
        if vx.shape != vy.shape or not np.allclose(vx, vy, rtol=1e-6, atol=1e-9, equal_nan=False):
            problems.append(f"{name}.{key}: {vx.tolist()} != {vy.tolist()}")
if sorted(a.edges) != sorted(b.edges):
    problems.append(f"edges {sorted(a.edges)} != {sorted(b.edges)}")
if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"equal: {len(a.nodes)} nodes, {len(a.edges)} edges")
