//! The network description the engine runs: populations, projections (synapse lists) and what
//! to record. Built by `models` (from a model file or a network builder); checked here for the
//! invariants the engine relies on.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use crate::dynamics::SynapseDynamics;
use crate::graded::{GradedProjection, GradedProjectionId};
use crate::model::{PopulationId, PopulationModel};
use crate::plasticity::PairRule;
use crate::time::{Step, TimeGrid};

/// Index of a projection in a [`Network`].
pub type ProjectionId = usize;

/// Longest supported synaptic delay in steps (delays are stored as u16).
pub const MAX_DELAY_STEPS: u64 = u16::MAX as u64;

/// What to record from a population.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordSpec {
    pub spikes: bool,
    /// State variables (indices into the model's `state_vars`) to sample.
    pub vars: Vec<usize>,
    /// Neurons whose variables are sampled (ascending, unique).
    pub neurons: Vec<u32>,
    /// Sampling interval in steps (>= 1).
    pub interval: Step,
}

#[derive(Debug, Clone)]
pub struct Population {
    pub name: String,
    pub size: u32,
    pub model: Arc<dyn PopulationModel>,
    pub record: RecordSpec,
}

/// Synapses of one projection that are produced on demand instead of held as a list: all
/// synapses onto one post neuron (a *column*) at a time, each column from its own random
/// stream, with one weight and one delay for all. The engine builds its rows straight from
/// the columns its shard owns (in parallel, and without a list of 18 bytes per synapse next to
/// its rows); readers of the [`SynapseList`] see the same synapses, generated again.
pub trait SynapseGenerator: Send + Sync + std::fmt::Debug {
    fn n_pre(&self) -> u32;
    fn n_post(&self) -> u32;
    /// Appends the pre neurons of the synapses onto post neuron `j`, in generation order.
    fn column(&self, j: u32, pre: &mut Vec<u32>);
    /// The pre neurons of column `j` in any order (the same multiset as
    /// [`SynapseGenerator::column`]): enough to count a row's synapses, and cheaper where the
    /// generator sorts its columns.
    fn column_unordered(&self, j: u32, pre: &mut Vec<u32>) {
        self.column(j, pre);
    }
    /// The weight of every synapse (post model's input units; magnitudes for current-based
    /// inhibitory receptors).
    fn weight(&self) -> f64;
    /// The delay of every synapse in steps (>= 1).
    fn delay(&self) -> u16;
    /// The expected length of column `j` (for load balancing; need not be exact).
    fn expected_column_len(&self, j: u32) -> f64;
    /// `Some` when every synapse has its own weight and delay (drawn), given by
    /// [`SynapseGenerator::column_values`] on this grid; then [`SynapseGenerator::weight`] is a
    /// representative value and [`SynapseGenerator::delay`] the shortest delay.
    fn value_grid(&self) -> Option<ValueGrid> {
        None
    }
    /// Appends the weights and delays of the `n` synapses of column `j`, in the order
    /// [`SynapseGenerator::column`] gives their pre neurons.
    fn column_values(&self, j: u32, n: usize, weight: &mut Vec<f64>, delay: &mut Vec<u16>) {
        let _ = j;
        weight.extend(std::iter::repeat_n(self.weight(), n));
        delay.extend(std::iter::repeat_n(self.delay(), n));
    }
}

/// The values per-synapse weights and delays of a generator can take: weight
/// `weight_origin + k · weight_step` for an integer `k < 2^weight_bits` (computed as written,
/// so the engine stores `k` and recomputes the weight bit for bit), delay in
/// `delay_min..=delay_max` steps. The engine packs a synapse into 32 bits: target index,
/// delay − `delay_min`, `k`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueGrid {
    pub weight_origin: f64,
    pub weight_step: f64,
    pub weight_bits: u32,
    pub delay_min: u16,
    pub delay_max: u16,
}

impl ValueGrid {
    /// The weight of code `k`.
    #[inline(always)]
    pub fn weight(&self, k: u32) -> f64 {
        self.weight_origin + k as f64 * self.weight_step
    }
    /// The code of a weight on the grid.
    pub fn code(&self, w: f64) -> u32 {
        ((w - self.weight_origin) / self.weight_step).round() as u32
    }
    /// Bits of the delay field.
    pub fn delay_bits(&self) -> u32 {
        bits_for(u32::from(self.delay_max - self.delay_min))
    }
}

/// Bits needed to store values `0..=max` (at least 1).
pub fn bits_for(max: u32) -> u32 {
    (32 - max.leading_zeros()).max(1)
}

