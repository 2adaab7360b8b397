//! The f32 NEST-order kernel of `IF_curr_exp`, with each neuron's state held against an epoch
//! so that a step writes nothing for a neuron that neither receives input nor fires.
//!
//! Between inputs and resets NEST's step is linear with coefficients shared by every neuron.
//! After `m` steps of an epoch the state is
//!
//! ```text
//!     i_e = E_m·x_e,   i_i = I_m·x_i,   v = Q_m·u + B_m·x_e + C_m·x_i + D_m
//! ```
//!
//! with `E_m = decay_e^m`, `I_m = decay_i^m`, `Q_m = p22^m`, and `B_m`, `C_m`, `D_m` the
//! membrane's response to the two currents and the offset current, tabulated once per `m`. The
//! anchored values `(u, x_e, x_i)` change only when input arrives or the neuron resets, so a
//! step reads three floats per neuron, evaluates `v` with three fused multiply-adds, compares it
//! with the threshold and stores nothing (the NEST kernel reads and writes `v`, `i_e`, `i_i`).
//!
//! * Input `δ` arriving in step `m` acts from the next step on, as in NEST: `x_e` grows by
//!   `δ/E_m` and `u` drops by `δ·B_m/(Q_m·E_m)`, which leaves `v_m` as it was. It may therefore
//!   go in before or after the step's threshold check: before in even steps, after in odd ones.
//!   `v` of an odd step then depends only on the state the even step before it left, and the
//!   even step's pass evaluates both steps from one load of each neuron's state.
//! * A spike anchors `u` so that `v = v_reset`. When the refractory period ends `u` is anchored
//!   again from the currents then held, so the neuron integrates from `v_reset` as NEST's does;
//!   the free evolution computed for it meanwhile is never used (threshold crossings of
//!   refractory neurons are ignored, and `v` reads as `v_reset`).
//! * Rounding errors of the anchored values are amplified by up to `1/E_m` (the same for `I_m`,
//!   `Q_m`). An epoch therefore ends when the fastest of the three has decayed by
//!   [`EPOCH_DECAY`]; then one pass folds every neuron's state into the next epoch.
//!
//! The arithmetic is f32 (fused), the tabulated coefficients are computed in f64 and rounded
//! once. Trajectories are not NEST's to the last bit (nor the step-by-step f32 recursion's), but
//! they are deterministic: the same inputs in the same order give the same bits, whatever the
//! number of threads.

use sim_core::model::{KernelState, ModelError, NeuronKernel, StateArray, StepContext};
use sim_core::state::{StateTable, StateVar};

use super::{steps_left, IfCurrExp, REFRACTORY_WINDOW};
use crate::neurons::non_finite;

/// An epoch ends when the fastest decay of the state (a current or the membrane) has reached
/// 1/EPOCH_DECAY; rounding errors are amplified by at most this factor.
pub(super) const EPOCH_DECAY: f64 = 8.0;

/// Longest epoch, in steps (the coefficient table has one entry per step of an epoch).
const MAX_EPOCH: usize = 4096;

/// Neurons per chunk of the dense pass: one 512-bit vector of f32.
const CHUNK: usize = 16;

/// The shared coefficients for the state after `m` steps of an epoch.
#[derive(Debug, Clone, Copy, Default)]
struct Coef {
    /// v = q·u + b·x_e + c·x_i + d.
    q: f32,
    b: f32,
    c: f32,
    d: f32,
    /// 1/q, to anchor u at a given v.
    inv_q: f32,
    /// i_e = e·x_e and i_i = i·x_i.
    e: f32,
    i: f32,
    /// Input of weight w: x_e += w·ge, u -= w·he (excitatory); x_i -= w·gi, u += w·hi
    /// (inhibitory).
    ge: f32,
    he: f32,
    gi: f32,
    hi: f32,
}

pub(super) struct AnchoredKernel {
    v_rest: f64,
    theta: f32,
    reset: f32,
    refractory_steps: u32,
    /// Coefficients for m = 0..=epoch (entry 0 is the identity).
    table: Vec<Coef>,
    /// Steps taken in the current epoch (0..=epoch).
    m: usize,
    /// Neurons of the slice; the anchored arrays are padded to whole chunks with lanes that
    /// hold u = x = 0, receive no input and never fire.
    n: usize,
    u: Vec<f32>,
    x_e: Vec<f32>,
    x_i: Vec<f32>,
    /// Lanes of the last chunk that are neurons.
    last_lanes: u16,
    /// The kernel's own step count at which each neuron integrates again after a spike; read
    /// only when a neuron crosses threshold or its state is read.
    until: Vec<u32>,
    /// Neurons whose refractory period ends at clock `c` (`until == c`), in bucket
    /// `c % (refractory_steps + 1)`; they are anchored at v_reset at the end of update `c - 1`.
    ends: Vec<Vec<u32>>,
    clock: u32,
    /// Scratch: (first neuron, lane mask) of the chunks in which some neuron crossed threshold.
    crossed: Vec<(usize, u16)>,
    /// Whether an even step's pass also evaluates the odd step after it (off only to test that
    /// this changes nothing).
    blocking: bool,
    /// The crossings of that evaluation ahead, and whether the next update may use them: they
    /// were made by the last update, and every v evaluated ahead was finite.
    crossed_ahead: Vec<(usize, u16)>,
    ahead_valid: bool,
    /// Neurons anchored at v_reset at the end of the last update (their refractory period
    /// ended), after its pass.
    reanchored: Vec<u32>,
    /// Scratch: the neurons that fire in an update without a full pass.
    fired: Vec<u32>,
}

