//! A kernel's state declared once: one table of variables from which recording
//! ([`NeuronKernel::read`]), checkpoints ([`NeuronKernel::save`], [`NeuronKernel::load`]) and
//! the model's list of recordable variables all derive, so no index or name is kept twice.
//!
//! A table lists what a run can record (name, unit, the value of neuron `i` in PyNN units) and
//! the arrays a checkpoint holds (name, how to take them from the kernel and put them back
//! exactly). A recorded variable may be computed (`v` from a value held relative to `v_rest`).
//! Kernels implement the three trait methods with [`crate::state_io!`].
//!
//! [`NeuronKernel::read`]: crate::model::NeuronKernel::read
//! [`NeuronKernel::save`]: crate::model::NeuronKernel::save
//! [`NeuronKernel::load`]: crate::model::NeuronKernel::load

use crate::describe::Variable;
use crate::model::{KernelState, StateArray};

/// One row of a kernel's state table.
pub enum StateVar<K: 'static> {
    /// A variable a run can record: its value of local neuron `i`, in `unit`.
    Recorded {
        name: &'static str,
        unit: &'static str,
        value: fn(&K, usize) -> f64,
    },
    /// An f64 array a checkpoint holds (one value per neuron), and how to restore it.
    F64 {
        name: &'static str,
        save: fn(&K) -> Vec<f64>,
        load: fn(&mut K, Vec<f64>) -> Result<(), String>,
    },
    /// A u64 array a checkpoint holds (one value per neuron), and how to restore it.
    U64 {
        name: &'static str,
        save: fn(&K) -> Vec<u64>,
        load: fn(&mut K, Vec<u64>) -> Result<(), String>,
    },
}

/// The state table of kernel type `K`.
pub struct StateTable<K: 'static>(pub &'static [StateVar<K>]);

impl<K: 'static> StateTable<K> {
    /// The recordable variables, in the order [`StateTable::read`] indexes them.
    pub fn recordable(&self) -> Vec<Variable> {
        self.0
            .iter()
            .filter_map(|v| match v {
                StateVar::Recorded { name, unit, .. } => Some(Variable { name, unit }),
                _ => None,
            })
            .collect()
    }

    /// Recordable variable `var` of local neuron `i`.
    pub fn read(&self, kernel: &K, var: usize, i: usize) -> f64 {
        let value = self
            .0
            .iter()
            .filter_map(|v| match v {
                StateVar::Recorded { value, .. } => Some(value),
                _ => None,
            })
            .nth(var);
        match value {
            Some(value) => value(kernel, i),
            None => f64::NAN,
        }
    }

    /// Every checkpointed array, in table order.
    pub fn save(&self, kernel: &K) -> KernelState {
        self.0
            .iter()
            .filter_map(|v| match v {
                StateVar::Recorded { .. } => None,
                StateVar::F64 { name, save, .. } => Some((
                    name.to_string(),
                    StateArray::F64 {
                        width: 1,
                        values: save(kernel),
                    },
                )),
                StateVar::U64 { name, save, .. } => Some((
                    name.to_string(),
                    StateArray::U64 {
                        width: 1,
                        values: save(kernel),
                    },
                )),
            })
            .collect()
    }

    /// Restores every checkpointed array of a slice of `n` neurons, in table order.
    pub fn load(&self, kernel: &mut K, state: &KernelState, n: usize) -> Result<(), String> {
        for v in self.0 {
            match v {
                StateVar::Recorded { .. } => {}
                StateVar::F64 { name, load, .. } => load(kernel, take_f64(state, name, n)?)?,
                StateVar::U64 { name, load, .. } => load(kernel, take_u64(state, name, n)?)?,
            }
        }
        Ok(())
    }
}

/// The named f64 array of a checkpointed kernel state, checked for its length.
pub fn take_f64(state: &KernelState, name: &str, n: usize) -> Result<Vec<f64>, String> {
    match state.iter().find(|(k, _)| k == name) {
        Some((_, StateArray::F64 { values, .. })) if values.len() == n => Ok(values.clone()),
        Some(_) => Err(format!("state array '{name}' has the wrong type or length")),
        None => Err(format!("state array '{name}' is missing")),
    }
}

/// The named u64 array of a checkpointed kernel state, checked for its length.
pub fn take_u64(state: &KernelState, name: &str, n: usize) -> Result<Vec<u64>, String> {
    match state.iter().find(|(k, _)| k == name) {
        Some((_, StateArray::U64 { values, .. })) if values.len() == n => Ok(values.clone()),
        Some(_) => Err(format!("state array '{name}' has the wrong type or length")),
        None => Err(format!("state array '{name}' is missing")),
    }
}

/// Implements [`crate::model::NeuronKernel`]'s `read`, `save` and `load` from a
/// [`StateTable`]: `state_io!(TABLE, |k| k.v.len())` inside the `impl`, where the closure gives
/// the number of neurons of the slice.
#[macro_export]
macro_rules! state_io {
    ($table:expr, $len:expr) => {
        fn read(&self, var: usize, i: usize) -> f64 {
            $table.read(self, var, i)
        }
        fn save(&self) -> $crate::model::KernelState {
            $table.save(self)
        }
        fn load(&mut self, state: &$crate::model::KernelState) -> Result<(), String> {
            let n: usize = ($len)(&*self);
            $table.load(self, state, n)
        }
    };
}

/// A [`StateVar::F64`] row for a `Vec<f64>` field checkpointed exactly as held:
/// `f64_field!("v_minus_v_rest", v)`.
#[macro_export]
macro_rules! f64_field {
    ($name:expr, $($field:ident).+) => {
        $crate::field_row!(F64, $name, $($field).+)
    };
}

/// A [`StateVar::U64`] row for a `Vec<u64>` field checkpointed exactly as held.
#[macro_export]
macro_rules! u64_field {
    ($name:expr, $($field:ident).+) => {
        $crate::field_row!(U64, $name, $($field).+)
    };
}

/// The row of [`f64_field!`] and [`u64_field!`].
#[doc(hidden)]
#[macro_export]
macro_rules! field_row {
    ($variant:ident, $name:expr, $($field:ident).+) => {
        $crate::state::StateVar::$variant {
            name: $name,
            save: |k| k.$($field).+.clone(),
            load: |k, values| {
                k.$($field).+ = values;
                Ok(())
            },
        }
    };
}

/// A [`StateVar::Recorded`] row reading a `Vec<f64>` field as is: `recorded!("u", "mV", u)`.
#[macro_export]
macro_rules! recorded {
    ($name:expr, $unit:expr, $($field:ident).+) => {
        $crate::state::StateVar::Recorded {
            name: $name,
            unit: $unit,
            value: |k, i| k.$($field).+[i],
        }
    };
}