/// A generated list and, once asked for, the offset of each column in it.
#[derive(Debug)]
struct Generated {
    generator: Arc<dyn SynapseGenerator>,
    offsets: OnceLock<Vec<u64>>,
}

/// Columns of generated projections drawn by this process so far (see [`columns_drawn`]).
static COLUMNS_DRAWN: AtomicU64 = AtomicU64::new(0);

/// Columns of generated projections this process has drawn: by the engine's build (each of a
/// shard's columns twice, a pass to count and one to fill) and by reading a generated list
/// whole (`len`, `get`, `iter`). How a distributed run shows that no rank draws what it does
/// not own.
pub fn columns_drawn() -> u64 {
    COLUMNS_DRAWN.load(Ordering::Relaxed)
}

/// Counts `n` columns drawn (see [`columns_drawn`]).
pub fn note_columns_drawn(n: u64) {
    COLUMNS_DRAWN.fetch_add(n, Ordering::Relaxed);
}

impl Generated {
    fn offsets(&self) -> &[u64] {
        self.offsets.get_or_init(|| {
            let g = &self.generator;
            note_columns_drawn(u64::from(g.n_post()));
            let mut offsets = Vec::with_capacity(g.n_post() as usize + 1);
            let mut total = 0u64;
            let mut col = Vec::new();
            offsets.push(0);
            for j in 0..g.n_post() {
                col.clear();
                g.column(j, &mut col);
                total += col.len() as u64;
                offsets.push(total);
            }
            offsets
        })
    }
}

/// Synapses of one projection, column-wise, in the order the connector generated them.
/// Weights are in the post model's input units; for current-based inhibitory receptors they are
/// magnitudes (the kernel subtracts them).
///
/// A list is either held (the four columns) or generated ([`SynapseList::generated`]: the
/// columns are empty and `len`, `get` and `iter` generate the synapses again); read it through
/// `len`, `get` and `iter`.
#[derive(Debug, Clone, Default)]
pub struct SynapseList {
    pub pre: Vec<u32>,
    pub post: Vec<u32>,
    pub weight: Vec<f64>,
    /// Delay in steps per synapse, each >= 1.
    pub delay: Vec<u16>,
    /// What each synapse does to its weight at a spike (short-term plasticity, unreliable
    /// transmission); `None`: static weights. Only on a held list.
    pub dynamics: Option<Arc<dyn SynapseDynamics>>,
    generated: Option<Arc<Generated>>,
}

/// Two lists are equal when they hold the same synapses in the same order, however each keeps
/// them (a generated list is generated again to compare); their dynamics are not compared.
impl PartialEq for SynapseList {
    fn eq(&self, other: &Self) -> bool {
        match (&self.generated, &other.generated) {
            (None, None) => {
                self.pre == other.pre
                    && self.post == other.post
                    && self.weight == other.weight
                    && self.delay == other.delay
            }
            (Some(a), Some(b)) if Arc::ptr_eq(&a.generator, &b.generator) => true,
            _ => self.len() == other.len() && self.iter().eq(other.iter()),
        }
    }
}

impl SynapseList {
    /// A list whose synapses `generator` produces on demand.
    pub fn generated(generator: Arc<dyn SynapseGenerator>) -> Self {
        Self {
            generated: Some(Arc::new(Generated {
                generator,
                offsets: OnceLock::new(),
            })),
            ..Default::default()
        }
    }

    /// The generator of a generated list.
    pub fn generator(&self) -> Option<&Arc<dyn SynapseGenerator>> {
        self.generated.as_ref().map(|g| &g.generator)
    }

