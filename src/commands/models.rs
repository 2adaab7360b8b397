//! `engram models`: the catalogue of cell types, with every parameter, default and unit.

use std::fmt::Write;

use clap::Args;
use models::catalogue::{Catalogue, CellType};
use sim_core::ModelKind;

use super::{CliError, CommandError};

#[derive(Args)]
pub struct ModelsArgs {
    /// Show this cell type only.
    pub name: Option<String>,
}

pub fn models(a: ModelsArgs) -> Result<(), CliError> {
    let catalogue = Catalogue::standard();
    let entries: Vec<&CellType> = match &a.name {
        None => catalogue.entries().iter().collect(),
        Some(name) => vec![catalogue.get(name).ok_or_else(|| {
            CliError::input(CommandError::OptionValue {
                option: "models",
                value: name.clone(),
                allowed: format!("unknown cell type; one of {}", catalogue.names().join(", ")),
            })
        })?],
    };
    let mut out = String::new();
    for (i, entry) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&entry_text(entry));
    }
    print!("{out}");
    Ok(())
}

/// One cell type as text: its parameters (default, unit), state variables, receptors,
/// initial values, options and its form on the SpiNNaker board.
pub fn entry_text(entry: &CellType) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "{} — {}", entry.name, entry.summary);
    let d = match entry.default_description() {
        Ok(d) => d,
        Err(e) => {
            let _ = writeln!(t, "  (its defaults do not build: {e})");
            return t;
        }
    };
    let kind = match &d.kind {
        ModelKind::Neuron => "neuron".to_string(),
        ModelKind::SpikeSource(_) => "spike source".to_string(),
        ModelKind::Graded { .. } => "graded unit (sends continuous values, no spikes)".to_string(),
    };
    let _ = writeln!(t, "  kind: {kind}");
    if d.parameters.is_empty() {
        let _ = writeln!(t, "  parameters: none with a numeric default");
    } else {
        let _ = writeln!(t, "  parameters (default, unit):");
        for q in &d.parameters {
            let _ = writeln!(t, "    {:<14} {:>12} {}", q.name, q.value, q.unit);
        }
    }
    let list = |vars: &[sim_core::Variable]| {
        vars.iter()
            .map(|v| match v.unit {
                "" => v.name.to_string(),
                unit => format!("{} ({unit})", v.name),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let or_none = |s: String| if s.is_empty() { "none".to_string() } else { s };
    let _ = writeln!(t, "  recordable: {}", or_none(list(&d.state)));
    let _ = writeln!(
        t,
        "  initial values: {}",
        or_none(list(entry.initial_values))
    );
    let _ = writeln!(t, "  receptors: {}", or_none(d.receptors.join(", ")));
    for o in entry.options {
        let _ = writeln!(
            t,
            "  option {} = {} (default \"{}\"): {}",
            o.name,
            o.values
                .iter()
                .map(|v| format!("\"{v}\""))
                .collect::<Vec<_>>()
                .join(" | "),
            o.values[0],
            o.help
        );
    }
    let _ = writeln!(
        t,
        "  SpiNNaker board: {}",
        entry.board.unwrap_or("not supported")
    );
    t
}
