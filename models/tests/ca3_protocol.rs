//! The CA3 memory's operation protocol (specs/ca3-cam.md §5–§7): learning, recall by cue,
//! recall by any fragment of content, forgetting by relearning, the timing rules, and its
//! documented departures from an ideal content-addressable memory on random operation streams.

use std::collections::BTreeSet;

use models::builders::ca3::{self, Ca3Size, CamError, Operation, Scheduled};

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
    let run = ca3::run(E1_SIZE, &schedule, 1, 0).unwrap();
    let (mut learn_bad, mut cue_bad, mut extra, mut missing, mut by_content_n) = (0, 0, 0, 0, 0);
    for row in &run.table {
        match row.operation {
            Operation::Learn { .. } => learn_bad += usize::from(!row.matches),
            Operation::RecallByCue { .. } => cue_bad += usize::from(!row.matches),
            Operation::RecallByContent { .. } => {
                by_content_n += 1;
                extra += usize::from(!row.answered.cues.is_subset(&row.expected.cues));
                missing += usize::from(!row.expected.cues.is_subset(&row.answered.cues));
            }
        }
    }
    eprintln!(
        "1000 random operations at 10 ms: learn errors {learn_bad}, recall-by-cue errors {cue_bad}, \
         recall by content: {extra} of {by_content_n} with extra cues, {missing} with missing cues"
    );
    // specs/ca3-cam.md §7: at >= 10 ms spacing learning and recall by cue are perfect; recall by
    // content returns extra cues (residual weights add up on multi-bit queries).
    assert_eq!(learn_bad, 0);
    assert_eq!(cue_bad, 0);
    assert!(
        extra > 0,
        "the model is not an ideal CAM for multi-bit queries (§7.2)"
    );
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
