//! Pair STDP with additive weight dependence as sPyNNaker runs it on the post-synaptic core:
//! lazily, when a pre-synaptic spike's plastic row is processed.
//!
//! * Each neuron keeps a bounded history of its own spikes with the post trace after each
//!   (`post_events.h`: 16 entries, entry 0 a fixed time-0 placeholder; when full, the oldest real
//!   entry is dropped).
//! * Each plastic row keeps the time and trace of its last pre spike (`pre_events.h`).
//! * Processing a pre spike at `t` through a synapse of delay `d` (all of it dendritic, sPyNNaker's
//!   default `backprop_delay = True`) replays the post spikes in `(t_last_pre − d, t − d]`,
//!   potentiating with the last pre trace decayed to each `t_post + d`, then depresses once with
//!   the trace of the latest post spike at or before `t − d`, decayed to `t`
//!   (`synapse_dynamics_stdp_common.h`, `plasticity_update_synapse`), provided such a spike exists.
//! * Traces are 11-bit fixed point, decays come from a look-up table of
//!   `round(2048·e^(−Δt/τ))` that ends at its first zero (`maths.h`,
//!   `maths_lut_exponential_decay`; the table from sPyNNaker's `get_exp_lut_array`).
//! * The weight is an accum during the update (`weight_additive_one_term_impl.h`): it starts as
//!   `w16 << shift`, gains `A+·x` / loses `A−·y` (`mul_accum_fixed`), is clamped to
//!   [w_min, w_max] after every step, and is stored back as `bits >> shift` (truncated).

use super::fixed::{stdp_mul_16x16, Accum, STDP_FIXED_POINT_ONE};

/// Post events kept per neuron, including the time-0 placeholder (`MAX_POST_SYNAPTIC_EVENTS`).
pub const MAX_POST_EVENTS: usize = 16;

/// An exponential decay table in 11-bit fixed point, one entry per time step.
#[derive(Debug, Clone, PartialEq)]
pub struct DecayLut(Vec<i16>);

impl DecayLut {
    pub fn new(tau_ms: f64, ts_ms: f64) -> Self {
        let mut v = Vec::new();
        loop {
            let x = (STDP_FIXED_POINT_ONE as f64 * (-(v.len() as f64) * ts_ms / tau_ms).exp())
                .round() as i16;
            if x == 0 {
                break;
            }
            v.push(x);
        }
        DecayLut(v)
    }

