//! A delay-extension core (sPyNNaker's `delay_extension.c`; the mapping is `hw_export::delays`).
//!
//! It receives every spike of one source slice and counts it, per neuron, in the slot of the tick
//! it arrives in (one byte per neuron and slot, saturating at 255). The slots form a ring of the
//! next power of two above `16 · stages` (one more than the longest delay, so that the oldest
//! slot can be cleared at the start of a tick while every stage still finds its slot). In tick
//! `T`, after clearing, it re-emits for each stage `s = 1..=stages` the spikes counted in slot
//! `T − 16·s`, neuron `i` with key offset `(s − 1) · n + i`; the target cores add the synapse
//! with its row delay `d − 16·s`, so a spike fired in tick `t` reaches ring slot `t + d`.

use hw_export::delays::ROW_MAX_DELAY;

/// sPyNNaker's `COUNTER_SATURATION_VALUE`.
const COUNTER_SATURATION: u8 = 255;

/// The state of one delay-extension core.
#[derive(Debug, Clone)]
pub struct DelayCore {
    /// Neurons of the source slice.
    pub n_neurons: u32,
    pub stages: u32,
    /// The source slice's key and mask: packets it accepts.
    pub incoming_key: u32,
    pub incoming_mask: u32,
    /// `[slot][neuron]` spike counts.
    counters: Vec<Vec<u8>>,
    slot_mask: u32,
    /// Packets whose count saturated, or whose key or neuron was not the source's.
    pub saturations: u64,
    pub invalid: u64,
}

impl DelayCore {
    pub fn new(n_neurons: u32, stages: u32, incoming_key: u32, incoming_mask: u32) -> Self {
        let slots = (stages * ROW_MAX_DELAY + 1).next_power_of_two();
        DelayCore {
            n_neurons,
            stages,
            incoming_key,
            incoming_mask,
            counters: vec![vec![0; n_neurons as usize]; slots as usize],
            slot_mask: slots - 1,
            saturations: 0,
            invalid: 0,
        }
    }

    fn n_slots(&self) -> u32 {
        self.stages * ROW_MAX_DELAY
    }

    /// Start of tick `t`: clears the slot no stage reads any more (`timer_callback`) and writes
    /// the key offsets of this tick's re-emitted spikes into `out`, stage by stage, neuron by
    /// neuron (`background_callback`).
    pub fn tick(&mut self, t: u32, out: &mut Vec<u32>) {
        if t > self.n_slots() {
            let clear = ((t - 1) - self.n_slots()) & self.slot_mask;
            self.counters[clear as usize].fill(0);
        }
        for stage in 0..self.stages {
            let delay = (stage + 1) * ROW_MAX_DELAY;
            if t < delay {
                continue;
            }
            let slot = &self.counters[((t - delay) & self.slot_mask) as usize];
            for (i, &count) in slot.iter().enumerate() {
                // A count above one leaves as one packet with the count as payload on the board;
                // a slice's neuron fires at most once per tick, so every count here is 0 or 1.
                if count > 0 {
                    out.push(stage * self.n_neurons + i as u32);
                }
            }
        }
    }

    /// A packet with `key` arrived in tick `t` (`spike_process`); false if it was not for this
    /// core.
    pub fn receive(&mut self, key: u32, t: u32) -> bool {
        let neuron = key & !self.incoming_mask;
        if key & self.incoming_mask != self.incoming_key || neuron >= self.n_neurons {
            self.invalid += 1;
            return false;
        }
        let c = &mut self.counters[(t & self.slot_mask) as usize][neuron as usize];
        if *c == COUNTER_SATURATION {
            self.saturations += 1;
        } else {
            *c += 1;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spike_is_re_emitted_once_per_stage_sixteen_ticks_apart() {
        // 10 neurons, 3 stages: neuron 4 fires in tick 5.
        let mut d = DelayCore::new(10, 3, 0x300, !0xF);
        let mut sent = Vec::new();
        for t in 0..100 {
            let mut out = Vec::new();
            d.tick(t, &mut out);
            sent.extend(out.into_iter().map(|o| (t, o)));
            if t == 5 {
                assert!(d.receive(0x304, t));
            }
        }
        assert_eq!(sent, [(21, 4), (37, 14), (53, 24)]);
        // A key from another source is refused and counted.
        assert!(!d.receive(0x404, 0));
        assert!(!d.receive(0x30C, 0));
        assert_eq!(d.invalid, 2);
    }
}
