//! Reading one neuron's threshold check off the board between ticks: what the membrane was
//! compared with, in the board's own S16.15 bits, so that a spike the board and the f64 engine
//! disagree on can be traced to the rounding that decided it.

use super::board::CoreProgram;
use super::fixed::Accum;
use super::Board;

/// A neuron's threshold check in the last tick run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThresholdCheck {
    /// The potential compared with the threshold; `None` if the neuron was refractory.
    pub v: Option<Accum>,
    pub v_thresh: Accum,
}

impl ThresholdCheck {
    /// `v − v_thresh` in mV (`None` if refractory); the neuron fired iff it is `>= 0`.
    pub fn margin_mv(&self) -> Option<f64> {
        self.v.map(|v| Accum(v.0 - self.v_thresh.0).to_f64())
    }
}

impl Board {
    /// The last tick's threshold check of neuron `neuron` of population `pop`; `None` if the
    /// population runs on source cores (or the neuron does not exist) or no tick has run.
    pub fn threshold_check(&self, pop: usize, neuron: u32) -> Option<ThresholdCheck> {
        if self.step == 0 {
            return None;
        }
        let slice = self.mapping.slice_of(pop, neuron)?;
        let local = (neuron - self.mapping.slices[slice].neurons.start) as usize;
        match &self.cores[slice].program {
            CoreProgram::Lif(lif) => Some(ThresholdCheck {
                v: lif.neurons.v_at_check[local],
                v_thresh: lif.neurons.k.v_thresh,
            }),
            CoreProgram::Source(_) | CoreProgram::Delay(_) => None,
        }
    }
}
