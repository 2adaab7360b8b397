//! PyNN's `TsodyksMarkramSynapse`: short-term depression and facilitation (Tsodyks, Uziel and
//! Markram 2000) as NEST 3.10's `tsodyks_synapse` computes it, which PyNN's NEST backend uses.
//!
//! Each synapse keeps `u` (release probability, initially 0), `x` (recovered resources,
//! initially 1) and `y` (active resources, initially 0; they decay with the post-synaptic
//! current's time constant `tau_psc` and return to `x` through the inactive pool `z = 1 − x −
//! y` with `tau_rec`). At a spike, `h` ms after the previous one, the state is propagated
//! exactly over `h` (`u` decays with `tau_facil`, or to 0 when `tau_facil` = 0), then `u` jumps
//! by `U (1 − u)`, the released fraction `u x` moves from `x` to `y`, and the synapse delivers
//! `weight · u x`. Spike times are NEST's stamps: (emitting step + 1) × tics per step × 0.001
//! ms (NEST stamps a neuron's spike at the end of its step), so that `h` is NEST's difference
//! of two stamps to the bit.

use sim_core::dynamics::SynapseDynamics;
use sim_core::time::{Step, TimeGrid};

use super::per_synapse::PerSynapse;
use crate::params::{non_negative, positive, ParamError};

/// The name model files and PyNN give this synapse type.
pub const NAME: &str = "TsodyksMarkramSynapse";

#[derive(Debug, Clone)]
pub struct TsodyksMarkram {
    /// Use parameter (0..=1).
    pub u_use: PerSynapse,
    /// Depression (recovery) time constant, ms.
    pub tau_rec: PerSynapse,
    /// Facilitation time constant, ms (0: no facilitation).
    pub tau_facil: PerSynapse,
    /// Time constant of the post-synaptic current (the post neuron's `tau_syn` of the
    /// receptor, as PyNN's NEST backend sets it), ms.
    pub tau_psc: f64,
    /// Tics (NEST's 1 µs) per step.
    tics_per_step: u64,
}

impl TsodyksMarkram {
    /// A rule for `n` synapses; errors name the parameter, its value and what is allowed.
    pub fn new(
        u_use: PerSynapse,
        tau_rec: PerSynapse,
        tau_facil: PerSynapse,
        tau_psc: f64,
        n: usize,
        grid: &TimeGrid,
    ) -> Result<Self, ParamError> {
        u_use.validate("U", n, |u| {
            if (0.0..=1.0).contains(&u) {
                Ok(())
            } else {
                Err(ParamError::new("U", u, "must be in [0, 1]"))
            }
        })?;
        positive("tau_psc", tau_psc, "ms")?;
        tau_rec.validate("tau_rec", n, |t| {
            positive("tau_rec", t, "ms")?;
            if t == tau_psc {
                return Err(ParamError::new(
                    "tau_rec",
                    t,
                    format!("must differ from tau_psc = {tau_psc} ms (the post-synaptic current's time constant)"),
                ));
            }
            Ok(())
        })?;
        tau_facil.validate("tau_facil", n, |t| non_negative("tau_facil", t, "ms"))?;
        Ok(Self {
            u_use,
            tau_rec,
            tau_facil,
            tau_psc,
            tics_per_step: (grid.dt_ms() * 1000.0).round() as u64,
        })
    }

    /// NEST's stamp of a spike emitted in `step`, in ms.
    fn stamp_ms(&self, step: Step) -> f64 {
        ((step + 1) * self.tics_per_step) as f64 * 0.001
    }
}

/// Index of `u`, `x`, `y` in a synapse's state.
const U: usize = 0;
const X: usize = 1;
const Y: usize = 2;

impl SynapseDynamics for TsodyksMarkram {
    fn name(&self) -> &str {
        NAME
    }

    fn state_len(&self) -> usize {
        3
    }

    fn init(&self, _syn: usize, state: &mut [f64]) {
        state[U] = 0.0;
        state[X] = 1.0;
        state[Y] = 0.0;
    }

    fn transmit(&self, syn: usize, s: &mut [f64], t: Step, last: Option<Step>) -> f64 {
        let (tau_rec, tau_facil, tau_psc) =
            (self.tau_rec.at(syn), self.tau_facil.at(syn), self.tau_psc);
        // NEST starts every synapse with its last spike at 0 ms.
        let h = self.stamp_ms(t) - last.map_or(0.0, |l| self.stamp_ms(l));
        let p_uu = if tau_facil == 0.0 {
            0.0
        } else {
            (-h / tau_facil).exp()
        };
        let p_yy = (-h / tau_psc).exp();
        let p_zz = (-h / tau_rec).exp();
        let p_xy = ((p_zz - 1.0) * tau_rec - (p_yy - 1.0) * tau_psc) / (tau_psc - tau_rec);
        let p_xz = 1.0 - p_zz;
        let z = 1.0 - s[X] - s[Y];
        // Propagation over h: u, then x (from the old y and z), then y.
        s[U] *= p_uu;
        s[X] += p_xy * s[Y] + p_xz * z;
        s[Y] *= p_yy;
        // The spike.
        s[U] += self.u_use.at(syn) * (1.0 - s[U]);
        let released = s[U] * s[X];
        s[X] -= released;
        s[Y] += released;
        released
    }

    fn parameter(&self, name: &str, n: usize) -> Option<Vec<f64>> {
        match name {
            "U" => Some(self.u_use.values(n)),
            "tau_rec" => Some(self.tau_rec.values(n)),
            "tau_facil" => Some(self.tau_facil.values(n)),
            "tau_psc" => Some(vec![self.tau_psc; n]),
            _ => None,
        }
    }
}
