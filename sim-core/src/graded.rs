//! Graded (continuous) coupling between populations: the engine's second delivery path, next to
//! spikes.
//!
//! Some couplings are not events but a value every step: an astrocyte's slow inward current
//! (NEST `sic_connection`), an astrocyte activity trace that modulates a neuron, a gap-junction
//! potential. A population model names such values as *graded outputs* and *graded inputs*
//! ([`crate::PopulationModel::graded_outputs`], [`crate::PopulationModel::graded_inputs`]). A
//! [`GradedProjection`] connects one output port of its pre population to one input port of its
//! post population with a weight and a delay (whole steps, >= 1) per connection:
//!
//! ```text
//! input_j(t) = Σ_connections (i -> j)  weight · output_i(t - delay)
//! ```
//!
//! Step `t`, per shard, around the spike phases of [`crate::engine`]:
//!
//! 1. **feed** (before the kernels update): every kernel with graded inputs receives, per port,
//!    the sums arriving at `t` ([`crate::NeuronKernel::graded_input`]); where they enter its
//!    update is the kernel's choice, as for spike input;
//! 2. **publish** (after the update, before the barrier): every kernel that is the source of a
//!    graded projection writes its outputs of step `t` into the shard's graded outbox;
//! 3. **deliver** (after the barrier): every shard reads all outboxes in a fixed global order
//!    (projection, pre neuron, connection) and adds `weight · value` into the graded ring slot
//!    `t + delay` of its local targets.
//!
//! As for spikes, every target sums its contributions in the same order whatever the number of
//! shards — by sending step, then projection, pre neuron and connection — so results are
//! bit-identical for any thread count. Zero outputs are skipped, so a
//! sparse output (e.g. a 0/1 spike indicator) costs only its non-zero entries.

use std::ops::Range;
use std::sync::RwLock;

use crate::model::{NeuronKernel, PopulationId};
use crate::network::{Network, NetworkError, SynapseList};
use crate::time::Step;

/// Index of a graded projection in a [`Network`].
pub type GradedProjectionId = usize;

/// A continuous, delayed, weighted coupling from an output port of `pre` to an input port of
/// `post` (e.g. NEST's `sic_connection`: astrocyte `SIC` -> neuron `I_SIC`).
#[derive(Debug, Clone)]
pub struct GradedProjection {
    pub name: String,
    pub pre: PopulationId,
    pub post: PopulationId,
    /// Index into the pre model's [`crate::PopulationModel::graded_outputs`].
    pub output: usize,
    /// Index into the post model's [`crate::PopulationModel::graded_inputs`].
    pub input: usize,
    /// Connections: weight (post input units per pre output unit) and delay in steps (>= 1).
    pub synapses: SynapseList,
}

/// Checks a graded projection against the network (indices, ports, delays, weights).
pub(crate) fn validate(net: &Network, proj: &GradedProjection) -> Result<(), NetworkError> {
    let err = |what: String| NetworkError::Projection {
        proj: proj.name.clone(),
        what,
    };
    let (Some(pre), Some(post)) = (
        net.populations.get(proj.pre),
        net.populations.get(proj.post),
    ) else {
        return Err(err("unknown population".into()));
    };
    let outputs = pre.model.graded_outputs();
    if proj.output >= outputs.len() {
        return Err(err(format!(
            "graded output {} but {} has graded outputs {outputs:?}",
            proj.output,
            pre.model.type_name()
        )));
    }
    let inputs = post.model.graded_inputs();
    if proj.input >= inputs.len() {
        return Err(err(format!(
            "graded input {} but {} has graded inputs {inputs:?}",
            proj.input,
            post.model.type_name()
        )));
    }
    let s = &proj.synapses;
    if s.post.len() != s.len() || s.weight.len() != s.len() || s.delay.len() != s.len() {
        return Err(err("synapse columns differ in length".into()));
    }
    for (i, j, w, d) in s.iter() {
        if i >= pre.size {
            return Err(err(format!("pre index {i} >= pre size {}", pre.size)));
        }
        if j >= post.size {
            return Err(err(format!("post index {j} >= post size {}", post.size)));
        }
        if d == 0 {
            return Err(err("a delay of 0 steps (delays must be >= dt)".into()));
        }
        if !w.is_finite() {
            return Err(err(format!("weight {w} is not finite")));
        }
    }
    Ok(())
}

