//! `engram models` lists every cell type of the catalogue with every parameter, its default and
//! unit, and `engram models NAME` one of them.

use std::process::Command;

use models::catalogue::Catalogue;

fn engram(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_engram"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn models_lists_every_cell_type_with_its_parameters() {
    let out = engram(&["models"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let catalogue = Catalogue::standard();
    assert_eq!(catalogue.entries().len(), 21);
    for entry in catalogue.entries() {
        let d = entry.default_description().unwrap();
        let block = text
            .split("\n\n")
            .find(|b| b.starts_with(&format!("{} — ", entry.name)))
            .unwrap_or_else(|| panic!("{} is not listed:\n{text}", entry.name));
        for q in &d.parameters {
            let row = block
                .lines()
                .find(|l| l.split_whitespace().next() == Some(q.name))
                .unwrap_or_else(|| panic!("{}: no row for {}:\n{block}", entry.name, q.name));
            let cols: Vec<&str> = row.split_whitespace().collect();
            assert_eq!(cols[1].parse::<f64>().unwrap(), q.value, "{row}");
            assert_eq!(cols[2..].join(" "), q.unit, "{row}");
        }
        for o in entry.options {
            assert!(block.contains(&format!("option {} =", o.name)), "{block}");
        }
        let board = if entry.board.is_some() {
            "SpiNNaker board: "
        } else {
            "SpiNNaker board: not supported"
        };
        assert!(block.contains(board), "{block}");
    }
    // PyNN's defaults, written out: IF_curr_exp's membrane time constant and capacitance.
    for (name, value, unit) in [
        ("tau_m", 20, "ms"),
        ("cm", 1, "nF"),
        ("v_thresh", -50, "mV"),
    ] {
        let row = format!("    {name:<14} {value:>12} {unit}\n");
        assert!(text.contains(&row), "{row:?} in\n{text}");
    }
}

#[test]
fn models_name_shows_one_and_rejects_unknown_names() {
    let out = engram(&["models", "Izhikevich"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("Izhikevich — "), "{text}");
    assert!(!text.contains("IF_curr_exp"), "{text}");
    assert!(text.contains("recordable: v (mV), u (mV/ms)"), "{text}");

    let out = engram(&["models", "IF_curr_expp"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("IF_curr_expp: unknown cell type; one of IF_curr_exp"),
        "{err}"
    );
}
