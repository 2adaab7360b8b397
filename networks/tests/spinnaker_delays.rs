//! Delays beyond the 16 steps a synaptic row holds, on the emulated board at dt = 0.1 ms: they go
//! through delay-extension cores (hw_export::delays) and must arrive at the step the design says,
//! the same step as on the CPU engine.

use backends::cpu::CpuBackend;
use backends::spinnaker::Board;
use hw_export::machine::Machine;
use sim_core::{MemoryObserver, Network, Step};

/// One source neuron firing at 1 ms (step 10) onto seven neurons, one synapse each, with delays
/// of 5, 16, 17, 32, 33, 60 and 144 steps: direct, the longest direct, the first of each of the
/// first two stages, and the longest an extension holds (16 + 8 stages of 16). The input (100 nA
/// into 1 nF) lifts the membrane by about 10 mV a step, so each neuron crosses its threshold by
/// millivolts, far from where rounding could move the step, and fires once (refractory 50 ms).
const HAND_CHECKED: &str = r#"
dt = 0.1
duration = 20.0
seed = 3

[populations.src]
cell_type = "SpikeSourceArray"
size = 1
params = { spike_times = [[1.0]] }
record = ["spikes"]

[populations.post]
cell_type = "IF_curr_exp"
size = 7
integration = "spynnaker"
params = { tau_refrac = 50.0 }
record = ["spikes", "isyn_exc"]
sampling_interval = 0.1

[projections.delayed]
pre = "src"
post = "post"
connector = { type = "FromListConnector", conn_list = [[0, 0, 100.0, 0.5], [0, 1, 100.0, 1.6], [0, 2, 100.0, 1.7], [0, 3, 100.0, 3.2], [0, 4, 100.0, 3.3], [0, 5, 100.0, 6.0], [0, 6, 100.0, 14.4]] }
receptor_type = "excitatory"
weight = 100.0
delay = 0.1
"#;

const DELAYS: [Step; 7] = [5, 16, 17, 32, 33, 60, 144];

fn hand_checked() -> (Network, Step) {
    let spec =
        networks::modelfile::parse_str("hand_checked.toml", HAND_CHECKED, &[], None).unwrap();
    let steps = spec.duration_steps;
    (spec.network, steps)
}

/// Per neuron of `post`, the first step its excitatory current (its only recorded variable) is
/// above zero.
fn arrivals(obs: &MemoryObserver, n: usize) -> Vec<Option<Step>> {
    let (_, (steps, values)) = obs.samples.iter().find(|(k, _)| k.0 == 1).unwrap();
    (0..n)
        .map(|i| {
            steps
                .iter()
                .enumerate()
                .find(|&(row, _)| values[row * n + i] > 0.0)
                .map(|(_, &t)| t)
        })
        .collect()
}

#[test]
fn delays_beyond_sixteen_steps_arrive_at_the_designed_step() {
    let (net, steps) = hand_checked();
    let mut board = Board::new(&net, &Machine::spinn5(), "spinn5").unwrap();
    let m = board.mapping();
    // The source population gets a delay extension of 8 stages (144 steps = 16 + 8 x 16).
    assert_eq!(m.delay_stages, vec![8, 0]);
    assert_eq!(m.delay_slices.len(), 1);
    assert!(m.ok(), "{:?}", &m.verification.failures);
    let mut on_board = MemoryObserver::default();
    board.run_until(steps, &mut on_board).unwrap();
    let report = board.report();
    assert!(report.ok, "{}", report.summary());
    // The source fired once, at step 10.
    assert_eq!(on_board.spikes[0], vec![(10, 0)]);
    let expected: Vec<Option<Step>> = DELAYS.iter().map(|d| Some(10 + d)).collect();
    assert_eq!(arrivals(&on_board, 7), expected);
    // The extension re-emitted the spike once per stage (8 packets); 6 targets had a long delay.
    let de = report
        .cores
        .iter()
        .find(|c| c.kind == "delay_extension")
        .unwrap();
    assert_eq!(de.packets_received, 1);
    assert_eq!(de.packets_sent_delayed, 8);

    // The CPU engine puts every input at the same step, and both make the same spikes.
    let mut cpu = CpuBackend::new(1).instantiate(&net);
    let mut on_cpu = MemoryObserver::default();
    cpu.run_until(steps, &mut on_cpu).unwrap();
    assert_eq!(arrivals(&on_cpu, 7), expected);
    assert_eq!(on_cpu.spikes[1].len(), 7);
    assert_eq!(on_board.spikes[1], on_cpu.spikes[1]);
}

fn long_delays_model() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/long_delays.toml")
}

/// examples/long_delays.toml (the microcircuit's neurons, synapses and delay distributions,
/// 1000 neurons, delays up to 60 steps) for 1 s on both backends. As for CUBA
/// (spinnaker_cuba.rs), the board's fixed point parts the trajectories within milliseconds, so
/// the comparison is of each population's rate, within 5 %.
#[test]
fn a_network_with_long_delays_fires_at_the_cpu_rates_on_the_board() {
    let spec = networks::modelfile::load(&long_delays_model(), &[], None).unwrap();
    let net = &spec.network;
    let steps = spec.duration_steps;
    assert!(
        net.projections.iter().any(|p| p.synapses.max_delay() > 32),
        "some delays need two stages"
    );
    let mut cpu = CpuBackend::new(1).instantiate(net);
    let mut on_cpu = MemoryObserver::default();
    cpu.run_until(steps, &mut on_cpu).unwrap();
    let mut board = Board::new(net, &Machine::spinn5(), "spinn5").unwrap();
    let mut on_board = MemoryObserver::default();
    board.run_until(steps, &mut on_board).unwrap();
    let report = board.report();
    assert!(report.ok, "{}", report.summary());
    let m = board.mapping();
    eprintln!("delay stages per population: {:?}", m.delay_stages);
    // Excitatory delays reach beyond 32 steps (two stages), inhibitory ones beyond 16.
    assert!(m.delay_stages[0] >= 2 && m.delay_stages[2] >= 2);
    assert!(m.delay_stages[1] >= 1 && m.delay_stages[3] >= 1);
    let delayed: u64 = report
        .cores
        .iter()
        .filter(|c| c.kind == "delay_extension")
        .map(|c| c.packets_sent_delayed)
        .sum();
    assert!(delayed > 0);
    let secs = steps as f64 * net.grid.dt_ms() / 1000.0;
    let first_difference = on_cpu
        .spikes
        .iter()
        .zip(&on_board.spikes)
        .filter_map(|(a, b)| a.iter().zip(b).find(|(x, y)| x != y).map(|(x, _)| x.0))
        .min();
    eprintln!("first spike that differs: step {first_difference:?}");
    for (p, pop) in net.populations.iter().enumerate() {
        let rate = |spikes: &[Vec<(Step, u32)>]| spikes[p].len() as f64 / pop.size as f64 / secs;
        let (c, b) = (rate(&on_cpu.spikes), rate(&on_board.spikes));
        let d = (b - c) / c;
        eprintln!(
            "{}: cpu {c:.3} Hz, board {b:.3} Hz, {:+.2} %",
            pop.name,
            100.0 * d
        );
        assert!(d.abs() < 0.05, "{}: {:+.2} %", pop.name, 100.0 * d);
    }
}
