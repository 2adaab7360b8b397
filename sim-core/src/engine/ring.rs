//! The delay ring buffer of one population slice: the input arriving at each of the next
//! `slots` steps, summed per receptor and neuron as spikes are delivered.

use crate::time::Step;

/// Delay ring buffer of one population slice: `slots × receptors × n` inputs.
pub(super) struct Ring {
    pub(super) slots: usize,
    pub(super) n_rec: usize,
    pub(super) n: usize,
    pub(super) data: Vec<f64>,
    /// For a kernel with sparse input: per slot and receptor (`slot * n_rec + r`), the neurons
    /// whose entry may be nonzero. Empty otherwise.
    pub(super) touched: Vec<Vec<u32>>,
}

impl Ring {
    pub(super) fn new(slots: usize, n_rec: usize, n: usize, sparse: bool) -> Self {
        Self {
            slots,
            n_rec,
            n,
            data: vec![0.0; slots * n_rec * n],
            touched: if sparse {
                vec![Vec::new(); slots * n_rec]
            } else {
                Vec::new()
            },
        }
    }

    pub(super) fn sparse(&self) -> bool {
        !self.touched.is_empty()
    }

    #[inline]
    fn slot_index(&self, step: Step) -> usize {
        (step % self.slots as u64) as usize
    }

    #[inline]
    fn slot_base(&self, step: Step) -> usize {
        self.slot_index(step) * self.n_rec * self.n
    }

    /// Slot `step`'s inputs and (sparse rings) its touched lists, one per receptor.
    pub(super) fn slot(&mut self, step: Step) -> (&mut [f64], &mut [Vec<u32>]) {
        let b = self.slot_base(step);
        let len = self.n_rec * self.n;
        let touched = if self.sparse() {
            let k = self.slot_index(step) * self.n_rec;
            &mut self.touched[k..k + self.n_rec]
        } else {
            &mut []
        };
        (&mut self.data[b..b + len], touched)
    }

    /// The `n` inputs of receptor `r` arriving at `step` (checkpoints).
    pub(super) fn block(&self, step: Step, r: usize) -> &[f64] {
        let b = self.slot_base(step) + r * self.n;
        &self.data[b..b + self.n]
    }

    /// As [`Ring::block`], to write (restores; call [`Ring::retouch`] after).
    pub(super) fn block_mut(&mut self, step: Step, r: usize) -> &mut [f64] {
        let b = self.slot_base(step) + r * self.n;
        &mut self.data[b..b + self.n]
    }

    /// Rebuilds the touched lists from the contents (after a restore).
    pub(super) fn retouch(&mut self) {
        let n = self.n;
        for (list, block) in self.touched.iter_mut().zip(self.data.chunks(n.max(1))) {
            list.clear();
            list.extend((0..n as u32).filter(|&j| block[j as usize] != 0.0));
        }
    }
}