    /// The decay for `dt` steps: 0 beyond the end of the table.
    pub fn get(&self, dt: u32) -> i32 {
        self.0.get(dt as usize).copied().unwrap_or(0) as i32
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The rule of one plastic projection, as the core holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct StdpRule {
    pub tau_plus: DecayLut,
    pub tau_minus: DecayLut,
    pub w_min: Accum,
    pub w_max: Accum,
    pub a_plus: Accum,
    pub a_minus: Accum,
    /// The receptor's ring-buffer left shift, between 16-bit weights and accums.
    pub weight_shift: u32,
}

impl StdpRule {
    fn potentiate(&self, w: Accum, x: i32) -> Accum {
        (w + self.a_plus.mul_stdp(x)).min(self.w_max)
    }

    fn depress(&self, w: Accum, y: i32) -> Accum {
        (w - self.a_minus.mul_stdp(y)).max(self.w_min)
    }
}

/// One neuron's post-spike history (`post_event_history_t`).
#[derive(Debug, Clone, PartialEq)]
pub struct PostHistory {
    count: usize,
    times: [u32; MAX_POST_EVENTS],
    traces: [i16; MAX_POST_EVENTS],
}

impl Default for PostHistory {
    fn default() -> Self {
        PostHistory {
            count: 1,
            times: [0; MAX_POST_EVENTS],
            traces: [0; MAX_POST_EVENTS],
        }
    }
}

impl PostHistory {
    /// Records a spike of the neuron at `t` (`synapse_dynamics_process_post_synaptic_event`),
    /// with the post trace decayed from the previous entry plus one.
    pub fn add(&mut self, t: u32, tau_minus: &DecayLut) {
        let last = self.count - 1;
        let decayed = stdp_mul_16x16(
            self.traces[last] as i32,
            tau_minus.get(t - self.times[last]),
        );
        let trace = (decayed + STDP_FIXED_POINT_ONE) as i16;
        if self.count < MAX_POST_EVENTS {
            self.times[self.count] = t;
            self.traces[self.count] = trace;
            self.count += 1;
        } else {
            // Entry 0 is the placeholder; the oldest real entry goes.
            self.times.copy_within(2.., 1);
            self.traces.copy_within(2.., 1);
            self.times[MAX_POST_EVENTS - 1] = t;
            self.traces[MAX_POST_EVENTS - 1] = trace;
        }
    }

    /// `post_events_get_window_delayed`: the index of the latest entry at or before `begin`
    /// (0, the placeholder, if none), and the range of entries in `(begin, end]`.
    fn window(&self, begin: u32, end: u32) -> (usize, std::ops::Range<usize>) {
        let mut prev = self.count - 1;
        while prev > 0 && self.times[prev] > begin {
            prev -= 1;
        }
        let mut last = prev + 1;
        while last < self.count && self.times[last] <= end {
            last += 1;
        }
        (prev, prev + 1..last)
    }
}

/// The pre-spike state a plastic row carries (`pre_event_history_t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PreHistory {
    pub prev_time: u32,
    pub prev_trace: i16,
}

impl PreHistory {
    /// `timing_add_pre_spike`: the trace after a pre spike at `t`. Returns the previous state.
    pub fn add(&mut self, t: u32, tau_plus: &DecayLut) -> PreHistory {
        let old = *self;
        let decayed = stdp_mul_16x16(
            old.prev_trace as i32,
            tau_plus.get(t.wrapping_sub(old.prev_time)),
        );
        self.prev_time = t;
        self.prev_trace = (decayed + STDP_FIXED_POINT_ONE) as i16;
        old
    }
}

/// `plasticity_update_synapse` for one synapse: the new 16-bit weight after a pre spike at `t`
/// whose previous pre spike was `last_pre`, through a synapse of (dendritic) delay `d` onto a
/// neuron with history `post`.
pub fn update_synapse(
    rule: &StdpRule,
    w16: u16,
    t: u32,
    last_pre: PreHistory,
    d: u32,
    post: &PostHistory,
) -> u16 {
    replay(rule, w16, t, last_pre, d, post, true)
}

/// The weight a synapse would have if the potentiation by post arrivals before `now` (which
/// the board applies only at the next pre spike) were applied: what an engine that updates
/// weights at every post arrival holds at `now`. The stored weight is not changed.
pub fn settled_weight(
    rule: &StdpRule,
    w16: u16,
    now: u32,
    last_pre: PreHistory,
    d: u32,
    post: &PostHistory,
) -> u16 {
    replay(rule, w16, now.saturating_sub(1), last_pre, d, post, false)
}

/// Potentiation by the post arrivals in `(last pre, end]`, then, if `depress`, the pre spike's
/// depression at `end`.
fn replay(
    rule: &StdpRule,
    w16: u16,
    end: u32,
    last_pre: PreHistory,
    d: u32,
    post: &PostHistory,
    depress: bool,
) -> u16 {
    let mut w = Accum::from_weight(w16 as u32, rule.weight_shift);
    let begin = last_pre.prev_time.saturating_sub(d);
    let (prev, events) = post.window(begin, end.saturating_sub(d));
    let mut last_post = prev;
    for e in events {
        let delayed_post = post.times[e] + d;
        // timing_apply_post_spike: only post arrivals after the last pre spike potentiate.
        if delayed_post > last_pre.prev_time {
            let dt = delayed_post - last_pre.prev_time;
            let x = stdp_mul_16x16(last_pre.prev_trace as i32, rule.tau_plus.get(dt));
            w = rule.potentiate(w, x);
        }
        last_post = e;
    }
    // timing_apply_pre_spike, only if a real post spike precedes (prev_time_valid).
    if depress && last_post != 0 {
        let dt = end - (post.times[last_post] + d);
        let y = stdp_mul_16x16(post.traces[last_post] as i32, rule.tau_minus.get(dt));
        w = rule.depress(w, y);
    }
    // weight_get_final: the accum's bits shifted back down (truncating).
    (w.0 >> rule.weight_shift) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ca3_rule(shift: u32) -> StdpRule {
        StdpRule {
            tau_plus: DecayLut::new(3.0, 1.0),
            tau_minus: DecayLut::new(3.0, 1.0),
            w_min: Accum::from_f64(0.0),
            w_max: Accum::from_f64(6.0),
            a_plus: Accum::from_f64(6.0),
            a_minus: Accum::from_f64(6.0),
            weight_shift: shift,
        }
    }

    fn to_na(w16: u16, shift: u32) -> f64 {
        Accum::from_weight(w16 as u32, shift).to_f64()
    }

    #[test]
    fn the_lut_ends_where_it_rounds_to_zero() {
        let lut = DecayLut::new(3.0, 1.0);
        // 2048·e^(−t/3) < 0.5 from t = 25 on (specs/ca3-cam.md §4: "about 25 ms").
        assert_eq!(lut.len(), 25);
        assert_eq!(lut.get(0), 2048);
        assert_eq!(lut.get(1), 1467);
        assert_eq!(lut.get(25), 0);
    }

    /// The learning sequence of specs/ca3-cam.md §5.2 for one cue→content synapse (d = 1): the
    /// cue (pre) fires at 1 and 3, the content neuron (post) at 1 and 3, so the post arrivals are
    /// at 2 and 4. The pre spike at 3 replays the arrival at 2 (+6·e^(−1/3) = 4.299) and is then
    /// depressed by it (−6·e^(−1/3)) → 0. The next pre spike (here at 10) replays the arrival at
    /// 4: +6·(1 + e^(−2/3))·e^(−1/3) = 6.51 → clamped to 6; then depression by the trace at 4
    /// decayed over 6 steps (−6·(1 + e^(−2/3))·e^(−2) = −1.229).
    #[test]
    fn the_ca3_learning_sequence_in_fixed_point() {
        let shift = 7;
        let rule = ca3_rule(shift);
        let mut post = PostHistory::default();
        let mut pre = PreHistory::default();
        let d = 1;
        // t = 1: pre spike (first one: nothing to replay), then the post neuron fires.
        let last = pre.add(1, &rule.tau_plus);
        let w = update_synapse(&rule, 0, 1, last, d, &post);
        assert_eq!(w, 0);
        post.add(1, &rule.tau_minus);
        // t = 3: the post spike at 3 is recorded; the pre spike at 3 sees only the arrival at 2.
        post.add(3, &rule.tau_minus);
        let last = pre.add(3, &rule.tau_plus);
        let w = update_synapse(&rule, w, 3, last, d, &post);
        assert_eq!(w, 0);
        let last = pre.add(10, &rule.tau_plus);
        let w = update_synapse(&rule, w, 10, last, d, &post);
        let x3 = stdp_mul_16x16(2048, rule.tau_plus.get(2)) + 2048; // pre trace after t = 3
        let pot = (6.0 * stdp_mul_16x16(x3, 1467) as f64 / 2048.0).min(6.0);
        assert_eq!(pot, 6.0);
        let y4 = stdp_mul_16x16(2048, rule.tau_minus.get(2)) + 2048;
        let dep = 6.0 * stdp_mul_16x16(y4, rule.tau_minus.get(6)) as f64 / 2048.0;
        let expected = 6.0 - dep;
        assert!(
            (to_na(w, shift) - expected).abs() <= 1.0 / 256.0,
            "{} vs {expected}",
            to_na(w, shift)
        );
        assert!((expected - (6.0 - 1.2289)).abs() < 0.01);
    }

    #[test]
    fn a_full_history_drops_its_oldest_real_entry() {
        let lut = DecayLut::new(3.0, 1.0);
        let mut h = PostHistory::default();
        for t in 1..=20 {
            h.add(t * 100, &lut);
        }
        assert_eq!(h.count, MAX_POST_EVENTS);
        assert_eq!(h.times[0], 0);
        assert_eq!(h.times[1], 600);
        assert_eq!(h.times[MAX_POST_EVENTS - 1], 2000);
        // A window that begins before the oldest kept entry has the placeholder as its "previous".
        let (prev, events) = h.window(150, 650);
        assert_eq!(prev, 0);
        assert_eq!(events, 1..2);
    }
}
