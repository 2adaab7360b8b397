#!/usr/bin/env python3
"""Compares two sets of microcircuit run directories (e.g. engram and NEST seeds, or the
SpiNNaker board and the CPU) with `engram analyse`: per population, each set's mean rate over
its seeds, and the mean Kolmogorov-Smirnov distance of the rate, ISI CV and spike-count
correlation distributions over all cross pairs (A-B) beside the pairs within each set (B-B,
A-A). Prints markdown tables and writes the numbers as JSON (--json).

    python3 bench/peers/microcircuit_compare.py --from 500 --reference full \\
        --json bench/peers/results/microcircuit-fullscale.json \\
        engram 'runs/mc-full/engram-*' nest 'runs/mc-full/nest-*'

A verdict per population and statistic: "yes" when mean KS(A-B) <= mean KS(B-B); "within
3 SE" when it exceeds it by at most three standard errors of the B-B pairs' mean (the
criterion of tests/microcircuit_statistics.rs); "no" otherwise. Last, per population and
statistic, the difference of the two sets' seed means in standard errors: a shift between the
simulators that is systematic grows there with more seeds, one of sampling does not.
"""
import argparse
import glob
import itertools
import json
import math
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENGRAM = os.path.join(ROOT, "target", "release", "engram")
STATS = [("rate", "rate"), ("cv", "ISI CV"), ("cc", "correlation")]
# network_params.py full_mean_rates, and the older NEST example's rates (Hz).
REFERENCE_RATES = {
    "full": ([0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829],
             [0.971, 2.868, 4.746, 5.396, 8.142, 9.078, 0.991, 7.523]),
}


def analyse(run, window, against=None):
    cmd = [ENGRAM, "analyse", run] + window + (["--against", against] if against else [])
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(os.path.join(run, "analysis.json")) as f:
        return json.load(f)


def mean_se(values):
    v = [x for x in values if x is not None and not math.isnan(x)]
    if not v:
        return None, None, 0
    m = sum(v) / len(v)
    if len(v) < 2:
        return m, None, len(v)
    sd = math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1))
    return m, sd / math.sqrt(len(v)), len(v)


def ks_pairs(pairs, window):
    """Per population and statistic, the KS distances of every pair."""
    out = {}
    for a, b in pairs:
        for row in analyse(a, window, b)["against"]["ks"]:
            for key, _ in STATS:
                out.setdefault(row["population"], {}).setdefault(key, []).append(row[key])
    return out


def seed_mean_difference(row, na, nb, key, n_a, n_b):
    """The difference of two sets' seed means and its size in standard errors (None if a set's
    SD is unknown or both are 0)."""
    ma, mb = row[f"{na}_{key}_mean"], row[f"{nb}_{key}_mean"]
    sa, sb = row[f"{na}_{key}_sd_over_seeds"], row[f"{nb}_{key}_sd_over_seeds"]
    if None in (ma, mb):
        return None, None
    se = None if None in (sa, sb) else math.sqrt(sa ** 2 / n_a + sb ** 2 / n_b)
    return ma - mb, (ma - mb) / se if se else None


