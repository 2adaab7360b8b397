//! The catalogue of cell types: one entry per type, naming it, reading its parameters (PyNN
//! names, defaults, units), listing the variables a model file may give initial values and the
//! options it accepts, building its [`PopulationModel`], and saying whether the SpiNNaker board
//! runs it. Model files, `engram models` and the documentation read the catalogue; a caller adds
//! its own types with [`Catalogue::with`].

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use sim_core::describe::{ModelDescription, Variable};
use sim_core::{PopulationModel, TimeGrid};

use crate::astro::aeif_cond_alpha_astro::SynapseShape;
use crate::astro::aeif_cond_alpha_astro::{
    self, AeifCondAlphaAstroModel, AeifCondAlphaAstroParams,
};
use crate::astro::amsu::{
    self, AmsuAstrocyteModel, AmsuAstrocyteParams, AmsuNeuronModel, AmsuNeuronParams,
};
use crate::astro::lr1994::{self, AstrocyteLr1994Model, AstrocyteLr1994Params, LR1994_INITIAL};
use crate::dist::Value;
use crate::electrodes::{
    ac, dc, noisy, step, AcSource, AcSourceParams, DcSource, DcSourceParams, NoisyCurrentSource,
    NoisyCurrentSourceParams, StepCurrentSource, StepCurrentSourceParams,
};
use crate::neurons::eif_cond_alpha_isfa_ista::{self, EifCondAlphaParams};
use crate::neurons::eif_cond_exp_isfa_ista;
use crate::neurons::hh_cond_exp::{self, HhCondExp, HhCondExpParams};
use crate::neurons::if_cond_alpha::{self, IfCondAlphaParams};
use crate::neurons::if_cond_exp::{self, IfCondExpParams};
use crate::neurons::if_curr_alpha::{self, IfCurrAlphaParams};
use crate::neurons::if_curr_delta::{self, IfCurrDelta, IfCurrDeltaParams};
use crate::neurons::if_curr_exp::{self, IfCurrExpParams};
use crate::neurons::izhikevich::{self, IzhikevichParams};
use crate::neurons::spike_source_array::{self, SpikeSourceArrayParams};
use crate::neurons::spike_source_gamma::{self, SpikeSourceGammaParams};
use crate::neurons::spike_source_poisson::{self, SpikeSourcePoissonParams};
use crate::neurons::spike_source_poisson_refractory::{self, SpikeSourcePoissonRefractoryParams};
use crate::neurons::{
    EifCond, IfCondAlpha, IfCondExp, IfCurrAlpha, IfCurrExp, Integration, Izhikevich, Precision,
    SpikeSourceArray, SpikeSourceGamma, SpikeSourcePoisson, SpikeSourcePoissonRefractory,
};
use crate::params::ParamError;

/// A choice a cell type offers besides its parameters, e.g. `integration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionSpec {
    pub name: &'static str,
    /// The values allowed; the first is the default.
    pub values: &'static [&'static str],
    pub help: &'static str,
}

/// What building a population's model sees besides its parameters.
pub struct BuildContext<'a> {
    pub grid: &'a TimeGrid,
    /// Number of neurons.
    pub size: u32,
    /// Initial values given in the model file, by variable.
    pub initial_values: &'a BTreeMap<String, Value>,
    /// Options given in the model file (only those the cell type accepts).
    pub options: &'a BTreeMap<&'static str, &'static str>,
}

impl BuildContext<'_> {
    /// The initial value given for `var`, if any.
    pub fn initial(&self, var: &str) -> Option<Value> {
        self.initial_values.get(var).cloned()
    }

    /// The value of `option` as given, or its default (`spec.values[0]`).
    pub fn option(&self, spec: &OptionSpec) -> &'static str {
        self.options
            .get(spec.name)
            .copied()
            .unwrap_or(spec.values[0])
    }
}

/// A built model, or the parameter that made it fail.
pub type BuildResult = Result<Arc<dyn PopulationModel>, ParamError>;

/// How a cell type builds its model from its parameters `P`.
pub type BuildFn<P> = fn(&P, &BuildContext) -> BuildResult;

/// Parameters read from a model file, ready to build a model.
pub trait ParsedParams: Send + Sync {
    fn build(&self, ctx: &BuildContext) -> BuildResult;
}

struct Parsed<P> {
    params: P,
    build: BuildFn<P>,
}

