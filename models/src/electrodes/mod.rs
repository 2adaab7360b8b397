//! PyNN's current sources (`DCSource`, `StepCurrentSource`, `ACSource`, `NoisyCurrentSource`)
//! as graded units: a source population sends its current (nA) every step through a graded
//! projection (weight 1, delay one step) into the `I_inj` graded input of the neurons it is
//! injected into, which add it to `i_offset` for that step.
//!
//! Timing is PyNN's: the current of time `t` (a source's `i` recorded at `t`) drives the
//! membrane from `t` to `t + dt`, so the first potential it changes is that of `t + dt`
//! (pyNN.nest gets the same by shifting NEST's generators back by `min_delay`). A source sends
//! in step `s` the current of `(s + 1)·dt`, which arrives at step `s + 1`; so the current of
//! `t = 0` reaches no neuron (as with NEST's generators).
//!
//! A waveform is a pure function of the step (the noise of a step is drawn from a stream keyed
//! by the seed, the source population and the noise interval): a source has no state but the
//! value it last sent, and its output does not depend on threads or checkpoints.

pub mod ac;
pub mod dc;
pub mod noisy;
pub mod step;

use std::ops::Range;

use sim_core::describe::{ModelDescription, ModelKind, Quantity};
use sim_core::model::{ModelError, NeuronKernel, PopulationModel, StepContext};
use sim_core::state::StateTable;
use sim_core::{Step, TimeGrid};

use crate::params::ParamError;

pub use ac::{AcSource, AcSourceParams};
pub use dc::{DcSource, DcSourceParams};
pub use noisy::{NoisyCurrentSource, NoisyCurrentSourceParams};
pub use step::{StepCurrentSource, StepCurrentSourceParams};

/// The name of the graded input of the neurons that take injected current.
pub const INJECTED_INPUT: &str = "I_inj";

/// What a graded input port list of a neuron that takes injected current looks like.
pub const INJECTED_INPUTS: &[&str] = &[INJECTED_INPUT];

/// The current a neuron kernel receives on its `I_inj` input in this step (nA); empty when no
/// current source reaches the population.
#[derive(Debug, Clone, Default)]
pub(crate) struct InjectedCurrent(Vec<f64>);

impl InjectedCurrent {
    /// Takes a step's values (the kernel's `graded_input`).
    pub(crate) fn set(&mut self, values: &[f64]) {
        self.0.clear();
        self.0.extend_from_slice(values);
    }

    /// Neuron `i`'s current (nA), 0 without current source.
    pub(crate) fn at(&self, i: usize) -> f64 {
        self.0.get(i).copied().unwrap_or(0.0)
    }

    /// Every neuron's current, or none.
    pub(crate) fn values(&self) -> &[f64] {
        &self.0
    }
}

/// A current waveform on the time grid.
pub trait Waveform: std::fmt::Debug + Clone + Send + Sync + 'static {
    const NAME: &'static str;
    /// The parameters, PyNN names and units.
    fn quantities(&self) -> Vec<Quantity>;
    /// The current (nA) at step `step` (time `step·dt`) of unit `unit` of source population
    /// `pop` (the noise keys its stream with them).
    fn current(&self, step: Step, seed: u64, pop: usize, unit: u32) -> f64;
}

/// A population of identical current sources of waveform `W`.
#[derive(Debug, Clone)]
pub struct CurrentSource<W: Waveform> {
    pub waveform: W,
}

impl<W: Waveform> PopulationModel for CurrentSource<W> {
    fn describe(&self) -> ModelDescription {
        ModelDescription {
            kind: ModelKind::Graded { unit: "nA" },
            parameters: self.waveform.quantities(),
            state: state_table::<W>().recordable(),
            pynn_standard: true,
            ..ModelDescription::neuron(W::NAME)
        }
    }
    fn graded_outputs(&self) -> &[&'static str] {
        &["I"]
    }
    fn instantiate(
        &self,
        pop: usize,
        range: Range<u32>,
        _grid: &TimeGrid,
        seed: u64,
    ) -> Box<dyn NeuronKernel> {
        Box::new(SourceKernel {
            waveform: self.waveform.clone(),
            seed,
            pop,
            units: range.clone(),
            i: vec![0.0; range.len()],
        })
    }
}

struct SourceKernel<W: Waveform> {
    waveform: W,
    seed: u64,
    pop: usize,
    units: Range<u32>,
    /// The current sent in the last step: that of the end of the step.
    i: Vec<f64>,
}

impl<W: Waveform> NeuronKernel for SourceKernel<W> {
    fn update(
        &mut self,
        ctx: &StepContext,
        _input: &mut [f64],
        _spikes: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        for (i, unit) in self.i.iter_mut().zip(self.units.clone()) {
            *i = self
                .waveform
                .current(ctx.step + 1, self.seed, self.pop, unit);
        }
        Ok(())
    }
    fn graded_output(&self, _port: usize, out: &mut [f64]) {
        out.copy_from_slice(&self.i);
    }
    sim_core::state_io!(state_table::<W>(), |k: &Self| k.i.len());
}

const fn state_table<W: Waveform>() -> StateTable<SourceKernel<W>> {
    StateTable(&[
        sim_core::recorded!("i", "nA", i),
        sim_core::f64_field!("i", i),
    ])
}

/// Parameters as (name, unit, value) rows.
pub(crate) fn quantities(rows: &[(&'static str, &'static str, f64)]) -> Vec<Quantity> {
    rows.iter()
        .map(|&(name, unit, value)| Quantity { name, unit, value })
        .collect()
}

/// The step of time `t_ms`, rounded to the nearest step (PyNN rounds electrode times to the
/// grid); `param` names the parameter in the error for a negative or non-finite time.
pub(crate) fn grid_step(param: &str, t_ms: f64, dt: f64) -> Result<Step, ParamError> {
    if !t_ms.is_finite() || t_ms < 0.0 {
        return Err(ParamError::new(
            param,
            t_ms,
            "must be a finite time >= 0 (ms)",
        ));
    }
    Ok((t_ms / dt).round() as Step)
}

/// The window `[start, stop)` of a source, in steps.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub start: Step,
    pub stop: Step,
}

impl Window {
    /// `stop` may be PyNN's 1e12 ms ("never"), which saturates.
    pub(crate) fn new(start: f64, stop: f64, grid: &TimeGrid) -> Result<Self, ParamError> {
        let dt = grid.dt_ms();
        let start_step = grid_step("start", start, dt)?;
        let stop_step = grid_step("stop", stop, dt)?;
        if stop_step < start_step {
            return Err(ParamError::new(
                "stop",
                stop,
                format!("must be >= start ({start} ms)"),
            ));
        }
        Ok(Self {
            start: start_step,
            stop: stop_step,
        })
    }
    pub(crate) fn contains(&self, step: Step) -> bool {
        self.start <= step && step < self.stop
    }
}
