//! The engine's guarantees, on toy models defined here (sim-core knows no concrete model):
//!
//! * any shard layout (1 to 4 even shards, uneven shards, an empty slice) gives bit-identical
//!   spikes, sampled state, plastic weights and final state;
//! * checkpoint at step k, restore (into any layout), continue = the uninterrupted run;
//! * every target sums its inputs in one canonical order (sending step, projection, pre
//!   neuron, synapse), whatever the layout, with weights chosen so that another order changes
//!   the bits;
//! * and these comparisons can fail: another seed, or a perturbed checkpoint, changes the run.
//!
//! The network: a Poisson-like source drawing from `sim_core::rng` streams, two leaky
//! integrate-and-fire populations (one with sparse input) that also record a digest of every
//! input they receive, held, generated and plastic projections (both zero-lag semantics) with
//! uniform and per-synapse delays, and a graded (continuous) projection.

use std::collections::HashSet;
use std::ops::Range;
use std::sync::Arc;

use rand::Rng;
use sim_core::describe::{
    ModelDescription, ModelKind, RuleDescription, SourceKind, Variable, WeightDependenceKind,
};
use sim_core::engine::split_even;
use sim_core::model::{KernelState, ModelError, NeuronKernel, PopulationModel, StateArray};
use sim_core::network::{
    Network, Projection, RecordSpec, SynapseGenerator, SynapseList, ValueGrid,
};
use sim_core::plasticity::PairRule;
use sim_core::rng::{stream, Domain, StreamRng};
use sim_core::{
    Checkpoint, GradedProjection, MemoryObserver, Simulation, Step, StepContext, TimeGrid,
};

const STEPS: Step = 400;

