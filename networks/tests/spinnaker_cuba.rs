//! CUBA-4k at dt = 1 ms (examples/cuba_1ms.toml) on both backends: the CPU engine in f64 with
//! sPyNNaker's integration order, and the board in sPyNNaker's fixed point with every spike
//! routed. The microscopic trajectories part within a few ms (the network is chaotic and the
//! board rounds), so the comparison is of firing rates: within 5 % for each seed.

use backends::cpu::CpuBackend;
use backends::spinnaker::Board;
use hw_export::machine::Machine;
use sim_core::MemoryObserver;

fn model() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/cuba_1ms.toml")
}

/// Mean rates (Hz) of the excitatory and inhibitory populations on (cpu, board).
fn rates(seed: u64) -> ([f64; 2], [f64; 2]) {
    let spec = networks::modelfile::load(&model(), &[], Some(seed)).unwrap();
    let net = &spec.network;
    let steps = spec.duration_steps;
    let secs = steps as f64 * net.grid.dt_ms() / 1000.0;
    let rate = |spikes: &[Vec<(u64, u32)>]| -> [f64; 2] {
        [0, 1].map(|p| spikes[p].len() as f64 / net.populations[p].size as f64 / secs)
    };
    let mut cpu = CpuBackend::new(1).instantiate(net);
    let mut a = MemoryObserver::default();
    cpu.run_until(steps, &mut a).unwrap();
    let mut board = Board::new(net, &Machine::spinn5(), "spinn5").unwrap();
    let mut b = MemoryObserver::default();
    board.run_until(steps, &mut b).unwrap();
    let report = board.report();
    assert!(report.ok, "seed {seed}: packets lost");
    assert!(report.cores_missing_real_time.is_empty());
    (rate(&a.spikes), rate(&b.spikes))
}

#[test]
fn cuba_rates_agree_within_five_percent_on_both_backends() {
    let mut diffs = Vec::new();
    for seed in [1234, 1, 2, 3] {
        let (cpu, board) = rates(seed);
        for (p, name) in ["exc", "inh"].iter().enumerate() {
            let d = (board[p] - cpu[p]) / cpu[p];
            eprintln!(
                "seed {seed} {name}: cpu {:.3} Hz, board {:.3} Hz, {:+.2} %",
                cpu[p],
                board[p],
                100.0 * d
            );
            assert!(d.abs() < 0.05, "seed {seed} {name}: {:+.2} %", 100.0 * d);
            diffs.push(d);
        }
    }
    let mean = diffs.iter().sum::<f64>() / diffs.len() as f64;
    eprintln!("mean board - cpu: {:+.2} %", 100.0 * mean);
}
