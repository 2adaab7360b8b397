"""Checks with nir.read that two NIR files hold the same graph: node names and types, every
parameter (the same element type and exactly the same values), the set of edges, and the same of
every nested graph. Exit 1 with the differences otherwise.

Usage: python compare.py ORIGINAL.nir EXPORTED.nir
"""
import sys

import numpy as np
import nir


def differences(a, b, prefix=""):
    problems = []
    if set(a.nodes) != set(b.nodes):
        problems.append(f"{prefix}nodes {sorted(a.nodes)} != {sorted(b.nodes)}")
    for name in sorted(set(a.nodes) & set(b.nodes)):
        x, y = a.nodes[name], b.nodes[name]
        if type(x) is not type(y):
            problems.append(f"{prefix}{name}: {type(x).__name__} != {type(y).__name__}")
            continue
        if isinstance(x, nir.NIRGraph):
            problems += differences(x, y, f"{prefix}{name}.")
            continue
        dx, dy = x.to_dict(), y.to_dict()
        for key in sorted(set(dx) | set(dy)):
            if key in ("type", "metadata", "input_type", "output_type"):
                continue
            vx, vy = np.asarray(dx.get(key)), np.asarray(dy.get(key))
            if vx.shape != vy.shape or vx.dtype != vy.dtype or not np.array_equal(vx, vy):
                problems.append(f"{prefix}{name}.{key}: {vx.dtype} {vx.tolist()} != {vy.dtype} {vy.tolist()}")
    if sorted(a.edges) != sorted(b.edges):
        problems.append(f"{prefix}edges {sorted(a.edges)} != {sorted(b.edges)}")
    return problems


a, b = nir.read(sys.argv[1]), nir.read(sys.argv[2])
problems = differences(a, b)
if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"equal: {len(a.nodes)} nodes, {len(a.edges)} edges")
