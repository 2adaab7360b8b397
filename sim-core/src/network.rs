//! The network description the engine runs: populations, projections (synapse lists) and what
//! to record. Built by `models` (from a model file or a network builder); checked here for the
//! invariants the engine relies on.

use std::sync::Arc;

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

/// Synapses of one projection, column-wise, in the order the connector generated them.
/// Weights are in the post model's input units; for current-based inhibitory receptors they are
/// magnitudes (the kernel subtracts them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SynapseList {
    pub pre: Vec<u32>,
    pub post: Vec<u32>,
    pub weight: Vec<f64>,
    /// Delay in steps per synapse, each >= 1.
    pub delay: Vec<u16>,
}

impl SynapseList {
    pub fn len(&self) -> usize {
        self.pre.len()
    }
    pub fn is_empty(&self) -> bool {
        self.pre.is_empty()
    }
    /// Synapse `i` as (pre, post, weight, delay in steps).
    pub fn get(&self, i: usize) -> (u32, u32, f64, u16) {
        (self.pre[i], self.post[i], self.weight[i], self.delay[i])
    }
    /// Every synapse as (pre, post, weight, delay in steps), in generation order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, u32, f64, u16)> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
    pub fn push(&mut self, pre: u32, post: u32, weight: f64, delay: u16) {
        self.pre.push(pre);
        self.post.push(post);
        self.weight.push(weight);
        self.delay.push(delay);
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