/// Graded outputs of one shard for one step, per population: `ports × local neurons` values,
/// port-major (empty for populations that feed no graded projection). Double-buffered by step
/// parity, like the spike outbox, so a shard may publish step `t + 1` while others still read `t`.
pub(crate) type GradedOutbox = [RwLock<Vec<Vec<f64>>>; 2];

pub(crate) fn outbox(n_pops: usize) -> GradedOutbox {
    [
        RwLock::new(vec![Vec::new(); n_pops]),
        RwLock::new(vec![Vec::new(); n_pops]),
    ]
}

/// Delay ring of one population slice's graded inputs: `slots × ports × n`.
#[derive(Debug, Default)]
struct GradedRing {
    slots: usize,
    ports: usize,
    n: usize,
    data: Vec<f64>,
}

impl GradedRing {
    fn slot_base(&self, step: Step) -> usize {
        (step % self.slots.max(1) as u64) as usize * self.ports * self.n
    }
}

/// One graded projection's connections whose targets are in a shard, as rows by pre neuron.
#[derive(Debug)]
struct GradedRows {
    pre: usize,
    post: usize,
    output: usize,
    input: usize,
    row_ptr: Vec<usize>,
    /// Local target index.
    target: Vec<u32>,
    weight: Vec<f64>,
    delay: Vec<u16>,
}

/// A shard's part of the graded coupling: input rings of its slices and its rows.
#[derive(Debug)]
pub(crate) struct GradedShard {
    rings: Vec<GradedRing>,
    rows: Vec<GradedRows>,
    /// Output ports to publish per population (0 if it feeds no graded projection).
    publish_ports: Vec<usize>,
    /// Every shard's slice of every population, `[shard][pop]` (to map outbox entries to
    /// global pre indices).
    slices: Vec<Vec<Range<u32>>>,
    /// This shard's index.
    me: usize,
}

impl GradedShard {
    pub(crate) fn new(net: &Network, ranges: &[Vec<Range<u32>>], me: usize) -> Self {
        let n_pops = net.populations.len();
        let mut slots = vec![0usize; n_pops];
        let mut publish_ports = vec![0usize; n_pops];
        for g in &net.graded {
            let d = g.synapses.max_delay().max(1) as usize;
            slots[g.post] = slots[g.post].max(d);
            publish_ports[g.pre] = net.populations[g.pre].model.graded_outputs().len();
        }
        let mine = &ranges[me];
        let rings = (0..n_pops)
            .map(|p| {
                if slots[p] == 0 {
                    return GradedRing::default();
                }
                let ports = net.populations[p].model.graded_inputs().len();
                let n = mine[p].len();
                GradedRing {
                    slots: slots[p],
                    ports,
                    n,
                    data: vec![0.0; slots[p] * ports * n],
                }
            })
            .collect();
        let rows = net
            .graded
            .iter()
            .map(|g| {
                let range = &mine[g.post];
                let n_pre = net.populations[g.pre].size as usize;
                let s = &g.synapses;
                // Counting sort by pre neuron, stable: connection order within a row is kept.
                let mut row_ptr = vec![0usize; n_pre + 1];
                for (i, j, _, _) in s.iter() {
                    if range.contains(&j) {
                        row_ptr[i as usize + 1] += 1;
                    }
                }
                for i in 0..n_pre {
                    row_ptr[i + 1] += row_ptr[i];
                }
                let nnz = row_ptr[n_pre];
                let mut fill = row_ptr.clone();
                let (mut target, mut weight, mut delay) =
                    (vec![0u32; nnz], vec![0f64; nnz], vec![0u16; nnz]);
                for (i, j, w, d) in s.iter() {
                    if range.contains(&j) {
                        let k = &mut fill[i as usize];
                        (target[*k], weight[*k], delay[*k]) = (j - range.start, w, d);
                        *k += 1;
                    }
                }
                GradedRows {
                    pre: g.pre,
                    post: g.post,
                    output: g.output,
                    input: g.input,
                    row_ptr,
                    target,
                    weight,
                    delay,
                }
            })
            .collect();
        Self {
            rings,
            rows,
            publish_ports,
            slices: ranges.to_vec(),
            me,
        }
    }

