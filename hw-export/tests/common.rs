#![allow(dead_code)]
use std::path::PathBuf;

pub fn reference(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/reference"
    ))
    .join(name)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Read a reference CSV into (header, rows).
pub fn csv(name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(reference(name)).unwrap();
    let mut lines = text.lines();
    let header = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let rows = lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// A current-based point neuron that describes itself and never spikes: what the mapping and
/// the report read of a population (receptors, parameters), without a concrete model.
#[derive(Debug)]
pub struct TestCell;

struct QuietKernel;

impl sim_core::NeuronKernel for QuietKernel {
    fn update(
        &mut self,
        _: &sim_core::StepContext,
        input: &mut [f64],
        _: &mut Vec<u32>,
    ) -> Result<(), sim_core::ModelError> {
        input.fill(0.0);
        Ok(())
    }
    fn read(&self, _: usize, _: usize) -> f64 {
        f64::NAN
    }
    fn save(&self) -> sim_core::model::KernelState {
        Vec::new()
    }
    fn load(&mut self, _: &sim_core::model::KernelState) -> Result<(), String> {
        Ok(())
    }
}

impl sim_core::PopulationModel for TestCell {
    fn describe(&self) -> sim_core::ModelDescription {
        sim_core::ModelDescription {
            parameters: vec![sim_core::Quantity {
                name: "tau_m",
                unit: "ms",
                value: 20.0,
            }],
            receptors: vec!["excitatory", "inhibitory"],
            ..sim_core::ModelDescription::neuron("test_cell")
        }
    }
    fn instantiate(
        &self,
        _: usize,
        _: std::ops::Range<u32>,
        _: &sim_core::TimeGrid,
        _: u64,
    ) -> Box<dyn sim_core::NeuronKernel> {
        Box::new(QuietKernel)
    }
}
