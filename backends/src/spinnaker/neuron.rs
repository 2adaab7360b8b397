//! The neuron half of an application core: one slice of an `IF_curr_exp` population updated once
//! per 1 ms timer tick in sPyNNaker's arithmetic.
//!
//! Per neuron and tick, in the order of sPyNNaker's `neuron_impl_standard.h`:
//!
//! 1. the ring-buffer slot of this tick is transferred (`neuron.c`, `neuron_transfer`): each
//!    non-zero 16-bit sum becomes an accum by the receptor's left shift and is added to the
//!    synaptic current as `I += decay_s1615(input, init)` (`exp_synapse_utils.h`,
//!    `add_input_exp`);
//! 2. the membrane is updated unless refractory (`neuron_model_lif_impl.h`,
//!    `lif_neuron_closed_form`): `alpha = round(I·R) + V_rest`,
//!    `V = alpha − round(exp_TC·(alpha − V))`; a refractory neuron only counts its timer down;
//! 3. `V >= V_thresh` (`threshold_type_static_impl.h`) fires: `V = V_reset`, timer = `T_refract`;
//! 4. both currents decay, `I = decay_s1615(I, decay)` (`exp_shaping`).
//!
//! The per-neuron constants are those the core derives at start-up from the host's S1615
//! parameters (`neuron_model_initialise`, `decay_and_init`): `R = tau_m / c_m`,
//! `exp_TC = e^(−ts/tau_m)` (accum), `decay = e^(−ts/tau_syn)` and
//! `init = (tau_syn/ts)·(1 − decay)` (u0.32), `T_refract = ceil(tau_refrac / ts)`.

use sim_core::Quantity;

use super::fixed::{ceil_accum, div_accum, Accum, U032};

/// Excitatory and inhibitory: the receptors of `IF_curr_exp`.
pub const N_RECEPTORS: usize = 2;

/// The PyNN parameters the host writes for a LIF core (ms, nF, mV, nA).
struct LifParameters {
    cm: f64,
    tau_m: f64,
    tau_refrac: f64,
    tau_syn_e: f64,
    tau_syn_i: f64,
    v_rest: f64,
    v_reset: f64,
    v_thresh: f64,
    i_offset: f64,
}

/// Per-population constants, as the core holds them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LifConstants {
    pub v_rest: Accum,
    pub v_reset: Accum,
    pub v_thresh: Accum,
    pub i_offset: Accum,
    pub r_membrane: Accum,
    pub exp_tc: Accum,
    pub t_refract: i32,
    /// Per receptor: decay per tick and injection factor.
    pub decay: [U032; N_RECEPTORS],
    pub init: [U032; N_RECEPTORS],
}

impl LifConstants {
    /// The constants for `p` at time step `ts_ms`, computed from the S1615 values the host
    /// writes. The board evaluates `kdivk`/`expk`/`expulr` in fixed point; here the quotients and
    /// exponentials are taken exactly and rounded to nearest, which agrees to within one unit in
    /// the last place (2^-15 for accums, 2^-32 for the u0.32 factors).
    /// `params` are the described PyNN parameters of an `IF_curr_exp` population; one
    /// missing is an error naming it.
    pub fn new(params: &[Quantity], ts_ms: f64) -> Result<Self, String> {
        let get = |name: &str| {
            params
                .iter()
                .find(|q| q.name == name)
                .map(|q| q.value)
                .ok_or_else(|| {
                    format!(
                        "the board's LIF needs parameter {name}, which the model does not describe"
                    )
                })
        };
        let p = LifParameters {
            cm: get("cm")?,
            tau_m: get("tau_m")?,
            tau_refrac: get("tau_refrac")?,
            tau_syn_e: get("tau_syn_E")?,
            tau_syn_i: get("tau_syn_I")?,
            v_rest: get("v_rest")?,
            v_reset: get("v_reset")?,
            v_thresh: get("v_thresh")?,
            i_offset: get("i_offset")?,
        };
        Ok(Self::from_parameters(&p, ts_ms))
    }

    fn from_parameters(p: &LifParameters, ts_ms: f64) -> Self {
        let ts = Accum::from_f64(ts_ms);
        let tau_m = Accum::from_f64(p.tau_m);
        let cm = Accum::from_f64(p.cm);
        let synapse = |tau_ms: f64| {
            let tau = Accum::from_f64(tau_ms);
            let decay = U032::from_f64((-div_accum(ts, tau).to_f64()).exp());
            let init = U032::from_accum_times(div_accum(tau, ts), decay.one_minus());
            (decay, init)
        };
        let (de, ie) = synapse(p.tau_syn_e);
        let (di, ii) = synapse(p.tau_syn_i);
        LifConstants {
            v_rest: Accum::from_f64(p.v_rest),
            v_reset: Accum::from_f64(p.v_reset),
            v_thresh: Accum::from_f64(p.v_thresh),
            i_offset: Accum::from_f64(p.i_offset),
            r_membrane: div_accum(tau_m, cm),
            exp_tc: Accum::from_f64((-div_accum(ts, tau_m).to_f64()).exp()),
            t_refract: ceil_accum(div_accum(Accum::from_f64(p.tau_refrac), ts)),
            decay: [de, di],
            init: [ie, ii],
        }
    }
}