impl AnchoredKernel {
    pub(super) fn new(model: &IfCurrExp, v: Vec<f64>) -> Self {
        let (p, c) = (&model.params, &model.c);
        let n = v.len();
        let refractory_steps = model.refractory_steps as u32;
        let fastest = c.decay_e.min(c.decay_i).min(c.p22);
        // fastest^epoch >= 1/EPOCH_DECAY.
        // `IfCurrExp::with_precision` ensures fastest >= 1/EPOCH_DECAY (an epoch of >= 1 step).
        let epoch = if fastest < 1.0 {
            (EPOCH_DECAY.ln() / -fastest.ln()).floor() as usize
        } else {
            MAX_EPOCH
        }
        .clamp(1, MAX_EPOCH);
        let drive = p.i_offset * c.p20;
        let mut table = Vec::with_capacity(epoch + 1);
        let (mut e, mut i, mut q) = (1.0f64, 1.0f64, 1.0f64);
        let (mut b, mut cc, mut d) = (0.0f64, 0.0f64, 0.0f64);
        for _ in 0..=epoch {
            table.push(Coef {
                q: q as f32,
                b: b as f32,
                c: cc as f32,
                d: d as f32,
                inv_q: (1.0 / q) as f32,
                e: e as f32,
                i: i as f32,
                ge: (1.0 / e) as f32,
                he: (b / (q * e)) as f32,
                gi: (1.0 / i) as f32,
                hi: (cc / (q * i)) as f32,
            });
            // One NEST step of the free response: v' = p22·v + p21e·i_e + p21i·i_i + drive.
            b = c.p22 * b + c.p21e * e;
            cc = c.p22 * cc + c.p21i * i;
            d = c.p22 * d + drive;
            q *= c.p22;
            e *= c.decay_e;
            i *= c.decay_i;
        }
        let padded = n.div_ceil(CHUNK) * CHUNK;
        let mut u: Vec<f32> = v.into_iter().map(|v| v as f32).collect();
        u.resize(padded, 0.0);
        let last_lanes = match n % CHUNK {
            0 => u16::MAX,
            r => (1u16 << r) - 1,
        };
        Self {
            v_rest: p.v_rest,
            theta: (p.v_thresh - p.v_rest) as f32,
            reset: (p.v_reset - p.v_rest) as f32,
            refractory_steps,
            table,
            m: 0,
            n,
            u,
            x_e: vec![0.0; padded],
            x_i: vec![0.0; padded],
            last_lanes,
            until: vec![u32::MAX; n],
            ends: vec![Vec::new(); refractory_steps as usize + 1],
            clock: 0,
            crossed: Vec::new(),
            blocking: true,
            crossed_ahead: Vec::new(),
            ahead_valid: false,
            reanchored: Vec::new(),
            fired: Vec::new(),
        }
    }

    fn epoch(&self) -> usize {
        self.table.len() - 1
    }

    /// Whether neuron `j` is refractory in the update with the kernel's clock `clock`.
    fn refractory_at(&self, j: usize, clock: u32) -> bool {
        (self.until[j].wrapping_sub(clock) as i32) > 0
    }

    /// The membrane potential (relative to v_rest) as the last update left it.
    fn v(&self, j: usize) -> f32 {
        // Refractory through the step just taken: held at reset (NEST's V_m).
        if (self.until[j].wrapping_sub(self.clock) as i32) >= 0 {
            return self.reset;
        }
        self.eval(&self.table[self.m], j)
    }

    /// Anchors neuron `j` at v = reset under the coefficients `k`.
    #[inline]
    fn anchor_at_reset(&mut self, j: usize, k: &Coef) {
        let rest = k.b.mul_add(self.x_e[j], k.c.mul_add(self.x_i[j], k.d));
        self.u[j] = (self.reset - rest) * k.inv_q;
    }

    /// Starts a new epoch: every neuron's state is written against m = 0.
    fn fold_epoch(&mut self) {
        let k = self.table[self.m];
        for j in 0..self.u.len() {
            self.u[j] = self.eval(&k, j);
            self.x_e[j] *= k.e;
            self.x_i[j] *= k.i;
        }
        self.m = 0;
    }

