//! The run report's counts against the network itself: every spike of a population with
//! targets is one packet, delivered once to each core the mapping says it has synapses on, and
//! its synaptic events are exactly its synapses in the network's lists.

use backends::spinnaker::Board;
use hw_export::machine::Machine;
use networks::ca3::{self, Ca3Size, Protocol};
use sim_core::MemoryObserver;

#[test]
fn packets_deliveries_and_synaptic_events_add_up() {
    let size = Ca3Size {
        cues: 5,
        content_bits: 10,
    };
    let mut p = Protocol::new(size, 10);
    p.learn(0, [0, 1, 8, 9]).unwrap();
    p.learn(3, [4, 5, 6]).unwrap();
    p.recall_by_cue(0).unwrap();
    p.recall_by_content([5]).unwrap();
    let (memory, steps) = ca3::prepare(size, p.schedule(), 0, 0).unwrap();
    let net = &memory.network;
    let machine = Machine::spinn5().with_monitor_cores(16);
    let mut board = Board::new(net, &machine, "spinn5").unwrap();
    let mut obs = MemoryObserver::default();
    board.run_until(steps, &mut obs).unwrap();
    let r = board.report();
    let m = board.mapping();
    assert!(r.ok);

    // Out-degree of every (population, neuron), and whether its slice sends at all.
    let mut fan_out: Vec<Vec<u64>> = net
        .populations
        .iter()
        .map(|p| vec![0; p.size as usize])
        .collect();
    for proj in &net.projections {
        for (i, _, _, _) in proj.synapses.iter() {
            fan_out[proj.pre][i as usize] += 1;
        }
    }
    let (mut sent, mut delivered, mut events) = (0u64, 0u64, 0u64);
    for (pop, spikes) in obs.spikes.iter().enumerate() {
        for &(_, n) in spikes {
            let s = m.slice_of(pop, n).unwrap();
            if m.targets[s].is_empty() {
                continue;
            }
            sent += 1;
            delivered += m.targets[s].len() as u64;
            events += fan_out[pop][n as usize];
        }
    }
    assert!(sent > 100);
    assert_eq!(r.packets.sent, sent);
    assert_eq!(r.packets.delivered, delivered);
    assert_eq!(
        r.cores.iter().map(|c| c.synaptic_events).sum::<u64>(),
        events
    );
    assert_eq!(
        r.cores.iter().map(|c| c.packets_received).sum::<u64>(),
        delivered
    );
    // The plastic events are the synapses of the two plastic projections' pre spikes.
    let plastic: u64 = [memory.cue_to_content, memory.content_to_cue]
        .iter()
        .map(|&k| {
            let proj = &net.projections[k];
            obs.spikes[proj.pre]
                .iter()
                .map(|&(_, n)| proj.synapses.iter().filter(|s| s.0 == n).count() as u64)
                .sum::<u64>()
        })
        .sum();
    assert_eq!(
        r.cores.iter().map(|c| c.plastic_events).sum::<u64>(),
        plastic
    );
    // Every core updates all its neurons every tick.
    for c in &r.cores {
        assert_eq!(c.neuron_updates_per_tick, c.neurons[1] - c.neurons[0]);
    }
    // Packets cross links between chips: every used link carried some.
    assert!(!r.links.is_empty() && r.links.iter().all(|l| l.packets > 0));
    // The loaded tables are the mapping's compressed tables.
    for (c, t) in r.chips.iter().zip(&m.compressed) {
        assert_eq!(c.router_entries, t.len());
    }
}