/// A uniform draw in [0, 1) from a stream.
fn uniform(rng: &mut impl Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

// ---------------------------------------------------------------------------------------------
// Toy models

/// Spikes with probability `p` per step; each (neuron, step) draws from its own stream, so the
/// source has no state to checkpoint and does not depend on how it is sliced.
#[derive(Debug)]
struct Poisson {
    p: f64,
}

struct PoissonKernel {
    pop: u64,
    range: Range<u32>,
    seed: u64,
    p: f64,
}

impl PopulationModel for Poisson {
    fn describe(&self) -> ModelDescription {
        ModelDescription {
            kind: ModelKind::SpikeSource(SourceKind::Poisson {
                rate_hz: self.p * 1e4,
                start_ms: 0.0,
                duration_ms: f64::INFINITY,
                probability_per_step: self.p,
            }),
            ..ModelDescription::neuron("toy_poisson")
        }
    }
    fn instantiate(
        &self,
        pop: usize,
        range: Range<u32>,
        _: &TimeGrid,
        seed: u64,
    ) -> Box<dyn NeuronKernel> {
        Box::new(PoissonKernel {
            pop: pop as u64,
            range,
            seed,
            p: self.p,
        })
    }
}

impl NeuronKernel for PoissonKernel {
    fn update(
        &mut self,
        ctx: &StepContext,
        input: &mut [f64],
        spikes: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        input.fill(0.0);
        for (k, i) in self.range.clone().enumerate() {
            let mut rng = stream(
                self.seed,
                Domain::Neuron,
                self.pop,
                (ctx.step << 20) | i as u64,
            );
            if uniform(&mut rng) < self.p {
                spikes.push(k as u32);
            }
        }
        Ok(())
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

/// Leaky integrate-and-fire with an excitatory and an inhibitory receptor, a refractory
/// period, a graded output (its potential) and a graded input (added to the potential). Each
/// neuron also folds the bits of every input it receives into a digest, so any change in the
/// summation order of its inputs shows.
#[derive(Debug)]
struct Lif {
    sparse: bool,
}

struct LifKernel {
    sparse: bool,
    v: Vec<f64>,
    refractory: Vec<u64>,
    digest: Vec<u64>,
    gap: Vec<f64>,
    /// Sparse kernels: inputs gathered from the touched entries.
    gathered: Vec<f64>,
}

const LIF_DECAY: f64 = 0.9;
const LIF_THRESHOLD: f64 = 1.0;

impl PopulationModel for Lif {
    fn describe(&self) -> ModelDescription {
        ModelDescription {
            receptors: vec!["excitatory", "inhibitory"],
            state: vec![Variable::new("v", ""), Variable::new("digest", "")],
            ..ModelDescription::neuron("toy_lif")
        }
    }
    fn graded_outputs(&self) -> &[&'static str] {
        &["v"]
    }
    fn graded_inputs(&self) -> &[&'static str] {
        &["gap"]
    }
    fn instantiate(
        &self,
        pop: usize,
        range: Range<u32>,
        _: &TimeGrid,
        seed: u64,
    ) -> Box<dyn NeuronKernel> {
        let n = range.len();
        Box::new(LifKernel {
            sparse: self.sparse,
            v: range
                .map(|i| 0.8 * uniform(&mut stream(seed, Domain::Init, pop as u64, i as u64)))
                .collect(),
            refractory: vec![0; n],
            digest: vec![0; n],
            gap: vec![0.0; n],
            gathered: vec![0.0; 2 * n],
        })
    }
}

impl LifKernel {
    /// Integrates `input` (receptor-major, 2 × n) and fires.
    fn step(&mut self, input: &[f64], spikes: &mut Vec<u32>) {
        let n = self.v.len();
        for j in 0..n {
            let (exc, inh) = (input[j], input[n + j]);
            self.digest[j] = (self.digest[j].rotate_left(9) ^ exc.to_bits())
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                ^ inh.to_bits().rotate_left(32);
            if self.refractory[j] > 0 {
                self.refractory[j] -= 1;
                continue;
            }
            let v = self.v[j] * LIF_DECAY + exc - inh + self.gap[j];
            if v >= LIF_THRESHOLD {
                spikes.push(j as u32);
                self.v[j] = 0.0;
                self.refractory[j] = 2;
            } else {
                self.v[j] = v;
            }
        }
    }
}

impl NeuronKernel for LifKernel {
    fn update(
        &mut self,
        _: &StepContext,
        input: &mut [f64],
        spikes: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        self.step(input, spikes);
        input.fill(0.0);
        Ok(())
    }
    fn sparse_input(&self) -> bool {
        self.sparse
    }
    fn update_sparse(
        &mut self,
        _: &StepContext,
        input: &mut [f64],
        touched: &[Vec<u32>],
        spikes: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        let n = self.v.len();
        let mut gathered = std::mem::take(&mut self.gathered);
        gathered.fill(0.0);
        for (r, list) in touched.iter().enumerate() {
            for &j in list {
                let k = r * n + j as usize;
                // A repeated entry was cleared on its first visit: adding 0 keeps the value.
                gathered[k] += input[k];
                input[k] = 0.0;
            }
        }
        self.step(&gathered, spikes);
        self.gathered = gathered;
        Ok(())
    }
    fn read(&self, var: usize, i: usize) -> f64 {
        match var {
            0 => self.v[i],
            // 53 bits survive the trip through f64 exactly.
            _ => (self.digest[i] >> 11) as f64,
        }
    }
    fn save(&self) -> KernelState {
        vec![
            (
                "v".into(),
                StateArray::F64 {
                    width: 1,
                    values: self.v.clone(),
                },
            ),
            (
                "refractory".into(),
                StateArray::U64 {
                    width: 1,
                    values: self.refractory.clone(),
                },
            ),
            (
                "digest".into(),
                StateArray::U64 {
                    width: 1,
                    values: self.digest.clone(),
                },
            ),
        ]
    }
    fn load(&mut self, state: &KernelState) -> Result<(), String> {
        let n = self.v.len();
        for (name, arr) in state {
            match (name.as_str(), arr) {
                ("v", StateArray::F64 { values, .. }) if values.len() == n => {
                    self.v.clone_from(values)
                }
                ("refractory", StateArray::U64 { values, .. }) if values.len() == n => {
                    self.refractory.clone_from(values)
                }
                ("digest", StateArray::U64 { values, .. }) if values.len() == n => {
                    self.digest.clone_from(values)
                }
                _ => return Err(format!("unexpected state array '{name}'")),
            }
        }
        Ok(())
    }
    fn graded_input(&mut self, _: usize, values: &[f64]) {
        self.gap.copy_from_slice(values);
    }
    fn graded_output(&self, _: usize, out: &mut [f64]) {
        out.copy_from_slice(&self.v);
    }
}

/// Never fires; keeps the exact input of the current step (read as variable 0).
#[derive(Debug)]
struct Recorder {
    sparse: bool,
}

struct RecorderKernel {
    last: Vec<f64>,
    sparse: bool,
}

impl PopulationModel for Recorder {
    fn describe(&self) -> ModelDescription {
        ModelDescription {
            receptors: vec!["in"],
            state: vec![Variable::new("input", "")],
            ..ModelDescription::neuron("toy_recorder")
        }
    }
    fn instantiate(
        &self,
        _: usize,
        range: Range<u32>,
        _: &TimeGrid,
        _: u64,
    ) -> Box<dyn NeuronKernel> {
        Box::new(RecorderKernel {
            last: vec![0.0; range.len()],
            sparse: self.sparse,
        })
    }
}

impl NeuronKernel for RecorderKernel {
    fn update(
        &mut self,
        _: &StepContext,
        input: &mut [f64],
        _: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        self.last.copy_from_slice(input);
        input.fill(0.0);
        Ok(())
    }
    fn sparse_input(&self) -> bool {
        self.sparse
    }
    fn update_sparse(
        &mut self,
        _: &StepContext,
        input: &mut [f64],
        touched: &[Vec<u32>],
        _: &mut Vec<u32>,
    ) -> Result<(), ModelError> {
        self.last.fill(0.0);
        for &j in &touched[0] {
            self.last[j as usize] = input[j as usize];
            input[j as usize] = 0.0;
        }
        Ok(())
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

/// Additive pair STDP, clamped to [0, 1].
#[derive(Debug)]
struct AdditiveRule {
    zero_lag_depresses: bool,
}

impl PairRule for AdditiveRule {
    fn tau_plus(&self) -> f64 {
        16.8
    }
    fn tau_minus(&self) -> f64 {
        33.7
    }
    fn depress_at_zero_lag(&self) -> bool {
        self.zero_lag_depresses
    }
    fn potentiate(&self, w: f64, x: f64) -> f64 {
        (w + 0.013 * x).min(1.0)
    }
    fn depress(&self, w: f64, y: f64) -> f64 {
        (w - 0.011 * y).max(0.0)
    }
    fn describe(&self) -> RuleDescription {
        RuleDescription {
            tau_plus: self.tau_plus(),
            tau_minus: self.tau_minus(),
            a_plus: 0.013,
            a_minus: 0.011,
            weight_dependence: WeightDependenceKind::Additive,
            w_min: 0.0,
            w_max: 1.0,
            additive_amplitudes_scaled_by_w_max: false,
            depress_at_zero_lag: self.zero_lag_depresses,
        }
    }
}

/// Every pre neuron connects to post neuron `j` with probability `p`, one weight and delay.
#[derive(Debug)]
struct RandomColumns {
    n_pre: u32,
    n_post: u32,
    p: f64,
    seed: u64,
    weight: f64,
    delay: u16,
}

impl SynapseGenerator for RandomColumns {
    fn n_pre(&self) -> u32 {
        self.n_pre
    }
    fn n_post(&self) -> u32 {
        self.n_post
    }
    fn column(&self, j: u32, pre: &mut Vec<u32>) {
        let mut rng = stream(self.seed, Domain::Connect, 1000, j as u64);
        pre.extend((0..self.n_pre).filter(|_| uniform(&mut rng) < self.p));
    }
    fn weight(&self) -> f64 {
        self.weight
    }
    fn delay(&self) -> u16 {
        self.delay
    }
    fn expected_column_len(&self, _: u32) -> f64 {
        self.n_pre as f64 * self.p
    }
}

/// `k` pre neurons drawn with replacement for each post neuron (so multapses), each synapse
/// with its own weight and delay on `grid`: the engine keeps these as delay-sorted packed rows.
#[derive(Debug)]
struct DrawnColumns {
    n_pre: u32,
    n_post: u32,
    k: u32,
    seed: u64,
    grid: ValueGrid,
}

impl SynapseGenerator for DrawnColumns {
    fn n_pre(&self) -> u32 {
        self.n_pre
    }
    fn n_post(&self) -> u32 {
        self.n_post
    }
    fn column(&self, j: u32, pre: &mut Vec<u32>) {
        let start = pre.len();
        self.column_unordered(j, pre);
        pre[start..].sort_unstable();
    }
    fn column_unordered(&self, j: u32, pre: &mut Vec<u32>) {
        let mut rng = stream(self.seed, Domain::Connect, 2000, j as u64);
        pre.extend((0..self.k).map(|_| (rng.next_u64() % self.n_pre as u64) as u32));
    }
    fn weight(&self) -> f64 {
        self.grid.weight(0)
    }
    fn delay(&self) -> u16 {
        self.grid.delay_min
    }
    fn expected_column_len(&self, _: u32) -> f64 {
        self.k as f64
    }
    fn value_grid(&self) -> Option<ValueGrid> {
        Some(self.grid)
    }
    fn column_values(&self, j: u32, n: usize, weight: &mut Vec<f64>, delay: &mut Vec<u16>) {
        let mut rng = stream(self.seed, Domain::Connect, 2001, j as u64);
        let delays = u64::from(self.grid.delay_max - self.grid.delay_min) + 1;
        for _ in 0..n {
            let code = (rng.next_u64() >> (64 - self.grid.weight_bits)) as u32;
            weight.push(self.grid.weight(code));
            delay.push(self.grid.delay_min + (rng.next_u64() % delays) as u16);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Networks

/// A weight of magnitude ~1, 1e-7 or 1e7 (times `scale`): sums of such weights depend on
/// the order of the additions.
fn mixed_weight(rng: &mut impl Rng, scale: f64) -> f64 {
    let u = 0.5 + uniform(rng);
    let magnitude = [1.0, 1e-7, 1.0, 1e7][(rng.next_u64() % 4) as usize];
    scale * u * magnitude
}

/// Synapses from `n_pre` to `n_post` neurons with probability `p` (self-connections kept),
/// weights and delays from the given draws; a second synapse for the same pair now and then.
fn random_synapses(
    seed: u64,
    projection: u64,
    (n_pre, n_post, p): (u32, u32, f64),
    mut weight: impl FnMut(&mut StreamRng) -> f64,
    mut delay: impl FnMut(&mut StreamRng) -> u16,
) -> SynapseList {
    let mut s = SynapseList::default();
    for j in 0..n_post {
        let mut rng = stream(seed, Domain::Connect, projection, j as u64);
        for i in 0..n_pre {
            if uniform(&mut rng) < p {
                let copies = if uniform(&mut rng) < 0.1 { 2 } else { 1 };
                for _ in 0..copies {
                    let (w, d) = (weight(&mut rng), delay(&mut rng));
                    s.push(i, j, w, d);
                }
            }
        }
    }
    s
}

fn record_all(net: &mut Network, pop: usize, vars: Vec<usize>, interval: Step) {
    let n = net.populations[pop].size;
    net.set_record(
        pop,
        RecordSpec {
            spikes: true,
            vars,
            neurons: (0..n).collect(),
            interval,
        },
    )
    .unwrap();
}

type Draw<T> = fn(&mut StreamRng) -> T;

/// Name, (pre, post, receptor), connection probability, weight and delay draws, rule.
type HeldProjection = (
    &'static str,
    (usize, usize, usize),
    f64,
    Draw<f64>,
    Draw<u16>,
    Option<Arc<dyn PairRule>>,
);

/// Indices of the plastic projections of [`network`].
const PLASTIC: [usize; 2] = [2, 3];

/// Source (30) -> exc (23, dense input) and inh (11, sparse input), recurrent and plastic.
fn network(seed: u64) -> Network {
    let mut net = Network::new(TimeGrid::new(0.1).unwrap(), seed);
    let src = net
        .add_population("src", 30, Arc::new(Poisson { p: 0.08 }))
        .unwrap();
    let exc = net
        .add_population("exc", 23, Arc::new(Lif { sparse: false }))
        .unwrap();
    let inh = net
        .add_population("inh", 11, Arc::new(Lif { sparse: true }))
        .unwrap();
    record_all(&mut net, src, vec![], 1);
    record_all(&mut net, exc, vec![0, 1], 1);
    record_all(&mut net, inh, vec![0, 1], 3);

    let sizes: Vec<u32> = net.populations.iter().map(|p| p.size).collect();
    let size = |p: usize| sizes[p];
    let plastic = |zero_lag_depresses| -> Option<Arc<dyn PairRule>> {
        Some(Arc::new(AdditiveRule { zero_lag_depresses }))
    };
    #[rustfmt::skip]
    let held: [HeldProjection; 5] = [
        // Per-synapse delays, mixed-magnitude weights.
        ("src_exc", (src, exc, 0), 0.3, |r| mixed_weight(r, 0.3), |r| 1 + (r.next_u64() % 5) as u16, None),
        // One weight and one delay for all (the engine's compact rows).
        ("src_inh", (src, inh, 0), 0.3, |_| 0.35, |_| 2, None),
        // Plastic, one delay each, both zero-lag semantics.
        ("exc_exc", (exc, exc, 0), 0.25, |r| 0.1 + 0.3 * uniform(r), |_| 3, plastic(true)),
        ("exc_inh", (exc, inh, 0), 0.4, |r| 0.1 + 0.4 * uniform(r), |_| 1, plastic(false)),
        // Inhibitory, per-synapse delays.
        ("inh_exc", (inh, exc, 1), 0.5, |r| mixed_weight(r, 0.5), |r| 1 + (r.next_u64() % 4) as u16, None),
    ];
    let mut projections: Vec<Projection> = held
        .into_iter()
        .enumerate()
        .map(
            |(k, (name, (pre, post, receptor), p, weight, delay, plasticity))| {
                let shape = (size(pre), size(post), p);
                Projection {
                    name: name.into(),
                    pre,
                    post,
                    receptor,
                    synapses: random_synapses(seed, k as u64, shape, weight, delay),
                    plasticity,
                }
            },
        )
        .collect();
    // Generated (never held as a list).
    let g = RandomColumns {
        n_pre: size(src),
        n_post: size(inh),
        p: 0.2,
        seed,
        weight: 0.05,
        delay: 4,
    };
    projections.push(Projection {
        name: "src_inh_generated".into(),
        pre: src,
        post: inh,
        receptor: 1,
        synapses: SynapseList::generated(Arc::new(g)),
        plasticity: None,
    });
    // Generated with a weight and a delay per synapse: packed rows, pulled into the slot the
    // update reads (exc also gets pushed inputs; inh's input is sparse).
    let grid = ValueGrid {
        weight_origin: -0.15,
        weight_step: 0.4 / 4095.0,
        weight_bits: 12,
        delay_min: 3,
        delay_max: 9,
    };
    for (k, (name, pre, post, receptor)) in [
        ("src_exc_drawn", src, exc, 0),
        ("exc_inh_drawn", exc, inh, 1),
    ]
    .into_iter()
    .enumerate()
    {
        let drawn = DrawnColumns {
            n_pre: size(pre),
            n_post: size(post),
            k: 4,
            seed: seed + 100 * k as u64,
            grid,
        };
        projections.push(Projection {
            name: name.into(),
            pre,
            post,
            receptor,
            synapses: SynapseList::generated(Arc::new(drawn)),
            plasticity: None,
        });
    }
    for proj in projections {
        net.add_projection(proj).unwrap();
    }
    // Graded: the potential of exc reaches inh, delays 1..=3.
    let s = random_synapses(
        seed,
        6,
        (size(exc), size(inh), 0.3),
        |r| 0.02 * uniform(r),
        |r| 1 + (r.next_u64() % 3) as u16,
    );
    net.add_graded_projection(GradedProjection {
        name: "exc_inh_graded".into(),
        pre: exc,
        post: inh,
        output: 0,
        input: 0,
        synapses: s,
    })
    .unwrap();
    net
}

// ---------------------------------------------------------------------------------------------
// Layouts and runs

/// Shard slices in proportion to `shares` (a 0 share gives that shard empty slices).
fn uneven(net: &Network, shares: &[u32]) -> Vec<Vec<Range<u32>>> {
    let total: u64 = shares.iter().map(|&s| s as u64).sum();
    let mut ranges = vec![Vec::new(); shares.len()];
    for pop in &net.populations {
        let n = pop.size as u64;
        let mut acc = 0u64;
        for (s, &share) in shares.iter().enumerate() {
            let a = (n * acc / total) as u32;
            acc += share as u64;
            let b = (n * acc / total) as u32;
            ranges[s].push(a..b);
        }
    }
    ranges
}

/// Every layout the tests compare: 1 to 4 even shards, and uneven ones (one with an empty
/// slice per population).
fn layouts(net: &Network) -> Vec<(String, Vec<Vec<Range<u32>>>)> {
    let mut all: Vec<_> = (1..=4)
        .map(|k| {
            let ranges = (0..k)
                .map(|s| {
                    net.populations
                        .iter()
                        .map(|p| split_even(p.size, k)[s].clone())
                        .collect()
                })
                .collect();
            (format!("{k} even shards"), ranges)
        })
        .collect();
    for shares in [&[5u32, 1, 2][..], &[1, 0, 3]] {
        all.push((format!("shares {shares:?}"), uneven(net, shares)));
    }
    all
}

/// What a run produced: everything observed, the plastic weights, the counters and the final
/// state.
#[derive(Debug, PartialEq)]
struct Outcome {
    observed: MemoryObserver,
    weights: Vec<Vec<f64>>,
    spikes: u64,
    events: u64,
    state: Checkpoint,
}

fn outcome(net: &Network, sim: &Simulation, observed: MemoryObserver) -> Outcome {
    Outcome {
        observed,
        // Empty for static projections.
        weights: (0..net.projections.len()).map(|k| sim.weights(k)).collect(),
        spikes: sim.counters().spikes,
        events: sim.counters().synaptic_events,
        state: sim.checkpoint(),
    }
}

fn run(net: &Network, ranges: Vec<Vec<Range<u32>>>, steps: Step) -> Outcome {
    let mut sim = Simulation::new(net, ranges);
    sim.set_chunk_steps(64);
    let mut obs = MemoryObserver::default();
    sim.run_until(steps, &mut obs).unwrap();
    outcome(net, &sim, obs)
}

/// The observations of a run from step 0 to k followed by those of k to the end.
fn concat(mut first: MemoryObserver, second: MemoryObserver) -> MemoryObserver {
    for (p, spikes) in second.spikes.into_iter().enumerate() {
        if first.spikes.len() <= p {
            first.spikes.resize(p + 1, Vec::new());
        }
        first.spikes[p].extend(spikes);
    }
    for (key, (steps, values)) in second.samples {
        let e = first.samples.entry(key).or_default();
        e.0.extend(steps);
        e.1.extend(values);
    }
    first
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn the_toy_network_is_busy() {
    let net = network(7);
    let initial: Vec<Vec<f64>> = PLASTIC
        .iter()
        .map(|&k| net.projections[k].synapses.iter().map(|s| s.2).collect())
        .collect();
    let out = run(&net, layouts(&net).swap_remove(0).1, STEPS);
    for (p, pop) in net.populations.iter().enumerate() {
        let n = out.observed.spikes[p].len();
        assert!(n > 100, "{}: {n} spikes", pop.name);
    }
    for (k, w0) in PLASTIC.iter().zip(&initial) {
        let w = &out.weights[*k];
        let changed = w.iter().zip(w0).filter(|(a, b)| a != b).count();
        assert!(changed * 2 > w.len(), "projection {k}: {changed} changed");
    }
    // The graded input reaches inh (its potential differs without it).
    let mut without = net.clone();
    without.graded.clear();
    let alone = run(&without, layouts(&net).swap_remove(0).1, STEPS);
    assert_ne!(out.observed.samples, alone.observed.samples);
}

#[test]
fn every_shard_layout_gives_the_same_run() {
    for seed in [1, 2, 3] {
        let net = network(seed);
        let mut layouts = layouts(&net).into_iter();
        let (_, one) = layouts.next().unwrap();
        let reference = run(&net, one, STEPS);
        for (name, ranges) in layouts {
            let other = run(&net, ranges, STEPS);
            assert!(
                other == reference,
                "seed {seed}, {name}: differs from 1 shard"
            );
        }
    }
}

#[test]
fn another_seed_gives_another_run() {
    // The comparisons above are not vacuous: the outcome does depend on the inputs.
    let net = network(1);
    let a = run(&net, layouts(&net).swap_remove(0).1, STEPS);
    let b = run(&network(2), layouts(&net).swap_remove(0).1, STEPS);
    assert_ne!(a.observed.spikes, b.observed.spikes);
    assert_ne!(a.observed.samples, b.observed.samples);
    assert_ne!(a.weights, b.weights);
    assert_ne!(a.state, b.state);
}

#[test]
fn restore_then_continue_equals_the_uninterrupted_run() {
    let net = network(5);
    let layouts = layouts(&net);
    let full = run(&net, layouts[0].1.clone(), STEPS);
    let n = layouts.len();
    for (c, k) in [1, 2, 3, 37, 128, 250, 399].into_iter().enumerate() {
        // Checkpoint in one layout, restore into another (and into the same one, for k = 1).
        let (from_name, from) = &layouts[c % n];
        let (to_name, to) = &layouts[if k == 1 { c % n } else { (c * 3 + 1) % n }];
        let mut first = Simulation::new(&net, from.clone());
        let mut head = MemoryObserver::default();
        first.run_until(k, &mut head).unwrap();
        let bytes = first.checkpoint().to_bytes();

        let mut second = Simulation::new(&net, to.clone());
        let saved = Checkpoint::from_bytes(&bytes).unwrap();
        second.restore(&saved).unwrap();
        assert_eq!(second.step(), k);
        // The checkpoint does not depend on the layout it is restored into.
        assert!(
            second.checkpoint() == saved,
            "k = {k}: {from_name} -> {to_name}"
        );
        let mut tail = MemoryObserver::default();
        second.run_until(STEPS, &mut tail).unwrap();
        let resumed = outcome(&net, &second, concat(head, tail));
        assert!(
            resumed == full,
            "k = {k}: checkpoint in {from_name}, restored into {to_name}: differs"
        );
    }
}

#[test]
fn a_perturbed_checkpoint_changes_the_continuation() {
    // The restore comparison is not vacuous: each part of the state matters.
    let net = network(5);
    let full = run(&net, layouts(&net).swap_remove(0).1, STEPS);
    let k = 150;
    let mut sim = Simulation::single(&net);
    sim.run_until(k, &mut MemoryObserver::default()).unwrap();
    let cp = sim.checkpoint();
    let mut perturbed = Vec::new();
    // One input in flight to exc, one plastic weight, one pre trace.
    let mut c = cp.clone();
    let exc = 1;
    let slot = c.rings[exc].iter().position(|&x| x != 0.0).unwrap();
    c.rings[exc][slot] += 0.25;
    perturbed.push(("ring", c));
    let mut c = cp.clone();
    let ps = c.plastic[PLASTIC[0]].as_mut().unwrap();
    ps.weights[0] = 1.0 - ps.weights[0];
    perturbed.push(("weight", c));
    let mut c = cp.clone();
    let ps = c.plastic[PLASTIC[1]].as_mut().unwrap();
    let i = ps.x.iter().position(|&x| x != 0.0).unwrap();
    ps.x[i] *= 3.0;
    perturbed.push(("trace", c));
    // One spike whose packed row has synapses still to arrive.
    let mut c = cp.clone();
    let pending = c.pending.iter_mut().find(|p| !p.is_empty()).unwrap();
    pending.remove(0);
    perturbed.push(("pending spike", c));
    for (what, c) in perturbed {
        let mut sim = Simulation::with_threads(&net, 2);
        sim.restore(&c).unwrap();
        sim.run_until(STEPS, &mut MemoryObserver::default())
            .unwrap();
        assert_ne!(
            sim.checkpoint(),
            full.state,
            "a perturbed {what} left the run unchanged"
        );
    }
}

/// Source (24) -> recorder (10) through two projections with per-synapse delays and weights
/// of magnitudes 1e-8 to 1e8.
fn order_network(seed: u64) -> Network {
    let mut net = Network::new(TimeGrid::new(0.1).unwrap(), seed);
    let src = net
        .add_population("src", 24, Arc::new(Poisson { p: 0.3 }))
        .unwrap();
    let sum = net
        .add_population("sum", 10, Arc::new(Recorder { sparse: false }))
        .unwrap();
    record_all(&mut net, src, vec![], 1);
    record_all(&mut net, sum, vec![0], 1);
    for (k, p, delays) in [(0u64, 0.7, 1..5), (1, 0.5, 2..4)] {
        let span = delays.end - delays.start;
        let synapses = random_synapses(
            seed,
            k,
            (24, 10, p),
            |r| {
                let sign = if r.next_u64() % 2 == 0 { 1.0 } else { -1.0 };
                sign * mixed_weight(r, 1.0) * [1.0, 10.0][(r.next_u64() % 2) as usize]
            },
            |r| delays.start + (r.next_u64() % span as u64) as u16,
        );
        net.add_projection(Projection {
            name: format!("p{k}"),
            pre: src,
            post: sum,
            receptor: 0,
            synapses,
            plasticity: None,
        })
        .unwrap();
    }
    net
}

/// The input of target `j` at step `t` summed in `order`'s order over its contributions, each
/// keyed (sending step, projection, pre neuron, synapse index).
fn summed(
    net: &Network,
    sent: &HashSet<(Step, u32)>,
    j: u32,
    t: Step,
    order: impl Fn(&mut Vec<((Step, usize, u32, usize), f64)>),
) -> f64 {
    let mut parts = Vec::new();
    for (k, proj) in net.projections.iter().enumerate() {
        for (syn, (i, jj, w, d)) in proj.synapses.iter().enumerate() {
            let d = d as Step;
            if jj == j && t >= d && sent.contains(&(t - d, i)) {
                parts.push(((t - d, k, i, syn), w));
            }
        }
    }
    parts.sort_by_key(|p| p.0);
    order(&mut parts);
    parts.iter().fold(0.0, |acc, p| acc + p.1)
}

#[test]
fn every_target_sums_its_inputs_in_one_order_for_any_layout() {
    let net = order_network(11);
    let mut layouts = layouts(&net).into_iter();
    let reference = run(&net, layouts.next().unwrap().1, 120);
    for (name, ranges) in layouts {
        assert!(run(&net, ranges, 120) == reference, "{name}");
    }
    // The canonical order, bit for bit; the reverse order would give other bits somewhere,
    // so the equality above does test the order.
    let sent: HashSet<(Step, u32)> = reference.observed.spikes[0].iter().copied().collect();
    let (steps, values) = &reference.observed.samples[&(1, 0)];
    let mut reordered = 0;
    for (r, &t) in steps.iter().enumerate() {
        for j in 0..10u32 {
            let got = values[r * 10 + j as usize];
            let canonical = summed(&net, &sent, j, t, |_| {});
            assert_eq!(got.to_bits(), canonical.to_bits(), "target {j}, step {t}");
            let reversed = summed(&net, &sent, j, t, |p| p.reverse());
            reordered += (reversed.to_bits() != canonical.to_bits()) as usize;
        }
    }
    assert!(reordered > 50, "only {reordered} sums depend on the order");
}

// ---------------------------------------------------------------------------------------------
// Ranks: processes simulated by threads

/// `size` ranks in one process, one thread each: an all-gather is a slot per rank written
/// between two barriers (the engine calls it from one thread per rank, in the same order).
struct ThreadRanks {
    rank: usize,
    size: usize,
    barrier: Arc<AtomicBarrier>,
    slots: Arc<std::sync::Mutex<Vec<Vec<u8>>>>,
}

/// A barrier made of atomics, so that ThreadSanitizer (scripts/tsan.sh, which cannot see inside
/// the uninstrumented standard library's `Barrier`) sees the order it gives to the slots.
#[derive(Default)]
struct AtomicBarrier {
    arrived: std::sync::atomic::AtomicUsize,
    generation: std::sync::atomic::AtomicUsize,
}

impl AtomicBarrier {
    fn wait(&self, size: usize) {
        use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
        let generation = self.generation.load(Acquire);
        if self.arrived.fetch_add(1, AcqRel) + 1 == size {
            // Nobody touches `arrived` again before seeing the new generation.
            self.arrived.store(0, Relaxed);
            self.generation.fetch_add(1, Release);
        } else {
            while self.generation.load(Acquire) == generation {
                std::thread::yield_now();
            }
        }
    }
}

impl sim_core::engine::ranks::Ranks for ThreadRanks {
    fn rank(&self) -> usize {
        self.rank
    }
    fn size(&self) -> usize {
        self.size
    }
    fn all_gather(&self, mine: &[u8]) -> Vec<Vec<u8>> {
        // The first wait: every rank has read the previous gather before a slot is rewritten.
        self.barrier.wait(self.size);
        self.slots.lock().unwrap()[self.rank] = mine.to_vec();
        self.barrier.wait(self.size);
        self.slots.lock().unwrap().clone()
    }
}

/// The run of `net` on `ranks` ranks × `threads` threads (rank 0's view: it observes).
fn run_on_ranks(net: &Network, ranks: usize, threads: usize, steps: Step) -> Outcome {
    let shards = ranks * threads;
    let ranges: Vec<Vec<Range<u32>>> = (0..shards)
        .map(|s| {
            (net.populations.iter())
                .map(|p| split_even(p.size, shards)[s].clone())
                .collect()
        })
        .collect();
    let barrier = Arc::new(AtomicBarrier::default());
    let slots = Arc::new(std::sync::Mutex::new(vec![Vec::new(); ranks]));
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..ranks)
            .map(|rank| {
                let (barrier, slots, ranges) = (barrier.clone(), slots.clone(), ranges.clone());
                scope.spawn(move || {
                    let me = ThreadRanks {
                        rank,
                        size: ranks,
                        barrier,
                        slots,
                    };
                    let mut sim = Simulation::distributed(net, ranges, Arc::new(me)).unwrap();
                    sim.set_chunk_steps(64);
                    let mut obs = MemoryObserver::default();
                    sim.run_until(steps, &mut obs).unwrap();
                    let times = sim.rank_times();
                    (outcome(net, &sim, obs), times)
                })
            })
            .collect();
        let mut results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let (out, times) = results.swap_remove(0);
        // Shortest delay 3 steps: one exchange per 3 steps, the last of each 64-step chunk
        // shorter (64 = 21·3 + 1).
        for t in &times {
            assert_eq!((t.steps, t.interval_steps), (steps, 3), "{t:?}");
            assert_eq!(t.exchanges, steps / 64 * 22 + (steps % 64).div_ceil(3));
        }
        out
    })
}

/// Ranks exchange spikes once per minimum delay (3 steps here), delivering each interval's
/// steps in turn: a static network with delays of 3 steps and more runs on 2 and 3 ranks (of 1
/// and 2 threads) exactly as in one process — spikes, samples, counters and final state.
#[test]
fn ranks_exchanging_once_per_minimum_delay_give_the_one_process_run() {
    for seed in [1, 2] {
        let mut net = network(seed);
        net.graded.clear();
        net.projections.retain(|p| p.plasticity.is_none());
        for proj in &mut net.projections {
            proj.synapses.delay.iter_mut().for_each(|d| *d += 2);
        }
        assert_eq!(
            (net.projections.iter())
                .filter_map(|p| p.synapses.min_delay())
                .min(),
            Some(3)
        );
        let reference = run(&net, layouts(&net).swap_remove(0).1, STEPS);
        assert!(reference.spikes > 100, "{}", reference.spikes);
        for (ranks, threads) in [(2, 1), (3, 1), (2, 2)] {
            let other = run_on_ranks(&net, ranks, threads, STEPS);
            assert!(
                other == reference,
                "seed {seed}, {ranks} ranks x {threads} threads: differs from one process"
            );
        }
    }
}

/// Source (40) -> recorder through one projection of drawn multapses.
fn drawn_network(synapses: SynapseList, n_pre: u32, n_post: u32, sparse: bool) -> Network {
    let mut net = Network::new(TimeGrid::new(0.1).unwrap(), 5);
    let src = net
        .add_population("src", n_pre, Arc::new(Poisson { p: 0.3 }))
        .unwrap();
    let sum = net
        .add_population("sum", n_post, Arc::new(Recorder { sparse }))
        .unwrap();
    record_all(&mut net, sum, vec![0], 1);
    net.add_projection(Projection {
        name: "drawn".into(),
        pre: src,
        post: sum,
        receptor: 0,
        synapses,
        plasticity: None,
    })
    .unwrap();
    net
}

/// The bits of every sampled input.
fn input_bits(outcome: &Outcome) -> Vec<u64> {
    let (_, values) = &outcome.observed.samples[&(1, 0)];
    values.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn delay_sorted_rows_add_in_the_order_of_the_held_list() {
    // Weight codes of 8 bits (one target block), 16 (3-byte synapses, blocks of 256 targets)
    // and 20 (4-byte synapses, blocks of 4096); weights of both signs and magnitudes 1e-4 to
    // 1e4, so that the order of the additions shows in the bits. The last: one pre neuron with
    // 90 000 synapses of one delay, a run longer than a header counts (2^16 − 1), so cut in two.
    for (weight_bits, n_pre, n_post, k, delay_max) in [
        (8, 40, 300, 12, 9),
        (16, 40, 700, 12, 9),
        (20, 40, 4500, 12, 9),
        (8, 1, 300, 300, 2),
    ] {
        let grid = ValueGrid {
            weight_origin: -1e4,
            weight_step: 2e4 / ((1u64 << weight_bits) - 1) as f64 * 0.999_9,
            weight_bits,
            delay_min: 2,
            delay_max,
        };
        let drawn = DrawnColumns {
            n_pre,
            n_post,
            k,
            seed: 5,
            grid,
        };
        let generated = SynapseList::generated(Arc::new(drawn));
        let mut held = SynapseList::default();
        for (i, j, w, d) in generated.iter() {
            held.push(i, j, w, d);
        }
        for sparse in [false, true] {
            let held_net = drawn_network(held.clone(), n_pre, n_post, sparse);
            let reference = run(&held_net, layouts(&held_net)[0].1.clone(), 100);
            let net = drawn_network(generated.clone(), n_pre, n_post, sparse);
            for (name, ranges) in layouts(&net) {
                let got = run(&net, ranges, 100);
                let what = format!("{weight_bits} weight bits, sparse {sparse}, {name}");
                assert_eq!(got.events, reference.events, "{what}");
                assert!(input_bits(&got) == input_bits(&reference), "{what}");
            }
        }
    }
}