    /// One update. Input arriving in a step leaves that step's v as it is (see the module
    /// comment), so it may go in before or after the threshold check: in steps with an even
    /// number it goes in first, in odd steps after. v of an odd step therefore depends only on
    /// the state the even step before it left, and the even step's pass evaluates it too, from
    /// the same loads: the odd step then re-checks only the neurons that crossed in that
    /// evaluation or were re-anchored since. Either way v is computed from the same state with
    /// the same operations, so the spikes do not depend on whether the evaluation ahead was
    /// made (after a restore it is not) — bit for bit.
    fn step(
        &mut self,
        step: u64,
        mut input: Input<'_>,
        spikes: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        let even = step.is_multiple_of(2);
        // An even step also uses the next step's coefficients, so it starts a new epoch one step
        // early; an odd step after an even one then never needs to (folds stay at the same
        // steps whether or not the evaluation ahead is made).
        if self.m + usize::from(even) >= self.epoch() {
            self.fold_epoch();
            self.ahead_valid = false;
        }
        self.m += 1;
        let k = self.table[self.m];
        let clock = self.clock;
        let ahead_usable = !even && self.ahead_valid;
        self.ahead_valid = false;
        let finite = if even {
            let input_finite = self.add_input(&k, &mut input);
            let ahead = (self.blocking && self.m < self.epoch()).then(|| self.table[self.m + 1]);
            let (finite, finite_ahead) = self.full_pass(&k, ahead.as_ref(), clock, spikes);
            self.ahead_valid = ahead.is_some() && finite_ahead;
            finite && input_finite
        } else {
            let finite = if ahead_usable {
                self.check_ahead(&k, clock, spikes);
                true
            } else {
                self.full_pass(&k, None, clock, spikes).0
            };
            self.add_input(&k, &mut input) && finite
        };
        self.clock = clock.wrapping_add(1);
        // Neurons whose refractory period ends now integrate from v_reset in the next update.
        let period = self.refractory_steps as usize + 1;
        let bucket = self.clock as usize % period;
        let ending = std::mem::take(&mut self.ends[bucket]);
        self.reanchored.clear();
        for &j in &ending {
            if self.until[j as usize] == self.clock {
                self.anchor_at_reset(j as usize, &k);
                self.reanchored.push(j);
            }
        }
        self.ends[bucket] = ending;
        self.ends[bucket].clear();
        if (self.clock as u64).is_multiple_of(REFRACTORY_WINDOW) {
            // Keep every refractory end within the comparison window of the clock.
            let expired = self.clock.wrapping_sub(1);
            for u in &mut self.until {
                if (u.wrapping_sub(self.clock) as i32) < 0 {
                    *u = expired;
                }
            }
        }
        self.check_finite(finite)
    }

    fn add_input(&mut self, k: &Coef, input: &mut Input<'_>) -> bool {
        match input {
            Input::Sparse { input, touched } => self.add_sparse(k, input, touched),
            Input::Dense(input) => self.add_dense(k, input),
        }
    }

    /// The threshold check of every neuron under `k`, and with `ahead` also under the next
    /// step's coefficients (its crossings are kept for the next update); spikes are appended.
    /// Returns whether every v (and every v ahead) is finite.
    fn full_pass(
        &mut self,
        k: &Coef,
        ahead: Option<&Coef>,
        clock: u32,
        spikes: &mut Vec<u32>,
    ) -> (bool, bool) {
        self.crossed_ahead.clear();
        let lanes = Lanes {
            u: self.u.as_chunks::<CHUNK>().0,
            x_e: self.x_e.as_chunks::<CHUNK>().0,
            x_i: self.x_i.as_chunks::<CHUNK>().0,
        };
        let finite = threshold_pass(
            k,
            ahead,
            self.theta,
            &lanes,
            &mut self.crossed,
            &mut self.crossed_ahead,
        );
        // The padding lanes of the last chunk are not neurons; the lists are in chunk order.
        let last = (lanes.u.len() - 1) * CHUNK;
        for list in [&mut self.crossed, &mut self.crossed_ahead] {
            if let Some((base, mask)) = list.last_mut() {
                if *base == last {
                    *mask &= self.last_lanes;
                    if *mask == 0 {
                        list.pop();
                    }
                }
            }
        }
        // Emission anchors the neurons that fire; their chunks are behind the pass.
        let crossed = std::mem::take(&mut self.crossed);
        for &(base, mask) in &crossed {
            self.emit_chunk(mask, base, k, clock, spikes);
        }
        self.crossed = crossed;
        self.crossed.clear();
        finite
    }

    /// The threshold check of an odd step after its even step's pass: every neuron whose
    /// state is the one that pass evaluated and that stayed below threshold stays below; the
    /// others are evaluated again.
    fn check_ahead(&mut self, k: &Coef, clock: u32, spikes: &mut Vec<u32>) {
        let mut fired = std::mem::take(&mut self.fired);
        fired.clear();
        let mut check = |j: usize, this: &Self| {
            if this.eval(k, j) >= this.theta && !this.refractory_at(j, clock) {
                fired.push(j as u32);
            }
        };
        for &(base, mut mask) in &self.crossed_ahead {
            while mask != 0 {
                check(base + mask.trailing_zeros() as usize, self);
                mask &= mask - 1;
            }
        }
        for &j in &self.reanchored {
            check(j as usize, self);
        }
        // Crossings come in neuron order, re-anchored neurons after them.
        fired.sort_unstable();
        fired.dedup();
        for &j in &fired {
            self.spike(j as usize, k, clock, spikes);
        }
        self.fired = fired;
    }

    #[inline]
    fn eval(&self, k: &Coef, j: usize) -> f32 {
        k.q.mul_add(
            self.u[j],
            k.b.mul_add(self.x_e[j], k.c.mul_add(self.x_i[j], k.d)),
        )
    }

    /// Neuron `j` fires in the update with the clock `clock`: it is anchored at v_reset and
    /// refractory until its period ends.
    fn spike(&mut self, j: usize, k: &Coef, clock: u32, spikes: &mut Vec<u32>) {
        let end = clock.wrapping_add(self.refractory_steps).wrapping_add(1);
        spikes.push(j as u32);
        self.until[j] = end;
        self.ends[end as usize % (self.refractory_steps as usize + 1)].push(j as u32);
        self.anchor_at_reset(j, k);
    }

