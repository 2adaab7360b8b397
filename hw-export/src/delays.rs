//! Delay extensions: delays longer than a synaptic row holds, as sPyNNaker implements them.
//!
//! A synaptic word has 4 delay bits and the neuron core a ring buffer of 16 slots, so a row holds
//! delays of 1..=16 ticks (16 is stored as 0: slot `(t + 16) mod 16` is slot `t`, which the core
//! has already consumed in tick `t` and reads next in tick `t + 16`). A population with a longer
//! delay on any outgoing projection gets a **delay extension** (sPyNNaker's
//! `DelayExtensionVertex`, added by `delay_support_adder`): one per source population, cut into
//! the same slices, each slice on its own core. The source slice sends every spike to its delay
//! extension as well as to its direct targets; the extension counts it in the slot of the tick it
//! arrived (`delay_extension.c`) and in tick `t + 16·s` re-emits it for every stage `s = 1..=S`
//! with its own key, `base | (s − 1)·n + i` for neuron `i` of an `n`-neuron slice. A synapse of
//! delay `d` goes into stage `s = ⌊(d − 1) / 16⌋`, as a row delay of `d − 16·s` (1..=16):
//! stage 0 is the source's own row, stage `s ≥ 1` the row `(s − 1)·n + i` of the extension's row
//! block on the target core (`synapse_io.py`). An extension has at most 8 stages
//! (`DelayExtensionVertex.MAX_SLOTS`), so the longest delay is 16 + 8·16 = 144 ticks.

use crate::error::{HwError, Result};
use serde::Serialize;
use sim_core::Network;

/// Longest delay (ticks) a synaptic row holds.
pub const ROW_MAX_DELAY: u32 = 16;
/// Most stages one delay extension has (`DelayExtensionVertex.MAX_SLOTS`).
pub const MAX_DELAY_STAGES: u32 = 8;
/// Longest delay (ticks) with a delay extension.
pub const MAX_DELAY_TICKS: u32 = ROW_MAX_DELAY * (MAX_DELAY_STAGES + 1);

/// The stage a delay of `ticks` (>= 1) goes through and the delay its row then holds:
/// `(0, d)` for `d <= 16`, else `(s, d − 16·s)` with `s = (d − 1) / 16`.
pub fn split_delay(ticks: u32) -> (u32, u32) {
    let stage = ticks.saturating_sub(1) / ROW_MAX_DELAY;
    (stage, ticks - stage * ROW_MAX_DELAY)
}

/// One slice of a delay extension: the neuron slice whose spikes it delays and how many stages
/// it re-emits them in. It has the source slice's neurons and `len · stages` keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DelaySlice {
    /// Index of the source neuron slice.
    pub source: usize,
    pub stages: u32,
}

/// Per population: the stages of its delay extension (0 = it needs none), from the longest delay
/// of its outgoing projections. A delay beyond [`MAX_DELAY_TICKS`] is refused, naming the
/// projection.
pub fn delay_stages(net: &Network) -> Result<Vec<u32>> {
    let mut stages = vec![0u32; net.populations.len()];
    for proj in &net.projections {
        let d = proj.synapses.max_delay() as u32;
        if d > MAX_DELAY_TICKS {
            return Err(HwError::Map {
                what: format!(
                    "projection {}: delay of {d} steps ({} ms); SpiNNaker holds at most \
                     {MAX_DELAY_TICKS} steps ({ROW_MAX_DELAY} in a synaptic row plus \
                     {MAX_DELAY_STAGES} delay-extension stages of {ROW_MAX_DELAY})",
                    proj.name,
                    d as f64 * net.grid.dt_ms()
                ),
            });
        }
        let s = split_delay(d.max(1)).0;
        stages[proj.pre] = stages[proj.pre].max(s);
    }
    Ok(stages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_split_into_stages_of_sixteen() {
        assert_eq!(split_delay(1), (0, 1));
        assert_eq!(split_delay(16), (0, 16));
        assert_eq!(split_delay(17), (1, 1));
        assert_eq!(split_delay(32), (1, 16));
        assert_eq!(split_delay(33), (2, 1));
        assert_eq!(split_delay(MAX_DELAY_TICKS), (MAX_DELAY_STAGES, 16));
        for d in 1..=MAX_DELAY_TICKS {
            let (s, r) = split_delay(d);
            assert!((1..=ROW_MAX_DELAY).contains(&r));
            assert_eq!(s * ROW_MAX_DELAY + r, d);
        }
    }
}