    /// Phase 1: hands every kernel its graded inputs arriving at `t`, then clears the slot.
    pub(crate) fn feed<'a>(
        &mut self,
        t: Step,
        kernels: impl Iterator<Item = &'a mut Box<dyn NeuronKernel>>,
    ) {
        for (ring, kernel) in self.rings.iter_mut().zip(kernels) {
            if ring.slots == 0 {
                continue;
            }
            let base = ring.slot_base(t);
            for port in 0..ring.ports {
                let vals = &mut ring.data[base + port * ring.n..base + (port + 1) * ring.n];
                kernel.graded_input(port, vals);
                vals.fill(0.0);
            }
        }
    }

    /// Phase 2: writes the graded outputs of step `t` into this shard's outbox.
    pub(crate) fn publish<'a>(
        &self,
        t: Step,
        kernels: impl Iterator<Item = &'a Box<dyn NeuronKernel>>,
        outbox: &GradedOutbox,
    ) {
        if self.rows.is_empty() {
            return;
        }
        let mut out = outbox[(t % 2) as usize].write().expect("graded outbox");
        for (p, (&ports, kernel)) in self.publish_ports.iter().zip(kernels).enumerate() {
            if ports == 0 {
                continue;
            }
            let n = self.slices[self.me][p].len();
            let buf = &mut out[p];
            buf.resize(ports * n, 0.0);
            for port in 0..ports {
                kernel.graded_output(port, &mut buf[port * n..(port + 1) * n]);
            }
        }
    }

    /// Phase 3: adds every shard's outputs of step `t` into the rings of this shard's targets,
    /// in global (projection, pre neuron, connection) order.
    pub(crate) fn deliver(&mut self, t: Step, outboxes: &[GradedOutbox]) {
        let parity = (t % 2) as usize;
        for g in &self.rows {
            let ring = &mut self.rings[g.post];
            let slot_len = ring.ports * ring.n;
            let off = g.input * ring.n;
            for (s, ob) in outboxes.iter().enumerate() {
                let out = ob[parity].read().expect("graded outbox");
                let slice = &self.slices[s][g.pre];
                let n = slice.len();
                let Some(vals) = out[g.pre].get(g.output * n..(g.output + 1) * n) else {
                    continue;
                };
                for (local, &v) in vals.iter().enumerate() {
                    if v == 0.0 {
                        continue;
                    }
                    let i = slice.start as usize + local;
                    for c in g.row_ptr[i]..g.row_ptr[i + 1] {
                        let slot = ((t + g.delay[c] as Step) % ring.slots as u64) as usize;
                        ring.data[slot * slot_len + off + g.target[c] as usize] += g.weight[c] * v;
                    }
                }
            }
        }
    }
}

/// Graded inputs in flight, per population: `[k][port][neuron]` for step `now + k` (empty for
/// populations without graded inputs), independent of the shard layout.
pub(crate) fn save(shards: &[&GradedShard], now: Step) -> Vec<Vec<f64>> {
    let Some(first) = shards.first() else {
        return Vec::new();
    };
    (0..first.rings.len())
        .map(|p| {
            let r0 = &first.rings[p];
            let mut v = Vec::new();
            for k in 0..r0.slots as u64 {
                for port in 0..r0.ports {
                    for sh in shards {
                        let rg = &sh.rings[p];
                        let b = rg.slot_base(now + k) + port * rg.n;
                        v.extend_from_slice(&rg.data[b..b + rg.n]);
                    }
                }
            }
            v
        })
        .collect()
}

