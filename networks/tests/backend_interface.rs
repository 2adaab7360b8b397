//! Both backends through `backends::Backend`, loaded by a `BackendChoice`: the CA3 memory's
//! example experiments, run by the same function (`ca3::run_loaded`) on the CPU engine and on
//! the emulated board, reproduce the authors' SpiNNaker recordings
//! (reference/ca3_cam_spinnaker_recordings.json) spike for spike; what the board cannot do (a
//! network whose dt is not a whole number of microseconds, checkpoints) is refused as bad input with its own code; a checkpoint of
//! the CPU backend continues on another number of threads as if never interrupted.

#[path = "support/recordings.rs"]
mod published;

use backends::cpu::CpuBackend;
use backends::{BackendChoice, BoardOptions};
use hw_export::machine::Machine;
use networks::ca3;
use sim_core::errors::Coded;
use sim_core::MemoryObserver;

fn cpu(threads: usize) -> BackendChoice {
    BackendChoice::Cpu(CpuBackend::new(threads))
}

fn board() -> BackendChoice {
    BackendChoice::Spinnaker(BoardOptions {
        machine: Machine::spinn5(),
        machine_name: "spinn5".into(),
        routing_tables: None,
    })
}

fn example(file: &str) -> ca3::Experiment {
    ca3::load_experiment(format!(
        "{}/../examples/cam/{file}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn the_example_experiments_reproduce_the_recordings_on_either_backend() {
    let rec = published::recordings();
    for (file, name) in published::EXAMPLE_FILES {
        let exp = example(file);
        for choice in [cpu(1), cpu(2), board()] {
            let (memory, steps) =
                ca3::prepare(exp.size, &exp.schedule, exp.min_steps, exp.seed).unwrap();
            let mut backend = choice.load(&memory.network).unwrap();
            let run = ca3::run_loaded(memory, &exp.schedule, steps, backend.as_mut()).unwrap();
            let on = format!("{file} on {} x{}", choice.name(), choice.threads());
            let c = published::compare_with_recording(&rec["experiments"][name], &run.spikes);
            assert_eq!(c.differing, 0, "{on}: {:?}", c.lines);
            assert!(c.recorded_spikes > 0);
            // Every population records, so the backend's count is the recordings' total.
            let recorded: u64 = run.spikes.iter().map(|s| s.len() as u64).sum();
            assert_eq!(backend.counters().spikes, recorded, "{on}");
            assert!(backend.counters().synaptic_events > 0, "{on}");
            let report = backend.report();
            assert_eq!(report.backend, choice.name());
            assert_eq!(report.threads, choice.threads());
            match report.details {
                Some(d) => {
                    assert_eq!(d.file, "spinnaker_report.json");
                    assert_eq!(d.failure, None, "{on}");
                    assert_eq!(d.facts["packets_dropped"], 0);
                    assert_eq!(report.machine.as_deref(), Some("spinn5"));
                }
                None => assert_eq!(choice.name(), "cpu"),
            }
        }
    }
}

#[test]
fn the_board_refuses_what_it_cannot_run_as_bad_input() {
    let model = |dt: &str| {
        networks::modelfile::parse_str(
            "fine.toml",
            &format!("dt = {dt}\nduration = 10.0\n\n[populations.c]\ncell_type = \"IF_curr_exp\"\nsize = 4\n"),
            &[],
            None,
        )
        .unwrap()
    };
    // A machine time step of 100 us runs; one of 2.5 us is not a whole number of microseconds.
    assert!(board().check(&model("0.1").network).is_ok());
    let spec = model("0.0025");
    assert!(cpu(2).check(&spec.network).is_ok());
    for e in [
        board().load(&spec.network).err().expect("refused"),
        board().check(&spec.network).unwrap_err(),
    ] {
        assert!(e.is_input(), "{e}");
        assert_eq!(e.code(), "E0701");
        assert!(e.to_string().contains("dt = 0.0025 ms"), "{e}");
    }
}

#[test]
fn a_cpu_checkpoint_continues_on_other_threads_and_the_board_keeps_none() {
    let exp = example("e1_functional.toml");
    let (memory, steps) = ca3::prepare(exp.size, &exp.schedule, exp.min_steps, exp.seed).unwrap();
    let net = &memory.network;
    let mut whole = cpu(2).load(net).unwrap();
    let mut expected = MemoryObserver::default();
    whole.run_until(45, &mut MemoryObserver::default()).unwrap();
    whole.run_until(steps, &mut expected).unwrap();

    let mut first = cpu(1).load(net).unwrap();
    first.run_until(45, &mut MemoryObserver::default()).unwrap();
    let cp = first
        .checkpoint()
        .expect("the CPU backend keeps checkpoints");
    let mut second = cpu(3).load(net).unwrap();
    second.restore(&cp).unwrap();
    assert_eq!(second.step(), 45);
    let mut rest = MemoryObserver::default();
    second.run_until(steps, &mut rest).unwrap();
    assert_eq!(rest, expected);
    for p in [memory.cue_to_content, memory.content_to_cue] {
        let w = second.plastic_weights(p).expect("plastic");
        assert!(w.iter().any(|&x| x > 0.0), "E1 learns");
        assert_eq!(Some(w), whole.plastic_weights(p));
    }
    assert_eq!(second.plastic_weights(0), None, "a static projection");
    assert!(cpu(1).checkpoints());

    assert!(!board().checkpoints());
    let mut on_board = board().load(net).unwrap();
    assert!(on_board.checkpoint().is_none());
    let e = on_board.restore(&cp).unwrap_err();
    assert!(e.is_input(), "{e}");
    assert_eq!(e.code(), "E0701");
}
