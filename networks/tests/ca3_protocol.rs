//! The CA3 memory's operation protocol (specs/ca3-cam.md §5–§7): learning, recall by cue,
//! recall by any fragment of content, forgetting by relearning, the timing rules, and its
//! documented departures from an ideal content-addressable memory on random operation streams.

#[path = "support/cam_run.rs"]
mod cam_run;

use std::collections::BTreeSet;

use cam_run::CamRunExt;
use networks::ca3::{self, Ca3Size, CamError, Operation, Scheduled};

fn set(v: &[u32]) -> BTreeSet<u32> {
    v.iter().copied().collect()
}

fn learn(t0: u64, cue: u32, content: &[u32]) -> Scheduled {
    Scheduled {
        t0,
        op: Operation::Learn {
            cue,
            content: content.to_vec(),
        },
    }
}
fn by_cue(t0: u64, cue: u32) -> Scheduled {
    Scheduled {
        t0,
        op: Operation::RecallByCue { cue },
    }
}
fn by_content(t0: u64, content: &[u32]) -> Scheduled {
    Scheduled {
        t0,
        op: Operation::RecallByContent {
            content: content.to_vec(),
        },
    }
}

/// Experiment E1 of the paper's repository, written as operations.
fn e1() -> Vec<Scheduled> {
    vec![
        learn(0, 0, &[0, 1, 8, 9]),
        learn(10, 4, &[1, 5, 6]),
        learn(20, 3, &[4, 5, 6]),
        by_cue(30, 0),
        by_content(40, &[6]),
        by_content(50, &[0, 4]),
        learn(60, 3, &[1, 3, 4, 8]),
        by_cue(70, 3),
        by_content(80, &[6]),
    ]
}

const E1_SIZE: Ca3Size = Ca3Size {
    cues: 5,
    content_bits: 10,
};

#[test]
fn e1_operations_regenerate_the_recorded_input() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/reference/ca3_cam_spinnaker_recordings.json"
    );
    let rec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let recorded: Vec<Vec<u64>> = serde_json::from_value(
        rec["experiments"]["1_learn_recall_by_cue_and_cont_forget"]["input"].clone(),
    )
    .unwrap();
    assert_eq!(ca3::input_spikes(E1_SIZE, &e1()), recorded);
}

#[test]
fn learn_recall_and_forget_as_e1_shows() {
    let run = ca3::run(E1_SIZE, &e1(), 1, 90).unwrap();
    for row in &run.table {
        assert!(
            row.matches,
            "operation {} differs from the ideal CAM: {row:?}",
            row.index
        );
    }
    let a = |i: usize| &run.table[i].answered;
    // Learn, then recall by cue returns the content.
    assert_eq!(a(3).content, set(&[0, 1, 8, 9]));
    // Recall by content returns every matching cue (6 is in cue 4's and cue 3's content).
    assert_eq!(a(4).cues, set(&[3, 4]));
    assert_eq!(a(5).cues, set(&[0, 3]));
    // Relearning cue 3 forgets its old content: the forgotten bits come out at t0+6 ...
    assert_eq!(a(6).forgotten, set(&[5, 6]));
    assert_eq!(a(7).content, set(&[1, 3, 4, 8]));
    // ... and a later query for bit 6 no longer finds cue 3.
    assert_eq!(a(8).cues, set(&[4]));
}

#[test]
fn weights_are_analog_as_the_spec_derives() {
    // §7.3: learning a cue whose content shares a bit with a memory learned s ms earlier
    // depresses the earlier content->cue synapse to 6 - 6·1.513·(e^(-(s-3)/3) + e^(-(s-1)/3));
    // in E1, cue 4 shares bit 1 with cue 0, s = 10, leaving w(bit 1 -> cue 0) = 4.667 nA once
    // that learn is over (t = 17) and before the next operation (t = 20).
    let schedule = &e1()[..2];
    let memory = ca3::build(E1_SIZE, ca3::input_spikes(E1_SIZE, schedule)).unwrap();
    let mut sim = sim_core::Simulation::single(&memory.network);
    sim.run_until(20, &mut sim_core::engine::NullObserver)
        .unwrap();
    let w = sim.weights(memory.content_to_cue);
    // content->cue is all-to-all from m bits to n cues: index = bit * n + cue.
    let w10 = w[5];
    let s = 10.0f64;
    let predicted = 6.0 - 6.0 * 1.513 * ((-(s - 3.0) / 3.0).exp() + (-(s - 1.0) / 3.0).exp());
    eprintln!("w(bit 1 -> cue 0) = {w10}, spec: 4.667, formula: {predicted}");
    assert!((w10 - 4.667).abs() < 5e-4, "w(1 -> 0) = {w10}");
    // The memory itself is at the clamp: bit 8 -> cue 0 and cue 0 -> bit 8 are 6 nA.
    assert_eq!(w[8 * 5], 6.0);
    assert_eq!(sim.weights(memory.cue_to_content)[8], 6.0);
}