    /// Spikes of the lanes of one chunk that crossed threshold and are not refractory.
    #[cold]
    fn emit_chunk(
        &mut self,
        mut mask: u16,
        base: usize,
        k: &Coef,
        clock: u32,
        spikes: &mut Vec<u32>,
    ) {
        while mask != 0 {
            let j = base + mask.trailing_zeros() as usize;
            mask &= mask - 1;
            if !self.refractory_at(j, clock) {
                self.spike(j, k, clock, spikes);
            }
        }
    }

    fn check_finite(&self, finite: bool) -> Result<(), ModelError> {
        if !finite {
            let k = &self.table[self.m];
            if let Some(j) = (0..self.n).find(|&j| !self.eval(k, j).is_finite()) {
                return Err(non_finite(j, "v", self.eval(k, j) as f64));
            }
        }
        Ok(())
    }

    /// Adds the input of the neurons in `touched` (receptor-major lists, repeats allowed) and
    /// clears it. Returns false if some state it changed may have become non-finite (a check of
    /// v then finds out), so that an overflowing input is reported in the step it arrives in,
    /// whether the step checks the threshold before or after its input.
    fn add_sparse(&mut self, k: &Coef, input: &mut [f64], touched: &[Vec<u32>]) -> bool {
        let n = self.n;
        let (exc, inh) = input.split_at_mut(n);
        let (u, x_e, x_i) = (&mut self.u[..], &mut self.x_e[..], &mut self.x_i[..]);
        let mut finite = true;
        for &j in &touched[0] {
            let j = j as usize;
            add_excitatory(k, exc[j], &mut x_e[j], &mut u[j]);
            finite &= (x_e[j] + u[j]).is_finite();
            exc[j] = 0.0;
        }
        for &j in &touched[1] {
            let j = j as usize;
            add_inhibitory(k, inh[j], &mut x_i[j], &mut u[j]);
            finite &= (x_i[j] + u[j]).is_finite();
            inh[j] = 0.0;
        }
        finite
    }

    /// Adds the input of every neuron and clears it. Returns false if some state it changed may
    /// have become non-finite.
    fn add_dense(&mut self, k: &Coef, input: &mut [f64]) -> bool {
        let n = self.n;
        let (exc, inh) = input.split_at_mut(n);
        let mut finite = true;
        for j in 0..n {
            add_excitatory(k, exc[j], &mut self.x_e[j], &mut self.u[j]);
            add_inhibitory(k, inh[j], &mut self.x_i[j], &mut self.u[j]);
            finite &= (self.x_e[j] + self.x_i[j] + self.u[j]).is_finite();
        }
        exc.fill(0.0);
        inh.fill(0.0);
        finite
    }
}

/// Input to an update: the ring slot with the lists of neurons it reached, or the whole slot.
enum Input<'a> {
    Sparse {
        input: &'a mut [f64],
        touched: &'a [Vec<u32>],
    },
    Dense(&'a mut [f64]),
}

/// Excitatory input of weight `w` in the step of `k`: i_e grows by w, v stays.
#[inline(always)]
fn add_excitatory(k: &Coef, w: f64, x_e: &mut f32, u: &mut f32) {
    if w != 0.0 {
        let w = w as f32;
        *x_e = w.mul_add(k.ge, *x_e);
        *u = (-w).mul_add(k.he, *u);
    }
}

/// Inhibitory input of magnitude `w` in the step of `k`: i_i drops by w, v stays.
#[inline(always)]
fn add_inhibitory(k: &Coef, w: f64, x_i: &mut f32, u: &mut f32) {
    if w != 0.0 {
        let w = w as f32;
        *x_i = (-w).mul_add(k.gi, *x_i);
        *u = w.mul_add(k.hi, *u);
    }
}

/// The anchored state of a slice, chunk by chunk.
struct Lanes<'a> {
    u: &'a [[f32; CHUNK]],
    x_e: &'a [[f32; CHUNK]],
    x_i: &'a [[f32; CHUNK]],
}

/// Evaluates v of every neuron of whole chunks under `k` (and under `ahead`, the next step's
/// coefficients, if given); appends (first neuron, lane mask) for each chunk where some
/// v >= theta to `crossed` (and `crossed_ahead`). Returns whether every v (and every v ahead)
/// is finite.
fn threshold_pass(
    k: &Coef,
    ahead: Option<&Coef>,
    theta: f32,
    lanes: &Lanes<'_>,
    crossed: &mut Vec<(usize, u16)>,
    crossed_ahead: &mut Vec<(usize, u16)>,
) -> (bool, bool) {
    #[cfg(all(target_arch = "x86_64", target_feature = "avx512f"))]
    // SAFETY: this build targets a CPU with AVX-512F (the cfg).
    return unsafe {
        match ahead {
            Some(a) => threshold_pass_avx512::<true>(k, a, theta, lanes, crossed, crossed_ahead),
            None => threshold_pass_avx512::<false>(k, k, theta, lanes, crossed, crossed_ahead),
        }
    };
    #[cfg(not(all(target_arch = "x86_64", target_feature = "avx512f")))]
    portable_threshold_pass(k, ahead, theta, lanes, crossed, crossed_ahead)
}

