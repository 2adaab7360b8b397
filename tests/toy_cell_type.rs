//! A cell type added from outside the model library, through the catalogue alone: one
//! `CellType` entry (its parameters, how to build it) and a model that describes itself. A model
//! file names it, the CPU backend runs it, and the SpiNNaker export maps it and writes it.

use std::ops::Range;
use std::sync::Arc;

use backends::cpu::CpuBackend;
use hw_export::export::{write_export, ExportInput};
use hw_export::machine::Machine;
use hw_export::{map_network, MapOptions};
use models::catalogue::{Catalogue, CellType};
use networks::modelfile::parse_str_with;
use serde::Deserialize;
use sim_core::describe::{ModelDescription, Quantity};
use sim_core::model::{ModelError, NeuronKernel, PopulationModel, StepContext};
use sim_core::state::StateTable;
use sim_core::{MemoryObserver, TimeGrid};

/// A pacemaker: spikes every `period` ms, from step 0.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct PacemakerParams {
    period: f64,
}

impl Default for PacemakerParams {
    fn default() -> Self {
        Self { period: 10.0 }
    }
}

#[derive(Debug)]
struct Pacemaker {
    period: f64,
    period_steps: u64,
}

struct PacemakerKernel {
    period_steps: u64,
    /// Steps since the last spike, per neuron.
    since: Vec<u64>,
}

const STATE: StateTable<PacemakerKernel> = StateTable(&[
    sim_core::state::StateVar::Recorded {
        name: "since_spike",
        unit: "steps",
        value: |k, i| k.since[i] as f64,
    },
    sim_core::u64_field!("since", since),
]);

impl PopulationModel for Pacemaker {
    fn describe(&self) -> ModelDescription {
        ModelDescription {
            pynn_standard: true,
            parameters: vec![Quantity {
                name: "period",
                unit: "ms",
                value: self.period,
            }],
            state: STATE.recordable(),
            receptors: vec!["excitatory"],
            ..ModelDescription::neuron("Pacemaker")
        }
    }
    fn instantiate(
        &self,
        _: usize,
        range: Range<u32>,
        _: &TimeGrid,
        _: u64,
    ) -> Box<dyn NeuronKernel> {
        Box::new(PacemakerKernel {
            period_steps: self.period_steps,
            since: vec![self.period_steps - 1; range.len()],
        })
    }
}

impl NeuronKernel for PacemakerKernel {
    fn update(
        &mut self,
        _: &StepContext,
        input: &mut [f64],
        spikes: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        input.fill(0.0);
        for (i, s) in self.since.iter_mut().enumerate() {
            *s += 1;
            if *s == self.period_steps {
                *s = 0;
                spikes.push(i as u32);
            }
        }
        Ok(())
    }
    sim_core::state_io!(STATE, |k: &Self| k.since.len());
}

/// The one line a new cell type needs besides its own code.
fn catalogue() -> Catalogue {
    Catalogue::standard().with(CellType::new(
        "Pacemaker",
        "spikes every period ms",
        |p: &PacemakerParams, ctx| {
            let period_steps = ctx
                .grid
                .steps(p.period)
                .map_err(|e| models::params::ParamError::new("period", p.period, e.to_string()))?;
            if period_steps == 0 {
                return Err(models::params::ParamError::new(
                    "period",
                    p.period,
                    "must be at least one step",
                ));
            }
            Ok(Arc::new(Pacemaker {
                period: p.period,
                period_steps,
            }))
        },
    ))
}

const MODEL: &str = r#"
dt = 1.0
duration = 100.0
seed = 3

[populations.pace]
cell_type = "Pacemaker"
size = 3
params = { period = 20.0 }
record = ["spikes", "since_spike"]

[populations.cell]
cell_type = "IF_curr_exp"
size = 2
integration = "spynnaker"
record = ["spikes"]

[projections.drive]
pre = "pace"
post = "cell"
connector = { type = "AllToAllConnector" }
weight = 5.0
delay = 1.0
"#;

#[test]
fn a_toy_cell_type_runs_from_a_model_file_and_exports() {
    let spec = parse_str_with("toy.toml", MODEL, &[], None, &catalogue()).unwrap();
    let net = &spec.network;
    assert_eq!(net.populations[0].model.type_name(), "Pacemaker");
    let mut sim = CpuBackend::new(1).instantiate(net);
    let mut seen = MemoryObserver::default();
    sim.run_until(spec.duration_steps, &mut seen).unwrap();
    // Every pacemaker spikes in steps 0, 20, 40, 60 and 80, and drives the cells to fire.
    let mut pace = seen.spikes[0].clone();
    pace.sort();
    let expected: Vec<(u64, u32)> = (0..5)
        .flat_map(|k| (0..3).map(move |i| (20 * k, i)))
        .collect();
    assert_eq!(pace, expected);
    assert!(!seen.spikes[1].is_empty(), "the pacemakers drive the cells");
    // The recordable variable comes from the kernel's state table: 0 in a spike step.
    let (steps, values) = &seen.samples[&(0, 0)];
    let at_20 = steps.iter().position(|&s| s == 20).unwrap();
    assert_eq!(&values[3 * at_20..3 * at_20 + 3], &[0.0, 0.0, 0.0]);

    // The exporter maps and writes it from its description alone.
    let opts = MapOptions::default();
    let mapping = map_network(net, &Machine::spinn5(), &opts).unwrap();
    assert!(mapping.ok());
    let dir = std::env::temp_dir().join(format!("engram-toy-export-{}", std::process::id()));
    let input = ExportInput {
        net,
        pop_names: &spec.population_names,
        proj_names: &spec.projection_names,
        duration_ms: spec.duration_ms(),
        machine_name: "spinn5",
        origin: "toy.toml",
    };
    write_export(&dir, &input, &mapping, &opts).unwrap();
    let script = std::fs::read_to_string(dir.join("network.py")).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(script.contains("sim.Pacemaker(period=20.0)"), "{script}");
}

#[test]
fn the_standard_catalogue_does_not_know_the_toy() {
    let e = networks::modelfile::parse_str("toy.toml", MODEL, &[], None)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("populations.pace.cell_type = \"Pacemaker\": unknown cell type"),
        "{e}"
    );
}

#[test]
fn the_toy_reports_bad_parameters_like_any_cell_type() {
    let text = MODEL.replace("period = 20.0", "period = 0.5");
    let e = parse_str_with("toy.toml", &text, &[], None, &catalogue())
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("populations.pace.params.period = 0.5"), "{e}");
    let text = MODEL.replace("period = 20.0", "periodd = 20.0");
    let e = parse_str_with("toy.toml", &text, &[], None, &catalogue())
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("unknown parameter of Pacemaker"), "{e}");
}
