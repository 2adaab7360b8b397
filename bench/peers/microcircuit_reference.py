#!/usr/bin/env python3
"""Writes the NEST reference statistics of the reduced-scale microcircuit that
`tests/microcircuit_statistics.rs` compares engram with: NEST 3.10 runs of
`nest_microcircuit.py` (scale 0.1, full in-degrees, DC drive, 500 ms presimulation, 2 s
recorded) for seeds 1 to 4, each analysed by `engram analyse` (rates, ISI CVs, 2 ms spike-count
correlations of the first 50 neurons per population), condensed to
tests/data/microcircuit_nest/seed-N.json (values to 6 significant digits).

    bash bench/peers/setup.sh && cargo build --release
    target/peers/nest/bin/python bench/peers/microcircuit_reference.py
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "tests", "data", "microcircuit_nest")
WORK = os.path.join(ROOT, "target", "microcircuit_nest")
SCALE, PRESIM_MS, SECONDS, SEEDS = 0.1, 500.0, 2.0, [1, 2, 3, 4]


def short(values):
    return [float(f"{v:.6g}") for v in values]


def main():
    os.makedirs(OUT, exist_ok=True)
    engram = os.path.join(ROOT, "target", "release", "engram")
    for seed in SEEDS:
        run = os.path.join(WORK, f"seed-{seed}")
        line = subprocess.run(
            [sys.executable, os.path.join(HERE, "nest_microcircuit.py"), "--scale", str(SCALE),
             "--seed", str(seed), "--presim", str(PRESIM_MS), "--seconds", str(SECONDS),
             "--out", run], check=True, capture_output=True, text=True).stdout
        subprocess.run([engram, "analyse", run, "--from", str(PRESIM_MS)], check=True,
                       capture_output=True)
        with open(os.path.join(run, "analysis.json")) as f:
            analysis = json.load(f)
        with open(os.path.join(run, "run.json")) as f:
            setup = json.load(f)
        condensed = {
            "simulator": setup["simulator"], "seed": seed, "scale": SCALE, "k_scale": 1.0,
            "background": "dc", "presim_ms": PRESIM_MS, "seconds": SECONDS,
            "synapses": setup["synapses"], "window": analysis["window"],
            "populations": [{"name": p["name"], "size": p["size"], "rates": short(p["rates"]),
                             "cvs": short(p["cvs"]), "ccs": short(p["ccs"])}
                            for p in analysis["populations"]],
        }
        with open(os.path.join(OUT, f"seed-{seed}.json"), "w") as f:
            json.dump(condensed, f, separators=(",", ":"))
        print(f"seed {seed}: {json.loads(line)['mean_rate_hz']:.3f} Hz", flush=True)


if __name__ == "__main__":
    main()