/// [`threshold_pass`] in 16-lane vectors: per chunk three loads, and three fused multiply-adds
/// and one compare per step evaluated (the compiler's vectorisation of the portable loop
/// extracts the compare lane by lane).
#[cfg(all(target_arch = "x86_64", target_feature = "avx512f"))]
#[target_feature(enable = "avx512f")]
fn threshold_pass_avx512<const AHEAD: bool>(
    k: &Coef,
    ka: &Coef,
    theta: f32,
    lanes: &Lanes<'_>,
    crossed: &mut Vec<(usize, u16)>,
    crossed_ahead: &mut Vec<(usize, u16)>,
) -> (bool, bool) {
    use std::arch::x86_64::*;
    let coef = |k: &Coef| {
        (
            _mm512_set1_ps(k.q),
            _mm512_set1_ps(k.b),
            _mm512_set1_ps(k.c),
            _mm512_set1_ps(k.d),
        )
    };
    let ((q, b, c, d), (qa, ba, ca, da)) = (coef(k), coef(ka));
    let th = _mm512_set1_ps(theta);
    let (mut sum, mut sum_ahead) = (_mm512_setzero_ps(), _mm512_setzero_ps());
    // Branch-free appends into reserved room: every chunk's entry is written, the length
    // advances only where a lane crossed (a call to grow the vector inside the loop would make
    // the compiler keep the coefficients on the stack).
    crossed.reserve(lanes.u.len());
    crossed_ahead.reserve(lanes.u.len());
    let (out, out_ahead) = (
        crossed.spare_capacity_mut().as_mut_ptr(),
        crossed_ahead.spare_capacity_mut().as_mut_ptr(),
    );
    let (mut found, mut found_ahead) = (0usize, 0usize);
    for (ch, ((u, xe), xi)) in lanes.u.iter().zip(lanes.x_e).zip(lanes.x_i).enumerate() {
        // SAFETY: each pointer is to an array of 16 f32.
        let (u, xe, xi) = unsafe {
            (
                _mm512_loadu_ps(u.as_ptr()),
                _mm512_loadu_ps(xe.as_ptr()),
                _mm512_loadu_ps(xi.as_ptr()),
            )
        };
        let v = _mm512_fmadd_ps(q, u, _mm512_fmadd_ps(b, xe, _mm512_fmadd_ps(c, xi, d)));
        sum = _mm512_add_ps(sum, v);
        let mask = _mm512_cmp_ps_mask::<_CMP_GE_OQ>(v, th);
        // SAFETY: `found` <= ch < lanes.u.len(), the room reserved.
        unsafe { (*out.add(found)).write((ch * CHUNK, mask)) };
        found += (mask != 0) as usize;
        if AHEAD {
            let v = _mm512_fmadd_ps(qa, u, _mm512_fmadd_ps(ba, xe, _mm512_fmadd_ps(ca, xi, da)));
            sum_ahead = _mm512_add_ps(sum_ahead, v);
            let mask = _mm512_cmp_ps_mask::<_CMP_GE_OQ>(v, th);
            // SAFETY: as above.
            unsafe { (*out_ahead.add(found_ahead)).write((ch * CHUNK, mask)) };
            found_ahead += (mask != 0) as usize;
        }
    }
    // SAFETY: the first `found` (`found_ahead`) entries of the room were written above.
    unsafe {
        crossed.set_len(crossed.len() + found);
        crossed_ahead.set_len(crossed_ahead.len() + found_ahead);
    }
    (
        _mm512_reduce_add_ps(sum).is_finite(),
        _mm512_reduce_add_ps(sum_ahead).is_finite(),
    )
}

/// [`threshold_pass`] for hosts without AVX-512, in the same arithmetic.
#[cfg_attr(
    all(target_arch = "x86_64", target_feature = "avx512f"),
    allow(dead_code)
)]
fn portable_threshold_pass(
    k: &Coef,
    ahead: Option<&Coef>,
    theta: f32,
    lanes: &Lanes<'_>,
    crossed: &mut Vec<(usize, u16)>,
    crossed_ahead: &mut Vec<(usize, u16)>,
) -> (bool, bool) {
    let mut finite = [true, true];
    for (i, (k, out)) in [(Some(k), crossed), (ahead, crossed_ahead)]
        .into_iter()
        .enumerate()
    {
        let Some(k) = k else { continue };
        let mut sum = [0.0f32; CHUNK];
        for (ch, ((u, xe), xi)) in lanes.u.iter().zip(lanes.x_e).zip(lanes.x_i).enumerate() {
            let mut mask = 0u16;
            for l in 0..CHUNK {
                let v =
                    k.q.mul_add(u[l], k.b.mul_add(xe[l], k.c.mul_add(xi[l], k.d)));
                sum[l] += v;
                mask |= ((v >= theta) as u16) << l;
            }
            if mask != 0 {
                out.push((ch * CHUNK, mask));
            }
        }
        finite[i] = sum.iter().sum::<f32>().is_finite();
    }
    (finite[0], finite[1])
}

impl NeuronKernel for AnchoredKernel {
    fn update(
        &mut self,
        ctx: &StepContext,
        input: &mut [f64],
        spikes: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        self.step(ctx.step, Input::Dense(input), spikes)
    }