#[test]
fn operations_closer_than_the_protocol_allows_are_rejected() {
    let too_close = vec![learn(0, 0, &[1]), by_cue(6, 0)];
    let e = ca3::validate(E1_SIZE, &too_close).unwrap_err();
    assert!(matches!(e, CamError::Operation { index: 1, .. }), "{e}");
    assert!(e.to_string().contains("at least 7 ms"), "{e}");
    assert!(ca3::validate(E1_SIZE, &[by_cue(0, 0), by_content(5, &[1])]).is_err());
    assert!(ca3::validate(E1_SIZE, &[by_cue(0, 0), by_content(6, &[1])]).is_ok());
    let e = ca3::validate(E1_SIZE, &[learn(0, 5, &[1])]).unwrap_err();
    assert!(e.to_string().contains("cue 5 is out of range"), "{e}");
    let e = ca3::validate(E1_SIZE, &[by_content(0, &[])]).unwrap_err();
    assert!(e.to_string().contains("at least one bit"), "{e}");
    let e = ca3::validate(E1_SIZE, &[by_content(0, &[10])]).unwrap_err();
    assert!(e.to_string().contains("bit 10 is out of range"), "{e}");
}

#[test]
fn random_stream_at_10_ms_spacing_against_the_ideal_cam() {
    let schedule = ca3::random_schedule(E1_SIZE, 1000, 10, 2024);
    assert_eq!(schedule.len(), 1000);
    assert!(schedule.windows(2).all(|w| w[1].t0 - w[0].t0 == 10));
    let run = ca3::run(E1_SIZE, &schedule, 1, 0).unwrap();
    let d = run.disagreements();
    eprintln!(
        "1000 random operations at 10 ms (n = 5, m = 10, seed 2024): \
         learn {}/{} differ from the oracle, recall by cue {}/{}, recall by content {}/{} \
         ({} with extra cues, {} with missing cues; single-bit queries: {} of {} with extra cues)",
        d.learn_wrong,
        d.learn,
        d.recall_by_cue_wrong,
        d.recall_by_cue,
        d.recall_by_content_wrong,
        d.recall_by_content,
        d.extra_cues,
        d.missing_cues,
        d.extra_cues_single_bit,
        d.recall_by_content_single_bit,
    );
    assert_eq!(d.learn + d.recall_by_cue + d.recall_by_content, 1000);
    // specs/ca3-cam.md §7: at >= 10 ms spacing learning and recall by cue are perfect; recall by
    // content returns extra cues (residual weights add up on multi-bit queries).
    assert_eq!(d.learn_wrong, 0);
    assert_eq!(d.recall_by_cue_wrong, 0);
    assert!(
        d.extra_cues > 0,
        "the model is not an ideal CAM for multi-bit queries (§7.2)"
    );
    // The same stream on 2 threads gives the same spikes and answers.
    let two = ca3::run(E1_SIZE, &schedule, 2, 0).unwrap();
    assert_eq!(two.spikes, run.spikes);
    assert_eq!(two.table, run.table);
}