impl<P: Send + Sync> ParsedParams for Parsed<P> {
    fn build(&self, ctx: &BuildContext) -> BuildResult {
        (self.build)(&self.params, ctx)
    }
}

type ParseFn = dyn Fn(toml::Value) -> Result<Box<dyn ParsedParams>, toml::de::Error> + Send + Sync;
type DefaultsFn = dyn Fn() -> Box<dyn ParsedParams> + Send + Sync;

/// One cell type.
#[derive(Clone)]
pub struct CellType {
    /// The name model files and PyNN use, e.g. `IF_curr_exp`.
    pub name: &'static str,
    /// One line on what it is.
    pub summary: &'static str,
    /// Variables a model file may give initial values, with units.
    pub initial_values: &'static [Variable],
    /// Options the type accepts besides parameters.
    pub options: &'static [OptionSpec],
    /// How the SpiNNaker board runs it, if it does.
    pub board: Option<&'static str>,
    parse: Arc<ParseFn>,
    defaults: Arc<DefaultsFn>,
}

impl std::fmt::Debug for CellType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CellType")
            .field("name", &self.name)
            .finish()
    }
}

impl CellType {
    /// A cell type whose parameters deserialise into `P` (unknown keys rejected, missing ones
    /// at `P::default()`), built by `build`.
    pub fn new<P>(name: &'static str, summary: &'static str, build: BuildFn<P>) -> Self
    where
        P: DeserializeOwned + Default + Send + Sync + 'static,
    {
        Self {
            name,
            summary,
            initial_values: &[],
            options: &[],
            board: None,
            parse: Arc::new(move |v| {
                let params = P::deserialize(v)?;
                Ok(Box::new(Parsed { params, build }) as Box<dyn ParsedParams>)
            }),
            defaults: Arc::new(move || {
                Box::new(Parsed {
                    params: P::default(),
                    build,
                }) as Box<dyn ParsedParams>
            }),
        }
    }

    pub fn initial_values(mut self, vars: &'static [Variable]) -> Self {
        self.initial_values = vars;
        self
    }

    pub fn options(mut self, options: &'static [OptionSpec]) -> Self {
        self.options = options;
        self
    }

    pub fn board(mut self, how: &'static str) -> Self {
        self.board = Some(how);
        self
    }

    /// Reads the `params` table of a population (serde's error, for the caller to locate).
    pub fn parse(&self, params: toml::Value) -> Result<Box<dyn ParsedParams>, toml::de::Error> {
        (self.parse)(params)
    }

    /// The model with every parameter and option at its default, for documentation: a
    /// population of no neurons on a 0.1 ms grid.
    pub fn default_model(&self) -> Result<Arc<dyn PopulationModel>, String> {
        let grid = TimeGrid::new(0.1).map_err(|e| e.to_string())?;
        let parsed = (self.defaults)();
        let ctx = BuildContext {
            grid: &grid,
            size: 0,
            initial_values: &BTreeMap::new(),
            options: &BTreeMap::new(),
        };
        parsed.build(&ctx).map_err(|e| e.to_string())
    }

    /// The description of [`CellType::default_model`]: parameters with defaults and units,
    /// state variables, receptors.
    pub fn default_description(&self) -> Result<ModelDescription, String> {
        Ok(self.default_model()?.describe())
    }
}

/// The cell types model files can name.
#[derive(Debug, Clone)]
pub struct Catalogue {
    entries: Vec<CellType>,
}

impl Catalogue {
    /// engram's cell types.
    pub fn standard() -> Self {
        Self {
            entries: vec![
                if_curr_exp(),
                if_cond_exp(),
                if_curr_alpha(),
                if_cond_alpha(),
                eif_cond(SynapseShape::Alpha),
                eif_cond(SynapseShape::Exp),
                hh_cond_exp(),
                if_curr_delta(),
                izhikevich(),
                spike_source_poisson(),
                spike_source_array(),
                spike_source_gamma(),
                spike_source_poisson_refractory(),
                astrocyte_lr_1994(),
                aeif_cond_alpha_astro(),
                amsu_neuron(),
                amsu_astrocyte(),
                CellType::new(
                    dc::NAME,
                    "PyNN DCSource: a constant current in [start, stop)",
                    |p: &DcSourceParams, ctx| Ok(Arc::new(DcSource::new(p.clone(), ctx.grid)?)),
                ),
                CellType::new(
                    ac::NAME,
                    "PyNN ACSource: a sine current in [start, stop)",
                    |p: &AcSourceParams, ctx| Ok(Arc::new(AcSource::new(p.clone(), ctx.grid)?)),
                ),
                CellType::new(
                    step::NAME,
                    "PyNN StepCurrentSource: a piecewise constant current",
                    |p: &StepCurrentSourceParams, ctx| {
                        Ok(Arc::new(StepCurrentSource::new(p.clone(), ctx.grid)?))
                    },
                ),
                CellType::new(
                    noisy::NAME,
                    "PyNN NoisyCurrentSource: Gaussian noise redrawn every dt in [start, stop)",
                    |p: &NoisyCurrentSourceParams, ctx| {
                        Ok(Arc::new(NoisyCurrentSource::new(p.clone(), ctx.grid)?))
                    },
                ),
            ],
        }
    }

