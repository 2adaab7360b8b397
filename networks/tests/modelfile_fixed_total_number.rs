//! `FixedTotalNumberConnector` from a model file: generated into the shards, it builds the
//! same network (and so the same spikes) for any thread count, with exactly `n` synapses.

use networks::modelfile::parse_str;
use sim_core::{MemoryObserver, Simulation};

const MODEL: &str = r#"
dt = 0.1
duration = 300.0
seed = 17

[populations.drive]
cell_type = "SpikeSourcePoisson"
size = 200
params = { rate = 40.0 }

[populations.cells]
cell_type = "IF_curr_exp"
size = 300
integration = "nest"
params = { tau_syn_E = 0.5, tau_syn_I = 0.5 }
record = ["spikes"]

[projections.drive_cells]
pre = "drive"
post = "cells"
connector = { type = "FixedTotalNumberConnector", n = 30000 }
receptor_type = "excitatory"
weight = 2.0
delay = 0.4

[projections.cells_cells]
pre = "cells"
post = "cells"
connector = { type = "FixedTotalNumberConnector", n = 9000, allow_self_connections = false }
receptor_type = "inhibitory"
weight = -1.0
delay = 0.8
"#;

#[test]
fn fixed_total_number_model_files_run_the_same_on_any_thread_count() {
    let spec = parse_str("ftn.toml", MODEL, &[], None).unwrap();
    let net = &spec.network;
    assert_eq!(net.projections[0].synapses.len(), 30_000);
    assert_eq!(net.projections[1].synapses.len(), 9_000);
    let cells = net.population_id("cells").unwrap();
    let runs: Vec<_> = [1, 2, 3]
        .into_iter()
        .map(|threads| {
            let mut obs = MemoryObserver::default();
            Simulation::with_threads(net, threads)
                .run_until(spec.duration_steps, &mut obs)
                .unwrap();
            obs.spikes[cells].clone()
        })
        .collect();
    assert!(
        runs[0].len() > 100,
        "{} spikes: the drive must make the cells fire",
        runs[0].len()
    );
    assert_eq!(runs[0], runs[1], "1 and 2 threads");
    assert_eq!(runs[0], runs[2], "1 and 3 threads");
}