    /// The number of synapses (a generated list counts them once, by generating them).
    pub fn len(&self) -> usize {
        match &self.generated {
            Some(g) => *g.offsets().last().unwrap_or(&0) as usize,
            None => self.pre.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Synapse `i` as (pre, post, weight, delay in steps).
    pub fn get(&self, i: usize) -> (u32, u32, f64, u16) {
        match &self.generated {
            Some(g) => {
                let offsets = g.offsets();
                assert!(i < self.len(), "synapse {i} of {}", self.len());
                let j = offsets.partition_point(|&o| o <= i as u64) - 1;
                note_columns_drawn(1);
                let mut col = Vec::new();
                g.generator.column(j as u32, &mut col);
                let (mut w, mut d) = (Vec::new(), Vec::new());
                g.generator
                    .column_values(j as u32, col.len(), &mut w, &mut d);
                let k = i - offsets[j] as usize;
                (col[k], j as u32, w[k], d[k])
            }
            None => (self.pre[i], self.post[i], self.weight[i], self.delay[i]),
        }
    }
    /// Every synapse as (pre, post, weight, delay in steps), in generation order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, u32, f64, u16)> + '_ {
        let held = self
            .generated
            .is_none()
            .then(|| (0..self.pre.len()).map(|i| self.get(i)));
        let generated = self.generated.as_ref().map(|g| {
            let g = &g.generator;
            (0..g.n_post()).flat_map(move |j| {
                note_columns_drawn(1);
                let mut col = Vec::new();
                g.column(j, &mut col);
                let (mut w, mut d) = (Vec::new(), Vec::new());
                g.column_values(j, col.len(), &mut w, &mut d);
                col.into_iter()
                    .zip(w.into_iter().zip(d))
                    .map(move |(i, (w, d))| (i, j, w, d))
            })
        });
        held.into_iter()
            .flatten()
            .chain(generated.into_iter().flatten())
    }
    /// Appends a synapse to a held list.
    ///
    /// # Panics
    /// On a generated list.
    pub fn push(&mut self, pre: u32, post: u32, weight: f64, delay: u16) {
        assert!(
            self.generated.is_none(),
            "push onto a generated synapse list"
        );
        self.pre.push(pre);
        self.post.push(post);
        self.weight.push(weight);
        self.delay.push(delay);
    }
    /// The longest delay in steps (0 when empty).
    pub fn max_delay(&self) -> u16 {
        match &self.generated {
            Some(g) => match g.generator.value_grid() {
                Some(grid) => grid.delay_max,
                None => g.generator.delay(),
            },
            None => self.delay.iter().copied().max().unwrap_or(0),
        }
    }
    /// The shortest delay in steps (`None` when the list is empty): a spike of step `t` on this
    /// projection reaches no ring slot before `t + min_delay`.
    pub fn min_delay(&self) -> Option<u16> {
        match &self.generated {
            Some(g) => Some(match g.generator.value_grid() {
                Some(grid) => grid.delay_min,
                None => g.generator.delay(),
            }),
            None => self.delay.iter().copied().min(),
        }
    }
    /// The delay of the first synapse, if any (a plastic projection has one delay for all).
    pub fn first_delay(&self) -> Option<u16> {
        match &self.generated {
            Some(g) => Some(g.generator.delay()),
            None => self.delay.first().copied(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Projection {
    pub name: String,
    pub pre: PopulationId,
    pub post: PopulationId,
    /// Index into the post model's receptors.
    pub receptor: usize,
    pub synapses: SynapseList,
    pub plasticity: Option<Arc<dyn PairRule>>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NetworkError {
    #[error("population '{0}' is defined twice")]
    DuplicatePopulation(String),
    #[error("population '{name}': size must be >= 1")]
    EmptyPopulation { name: String },
    #[error("projection '{proj}': {what}")]
    Projection { proj: String, what: String },
    #[error("population '{pop}': recording: {what}")]
    Record { pop: String, what: String },
}

/// A complete network on a fixed time grid.
#[derive(Debug, Clone)]
pub struct Network {
    pub grid: TimeGrid,
    pub seed: u64,
    pub populations: Vec<Population>,
    pub projections: Vec<Projection>,
    /// Continuous couplings (see [`crate::graded`]).
    pub graded: Vec<GradedProjection>,
}

impl Network {
    pub fn new(grid: TimeGrid, seed: u64) -> Self {
        Self {
            grid,
            seed,
            populations: Vec::new(),
            projections: Vec::new(),
            graded: Vec::new(),
        }
    }

    pub fn population_id(&self, name: &str) -> Option<PopulationId> {
        self.populations.iter().position(|p| p.name == name)
    }

    pub fn add_population(
        &mut self,
        name: &str,
        size: u32,
        model: Arc<dyn PopulationModel>,
    ) -> Result<PopulationId, NetworkError> {
        if self.population_id(name).is_some() {
            return Err(NetworkError::DuplicatePopulation(name.to_string()));
        }
        if size == 0 {
            return Err(NetworkError::EmptyPopulation {
                name: name.to_string(),
            });
        }
        self.populations.push(Population {
            name: name.to_string(),
            size,
            model,
            record: RecordSpec {
                interval: 1,
                ..Default::default()
            },
        });
        Ok(self.populations.len() - 1)
    }

    pub fn set_record(&mut self, pop: PopulationId, spec: RecordSpec) -> Result<(), NetworkError> {
        let p = &self.populations[pop];
        let err = |what: String| NetworkError::Record {
            pop: p.name.clone(),
            what,
        };
        if spec.interval == 0 {
            return Err(err("sampling interval must be >= 1 step".into()));
        }
        for &v in &spec.vars {
            if v >= p.model.state_vars().len() {
                return Err(err(format!("variable index {v} out of range")));
            }
        }
        if spec.neurons.windows(2).any(|w| w[0] >= w[1]) {
            return Err(err("neuron list must be ascending and unique".into()));
        }
        if let Some(&n) = spec.neurons.last() {
            if n >= p.size {
                return Err(err(format!("neuron {n} >= size {}", p.size)));
            }
        }
        self.populations[pop].record = spec;
        Ok(())
    }

    /// Adds a projection after checking indices, receptor and delays; a plastic projection
    /// must have one delay for all its synapses (the back-propagation delay of its post spikes).
    pub fn add_projection(&mut self, proj: Projection) -> Result<ProjectionId, NetworkError> {
        let err = |what: String| NetworkError::Projection {
            proj: proj.name.clone(),
            what,
        };
        let npre = self.populations.get(proj.pre).map(|p| p.size);
        let npost = self.populations.get(proj.post).map(|p| p.size);
        let (Some(npre), Some(npost)) = (npre, npost) else {
            return Err(err("unknown population".into()));
        };
        let post_model = &self.populations[proj.post].model;
        if proj.receptor >= post_model.receptors().len() {
            return Err(err(format!(
                "receptor index {} but {} has receptors {:?}",
                proj.receptor,
                post_model.type_name(),
                post_model.receptors()
            )));
        }
        let s = &proj.synapses;
        if let Some(g) = s.generator() {
            if g.n_pre() != npre || g.n_post() != npost {
                return Err(err(format!(
                    "generator for {} -> {} neurons, populations have {npre} -> {npost}",
                    g.n_pre(),
                    g.n_post()
                )));
            }
            if g.delay() == 0 {
                return Err(err("a delay of 0 steps (delays must be >= dt)".into()));
            }
            if !g.weight().is_finite() {
                return Err(err(format!("weight {} is not finite", g.weight())));
            }
            if let Some(grid) = g.value_grid() {
                let top = grid.weight((1u64 << grid.weight_bits.min(32)).saturating_sub(1) as u32);
                if grid.delay_min == 0
                    || grid.delay_max < grid.delay_min
                    || !(grid.weight_origin.is_finite() && top.is_finite())
                    || grid.weight_bits == 0
                    || grid.weight_bits > 32
                {
                    return Err(err(format!("an invalid value grid {grid:?}")));
                }
            }
            if proj.plasticity.is_some() || s.dynamics.is_some() {
                return Err(err(
                    "a plastic projection or one with synapse dynamics needs a held synapse list, not a generated one".into(),
                ));
            }
            self.projections.push(proj);
            return Ok(self.projections.len() - 1);
        }
        if s.post.len() != s.pre.len()
            || s.weight.len() != s.pre.len()
            || s.delay.len() != s.pre.len()
        {
            return Err(err("synapse columns differ in length".into()));
        }
        if let Some(&i) = s.pre.iter().find(|&&i| i >= npre) {
            return Err(err(format!("pre index {i} >= pre size {npre}")));
        }
        if let Some(&j) = s.post.iter().find(|&&j| j >= npost) {
            return Err(err(format!("post index {j} >= post size {npost}")));
        }
        if s.delay.contains(&0) {
            return Err(err("a delay of 0 steps (delays must be >= dt)".into()));
        }
        if let Some(w) = s.weight.iter().find(|w| !w.is_finite()) {
            return Err(err(format!("weight {w} is not finite")));
        }
        if proj.plasticity.is_some() && s.dynamics.is_some() {
            return Err(err(
                "a projection has either STDP or synapse dynamics, not both".into(),
            ));
        }
        if proj.plasticity.is_some() {
            if let Some(&d0) = s.delay.first() {
                if s.delay.iter().any(|&d| d != d0) {
                    return Err(err(
                        "a plastic projection needs one delay for all synapses".into()
                    ));
                }
            }
        }
        self.projections.push(proj);
        Ok(self.projections.len() - 1)
    }

    /// Adds a graded (continuous) projection after checking indices, ports, delays and weights.
    pub fn add_graded_projection(
        &mut self,
        proj: GradedProjection,
    ) -> Result<GradedProjectionId, NetworkError> {
        crate::graded::validate(self, &proj)?;
        self.graded.push(proj);
        Ok(self.graded.len() - 1)
    }

    pub fn n_neurons(&self) -> u64 {
        self.populations.iter().map(|p| p.size as u64).sum()
    }

    pub fn n_synapses(&self) -> u64 {
        self.projections
            .iter()
            .map(|p| p.synapses.len() as u64)
            .sum()
    }
}