    fn sparse_input(&self) -> bool {
        true
    }

    fn update_sparse(
        &mut self,
        ctx: &StepContext,
        input: &mut [f64],
        touched: &[Vec<u32>],
        spikes: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        self.step(ctx.step, Input::Sparse { input, touched }, spikes)
    }

    fn read(&self, var: usize, i: usize) -> f64 {
        STATE.read(self, var, i)
    }

    fn save(&self) -> KernelState {
        STATE.save(self)
    }

    fn load(&mut self, state: &KernelState) -> Result<(), String> {
        if state.iter().any(|(k, _)| k == "anchor_u") {
            return STATE.load(self, state, self.n);
        }
        // A checkpoint of the f64 kernel holds the state NEST's kernel keeps: that is the
        // anchored state at the start of an epoch, with no neuron held at reset.
        let mut with_anchors = state.clone();
        for (from, to) in [
            ("v_minus_v_rest", "anchor_u"),
            ("isyn_exc", "anchor_x_exc"),
            ("isyn_inh", "anchor_x_inh"),
        ] {
            let values = sim_core::state::take_f64(state, from, self.n)?;
            with_anchors.push((to.into(), StateArray::F64 { width: 1, values }));
        }
        for name in ["anchor_epoch_step", "anchor_held_at_reset"] {
            let values = vec![0; self.n];
            with_anchors.push((name.into(), StateArray::U64 { width: 1, values }));
        }
        STATE.load(self, &with_anchors, self.n)
    }
}

impl AnchoredKernel {
    /// The current of each receptor as held in step `self.m` of the epoch.
    fn current_exc(&self, j: usize) -> f64 {
        (self.table[self.m].e * self.x_e[j]) as f64
    }

    fn current_inh(&self, j: usize) -> f64 {
        (self.table[self.m].i * self.x_i[j]) as f64
    }

    /// Restores anchored values, padded to whole chunks as the kernel keeps them.
    fn restore_padded(&self, values: Vec<f64>) -> Vec<f32> {
        let mut out: Vec<f32> = values.into_iter().map(|v| v as f32).collect();
        out.resize(self.u.len(), 0.0);
        out
    }
}

/// `v` is evaluated from the anchored values; the checkpoint holds the state NEST's kernel keeps,
/// for readers of the checkpoint, and the anchored values themselves, so that a restore is
/// bit-identical. The NEST-state arrays are not read back: the anchored ones hold the same.
pub(super) const STATE: StateTable<AnchoredKernel> = StateTable(&[
    StateVar::Recorded {
        name: "v",
        unit: "mV",
        value: |k, j| k.v(j) as f64 + k.v_rest,
    },
    StateVar::Recorded {
        name: "isyn_exc",
        unit: "nA",
        value: |k, j| k.current_exc(j),
    },
    // Reported as a magnitude, as the NEST kernel does.
    StateVar::Recorded {
        name: "isyn_inh",
        unit: "nA",
        value: |k, j| -k.current_inh(j),
    },
    StateVar::F64 {
        name: "v_minus_v_rest",
        save: |k| (0..k.n).map(|j| k.v(j) as f64).collect(),
        load: |_, _| Ok(()),
    },
    StateVar::F64 {
        name: "isyn_exc",
        save: |k| (0..k.n).map(|j| k.current_exc(j)).collect(),
        load: |_, _| Ok(()),
    },
    StateVar::F64 {
        name: "isyn_inh",
        save: |k| (0..k.n).map(|j| k.current_inh(j)).collect(),
        load: |_, _| Ok(()),
    },
    StateVar::U64 {
        name: "refractory",
        save: |k| steps_left(&k.until, k.clock),
        load: |k, refr| {
            if let Some(r) = refr.iter().find(|&&r| r > k.refractory_steps as u64) {
                return Err(format!(
                    "state array 'refractory' holds {r} steps (the refractory period is {} steps)",
                    k.refractory_steps
                ));
            }
            let period = k.refractory_steps as usize + 1;
            for bucket in &mut k.ends {
                bucket.clear();
            }
            // Nothing evaluated before the restore is used after it.
            k.ahead_valid = false;
            k.reanchored.clear();
            for (j, &r) in refr.iter().enumerate() {
                if r > 0 {
                    let end = k.clock.wrapping_add(r as u32);
                    k.until[j] = end;
                    k.ends[end as usize % period].push(j as u32);
                } else {
                    k.until[j] = k.clock.wrapping_sub(1);
                }
            }
            Ok(())
        },
    },
    StateVar::F64 {
        name: "anchor_u",
        save: |k| k.u[..k.n].iter().map(|&v| v as f64).collect(),
        load: |k, values| {
            k.u = k.restore_padded(values);
            Ok(())
        },
    },
    StateVar::F64 {
        name: "anchor_x_exc",
        save: |k| k.x_e[..k.n].iter().map(|&v| v as f64).collect(),
        load: |k, values| {
            k.x_e = k.restore_padded(values);
            Ok(())
        },
    },
    StateVar::F64 {
        name: "anchor_x_inh",
        save: |k| k.x_i[..k.n].iter().map(|&v| v as f64).collect(),
        load: |k, values| {
            k.x_i = k.restore_padded(values);
            Ok(())
        },
    },
    StateVar::U64 {
        name: "anchor_epoch_step",
        save: |k| vec![k.m as u64; k.n],
        load: |k, steps| {
            let m = steps.first().copied().unwrap_or(0);
            if steps.iter().any(|&s| s != m) || m as usize > k.epoch() {
                return Err(format!(
                    "state array 'anchor_epoch_step' must hold one value <= {} for every neuron",
                    k.epoch()
                ));
            }
            k.m = m as usize;
            Ok(())
        },
    },
    // 1 for a neuron whose refractory period has just ended: anchored at v_reset, and read as
    // v_reset until its next update.
    StateVar::U64 {
        name: "anchor_held_at_reset",
        save: |k| k.until.iter().map(|&u| (u == k.clock) as u64).collect(),
        load: |k, held| {
            for (j, &h) in held.iter().enumerate() {
                // Only a neuron that is not refractory any more can be held.
                if h == 1 && k.until[j] == k.clock.wrapping_sub(1) {
                    k.until[j] = k.clock;
                }
            }
            Ok(())
        },
    },
]);