/// The state of one core's neurons (struct of arrays, as the core keeps `neuron_t`s).
#[derive(Debug, Clone)]
pub struct LifSlice {
    pub k: LifConstants,
    pub v: Vec<Accum>,
    /// Synaptic currents per receptor (positive magnitudes; inhibition is subtracted).
    pub isyn: [Vec<Accum>; N_RECEPTORS],
    pub refract: Vec<i32>,
    /// The potential each neuron's threshold check compared in the last tick; `None` where the
    /// neuron was refractory (its membrane was not integrated). Kept for comparing the board's
    /// arithmetic with the f64 engine's near the threshold.
    pub v_at_check: Vec<Option<Accum>>,
}

impl LifSlice {
    /// A slice with initial potentials `v_init` (mV, rounded to S1615 as the host writes them).
    pub fn new(k: LifConstants, v_init: &[f64]) -> Self {
        let n = v_init.len();
        LifSlice {
            k,
            v: v_init.iter().map(|&v| Accum::from_f64(v)).collect(),
            isyn: [vec![Accum::ZERO; n], vec![Accum::ZERO; n]],
            refract: vec![0; n],
            v_at_check: vec![None; n],
        }
    }

    pub fn len(&self) -> usize {
        self.v.len()
    }

    pub fn is_empty(&self) -> bool {
        self.v.is_empty()
    }

