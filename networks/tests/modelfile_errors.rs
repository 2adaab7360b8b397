//! Every broken model file yields an error naming the file and the key path, never a panic.

use networks::modelfile::{parse_str, ModelFileError};

#[path = "modelfile_cases/broken.rs"]
mod broken;

fn error_of(text: &str) -> ModelFileError {
    match parse_str("broken.toml", text, &[], None) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e,
    }
}

#[test]
fn the_base_model_is_valid() {
    let text = broken::model("duration = 100.0", broken::EXC, broken::PROJ);
    let spec = parse_str("base.toml", &text, &[], None).expect("base model loads");
    assert_eq!(spec.network.populations.len(), 2);
    assert_eq!(spec.network.projections[0].synapses.len(), 50);
}

#[test]
fn every_broken_file_names_its_key_path() {
    let cases = broken::broken_cases();
    assert!(cases.len() >= 25);
    let mut failures = Vec::new();
    for (name, text, expected) in &cases {
        let e = match std::panic::catch_unwind(|| parse_str("broken.toml", text, &[], None)) {
            Err(_) => {
                failures.push(format!("{name}: PANICKED"));
                continue;
            }
            Ok(Ok(_)) => {
                failures.push(format!("{name}: accepted"));
                continue;
            }
            Ok(Err(e)) => e,
        };
        let shown = e.to_string();
        if !shown.starts_with("broken.toml") || !shown.contains(expected) {
            failures.push(format!("{name}: expected '{expected}' in: {shown}"));
        } else if !expected.contains(' ') && !e.key.is_empty() && !e.key.starts_with(expected) {
            failures.push(format!("{name}: key '{}' is not '{expected}'", e.key));
        } else {
            println!("{name:45} {shown}");
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn errors_show_the_bad_value_and_what_is_allowed() {
    let text = broken::model(
        "duration = 100.0",
        "cell_type = \"IF_curr_exp\"\nsize = 10\nparams = { tau_m = -20 }\n",
        broken::PROJ,
    );
    let e = error_of(&text);
    assert_eq!(
        e.to_string(),
        "broken.toml:12: populations.exc.params.tau_m = -20: must be > 0 (ms)"
    );
    let text = broken::model(
        "duration = 100.0",
        "cell_type = \"IF_curr_exp\"\nsize = 10\nparams = { tau_mm = 20 }\n",
        broken::PROJ,
    );
    let e = error_of(&text).to_string();
    assert!(e.contains("populations.exc.params.tau_mm"), "{e}");
    assert!(e.contains("unknown parameter of IF_curr_exp"), "{e}");
    for p in ["cm", "tau_m", "tau_syn_E", "tau_syn_I", "v_thresh"] {
        assert!(e.contains(p), "{e}");
    }
}

#[test]
fn wrong_types_carry_a_line_number() {
    let text = broken::model(
        "duration = 100.0",
        "cell_type = \"IF_curr_exp\"\nsize = \"ten\"\n",
        broken::PROJ,
    );
    let e = error_of(&text).to_string();
    assert!(
        e.starts_with("broken.toml:11: populations.exc.size = \"ten\""),
        "{e}"
    );
}

#[test]
fn bad_overrides_are_errors_naming_the_key() {
    let text = broken::model("duration = 100.0", broken::EXC, broken::PROJ);
    for (set, expected) in [
        (
            "populations.exc.params.tau_mm=15",
            "populations.exc.params.tau_mm",
        ),
        ("populations.exd.params.tau_m=15", "populations.exd"),
        (
            "populations.exc.params.tau_m=-15",
            "populations.exc.params.tau_m",
        ),
        ("projections.p.delay=0.05", "projections.p.delay"),
        ("durationn=5", "durationn"),
        ("noequals", "noequals"),
        ("populations..size=3", "populations..size"),
        ("=3", "--set"),
    ] {
        let e = parse_str("m.toml", &text, &[set.to_string()], None)
            .map(|_| ())
            .expect_err(set);
        let shown = e.to_string();
        assert!(shown.contains(expected), "{set}: {shown}");
        assert!(shown.starts_with("m.toml: "), "{set}: {shown}");
    }
}

#[test]
fn arbitrary_text_never_panics() {
    // Truncations and byte-level mutations of a valid file.
    let text = broken::model("duration = 100.0", broken::EXC, broken::PROJ);
    let bytes = text.as_bytes();
    for cut in 0..bytes.len() {
        if let Ok(s) = std::str::from_utf8(&bytes[..cut]) {
            let _ = parse_str("cut.toml", s, &[], None);
        }
    }
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..2000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut b = bytes.to_vec();
        let i = (state % b.len() as u64) as usize;
        b[i] = b"0-=.\"[]{}, \nxe9"[(state >> 32) as usize % 15];
        if let Ok(s) = String::from_utf8(b) {
            let _ = parse_str("mut.toml", &s, &[], None);
        }
    }
}

/// `precision = "f32"` reaches the kernel: its state is f32 (every value of the checkpointed
/// potential is an f32), while the default f64 kernel's is not.
#[test]
fn precision_f32_is_accepted_for_nest_if_curr_exp() {
    let v_is_f32 = |precision: &str| {
        let exc = format!(
            "{}integration = \"nest\"\n{precision}params = {{ i_offset = 1.0 }}\n",
            broken::EXC
        );
        let text = broken::model("duration = 100.0", &exc, broken::PROJ);
        let spec = parse_str("f32.toml", &text, &[], None).expect("model loads");
        let mut sim = sim_core::Simulation::single(&spec.network);
        sim.run_until(100, &mut sim_core::engine::NullObserver)
            .expect("runs");
        let cp = sim.checkpoint();
        let (_, v) = cp.kernels[1]
            .iter()
            .find(|(name, _)| name == "v_minus_v_rest")
            .expect("v in the checkpoint");
        match v {
            sim_core::model::StateArray::F64 { values, .. } => {
                assert!(values.iter().any(|&x| x != 0.0));
                values.iter().all(|&x| x as f32 as f64 == x)
            }
            other => panic!("unexpected {other:?}"),
        }
    };
    assert!(v_is_f32("precision = \"f32\"\n"));
    assert!(!v_is_f32(""));
}
