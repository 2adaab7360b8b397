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

/// An additive pair rule that describes itself (sPyNNaker's reading: amplitudes are weights),
/// with weights kept in `[0, w_max]`: what the quantiser reads of a plastic projection.
#[derive(Debug)]
pub struct TestRule {
    pub w_max: f64,
}

impl sim_core::plasticity::PairRule for TestRule {
    fn tau_plus(&self) -> f64 {
        20.0
    }
    fn tau_minus(&self) -> f64 {
        20.0
    }
    fn depress_at_zero_lag(&self) -> bool {
        true
    }
    fn potentiate(&self, w: f64, x: f64) -> f64 {
        (w + 0.01 * x).min(self.w_max)
    }
    fn depress(&self, w: f64, y: f64) -> f64 {
        (w - 0.012 * y).max(0.0)
    }
    fn describe(&self) -> sim_core::RuleDescription {
        sim_core::RuleDescription {
            tau_plus: 20.0,
            tau_minus: 20.0,
            a_plus: 0.01,
            a_minus: 0.012,
            weight_dependence: sim_core::WeightDependenceKind::Additive,
            w_min: 0.0,
            w_max: self.w_max,
            additive_amplitudes_scaled_by_w_max: false,
            depress_at_zero_lag: true,
        }
    }
}