    /// One timer tick. `input[r][i]` is the ring-buffer sum (16-bit units) for receptor `r` of
    /// neuron `i`, already converted by the receptor's left shift; it is consumed (zeroed).
    /// Local indices of the neurons that fire are appended to `spikes` in ascending order.
    // One index walks the parallel state arrays, as the core walks its neuron_t array.
    #[allow(clippy::needless_range_loop)]
    pub fn tick(&mut self, input: &mut [Vec<Accum>; N_RECEPTORS], spikes: &mut Vec<u32>) {
        let k = self.k;
        for i in 0..self.v.len() {
            for r in 0..N_RECEPTORS {
                let x = std::mem::take(&mut input[r][i]);
                if x != Accum::ZERO {
                    self.isyn[r][i] = self.isyn[r][i] + x.decay(k.init[r]);
                }
            }
            if self.refract[i] <= 0 {
                let drive = self.isyn[0][i] - self.isyn[1][i] + k.i_offset;
                let alpha = drive.mul_round(k.r_membrane) + k.v_rest;
                self.v[i] = alpha - k.exp_tc.mul_round(alpha - self.v[i]);
                self.v_at_check[i] = Some(self.v[i]);
            } else {
                self.refract[i] -= 1;
                self.v_at_check[i] = None;
            }
            if self.v[i] >= k.v_thresh {
                self.v[i] = k.v_reset;
                self.refract[i] = k.t_refract;
                spikes.push(i as u32);
            }
            for r in 0..N_RECEPTORS {
                self.isyn[r][i] = self.isyn[r][i].decay(k.decay[r]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use models::neurons::if_curr_exp::IfCurrExpParams;

    /// The slow CA3 neuron (specs/ca3-cam.md §2) and the CUBA benchmark neuron, written out
    /// here: the builders that own them sit above this crate.
    fn ca3_slow_neuron() -> IfCurrExpParams {
        IfCurrExpParams {
            cm: 0.27,
            tau_m: 3.0,
            tau_refrac: 1.0,
            tau_syn_e: 0.3,
            tau_syn_i: 0.3,
            v_rest: -60.0,
            v_reset: -60.0,
            v_thresh: -57.0,
            i_offset: 0.0,
        }
    }

    fn cuba_neuron() -> IfCurrExpParams {
        IfCurrExpParams {
            cm: 0.02,
            tau_m: 20.0,
            tau_refrac: 5.0,
            tau_syn_e: 5.0,
            tau_syn_i: 10.0,
            v_rest: -49.0,
            v_reset: -60.0,
            v_thresh: -50.0,
            i_offset: 0.0,
        }
    }

    /// One 6 nA input moves a resting slow CA3 neuron by w·init·R·(1 − expTC) = 5.467 mV
    /// (specs/ca3-cam.md §2) and fires it in the tick the input is injected; the neuron then
    /// stays at reset for exactly T_refract = 1 tick.
    #[test]
    fn one_ca3_input_fires_in_its_tick_and_refracts_one_tick() {
        let k = LifConstants::new(&ca3_slow_neuron().quantities(), 1.0).unwrap();
        assert_eq!(k.t_refract, 1);
        assert!((k.r_membrane.to_f64() - 11.1111).abs() < 1e-3);
        assert!((k.exp_tc.to_f64() - 0.716_531).abs() < 1e-4);
        // Sub-threshold: 3 nA gives 0.91119·3 = 2.734 mV.
        let mut s = LifSlice::new(k, &[-60.0]);
        let mut input = [vec![Accum::from_f64(3.0)], vec![Accum::ZERO]];
        let mut spikes = Vec::new();
        s.tick(&mut input, &mut spikes);
        assert!(spikes.is_empty());
        assert!(
            (s.v[0].to_f64() + 60.0 - 2.7336).abs() < 2e-3,
            "{:?}",
            s.v[0].to_f64()
        );
        assert_eq!(s.v_at_check[0], Some(s.v[0]));
        // Supra-threshold: 6 nA.
        let mut s = LifSlice::new(k, &[-60.0]);
        let mut input = [vec![Accum::from_f64(6.0)], vec![Accum::ZERO]];
        s.tick(&mut input, &mut spikes);
        assert_eq!(spikes, vec![0]);
        // The check saw the integrated potential, not the reset one.
        assert!(s.v_at_check[0].unwrap() >= k.v_thresh);
        assert_eq!(s.v[0], k.v_reset);
        assert_eq!(s.refract[0], 1);
        // A second input during the refractory tick is injected but not integrated.
        let mut input = [vec![Accum::from_f64(6.0)], vec![Accum::ZERO]];
        spikes.clear();
        s.tick(&mut input, &mut spikes);
        assert!(spikes.is_empty());
        assert_eq!(s.v[0], k.v_reset);
        assert_eq!(s.v_at_check[0], None);
    }

    /// With a constant drive the board's neuron follows the f64 kernel with sPyNNaker's
    /// integration (models' `IF_curr_exp`, `integration = "spynnaker"`) to within rounding:
    /// the same spike ticks and |ΔV| below 1e-3 mV over 200 ticks.
    #[test]
    fn a_driven_neuron_follows_the_f64_spynnaker_kernel() {
        use models::neurons::{IfCurrExp, Integration};
        use sim_core::{PopulationModel, StepContext, TimeGrid};
        let mut p = ca3_slow_neuron();
        p.i_offset = 0.35; // alpha = 3.89 mV above rest: periodic firing
        let grid = TimeGrid::new(1.0).unwrap();
        let model = IfCurrExp::new(p.clone(), Integration::Spynnaker, None, &grid).unwrap();
        let mut kernel = model.instantiate(0, 0..1, &grid, 0);
        let mut board = LifSlice::new(LifConstants::new(&p.quantities(), 1.0).unwrap(), &[-60.0]);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let mut worst = 0.0f64;
        for t in 0..200u64 {
            let ctx = StepContext {
                step: t,
                dt_ms: 1.0,
            };
            let mut input = [0.0, 0.0];
            let mut s = Vec::new();
            kernel.update(&ctx, &mut input, &mut s).unwrap();
            a.extend(s.iter().map(|_| t));
            let mut inp = [vec![Accum::ZERO], vec![Accum::ZERO]];
            let mut s = Vec::new();
            board.tick(&mut inp, &mut s);
            b.extend(s.iter().map(|_| t));
            let d = (kernel.read(0, 0) - board.v[0].to_f64()).abs();
            // Checked per step: a NaN fails `<` here, where `f64::max` would pass it over.
            assert!(d < 1e-3, "step {t}: {d} mV");
            worst = worst.max(d);
        }
        assert!(a.len() > 20, "{} spikes", a.len());
        assert_eq!(a, b);
        assert!(worst < 1e-3, "{worst} mV");
    }

    /// One isolated CUBA excitatory input (1.62 pA, 53 weight units at shift 0) delivers less
    /// charge on the board than in f64, because every tick's decay truncates (`decay_s1615`):
    /// the deficit is positive and bounded by one unit per non-zero tick, carried forward.
    #[test]
    fn truncated_decay_loses_charge_of_small_currents() {
        let p = cuba_neuron();
        let k = LifConstants::new(&p.quantities(), 1.0).unwrap();
        let w = Accum::from_weight(53, 0);
        let mut s = LifSlice::new(k, &[-60.0]);
        let mut input = [vec![w], vec![Accum::ZERO]];
        let mut spikes = Vec::new();
        let mut board = 0i64;
        let mut nonzero = 0;
        for _ in 0..100 {
            s.refract[0] = 1; // keep the membrane out of it
            s.tick(&mut input, &mut spikes);
            // The current left after each tick's decay (what the next ticks integrate).
            board += s.isyn[0][0].0 as i64;
            nonzero += (s.isyn[0][0].0 != 0) as i64;
        }
        let d = k.decay[0].to_f64();
        let float = w.0 as f64 * k.init[0].to_f64() * d / (1.0 - d);
        let deficit = float - board as f64;
        eprintln!(
            "charge of one input: board {board} units, f64 {float:.1}: {:.1} %",
            100.0 * board as f64 / float
        );
        assert!(deficit > 0.0);
        assert!(deficit <= (nonzero + 1) as f64 / (1.0 - d));
    }
}