#[cfg(test)]
mod tests {
    use super::super::{IfCurrExpParams, Integration, Precision};
    use super::*;
    use crate::dist::{Distribution, Value};
    use rand::{RngExt, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;
    use sim_core::{PopulationModel, TimeGrid};

    fn ctx(step: usize) -> StepContext {
        StepContext {
            step: step as u64,
            dt_ms: 0.1,
        }
    }

    /// A population driven above threshold by its offset current, so that it fires and goes
    /// through refractory periods and many epochs.
    fn model(precision: Precision) -> IfCurrExp {
        let grid = TimeGrid::new(0.1).unwrap();
        let params = IfCurrExpParams {
            tau_refrac: 2.0,
            i_offset: 0.6,
            ..Default::default()
        };
        let v0 = Value::Random(Distribution::Uniform {
            low: -65.0,
            high: -50.0,
        });
        IfCurrExp::new(params, Integration::Nest, Some(v0), &grid)
            .unwrap()
            .with_precision(precision)
            .unwrap()
    }

    /// One step's random input: (input buffer, touched lists).
    fn random_input(rng: &mut Xoshiro256PlusPlus, n: usize) -> (Vec<f64>, Vec<Vec<u32>>) {
        let mut input = vec![0.0; 2 * n];
        let mut touched = vec![Vec::new(), Vec::new()];
        for _ in 0..n / 10 {
            let j = rng.random_range(0..n);
            let r = rng.random_range(0..2usize);
            input[r * n + j] += rng.random::<f64>() * 0.4;
            touched[r].push(j as u32);
        }
        (input, touched)
    }

    /// The anchored f32 kernel follows NEST's f64 arithmetic: the same spike steps and v within
    /// 1e-4 mV at every step, over 40 epochs with inputs, spikes and refractory periods.
    #[test]
    fn follows_the_nest_kernel() {
        let n = 203u32;
        let grid = TimeGrid::new(0.1).unwrap();
        let mut exact = model(Precision::F64).instantiate(0, 0..n, &grid, 3);
        let mut fast = model(Precision::F32).instantiate(0, 0..n, &grid, 3);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let (mut se, mut sf) = (Vec::new(), Vec::new());
        let (mut fired, mut worst) = (0, 0.0f64);
        for step in 0..6000 {
            let (mut a, touched) = random_input(&mut rng, n as usize);
            let mut b = a.clone();
            se.clear();
            sf.clear();
            exact
                .update_sparse(&ctx(step), &mut a, &touched, &mut se)
                .unwrap();
            fast.update_sparse(&ctx(step), &mut b, &touched, &mut sf)
                .unwrap();
            assert_eq!(se, sf, "spikes of step {step}");
            fired += se.len();
            for j in 0..n as usize {
                for var in 0..3 {
                    let d = (exact.read(var, j) - fast.read(var, j)).abs();
                    worst = worst.max(d);
                    assert!(
                        d < 1e-4,
                        "step {step}, neuron {j}, variable {var}: off by {d}"
                    );
                }
            }
        }
        eprintln!("{fired} spikes, largest difference {worst:.2e}");
        assert!(fired > 500, "the neurons fire ({fired} spikes)");
    }

    /// Evaluating the odd step ahead is an optimisation only: the spikes and the state are those
    /// of the kernel that evaluates every neuron in every step, bit for bit, with and without a
    /// refractory period, and however many neurons input reaches.
    #[test]
    fn evaluating_ahead_changes_nothing() {
        let grid = TimeGrid::new(0.1).unwrap();
        for tau_refrac in [0.0, 0.1, 2.0] {
            let params = IfCurrExpParams {
                tau_refrac,
                i_offset: 0.6,
                ..Default::default()
            };
            let m = IfCurrExp::new(params, Integration::Nest, None, &grid)
                .unwrap()
                .with_precision(Precision::F32)
                .unwrap();
            let n = 150usize;
            let mut ahead = AnchoredKernel::new(&m, vec![-5.0; n]);
            let mut every = AnchoredKernel::new(&m, vec![-5.0; n]);
            every.blocking = false;
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
            let (mut sa, mut se) = (Vec::new(), Vec::new());
            let mut fired = 0;
            for step in 0..5000 {
                let share = if step % 97 < 5 { 2 } else { 30 };
                let mut input = vec![0.0; 2 * n];
                let mut touched = vec![Vec::new(), Vec::new()];
                for _ in 0..n / share {
                    let j = rng.random_range(0..n);
                    let r = rng.random_range(0..2usize);
                    input[r * n + j] += rng.random::<f64>() * 0.6;
                    touched[r].push(j as u32);
                }
                let mut input2 = input.clone();
                sa.clear();
                se.clear();
                ahead
                    .update_sparse(&ctx(step), &mut input, &touched, &mut sa)
                    .unwrap();
                every
                    .update_sparse(&ctx(step), &mut input2, &touched, &mut se)
                    .unwrap();
                assert_eq!(sa, se, "tau_refrac {tau_refrac}: spikes of step {step}");
                fired += sa.len();
            }
            assert_eq!(ahead.save(), every.save(), "tau_refrac {tau_refrac}");
            assert!(fired > 300, "the neurons fire ({fired} spikes)");
        }
    }

    /// A restored kernel continues bit for bit, from any step of an epoch and with neurons
    /// anywhere in their refractory period.
    #[test]
    fn restore_continues_bit_for_bit() {
        let n = 64u32;
        let grid = TimeGrid::new(0.1).unwrap();
        let m = model(Precision::F32);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
        let inputs: Vec<_> = (0..3000)
            .map(|_| random_input(&mut rng, n as usize))
            .collect();
        let mut whole = m.instantiate(0, 0..n, &grid, 1);
        let mut spikes_whole = Vec::new();
        let mut out = Vec::new();
        for (t, (input, touched)) in inputs.iter().enumerate() {
            out.clear();
            whole
                .update_sparse(&ctx(t), &mut input.clone(), touched, &mut out)
                .unwrap();
            spikes_whole.push(out.clone());
        }
        for cut in [1, 137, 1000, 2021] {
            let mut first = m.instantiate(0, 0..n, &grid, 1);
            for (t, (input, touched)) in inputs[..cut].iter().enumerate() {
                first
                    .update_sparse(&ctx(t), &mut input.clone(), touched, &mut out)
                    .unwrap();
            }
            let mut resumed = m.instantiate(0, 0..n, &grid, 1);
            resumed.load(&first.save()).unwrap();
            for (t, (input, touched)) in inputs.iter().enumerate().skip(cut) {
                out.clear();
                resumed
                    .update_sparse(&ctx(t), &mut input.clone(), touched, &mut out)
                    .unwrap();
                assert_eq!(out, spikes_whole[t], "cut at {cut}: spikes of step {t}");
            }
            assert_eq!(resumed.save(), whole.save(), "cut at {cut}: final state");
        }
    }

    /// The portable pass is the vector pass: the same masks and the same finiteness verdict.
    #[test]
    fn portable_pass_equals_the_vector_pass() {
        let grid = TimeGrid::new(0.1).unwrap();
        let kernel = AnchoredKernel::new(&model(Precision::F32), vec![0.0; 1]);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
        let chunk = |rng: &mut Xoshiro256PlusPlus, s: f32| {
            std::array::from_fn::<f32, CHUNK, _>(|_| (rng.random::<f32>() - 0.5) * s)
        };
        for round in 0..200 {
            let k = kernel.table[round % kernel.table.len()];
            let u: Vec<_> = (0..8).map(|_| chunk(&mut rng, 30.0)).collect();
            let xe: Vec<_> = (0..8).map(|_| chunk(&mut rng, 3.0)).collect();
            let mut xi: Vec<_> = (0..8).map(|_| chunk(&mut rng, 3.0)).collect();
            if round % 50 == 7 {
                xi[3][5] = f32::NAN;
            }
            let ka = kernel.table[(round + 1) % kernel.table.len()];
            for ahead in [None, Some(&ka)] {
                let (mut a, mut aa, mut b, mut ba) = (vec![], vec![], vec![], vec![]);
                let lanes = Lanes {
                    u: &u,
                    x_e: &xe,
                    x_i: &xi,
                };
                let fa = threshold_pass(&k, ahead, kernel.theta, &lanes, &mut a, &mut aa);
                let fb = portable_threshold_pass(&k, ahead, kernel.theta, &lanes, &mut b, &mut ba);
                assert_eq!((fa, &a, &aa), (fb, &b, &ba), "round {round}");
            }
        }
        let _ = grid;
    }

    /// An input that overflows f32 is caught in the step it arrives in (its current is no
    /// longer finite, and v with it), in even and in odd steps.
    #[test]
    fn non_finite_potential_is_an_error() {
        let grid = TimeGrid::new(0.1).unwrap();
        for arrival in [1usize, 2, 3, 4] {
            let mut k = model(Precision::F32).instantiate(0, 0..20, &grid, 1);
            let mut spikes = Vec::new();
            for step in 0..arrival {
                k.update_sparse(
                    &ctx(step),
                    &mut vec![0.0; 40],
                    &[vec![], vec![]],
                    &mut spikes,
                )
                .unwrap();
            }
            let mut input = vec![0.0; 40];
            input[7] = 1e300;
            let e = k
                .update_sparse(&ctx(arrival), &mut input, &[vec![7], vec![]], &mut spikes)
                .unwrap_err();
            assert_eq!(
                (e.neuron, e.variable.as_str()),
                (7, "v"),
                "arrival {arrival}"
            );
        }
    }
}