    /// The catalogue with `entry` added (replacing a type of the same name).
    pub fn with(mut self, entry: CellType) -> Self {
        match self.entries.iter().position(|e| e.name == entry.name) {
            Some(i) => self.entries[i] = entry,
            None => self.entries.push(entry),
        }
        self
    }

    pub fn get(&self, name: &str) -> Option<&CellType> {
        self.entries.iter().find(|e| e.name == name)
    }

    pub fn entries(&self) -> &[CellType] {
        &self.entries
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.entries.iter().map(|e| e.name).collect()
    }

    /// Every option any type accepts, each once, in catalogue order.
    pub fn option_names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = Vec::new();
        for o in self.entries.iter().flat_map(|e| e.options) {
            if !names.contains(&o.name) {
                names.push(o.name);
            }
        }
        names
    }

    /// The spec of option `name` (from the first type that accepts it) and the types that do.
    pub fn option(&self, name: &str) -> Option<(&OptionSpec, Vec<&'static str>)> {
        let spec = self
            .entries
            .iter()
            .flat_map(|e| e.options)
            .find(|o| o.name == name)?;
        let owners = self
            .entries
            .iter()
            .filter(|e| e.options.iter().any(|o| o.name == name))
            .map(|e| e.name)
            .collect();
        Some((spec, owners))
    }
}

impl Default for Catalogue {
    fn default() -> Self {
        Self::standard()
    }
}

/// `integration` of `IF_curr_exp`.
pub const INTEGRATION: OptionSpec = OptionSpec {
    name: "integration",
    values: &["nest", "spynnaker"],
    help: "NEST's exact propagators (iaf_psc_exp) or sPyNNaker's kernel order and arithmetic",
};

/// `precision` of `IF_curr_exp`.
pub const PRECISION: OptionSpec = OptionSpec {
    name: "precision",
    values: &["f64", "f32"],
    help: "state in f64 (NEST's arithmetic bit for bit) or f32 (nest integration only)",
};

fn if_curr_exp() -> CellType {
    CellType::new(
        if_curr_exp::NAME,
        "leaky integrate-and-fire, exponential current synapses",
        |p: &IfCurrExpParams, ctx| {
            let integration = match ctx.option(&INTEGRATION) {
                "spynnaker" => Integration::Spynnaker,
                _ => Integration::Nest,
            };
            let precision = match ctx.option(&PRECISION) {
                "f32" => Precision::F32,
                _ => Precision::F64,
            };
            let model = IfCurrExp::new(p.clone(), integration, ctx.initial("v"), ctx.grid)?
                .with_precision(precision)?;
            Ok(Arc::new(model))
        },
    )
    .initial_values(const { &[Variable::new("v", "mV")] })
    .options(&[INTEGRATION, PRECISION])
    .board("fixed-point LIF in sPyNNaker's arithmetic (either integration; the board's is sPyNNaker's)")
}

fn if_cond_exp() -> CellType {
    CellType::new(
        if_cond_exp::NAME,
        "leaky integrate-and-fire, exponential conductance synapses",
        |p: &IfCondExpParams, ctx| {
            Ok(Arc::new(IfCondExp::new(
                p.clone(),
                ctx.initial("v"),
                ctx.initial("gsyn_exc"),
                ctx.initial("gsyn_inh"),
                ctx.grid,
            )?))
        },
    )
    .initial_values(CONDUCTANCE_INITIAL_VALUES)
}

/// The initial values of the conductance-based integrate-and-fire types.
const CONDUCTANCE_INITIAL_VALUES: &[Variable] = &[
    Variable::new("v", "mV"),
    Variable::new("gsyn_exc", "uS"),
    Variable::new("gsyn_inh", "uS"),
];