/// Checks the graded section of a checkpoint against this network's shape.
pub(crate) fn check(shard: &GradedShard, saved: &[Vec<f64>], sizes: &[u32]) -> Result<(), String> {
    if saved.len() != shard.rings.len() {
        return Err("graded section length differs".into());
    }
    for (p, (ring, v)) in shard.rings.iter().zip(saved).enumerate() {
        if v.len() != ring.slots * ring.ports * sizes[p] as usize
            || v.iter().any(|x| !x.is_finite())
        {
            return Err(format!("graded inputs in flight of population {p}"));
        }
    }
    Ok(())
}

impl GradedShard {
    /// Restores what [`save`] wrote (checked by [`check`]) into this shard's slices.
    pub(crate) fn load(&mut self, saved: &[Vec<f64>], now: Step, sizes: &[u32]) {
        for (p, ring) in self.rings.iter_mut().enumerate() {
            let size = sizes[p] as usize;
            let a = self.slices[self.me][p].start as usize;
            for k in 0..ring.slots as u64 {
                for port in 0..ring.ports {
                    let src = (k as usize * ring.ports + port) * size + a;
                    let dst = ring.slot_base(now + k) + port * ring.n;
                    let n = ring.n;
                    ring.data[dst..dst + n].copy_from_slice(&saved[p][src..src + n]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The graded path on toy models: sources whose output is a known function of (neuron,
    //! step), targets that record what arrives, against `Σ w · out(i, t - d)` computed directly.

    use std::ops::Range;
    use std::sync::Arc;

    use super::*;
    use crate::describe::{ModelDescription, ModelKind, Variable};
    use crate::engine::{MemoryObserver, Simulation};
    use crate::model::{KernelState, ModelError, PopulationModel, StepContext};
    use crate::network::RecordSpec;
    use crate::time::TimeGrid;

    fn output(i: u32, t: Step) -> f64 {
        // Zero on some steps, to exercise the skipping of zero outputs.
        if (i as u64 + t).is_multiple_of(3) {
            0.0
        } else {
            (i as f64 + 1.0) * 0.5 + t as f64 * 0.01
        }
    }

    #[derive(Debug)]
    struct Source;
    struct SourceKernel {
        range: Range<u32>,
        step: Step,
    }
    impl PopulationModel for Source {
        fn describe(&self) -> ModelDescription {
            ModelDescription {
                kind: ModelKind::Graded { unit: "" },
                ..ModelDescription::neuron("source")
            }
        }
        fn graded_outputs(&self) -> &[&'static str] {
            &["value"]
        }
        fn instantiate(
            &self,
            _: usize,
            range: Range<u32>,
            _: &TimeGrid,
            _: u64,
        ) -> Box<dyn NeuronKernel> {
            Box::new(SourceKernel { range, step: 0 })
        }
    }
    impl NeuronKernel for SourceKernel {
        fn update(
            &mut self,
            ctx: &StepContext,
            _: &mut [f64],
            _: &mut Vec<u32>,
        ) -> Result<(), ModelError> {
            self.step = ctx.step;
            Ok(())
        }
        fn graded_output(&self, _: usize, out: &mut [f64]) {
            for (k, o) in out.iter_mut().enumerate() {
                *o = output(self.range.start + k as u32, self.step);
            }
        }
        fn read(&self, _: usize, _: usize) -> f64 {
            f64::NAN
        }
        fn save(&self) -> KernelState {
            Vec::new()
        }
        fn load(&mut self, _: &KernelState) -> Result<(), String> {
            Ok(())
        }
    }

    #[derive(Debug)]
    struct Target;
    struct TargetKernel {
        last: Vec<f64>,
    }
    impl PopulationModel for Target {
        fn describe(&self) -> ModelDescription {
            ModelDescription {
                state: vec![Variable {
                    name: "received",
                    unit: "",
                }],
                receptors: vec!["excitatory"],
                ..ModelDescription::neuron("target")
            }
        }
        fn graded_inputs(&self) -> &[&'static str] {
            &["value"]
        }
        fn instantiate(
            &self,
            _: usize,
            range: Range<u32>,
            _: &TimeGrid,
            _: u64,
        ) -> Box<dyn NeuronKernel> {
            Box::new(TargetKernel {
                last: vec![0.0; range.len()],
            })
        }
    }
    impl NeuronKernel for TargetKernel {
        fn update(
            &mut self,
            _: &StepContext,
            input: &mut [f64],
            _: &mut Vec<u32>,
        ) -> Result<(), ModelError> {
            input.fill(0.0);
            Ok(())
        }
        fn graded_input(&mut self, _: usize, values: &[f64]) {
            self.last.copy_from_slice(values);
        }
        fn read(&self, _: usize, i: usize) -> f64 {
            self.last[i]
        }
        fn save(&self) -> KernelState {
            Vec::new()
        }
        fn load(&mut self, _: &KernelState) -> Result<(), String> {
            Ok(())
        }
    }

    #[test]
    fn graded_inputs_are_delayed_weighted_sums_for_any_thread_count() {
        const STEPS: Step = 60;
        let mut net = Network::new(TimeGrid::new(0.1).unwrap(), 1);
        let src = net.add_population("src", 7, Arc::new(Source)).unwrap();
        let dst = net.add_population("dst", 5, Arc::new(Target)).unwrap();
        let mut syn = SynapseList::default();
        for i in 0..7u32 {
            for j in 0..5u32 {
                if (i * 3 + j) % 4 != 0 {
                    syn.push(
                        i,
                        j,
                        0.25 + 0.1 * j as f64 - 0.05 * i as f64,
                        1 + ((i + j) % 4) as u16,
                    );
                }
            }
        }
        // Contributions are added when they are delivered: by sending step, then pre neuron.
        let expected = |j: u32, t: Step| -> f64 {
            let mut parts: Vec<(Step, u32, f64)> = syn
                .iter()
                .filter(|&(_, jj, _, d)| jj == j && t >= d as Step)
                .map(|(i, _, w, d)| (t - d as Step, i, w * output(i, t - d as Step)))
                .filter(|p| p.2 != 0.0)
                .collect();
            parts.sort_by_key(|p| (p.0, p.1));
            parts.iter().fold(0.0, |sum, p| sum + p.2)
        };
        net.add_graded_projection(GradedProjection {
            name: "g".into(),
            pre: src,
            post: dst,
            output: 0,
            input: 0,
            synapses: syn.clone(),
        })
        .unwrap();
        net.set_record(
            dst,
            RecordSpec {
                spikes: false,
                vars: vec![0],
                neurons: (0..5).collect(),
                interval: 1,
            },
        )
        .unwrap();
        let mut runs = Vec::new();
        for threads in [1, 2, 3] {
            let mut sim = Simulation::with_threads(&net, threads);
            let mut obs = MemoryObserver::default();
            sim.run_until(STEPS, &mut obs).unwrap();
            runs.push(obs);
        }
        assert_eq!(runs[0], runs[1]);
        assert_eq!(runs[0], runs[2]);
        let (steps, vals) = &runs[0].samples[&(dst, 0)];
        for (r, &t) in steps.iter().enumerate() {
            for j in 0..5u32 {
                assert_eq!(
                    vals[r * 5 + j as usize],
                    expected(j, t),
                    "target {j}, step {t}"
                );
            }
        }
    }

    #[test]
    fn graded_projections_are_checked() {
        let mut net = Network::new(TimeGrid::new(0.1).unwrap(), 1);
        let src = net.add_population("src", 2, Arc::new(Source)).unwrap();
        let dst = net.add_population("dst", 2, Arc::new(Target)).unwrap();
        let proj = |pre, post, output, input, delay: u16, w: f64| GradedProjection {
            name: "g".into(),
            pre,
            post,
            output,
            input,
            synapses: {
                let mut s = SynapseList::default();
                s.push(0, 1, w, delay);
                s
            },
        };
        for (p, needle) in [
            (proj(dst, src, 0, 0, 1, 1.0), "graded output"),
            (proj(src, dst, 1, 0, 1, 1.0), "graded output 1"),
            (proj(src, dst, 0, 1, 1, 1.0), "graded input 1"),
            (proj(src, dst, 0, 0, 0, 1.0), "delay of 0"),
            (proj(src, dst, 0, 0, 1, f64::NAN), "not finite"),
        ] {
            let e = net.add_graded_projection(p).unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
        }
    }
}
