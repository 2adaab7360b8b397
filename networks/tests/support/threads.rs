//! Running a network on several thread counts.

use sim_core::network::Network;
use sim_core::{MemoryObserver, Simulation, Step};

/// The spikes of every population of `net` over `steps` steps, on each thread count.
pub fn spikes_per_thread_count(
    net: &Network,
    steps: Step,
    threads: &[usize],
) -> Vec<Vec<Vec<(Step, u32)>>> {
    threads
        .iter()
        .map(|&t| {
            let mut obs = MemoryObserver::default();
            Simulation::with_threads(net, t)
                .run_until(steps, &mut obs)
                .unwrap();
            obs.spikes
        })
        .collect()
}
