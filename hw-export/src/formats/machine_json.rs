//! SpiNNMachine machine JSON (`machine.json` schema, spec §3.3).

use crate::machine::{Chip, Machine, SPINN5_CHIPS};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The Ethernet chip of every chip's board. One SpiNN-5 board, SpiNN-3 and test tori have one
/// Ethernet chip, (0, 0); a multi-board torus of triads has one per board at `x % 4 == 0` and
/// `(x + y) % 12 == 0`, and a chip belongs to the board whose 48-chip outline holds its offset.
pub fn ethernet_of(machine: &Machine, chip: Chip) -> Chip {
    let triads = machine.wrap_x
        && machine.wrap_y
        && machine.width.is_multiple_of(12)
        && machine.height.is_multiple_of(12);
    if !triads {
        return (0, 0);
    }
    let board: BTreeSet<(u32, u32)> = SPINN5_CHIPS.iter().map(|&(x, y, _)| (x, y)).collect();
    let (w, h) = (machine.width, machine.height);
    for ex in (0..w).step_by(4) {
        for ey in 0..h {
            if (ex + ey) % 12 != 0 {
                continue;
            }
            let local = ((chip.0 + w - ex) % w, (chip.1 + h - ey) % h);
            if board.contains(&local) {
                return (ex, ey);
            }
        }
    }
    (0, 0)
}

/// The machine as SpiNNMachine's `to_json` writes it: one monitor per chip (the only value
/// `machine_from_json` accepts), 1023 router entries and PACMAN's SDRAM figure, dead links
/// listed per chip (links that lead off the machine, to a dead chip or are dead themselves;
/// the key is left out when there are none, as SpiNNMachine does).
pub fn machine_json(machine: &Machine) -> String {
    let root = machine.chips().next().map_or((0, 0), |(&c, _)| c);
    let resources = |tags: Vec<u32>| {
        json!({
            "monitors": 1,
            "routerEntries": crate::machine::ROUTER_ENTRIES,
            "sdram": crate::machine::SDRAM_PER_CHIP,
            "tags": tags,
        })
    };
    let chips: Vec<Value> = machine
        .chips()
        .map(|(&(x, y), info)| {
            let eth = ethernet_of(machine, (x, y));
            let dead: Vec<u8> = (0..6)
                .filter(|&l| machine.neighbour((x, y), l).is_none())
                .collect();
            let mut details = json!({
                "cores": info.n_cores,
                "ethernet": [eth.0, eth.1],
            });
            if !dead.is_empty() {
                details["deadLinks"] = json!(dead);
            }
            if eth == (x, y) {
                details["ipAddress"] = json!(format!("127.0.{x}.{y}"));
            }
            json!([x, y, details])
        })
        .collect();
    let doc = json!({
        "height": machine.height,
        "width": machine.width,
        "root": [root.0, root.1],
        "standardResources": resources(vec![]),
        "ethernetResources": resources((1..=7).collect()),
        "chips": chips,
    });
    serde_json::to_string(&doc).expect("plain data")
}
