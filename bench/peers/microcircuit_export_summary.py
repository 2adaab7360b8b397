#!/usr/bin/env python3
"""Summarises an `engram export spinnaker` report of the microcircuit as markdown: the machine,
cores, routing tables, and per population (neuron cores and their delay extensions) the
estimated load against the real-time budget, so docs/MICROCIRCUIT.md's SpiNNaker numbers come
from one command. --json writes the same numbers.

    engram export spinnaker examples/microcircuit.toml --machine 24x24 \\
        --fixed-neurons-per-core --rate 3.24 --out runs/mc-export
    python3 bench/peers/microcircuit_export_summary.py runs/mc-export
"""
import argparse
import json
import os


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("export_dir")
    ap.add_argument("--json", help="write the summary here")
    a = ap.parse_args()
    with open(os.path.join(a.export_dir, "report.json")) as f:
        report = json.load(f)
    s = report["summary"]
    print("| | |\n| --- | --- |")
    print(f"| machine | {s['machine']}: {s['boards_in_machine']} boards, "
          f"{s['chips_in_machine']} chips; {s['boards_needed']} board(s) needed |")
    print(f"| chips, cores | {s['chips_used']} chips; {s['cores_used']} cores: "
          f"{s['neuron_cores']} neuron, {s['delay_extension_cores']} delay extension |")
    print(f"| router entries | {s['entries_uncompressed']} → {s['entries_compressed']}; largest "
          f"table {s['max_table_uncompressed']} → {s['max_table']} (of 1023) |")
    print(f"| keys verified hop by hop | {s['keys_verified']} |")
    print(f"| real time at {s['assumed_rate_hz']} Hz | budget {s['budget_cycles_per_tick']:.0f} "
          f"cycles per step; {s['cores_missing_real_time']} of {s['cores_used']} cores miss "
          f"it; worst load {s['max_core_load']:.2f} × the budget |")
    print()
    print("| population | kind | cores | missing real time | load min / max (× budget) "
          "| packets in / step | synaptic events / step |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    groups = {}
    for c in report["cores"]:
        groups.setdefault(c["label"].split(":")[0], []).append(c)
    rows = []
    for label, cores in groups.items():
        loads = [c["load"] for c in cores]
        row = {"population": label, "kind": cores[0]["kind"], "cores": len(cores),
               "missing": sum(l > 1.0 for l in loads), "load_min": min(loads),
               "load_max": max(loads),
               "packets_in_max": max(c["packets_in_per_tick"] for c in cores),
               "events_max": max(c["events_per_tick"] for c in cores)}
        rows.append(row)
        # The report counts packets and events on neuron cores only.
        traffic = (f"≤ {row['packets_in_max']:.0f} | ≤ {row['events_max']:.0f}"
                   if row["kind"] == "neuron" else "– | –")
        print(f"| {label} | {row['kind']} | {row['cores']} | {row['missing']} | "
              f"{row['load_min']:.2f} / {row['load_max']:.2f} | {traffic} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"summary": s, "populations": rows}, f, indent=1)


if __name__ == "__main__":
    main()
