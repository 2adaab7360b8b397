//! NEST `sic_connection`: astrocyte SIC → neuron I_SIC with a weight and a delay (spec §2.3).
//!
//! `I_SIC[k] = Σ weight · SIC(Ca[k - delay_steps])`: the SIC computed at the end of step
//! `k - delay_steps` is delivered at the end of step k and used by the neuron during step k+1.

use super::AstroError;

/// One `sic_connection` (source astrocyte index → target neuron index).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SicConnection {
    pub source: usize,
    pub target: usize,
    pub weight: f64,
    /// Delay in simulation steps (NEST default 1 ms = 10 steps at h = 0.1 ms); must be ≥ 1.
    pub delay_steps: usize,
}

/// A set of SIC connections with a ring buffer of past astrocyte SIC values.
#[derive(Debug, Clone)]
pub struct SicDelayLine {
    conns: Vec<SicConnection>,
    n_targets: usize,
    /// `history[slot][astro]`, slot = step mod len.
    history: Vec<Vec<f64>>,
    step: usize,
}

impl SicDelayLine {
    /// Build for `n_sources` astrocytes and `n_targets` neurons. Values before step 1 are 0.
    pub fn new(
        n_sources: usize,
        n_targets: usize,
        conns: Vec<SicConnection>,
    ) -> Result<Self, AstroError> {
        let mut max_d = 1;
        for c in &conns {
            if c.delay_steps < 1 {
                return Err(AstroError::InvalidParameter {
                    model: "sic_connection",
                    name: "delay",
                    value: c.delay_steps as f64,
                    allowed: "delay must be at least one simulation step".into(),
                });
            }
            if !c.weight.is_finite() || c.source >= n_sources || c.target >= n_targets {
                return Err(AstroError::InvalidParameter {
                    model: "sic_connection",
                    name: "weight/source/target",
                    value: c.weight,
                    allowed: format!("weight finite, source < {n_sources}, target < {n_targets}"),
                });
            }
            max_d = max_d.max(c.delay_steps);
        }
        Ok(Self {
            conns,
            n_targets,
            history: vec![vec![0.0; n_sources]; max_d + 1],
            step: 0,
        })
    }

    /// Push the astrocytes' SIC computed at the end of the current step k (call once per step,
    /// after the astrocyte step) and write `I_SIC[k]` per target into `out`.
    pub fn push_and_deliver(&mut self, sic_now: &[f64], out: &mut [f64]) {
        assert_eq!(out.len(), self.n_targets);
        self.step += 1;
        let len = self.history.len();
        let slot = self.step % len;
        self.history[slot].copy_from_slice(sic_now);
        out.iter_mut().for_each(|x| *x = 0.0);
        for c in &self.conns {
            if self.step > c.delay_steps {
                let s = (self.step - c.delay_steps) % len;
                out[c.target] += c.weight * self.history[s][c.source];
            }
        }
    }
}