#[test]
fn the_protocol_builder_schedules_with_the_protocol_timing() {
    // E1 written with the builder: 10 ms spacing regenerates the recorded schedule.
    let mut p = ca3::Protocol::new(E1_SIZE, 10);
    p.learn(0, [0, 1, 8, 9]).unwrap();
    p.learn(4, [1, 5, 6]).unwrap();
    p.learn(3, [4, 5, 6]).unwrap();
    p.recall_by_cue(0).unwrap();
    p.recall_by_content([6]).unwrap();
    p.recall_by_content([0, 4]).unwrap();
    p.learn(3, [1, 3, 4, 8]).unwrap();
    p.recall_by_cue(3).unwrap();
    p.recall_by_content([6]).unwrap();
    assert_eq!(p.schedule(), e1().as_slice());

    // Without a spacing, operations follow at the protocol's minimum: 7 ms after a learn,
    // 6 ms after a recall.
    let mut q = ca3::Protocol::new(E1_SIZE, 0);
    q.learn(0, [1]).unwrap();
    q.recall_by_cue(0).unwrap();
    q.recall_by_content([1]).unwrap();
    q.learn(1, [2]).unwrap();
    let t: Vec<u64> = q.schedule().iter().map(|s| s.t0).collect();
    assert_eq!(t, vec![0, 7, 13, 19]);
    // A learn holds cue and content for 3 steps; recalls are one step.
    let input = q.input_spikes();
    assert_eq!(input[0], vec![0, 1, 2, 7]);
    assert_eq!(input[5 + 1], vec![0, 1, 2, 13]);

    // Rejections name the operation index, the field and what is allowed; the rejected
    // operation is not added.
    let e = q.recall_by_cue_at(21, 0).unwrap_err();
    assert!(matches!(e, CamError::Operation { index: 4, .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("operations[4]")
            && msg.contains("operations[3]")
            && msg.contains("at least 7 ms"),
        "{msg}"
    );
    let e = q.recall_by_cue(5).unwrap_err().to_string();
    assert!(
        e.contains("operations[4]") && e.contains("cue 5 is out of range 0..5"),
        "{e}"
    );
    let e = q.learn(0, Vec::<u32>::new()).unwrap_err().to_string();
    assert!(e.contains("at least one bit"), "{e}");
    let e = q.recall_by_content([3, 10]).unwrap_err().to_string();
    assert!(e.contains("bit 10 is out of range 0..10"), "{e}");
    assert_eq!(q.schedule().len(), 4);
    assert_eq!(q.recall_by_cue_at(26, 0).unwrap(), 4);

    // The builder's schedule runs as an experiment.
    let exp = ca3::Experiment::new(E1_SIZE, p.into_schedule()).unwrap();
    let run = ca3::run_experiment(&exp, 1).unwrap();
    assert!(run.table.iter().all(|r| r.matches));
    assert_eq!(
        run.population_names,
        ca3::POPULATIONS.map(String::from).to_vec()
    );
    assert_eq!(
        run.population_sizes,
        vec![15, 5, 10, 10, 1, 5, 10, 5, 10, 15]
    );
    assert_eq!(run.cue_to_content.len(), 50);
    assert_eq!(run.content_to_cue.len(), 50);
    // The stored memories are at the clamp in both directions.
    assert_eq!(run.cue_to_content_weight(3, 8), 6.0);
    assert_eq!(run.content_to_cue_weight(8, 3), 6.0);
    // Cue 3 forgot bits 5 and 6 on the cue->content side.
    assert_eq!(run.cue_to_content_weight(3, 5), 0.0);
}

#[test]
fn experiment_files_accept_the_short_keys_and_a_generator_mix() {
    let text = "n = 5\nm = 10\ndt = 1.0\nseed = 7\nspacing_ms = 12\n\
                [[operations]]\nop = \"learn\"\ncue = 1\ncontent = [2, 3]\n\
                [[operations]]\nop = \"recall_by_content\"\ncontent = [3]\n";
    let exp = ca3::parse_experiment(text).unwrap();
    assert_eq!(exp.size, E1_SIZE);
    assert_eq!(exp.seed, 7);
    assert_eq!(exp.schedule[1].t0, 12);
    let run = ca3::run_experiment(&exp, 1).unwrap();
    assert_eq!(run.table[1].answered.cues, set(&[1]));

    let only_recalls = "n = 5\nm = 10\n[generator]\ncount = 50\nspacing_ms = 6\nseed = 3\n\
                        mix = { recall_by_cue = 1, recall_by_content = 2 }\n";
    let exp = ca3::parse_experiment(only_recalls).unwrap();
    assert_eq!(exp.schedule.len(), 50);
    assert!(exp
        .schedule
        .iter()
        .all(|s| !matches!(s.op, Operation::Learn { .. })));
    // The default mix reproduces random_schedule.
    let default =
        ca3::parse_experiment("n = 5\nm = 10\n[generator]\ncount = 40\nspacing = 10\nseed = 9\n")
            .unwrap();
    assert_eq!(default.schedule, ca3::random_schedule(E1_SIZE, 40, 10, 9));

    for (text, expected) in [
        ("n = 5\nm = 10\ndt = 0.5\n[generator]\ncount = 5\nspacing = 10\nseed = 1\n", "dt = 0.5"),
        (
            "n = 5\nm = 10\n[generator]\ncount = 5\nspacing = 10\nseed = 1\nmix = { learn = 0 , recall_by_cue = 0, recall_by_content = 0 }\n",
            "generator.mix",
        ),
        (
            "n = 5\nm = 10\n[generator]\ncount = 5\nspacing = 10\nseed = 1\nmix = { forget = 1 }\n",
            "forget",
        ),
    ] {
        let e = ca3::parse_experiment(text).unwrap_err();
        assert!(e.contains(expected), "{text:?}: '{e}' should mention '{expected}'");
    }
}

#[test]
fn loading_errors_name_the_file() {
    let dir = std::env::temp_dir();
    let path = dir.join(format!("ca3-bad-{}.toml", std::process::id()));
    std::fs::write(
        &path,
        "cues = 5\ncontent_bits = 10\n[[operations]]\nat = 0.0\nop = \"learn\"\ncue = 0\ncontent = [1]\n\
         [[operations]]\nat = 5.0\nop = \"recall_by_cue\"\ncue = 0\n",
    )
    .unwrap();
    let e = ca3::load_experiment(&path).unwrap_err();
    std::fs::remove_file(&path).ok();
    let msg = e.to_string();
    eprintln!("{msg}");
    assert!(matches!(e, CamError::Experiment { .. }));
    assert!(msg.starts_with(&path.display().to_string()), "{msg}");
    assert!(
        msg.contains("operations[1]") && msg.contains("at least 7 ms"),
        "{msg}"
    );
    let missing = dir.join("ca3-no-such-file.toml");
    let msg = ca3::load_experiment(&missing).unwrap_err().to_string();
    assert!(
        msg.contains("ca3-no-such-file.toml") && msg.contains("cannot read"),
        "{msg}"
    );
}

#[test]
fn the_large_example_runs() {
    let exp = ca3::load_experiment(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/cam/large_64x32.toml"
    ))
    .unwrap();
    assert_eq!((exp.size.cues, exp.size.content_bits), (64, 32));
    assert_eq!(exp.schedule.len(), 500);
    let run = ca3::run_experiment(&exp, 2).unwrap();
    let d = run.disagreements();
    eprintln!("large_64x32: {d:?}");
    assert_eq!(run.cue_to_content.len(), 64 * 32);
    assert_eq!(run.content_to_cue.len(), 32 * 64);
    assert_eq!(d.learn + d.recall_by_cue + d.recall_by_content, 500);
    assert_eq!(d.learn_wrong, 0);
    assert_eq!(d.recall_by_cue_wrong, 0);
}

#[test]
fn example_files_regenerate_the_recorded_inputs() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/reference/ca3_cam_spinnaker_recordings.json"
    );
    let rec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for (file, name) in [
        (
            "e1_functional.toml",
            "1_learn_recall_by_cue_and_cont_forget",
        ),
        (
            "e2_pyramidal_sequence.toml",
            "2_tb2_piramidal_sequence_cont",
        ),
        ("e3_state_map.toml", "3_state_map_app"),
    ] {
        let text = std::fs::read_to_string(format!(
            "{}/../examples/cam/{file}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let exp = ca3::parse_experiment(&text).unwrap();
        let e = &rec["experiments"][name];
        let recorded: Vec<Vec<u64>> = serde_json::from_value(e["input"].clone()).unwrap();
        assert_eq!(
            ca3::input_spikes(exp.size, &exp.schedule),
            recorded,
            "{file}"
        );
        assert_eq!(
            exp.min_steps,
            e["simTime"].as_u64().unwrap(),
            "{file} duration"
        );
    }
}

#[test]
fn broken_experiment_files_name_the_key() {
    let cases: &[(&str, &str)] = &[
        ("", "empty"),
        ("cues = 5", "content_bits"),
        ("cues = 5\ncontent_bits = 10\n", "at least one operation"),
        ("cues = 5\ncontent_bits = 10\nbogus = 1\n[[operations]]\nop = \"recall_by_cue\"\ncue = 0\n", "bogus"),
        ("cues = 5\ncontent_bits = 10\n[[operations]]\nop = \"recal\"\ncue = 0\n", "operations[0].op"),
        ("cues = 5\ncontent_bits = 10\n[[operations]]\nop = \"learn\"\ncue = 0\n", "operations[0].content"),
        ("cues = 5\ncontent_bits = 10\n[[operations]]\nop = \"learn\"\ncue = 9\ncontent = [1]\n", "cue 9 is out of range"),
        ("cues = 5\ncontent_bits = 10\n[[operations]]\nat = 0.5\nop = \"recall_by_cue\"\ncue = 0\n", "operations[0].at"),
        ("cues = 5\ncontent_bits = 10\n[[operations]]\nat = 10.0\nop = \"recall_by_cue\"\ncue = 0\n[[operations]]\nat = 12.0\nop = \"recall_by_cue\"\ncue = 1\n", "at least 6 ms"),
        ("cues = 0\ncontent_bits = 10\n[generator]\ncount = 5\nspacing = 10.0\nseed = 1\n", "cues and content_bits must be >= 1"),
        ("cues = 5\ncontent_bits = 10\n[generator]\ncount = 0\nspacing = 10.0\nseed = 1\n", "generator.count"),
        ("cues = 5\ncontent_bits = [1]\n", "content_bits"),
    ];
    for (text, expected) in cases {
        let e = ca3::parse_experiment(text).unwrap_err();
        assert!(
            e.contains(expected),
            "{text:?}: error '{e}' should mention '{expected}'"
        );
    }
}
