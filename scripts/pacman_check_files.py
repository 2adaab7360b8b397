#!/usr/bin/env python3
"""Check `engram export spinnaker` placements and machine files with PACMAN's and SpiNNMachine's
own code: both validate against PACMAN's JSON schemas, the machine file loads with
`machine_from_json`, and its chips (cores, Ethernet chip, dead links, IP address) equal those of
SpiNNMachine's own virtual machine of the same size. Exit 0 and print "files: OK" when all hold.

usage: pacman_check_files.py EXPORT_DIR VERSION WIDTH HEIGHT [DOWN_CHIPS]
  VERSION 3 or 5; DOWN_CHIPS as SpiNNMachine's [Machine] down_chips, e.g. "2,2:3,4"
"""
import json
import sys

from spinn_utilities.config_holder import set_config
from spinn_machine import virtual_machine
from spinn_machine.json_machine import machine_from_json, to_json
from pacman.config_setup import unittest_setup
from pacman.data.pacman_data_writer import PacmanDataWriter
from pacman.utilities import file_format_schemas


def main():
    out, version, width, height = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    unittest_setup()
    set_config("Machine", "version", version)
    if len(sys.argv) > 5:
        set_config("Machine", "down_chips", sys.argv[5])
    with open(out + "/placements.json", encoding="utf-8") as f:
        placements = json.load(f)
    file_format_schemas.validate(placements, "placements.json")
    with open(out + "/machine.json", encoding="utf-8") as f:
        ours = json.load(f)
    file_format_schemas.validate(ours, "machine.json")
    machine = machine_from_json(out + "/machine.json")
    cores = {(p["x"], p["y"], p["p"]) for p in placements}
    assert len(cores) == len(placements), "two slices on one core"
    for x, y, p in cores:
        chip = machine.get_chip_at(x, y)
        assert chip is not None and 0 < p < chip.n_processors, (x, y, p)

    writer = PacmanDataWriter.mock()
    writer.set_machine(virtual_machine(width, height))
    ref = to_json()
    for key in ("width", "height", "root", "standardResources", "ethernetResources"):
        assert ours[key] == ref[key], (key, ours[key], ref[key])
    mine = {(c[0], c[1]): c[2] for c in ours["chips"]}
    theirs = {(c[0], c[1]): c[2] for c in ref["chips"]}
    assert set(mine) == set(theirs), sorted(set(mine) ^ set(theirs))
    bad = [(k, mine[k], t) for k, t in theirs.items()
           if {**mine[k], "deadLinks": sorted(mine[k].get("deadLinks", []))}
           != {**t, "deadLinks": sorted(t.get("deadLinks", []))}]
    for k, o, t in bad[:5]:
        print("chip", k, "ours", o, "SpiNNMachine", t)
    print(f"placements: {len(placements)} cores; machine: {machine.n_chips} chips; "
          f"{len(bad)} chips differ from SpiNNMachine's virtual_machine({width}, {height})")
    if bad:
        return 1
    print("files: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