fn if_curr_alpha() -> CellType {
    CellType::new(
        if_curr_alpha::NAME,
        "leaky integrate-and-fire, alpha-shaped current synapses (NEST iaf_psc_alpha)",
        |p: &IfCurrAlphaParams, ctx| {
            Ok(Arc::new(IfCurrAlpha::new(
                p.clone(),
                ctx.initial("v"),
                ctx.grid,
            )?))
        },
    )
    .initial_values(const { &[Variable::new("v", "mV")] })
}

fn if_cond_alpha() -> CellType {
    CellType::new(
        if_cond_alpha::NAME,
        "leaky integrate-and-fire, alpha-shaped conductance synapses (NEST iaf_cond_alpha)",
        |p: &IfCondAlphaParams, ctx| {
            Ok(Arc::new(IfCondAlpha::new(
                p.clone(),
                ctx.initial("v"),
                ctx.initial("gsyn_exc"),
                ctx.initial("gsyn_inh"),
                ctx.grid,
            )?))
        },
    )
    .initial_values(CONDUCTANCE_INITIAL_VALUES)
}

/// `EIF_cond_alpha_isfa_ista` or `EIF_cond_exp_isfa_ista`: the same parameters, a different
/// synapse shape.
fn eif_cond(shape: SynapseShape) -> CellType {
    let (name, summary, build): (_, _, BuildFn<EifCondAlphaParams>) = match shape {
        SynapseShape::Alpha => (
            eif_cond_alpha_isfa_ista::NAME,
            "adaptive exponential integrate-and-fire, alpha conductances (NEST aeif_cond_alpha)",
            |p, ctx| build_eif_cond(SynapseShape::Alpha, p, ctx),
        ),
        SynapseShape::Exp => (
            eif_cond_exp_isfa_ista::NAME,
            "adaptive exponential integrate-and-fire, exponential conductances (NEST aeif_cond_exp)",
            |p, ctx| build_eif_cond(SynapseShape::Exp, p, ctx),
        ),
    };
    CellType::new(name, summary, build)
        .initial_values(const { &[Variable::new("v", "mV"), Variable::new("w", "nA")] })
}

fn hh_cond_exp() -> CellType {
    CellType::new(
        hh_cond_exp::NAME,
        "Hodgkin-Huxley (Traub & Miles), exponential conductances (NEST hh_cond_exp_traub)",
        |p: &HhCondExpParams, ctx| {
            Ok(Arc::new(HhCondExp::new(
                p.clone(),
                |name| ctx.initial(name),
                ctx.grid,
            )?))
        },
    )
    .initial_values(
        const {
            &[
                Variable::new("v", "mV"),
                Variable::new("gsyn_exc", "uS"),
                Variable::new("gsyn_inh", "uS"),
                Variable::new("m", ""),
                Variable::new("h", ""),
                Variable::new("n", ""),
            ]
        },
    )
}

fn build_eif_cond(shape: SynapseShape, p: &EifCondAlphaParams, ctx: &BuildContext) -> BuildResult {
    Ok(Arc::new(EifCond::new(
        shape,
        p.clone(),
        ctx.initial("v"),
        ctx.initial("w"),
        ctx.grid,
    )?))
}

fn if_curr_delta() -> CellType {
    CellType::new(
        if_curr_delta::NAME,
        "leaky integrate-and-fire, delta-current synapses (input jumps v)",
        |p: &IfCurrDeltaParams, ctx| {
            Ok(Arc::new(IfCurrDelta::new(
                p.clone(),
                ctx.initial("v"),
                ctx.grid,
            )?))
        },
    )
    .initial_values(const { &[Variable::new("v", "mV")] })
}

fn izhikevich() -> CellType {
    CellType::new(
        izhikevich::NAME,
        "Izhikevich (2003), delta-current synapses",
        |p: &IzhikevichParams, ctx| {
            Ok(Arc::new(Izhikevich::new(
                p.clone(),
                ctx.initial("v"),
                ctx.initial("u"),
            )?))
        },
    )
    .initial_values(const { &[Variable::new("v", "mV"), Variable::new("u", "mV/ms")] })
}

fn spike_source_poisson() -> CellType {
    CellType::new(
        spike_source_poisson::NAME,
        "independent Poisson spike trains",
        |p: &SpikeSourcePoissonParams, ctx| Ok(Arc::new(SpikeSourcePoisson::new(p, ctx.grid)?)),
    )
    .board("the population's own kernel, so its trains equal the CPU backend's")
}

