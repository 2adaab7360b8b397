//! `SpikeSourceArray`: neurons that spike at given times. Times must lie on the time grid.

use std::ops::Range;

use crate::params::ParamError;
use serde::{Deserialize, Serialize};
use sim_core::describe::{ModelDescription, ModelKind, SourceKind};
use sim_core::model::{ModelError, NeuronKernel, PopulationModel, StepContext};
use sim_core::state::{StateTable, StateVar};
use sim_core::{Step, TimeGrid};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SpikeSourceArrayParams {
    /// One list of spike times (ms) per neuron, or a single list shared by every neuron.
    pub spike_times: Vec<Vec<f64>>,
}

#[derive(Debug, Clone)]
pub struct SpikeSourceArray {
    /// Per neuron, sorted spike steps.
    steps: Vec<Vec<Step>>,
}

impl SpikeSourceArray {
    /// `spike_times` has one list per neuron, or one list for all `size` neurons.
    pub fn new(spike_times: &[Vec<f64>], size: u32, grid: &TimeGrid) -> Result<Self, ParamError> {
        if spike_times.len() != 1 && spike_times.len() != size as usize {
            return Err(ParamError::new(
                "spike_times",
                format!("{} lists", spike_times.len()),
                format!("needs 1 list (shared) or one list per neuron ({size})"),
            ));
        }
        let mut steps = Vec::with_capacity(spike_times.len());
        for (i, list) in spike_times.iter().enumerate() {
            let mut s = Vec::with_capacity(list.len());
            for (k, &t) in list.iter().enumerate() {
                let st = grid.steps(t).map_err(|e| {
                    ParamError::new(&format!("spike_times[{i}][{k}]"), t, e.to_string())
                })?;
                s.push(st);
            }
            s.sort_unstable();
            s.dedup();
            steps.push(s);
        }
        Ok(Self { steps })
    }

    /// From spike steps directly (e.g. the CA3 operation layer), one sorted list per neuron.
    pub fn from_steps(mut steps: Vec<Vec<Step>>) -> Self {
        for s in &mut steps {
            s.sort_unstable();
            s.dedup();
        }
        Self { steps }
    }
}

/// The cell type's name, as model files and PyNN write it.
pub const NAME: &str = "SpikeSourceArray";

impl PopulationModel for SpikeSourceArray {
    fn describe(&self) -> ModelDescription {
        ModelDescription {
            kind: ModelKind::SpikeSource(SourceKind::Array {
                spike_steps: self.steps.clone(),
            }),
            state: STATE.recordable(),
            pynn_standard: true,
            ..ModelDescription::neuron(NAME)
        }
    }
    fn instantiate(
        &self,
        _pop: usize,
        range: Range<u32>,
        _grid: &TimeGrid,
        _seed: u64,
    ) -> Box<dyn NeuronKernel> {
        let steps: Vec<Vec<Step>> = range
            .clone()
            .map(|i| {
                if self.steps.len() == 1 {
                    self.steps[0].clone()
                } else {
                    self.steps[i as usize].clone()
                }
            })
            .collect();
        // Merge into one (step, neuron) schedule so a step costs O(spikes), not O(neurons).
        let mut schedule: Vec<(Step, u32)> = steps
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.iter().map(move |&t| (t, i as u32)))
            .collect();
        schedule.sort_unstable();
        Box::new(ArrayKernel {
            schedule,
            cursor: 0,
            n: range.len(),
        })
    }
}

struct ArrayKernel {
    schedule: Vec<(Step, u32)>,
    cursor: usize,
    /// Neurons in the slice (some may never spike).
    n: usize,
}

impl NeuronKernel for ArrayKernel {
    fn update(
        &mut self,
        ctx: &StepContext,
        _input: &mut [f64],
        spikes: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        while let Some(&(t, i)) = self.schedule.get(self.cursor) {
            if t > ctx.step {
                break;
            }
            if t == ctx.step {
                spikes.push(i);
            }
            self.cursor += 1;
        }
        Ok(())
    }
    sim_core::state_io!(STATE, |k: &Self| k.n);
}

/// Per-neuron arrays only: the cursor is kept as "spikes already emitted" per neuron.
const STATE: StateTable<ArrayKernel> = StateTable(&[StateVar::U64 {
    name: "emitted",
    save: |k| {
        let mut emitted = vec![0u64; k.n];
        for &(_, i) in &k.schedule[..k.cursor] {
            emitted[i as usize] += 1;
        }
        emitted
    },
    load: |k, emitted| {
        // The schedule is sorted by step: the emitted spikes are a prefix of it, and a
        // consistent state has exactly the per-neuron counts of that prefix.
        let cursor = emitted.iter().sum::<u64>() as usize;
        if cursor > k.schedule.len() {
            return Err(format!(
                "state array 'emitted' counts {cursor} spikes, more than the {} scheduled",
                k.schedule.len()
            ));
        }
        k.cursor = cursor;
        Ok(())
    },
}]);