def fmt(x, digits=3):
    return "–" if x is None else f"{x:.{digits}f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--from", dest="from_ms", type=float, default=500.0)
    ap.add_argument("--to", dest="to_ms", type=float)
    ap.add_argument("--reference", choices=sorted(REFERENCE_RATES),
                    help="print the reference's rates beside the measured ones")
    ap.add_argument("--json", help="write the numbers here")
    ap.add_argument("name_a")
    ap.add_argument("glob_a")
    ap.add_argument("name_b")
    ap.add_argument("glob_b")
    a = ap.parse_args()
    runs_a, runs_b = sorted(glob.glob(a.glob_a)), sorted(glob.glob(a.glob_b))
    runs_a = [r for r in runs_a if os.path.isdir(r)]
    runs_b = [r for r in runs_b if os.path.isdir(r)]
    if len(runs_a) < 2 or len(runs_b) < 2:
        sys.exit(f"need at least two run directories in each set: {a.glob_a} matched "
                 f"{len(runs_a)}, {a.glob_b} matched {len(runs_b)}")
    window = ["--from", str(a.from_ms)] + (["--to", str(a.to_ms)] if a.to_ms else [])

    summaries = {}
    for run in runs_a + runs_b:
        summaries[run] = {p["name"]: p for p in analyse(run, window)["populations"]}
    pops = list(summaries[runs_a[0]])
    ks = {
        "a_b": ks_pairs(itertools.product(runs_a, runs_b), window),
        "b_b": ks_pairs(itertools.combinations(runs_b, 2), window),
        "a_a": ks_pairs(itertools.combinations(runs_a, 2), window),
    }

    na, nb = a.name_a, a.name_b
    print(f"{na}: {', '.join(runs_a)}; {nb}: {', '.join(runs_b)}; window from "
          f"{a.from_ms} ms{' to ' + str(a.to_ms) + ' ms' if a.to_ms else ''}\n")
    ref = REFERENCE_RATES.get(a.reference)
    head = f"| population | {na} rate (Hz) | {nb} rate (Hz) |"
    head += " reference (Hz) |" if ref else ""
    head += f" {na} ISI CV | {nb} ISI CV | {na} correlation | {nb} correlation |"
    print(head)
    print("|" + " --- |" * (head.count("|") - 1))
    result = {"a": {"name": na, "runs": runs_a}, "b": {"name": nb, "runs": runs_b},
              "window": window, "populations": []}
    for i, pop in enumerate(pops):
        row = {"population": pop}
        cells = [pop]
        for key in ["rate_hz", "cv", "cc"]:
            for name, runs in [(na, runs_a), (nb, runs_b)]:
                m, se, n = mean_se([summaries[r][pop][key]["mean"] for r in runs])
                sd = None if se is None else se * math.sqrt(n)
                row[f"{name}_{key}_mean"], row[f"{name}_{key}_sd_over_seeds"] = m, sd
                cells.append(f"{fmt(m)} ± {fmt(sd)}")
            if key == "rate_hz" and ref:
                cells.append(f"{ref[0][i]} ({ref[1][i]})")
        print("| " + " | ".join(cells) + " |")
        result["populations"].append(row)

    print(f"\nKS distances: mean over the {na}–{nb} pairs / mean ± SE over the {nb}–{nb} "
          f"pairs (and {na}–{na}); verdict: {na}–{nb} ≤ {nb}–{nb}\n")
    head = "| population |" + "".join(f" KS {label} {na}–{nb} / {nb}–{nb} ({na}–{na}) | ≤ ? |"
                                      for _, label in STATS)
    print(head)
    print("|" + " --- |" * (head.count("|") - 1))
    verdicts = {"yes": 0, "within 3 SE": 0, "no": 0}
    for row in result["populations"]:
        pop = row["population"]
        cells = [pop]
        for key, _ in STATS:
            ab, _, n_ab = mean_se(ks["a_b"][pop][key])
            bb, bb_se, n_bb = mean_se(ks["b_b"][pop][key])
            aa, _, _ = mean_se(ks["a_a"][pop][key])
            if ab is None or bb is None:
                verdict = "no"  # an empty distribution is not a match
            elif ab <= bb:
                verdict = "yes"
            elif bb_se is not None and ab <= bb + 3 * bb_se:
                verdict = "within 3 SE"
            else:
                verdict = "no"
            verdicts[verdict] += 1
            row[f"ks_{key}"] = {"a_b": ks["a_b"][pop][key], "b_b": ks["b_b"][pop][key],
                                "a_a": ks["a_a"][pop][key], "verdict": verdict}
            cells += [f"{fmt(ab)} / {fmt(bb)} ± {fmt(bb_se)} ({fmt(aa)})", verdict]
        print("| " + " | ".join(cells) + " |")
    print(f"\nverdicts: {verdicts}")
    result["verdicts"] = verdicts

    print(f"\nSeed means: {na} − {nb} of the per-seed population means, and that difference in "
          f"standard errors (Welch: √(SD_a²/n_a + SD_b²/n_b), SDs over seeds)\n")
    head = "| population |" + "".join(f" {label} {na} − {nb} | in SE |" for _, label in
                                      [("rate_hz", "rate (Hz)"), ("cv", "ISI CV"),
                                       ("cc", "correlation")])
    print(head)
    print("|" + " --- |" * (head.count("|") - 1))
    for row in result["populations"]:
        cells = [row["population"]]
        for key in ["rate_hz", "cv", "cc"]:
            diff, z = seed_mean_difference(row, na, nb, key, len(runs_a), len(runs_b))
            row[f"{key}_seed_mean_difference"], row[f"{key}_seed_mean_difference_se"] = diff, z
            cells += [fmt(diff, 4), fmt(z, 1)]
        print("| " + " | ".join(cells) + " |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