fn spike_source_gamma() -> CellType {
    CellType::new(
        spike_source_gamma::NAME,
        "independent trains with gamma-distributed intervals",
        |p: &SpikeSourceGammaParams, ctx| Ok(Arc::new(SpikeSourceGamma::new(p, ctx.grid)?)),
    )
}

fn spike_source_poisson_refractory() -> CellType {
    CellType::new(
        spike_source_poisson_refractory::NAME,
        "independent Poisson trains with a dead time",
        |p: &SpikeSourcePoissonRefractoryParams, ctx| {
            Ok(Arc::new(SpikeSourcePoissonRefractory::new(p, ctx.grid)?))
        },
    )
}

fn spike_source_array() -> CellType {
    CellType::new(
        spike_source_array::NAME,
        "spikes at given times",
        |p: &SpikeSourceArrayParams, ctx| {
            Ok(Arc::new(SpikeSourceArray::new(
                &p.spike_times,
                ctx.size,
                ctx.grid,
            )?))
        },
    )
    .board("the population's own kernel")
}

fn astrocyte_lr_1994() -> CellType {
    CellType::new(
        lr1994::MODEL,
        "NEST's astrocyte_lr_1994 (Li-Rinzel calcium dynamics, SIC output)",
        |p: &AstrocyteLr1994Params, ctx| {
            Ok(Arc::new(AstrocyteLr1994Model::new(
                *p,
                LR1994_INITIAL.map(|k| ctx.initial(k)),
            )?))
        },
    )
    .initial_values(
        const {
            &[
                Variable::new("IP3", "uM"),
                Variable::new("Ca_astro", "uM"),
                Variable::new("h_IP3R", ""),
            ]
        },
    )
}

fn aeif_cond_alpha_astro() -> CellType {
    CellType::new(
        aeif_cond_alpha_astro::MODEL,
        "NEST's aeif_cond_alpha_astro (AdEx, alpha conductances, SIC input)",
        |p: &AeifCondAlphaAstroParams, ctx| {
            Ok(Arc::new(AeifCondAlphaAstroModel::new(
                *p,
                ctx.initial("V_m"),
                ctx.initial("w"),
                ctx.grid,
            )?))
        },
    )
    .initial_values(const { &[Variable::new("V_m", "mV"), Variable::new("w", "pA")] })
}

fn amsu_neuron() -> CellType {
    CellType::new(
        amsu::NEURON_NAME,
        "AM-SU discrete LIF unit modulated by its astrocyte's activity",
        |p: &AmsuNeuronParams, ctx| Ok(Arc::new(AmsuNeuronModel::new(*p, ctx.initial("u"))?)),
    )
    .initial_values(const { &[Variable::new("u", "")] })
}

fn amsu_astrocyte() -> CellType {
    CellType::new(
        amsu::ASTROCYTE_NAME,
        "AM-SU astrocyte: a trace of its group's mean spiking",
        |p: &AmsuAstrocyteParams, ctx| {
            Ok(Arc::new(AmsuAstrocyteModel::new(
                *p,
                ctx.initial("activity"),
            )?))
        },
    )
    .initial_values(const { &[Variable::new("activity", "")] })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every standard type builds at its defaults, its model carries the catalogue's name, and
    /// the parameters it describes are exactly the keys its parser accepts.
    #[test]
    fn every_entry_builds_and_describes_the_keys_it_parses() {
        let catalogue = Catalogue::standard();
        for entry in catalogue.entries() {
            let d = entry.default_description().unwrap();
            assert_eq!(d.name, entry.name);
            for q in &d.parameters {
                let mut t = toml::Table::new();
                t.insert(q.name.to_string(), toml::Value::Float(q.value));
                assert!(
                    entry.parse(toml::Value::Table(t)).is_ok(),
                    "{}: {} is described but not parsed",
                    entry.name,
                    q.name
                );
            }
            let mut t = toml::Table::new();
            t.insert("no_such_parameter".into(), toml::Value::Float(1.0));
            let e = entry
                .parse(toml::Value::Table(t))
                .err()
                .unwrap()
                .to_string();
            for q in &d.parameters {
                assert!(
                    e.contains(q.name),
                    "{}: {} missing from {e}",
                    entry.name,
                    q.name
                );
            }
        }
    }
}
