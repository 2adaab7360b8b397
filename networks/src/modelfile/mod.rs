//! Model files: a network as TOML, with PyNN names, defaults and units.
//!
//! ```toml
//! dt = 0.1            # ms
//! duration = 1000.0   # ms
//! seed = 1234
//!
//! [populations.exc]
//! cell_type = "IF_curr_exp"        # a type of the catalogue (`engram models` lists them)
//! size = 3200
//! integration = "nest"             # an option of the cell type (IF_curr_exp: "nest" or
//! precision = "f64"                #   "spynnaker"; "f64" or "f32" with nest integration)
//! params = { tau_m = 20.0, cm = 0.02 }
//! initial_values = { v = { distribution = "uniform", low = -60.0, high = -50.0 } }
//! record = ["spikes", "v"]
//! record_neurons = [0, 1, 2]       # or "all" (default), or a count of the first k
//! sampling_interval = 1.0          # ms
//!
//! [projections.exc_exc]
//! pre = "exc"
//! post = "exc"
//! connector = { type = "FixedProbabilityConnector", p_connect = 0.02 }
//! receptor_type = "excitatory"
//! weight = 0.00162                 # nA (current-based) or µS (conductance-based)
//! delay = 0.1                      # ms
//! synapse = { type = "STDPMechanism", semantics = "nest",
//!             timing_dependence = { type = "SpikePairRule", tau_plus = 20.0, A_plus = 0.01 },
//!             weight_dependence = { type = "AdditiveWeightDependence", w_max = 0.01 } }
//! ```
//!
//! Astrocyte cell types (`astrocyte_lr_1994`, `aeif_cond_alpha_astro`, `amsu_neuron`,
//! `amsu_astrocyte`), graded projections (`synapse = { type = "sic_connection" }` or
//! `"graded_connection"`), `[tripartite.*]` sections and an `[experiment]` are described in
//! docs/ASTROCYTES.md.
//!
//! Connectors are PyNN's (`AllToAllConnector`, `OneToOneConnector`, `FixedProbabilityConnector`,
//! `FixedNumberPreConnector`, `FixedNumberPostConnector`, `FixedTotalNumberConnector` with
//! `n`, `allow_self_connections` and `with_replacement = true` (multapses) by default,
//! `FromListConnector`) and engram's `BlockConnector`.
//!
//! Stimuli are spike-source populations (`SpikeSourcePoisson`, `SpikeSourceArray`) projected
//! onto their targets, as in PyNN. Unknown keys are rejected. Every error names the file, the
//! key path, the bad value and what is allowed, and the line when the key is in the file:
//! `cuba.toml:12: populations.exc.params.tau_m = -20: must be > 0 (ms)`.
//!
//! Populations and projections keep the file's order (population ids, and the random stream
//! of each projection, follow it). `--set key.path=value` edits the parsed TOML before it is
//! read: the value is TOML (`15`, `"nest"`, `[1, 2]`, `{ type = "OneToOneConnector" }`), else a
//! plain string. The population or projection it names must exist in the file; a key below it
//! that the file leaves out (a parameter at PyNN's default) may be set, and one the schema
//! does not know is an error naming it.
//!
//! Nothing here panics on any input, and sizes are bounded before anything is allocated:
//! [`MAX_NEURONS`] neurons, [`MAX_SYNAPSES_PER_PROJECTION`] expected synapses per projection
//! and [`MAX_MEMORY_BYTES`] of estimated engine memory.

mod locate;
pub mod microcircuit;
mod schema;

use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use sim_core::network::{Network, Projection, RecordSpec};
use sim_core::{PopulationModel, Step, TimeGrid};
use toml::{Table, Value as Toml};

use models::astro::tripartite::ThirdFactorBernoulliWithPool;
use models::astro::{aeif_cond_alpha_astro, lr1994};
use models::catalogue::{BuildContext, Catalogue};
use models::connectors::ConnectContext;
use models::connectors::Connector;
use models::dist::Value;
use models::neurons::if_cond_exp;
use models::params::ParamError;
use models::synapses::Stdp;
pub use schema::{Drive, ExperimentEntry};
use schema::{
    DynamicsEntry, GradedEntry, GradedKind, LinkEntry, ModelFile, PopulationEntry, ProjectionEntry,
    RecordNeurons, SynapseEntry, TripartiteEntry,
};
use sim_core::network::SynapseList;
use sim_core::GradedProjection;

/// Most neurons a model may have in total (a guard against typos such as `size = 4e12`).
pub const MAX_NEURONS: u64 = 1 << 28;
/// Largest number of synapses one projection may be expected to have before it is built.
pub const MAX_SYNAPSES_PER_PROJECTION: f64 = 4e9;
/// Largest engine memory (neuron state, delay rings, synapses) a model may be estimated to
/// need before anything is built.
pub const MAX_MEMORY_BYTES: f64 = 256.0 * (1u64 << 30) as f64;
/// Bytes per neuron of state assumed by the memory estimate.
const STATE_BYTES: f64 = 128.0;
/// Bytes per synapse of a held list assumed by the memory estimate (plastic projections, and
/// static ones whose connector or weight has no generator): the synapse list (pre, post, weight,
/// delay: 18 bytes) and the engine's rows built from it (target, weight, delay: 14 bytes)
/// coexist while a network is built; 32–36 bytes were measured on CUBA-40k (BENCHMARKS.md).
const HELD_SYNAPSE_BYTES: f64 = 36.0;
/// Bytes per synapse of a generated static projection: rows of u16 targets (2 bytes, measured
/// 2.2 per synapse for `examples/cuba.toml` at 40 000 neurons, BENCHMARKS.md) or u32 targets
/// where a shard's slice of the post population exceeds 65 536 neurons (4 bytes).
const GENERATED_SYNAPSE_BYTES: f64 = 4.0;

/// Environment variable that caps the memory a model may plan to use, in MiB (for machines
/// where `MemAvailable` overstates a job's share, e.g. a container's memory limit).
pub const MEMORY_LIMIT_ENV: &str = "ENGRAM_MEMORY_LIMIT_MB";

/// The memory a model may use: what the machine has available now (Linux `MemAvailable`),
/// capped at [`MAX_MEMORY_BYTES`] and at [`MEMORY_LIMIT_ENV`] when it is set.
pub fn memory_limit_bytes() -> f64 {
    let cap = std::env::var(MEMORY_LIMIT_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|mb| mb.is_finite() && *mb > 0.0)
        .map_or(MAX_MEMORY_BYTES, |mb| {
            (mb * (1u64 << 20) as f64).min(MAX_MEMORY_BYTES)
        });
    let available = std::fs::read_to_string("/proc/meminfo").ok().and_then(|s| {
        s.lines()
            .find(|l| l.starts_with("MemAvailable:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb * 1024.0)
    });
    available.map_or(cap, |a| a.min(cap))
}

/// A loaded model, ready to run.
#[derive(Debug)]
pub struct ModelSpec {
    pub network: Network,
    pub dt_ms: f64,
    pub duration_steps: Step,
    pub seed: u64,
    /// SHA-256 of the file as read (hex), before overrides.
    pub sha256: String,
    /// The file's text as read.
    pub source: String,
    /// The file name as given (used in errors).
    pub file: String,
    /// The `--set` overrides applied, as given.
    pub overrides: Vec<String>,
    /// Population names in file order (= population ids of `network`).
    pub population_names: Vec<String>,
    /// Projection names in file order (= projection ids of `network`); a tripartite entry
    /// `name` adds `name_primary` and `name_third_in`.
    pub projection_names: Vec<String>,
    /// Graded projection names (= ids in `network.graded`); a tripartite entry adds
    /// `name_third_out`.
    pub graded_names: Vec<String>,
    /// The `[experiment]` section, if the file declares one.
    pub experiment: Option<ExperimentEntry>,
}

impl ModelSpec {
    /// The run length in ms.
    pub fn duration_ms(&self) -> f64 {
        self.duration_steps as f64 * self.dt_ms
    }
}

/// A model-file error: `file[:line]: key.path = value: what is allowed`.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFileError {
    pub file: String,
    /// The key path, e.g. `populations.exc.params.tau_m` (empty for whole-file errors).
    pub key: String,
    /// The message, starting with the key path.
    pub message: String,
    /// 1-based line of the key in the file, when it is there (not for `--set` values).
    pub line: Option<usize>,
    /// What kind of mistake it is (its catalogue code).
    pub kind: ModelFileErrorKind,
}

/// The kinds of model-file error, each with its own code in docs/ERRORS.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelFileErrorKind {
    /// The file cannot be read.
    Unreadable,
    /// The file is not UTF-8 text.
    NotUtf8,
    /// The file has nothing but blank lines and comments.
    Empty,
    /// The file is not valid TOML.
    NotToml,
    /// A `--set key.path=value` cannot be applied.
    BadOverride,
    /// An unknown, missing or mistyped key.
    Schema,
    /// A value outside what is allowed (a parameter, a connector, a time).
    InvalidValue,
    /// The model exceeds a size limit or the memory available.
    TooLarge,
}

sim_core::error_codes! { ModelFileErrorKind {
    Unreadable => "E0101",
    NotUtf8 => "E0102",
    Empty => "E0103",
    NotToml => "E0104",
    BadOverride => "E0105",
    Schema => "E0106",
    InvalidValue => "E0107",
    TooLarge => "E0108",
} }

impl sim_core::errors::Coded for ModelFileError {
    fn code(&self) -> &'static str {
        self.kind.code()
    }
}

impl std::fmt::Display for ModelFileErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for ModelFileErrorKind {}

impl std::fmt::Display for ModelFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for ModelFileError {}

/// Loads `path`, applies `overrides` (`key.path=value`) and an optional seed; cell types come
/// from the standard catalogue.
pub fn load(
    path: &Path,
    overrides: &[String],
    seed: Option<u64>,
) -> Result<ModelSpec, ModelFileError> {
    load_with(path, overrides, seed, &Catalogue::standard())
}

/// [`load`] with the cell types of `catalogue`.
pub fn load_with(
    path: &Path,
    overrides: &[String],
    seed: Option<u64>,
    catalogue: &Catalogue,
) -> Result<ModelSpec, ModelFileError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| ModelFileError {
        file: name.clone(),
        key: String::new(),
        message: format!("cannot read: {e}"),
        line: None,
        kind: ModelFileErrorKind::Unreadable,
    })?;
    let text = String::from_utf8(bytes).map_err(|_| ModelFileError {
        file: name.clone(),
        key: String::new(),
        message: "not UTF-8 text (a model file is TOML)".into(),
        line: None,
        kind: ModelFileErrorKind::NotUtf8,
    })?;
    parse_str_with(&name, &text, overrides, seed, catalogue)
}

/// Parses a model file's text; `name` is used in errors. Cell types come from the standard
/// catalogue.
pub fn parse_str(
    name: &str,
    text: &str,
    overrides: &[String],
    seed: Option<u64>,
) -> Result<ModelSpec, ModelFileError> {
    parse_str_with(name, text, overrides, seed, &Catalogue::standard())
}

/// [`parse_str`] with the cell types of `catalogue`.
pub fn parse_str_with(
    name: &str,
    text: &str,
    overrides: &[String],
    seed: Option<u64>,
    catalogue: &Catalogue,
) -> Result<ModelSpec, ModelFileError> {
    let plain = |kind, message: String| ModelFileError {
        file: name.to_string(),
        key: String::new(),
        message,
        line: None,
        kind,
    };
    if text.trim().is_empty()
        || text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Err(plain(
            ModelFileErrorKind::Empty,
            "the file is empty; a model needs dt, duration and populations".into(),
        ));
    }
    let mut table: Table = text.parse().map_err(|e: toml::de::Error| {
        plain(
            ModelFileErrorKind::NotToml,
            format!("not valid TOML: {}", e.to_string().trim()),
        )
    })?;
    let index = locate::Index::new(text);
    let mut set_paths: Vec<(String, &str)> = Vec::new();
    // Errors name the key; its line is given when the value came from the file.
    let fail = |kind, (key, msg): (String, String), set_paths: &[(String, &str)]| {
        let by_set = set_paths.iter().find(|(p, _)| {
            !key.is_empty()
                && (key == *p
                    || key.starts_with(&format!("{p}."))
                    || key.starts_with(&format!("{p}[")))
        });
        let (message, line) = match by_set {
            Some((_, o)) => (format!("{key}{msg} (from --set {o})"), None),
            None if key.is_empty() => (msg.trim_start_matches(": ").to_string(), None),
            None => (format!("{key}{msg}"), index.line_of(&key)),
        };
        ModelFileError {
            file: name.to_string(),
            key,
            message,
            line,
            kind,
        }
    };
    for o in overrides {
        let path = apply_override(&mut table, o).map_err(|e| ModelFileError {
            line: None,
            ..fail(ModelFileErrorKind::BadOverride, e, &[])
        })?;
        set_paths.push((path, o.as_str()));
    }
    microcircuit::expand(&mut table)
        .map_err(|e| fail(ModelFileErrorKind::Schema, e, &set_paths))?;
    let mut file = schema::parse(table, catalogue)
        .map_err(|e| fail(ModelFileErrorKind::Schema, e, &set_paths))?;
    // File order (the TOML tree is sorted by name).
    file.populations
        .sort_by_key(|(n, _)| index.offset_of(&format!("populations.{n}")));
    file.projections
        .sort_by_key(|(n, _)| index.offset_of(&format!("projections.{n}")));
    file.tripartite
        .sort_by_key(|(n, _)| index.offset_of(&format!("tripartite.{n}")));
    if let Some(exp) = file.experiment.as_mut() {
        exp.conditions
            .sort_by_key(|(n, _)| index.offset_of(&format!("experiment.conditions.{n}")));
    }
    let experiment = file.experiment.clone();
    let sha256 = Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let population_names = file.populations.iter().map(|(n, _)| n.clone()).collect();
    build(file, seed, catalogue)
        .map(|(network, dt_ms, duration_steps, seed)| ModelSpec {
            projection_names: network.projections.iter().map(|p| p.name.clone()).collect(),
            graded_names: network.graded.iter().map(|p| p.name.clone()).collect(),
            experiment,
            network,
            dt_ms,
            duration_steps,
            seed,
            sha256,
            source: text.to_string(),
            file: name.to_string(),
            overrides: overrides.to_vec(),
            population_names,
        })
        .map_err(|e| fail(e.kind, (e.key, e.message), &set_paths))
}

/// `key.path=value`: the value is read as TOML (`15`, `"nest"`, `[1, 2]`), else as a string.
/// The population or projection named must exist; tables below it are created as needed, and
/// the schema then checks the key. Returns the key path.
fn apply_override(table: &mut Table, o: &str) -> Result<String, (String, String)> {
    let Some((path, raw)) = o.split_once('=') else {
        return Err((
            String::new(),
            format!("--set {o}: expected key.path=value, e.g. populations.exc.params.tau_m=15"),
        ));
    };
    let path = path.trim();
    let raw = raw.trim();
    let keys: Vec<&str> = path.split('.').map(str::trim).collect();
    let Some((last, parents)) = keys.split_last() else {
        return Err((String::new(), format!("--set {o}: empty key path")));
    };
    if keys.iter().any(|k| k.is_empty()) {
        return Err((
            String::new(),
            format!("--set {o}: empty key in '{path}' (expected key.path=value)"),
        ));
    }
    let value = format!("v = {raw}")
        .parse::<Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| Toml::String(raw.to_string()));
    let mut cur = table;
    for (i, k) in parents.iter().enumerate() {
        let here = keys[..=i].join(".");
        // The first two levels (a section and one of its entries) must be in the file.
        if i < 2 && !cur.contains_key(*k) {
            let defined = cur.keys().cloned().collect::<Vec<_>>().join(", ");
            return Err((
                here.clone(),
                format!(
                    ": --set {o}: '{here}' is not in the model file{}",
                    if defined.is_empty() {
                        String::new()
                    } else {
                        format!("; it has {defined}")
                    }
                ),
            ));
        }
        let next = cur
            .entry(k.to_string())
            .or_insert_with(|| Toml::Table(Table::new()));
        cur = match next {
            Toml::Table(t) => t,
            other => {
                return Err((
                    here.clone(),
                    format!(
                        ": --set {o}: '{here}' is {}, not a table",
                        schema::show(other)
                    ),
                ))
            }
        };
    }
    cur.insert(last.to_string(), value);
    Ok(path.to_string())
}

type BuildResult = Result<(Network, f64, Step, u64), BuildFailure>;

/// A build error: key path, message after the key, and its kind.
struct BuildFailure {
    kind: ModelFileErrorKind,
    key: String,
    message: String,
}

impl BuildFailure {
    fn too_large((key, message): (String, String)) -> Self {
        Self {
            kind: ModelFileErrorKind::TooLarge,
            key,
            message,
        }
    }
}

impl From<(String, String)> for BuildFailure {
    fn from((key, message): (String, String)) -> Self {
        Self {
            kind: ModelFileErrorKind::InvalidValue,
            key,
            message,
        }
    }
}

fn param_err(prefix: &str, e: ParamError) -> (String, String) {
    let key = if prefix.is_empty() {
        e.param.clone()
    } else {
        format!("{prefix}.{}", e.param)
    };
    (key, format!(" = {}: {}", e.value, e.allowed))
}

fn build(file: ModelFile, seed_override: Option<u64>, catalogue: &Catalogue) -> BuildResult {
    let grid = TimeGrid::new(file.dt).map_err(|_| {
        (
            "dt".to_string(),
            format!(" = {}: must be > 0 (ms)", file.dt),
        )
    })?;
    let duration_steps = grid.steps(file.duration).map_err(|e| {
        let shown = sim_core::readable::Readable(file.duration);
        ("duration".to_string(), format!(" = {shown}: {e}"))
    })?;
    let seed = seed_override.unwrap_or(file.seed);
    let mut net = Network::new(grid, seed);
    if file.populations.is_empty() {
        return Err((
            "populations".to_string(),
            ": at least one population is needed".to_string(),
        )
            .into());
    }

    let mut total: u64 = 0;
    let mut models = Vec::with_capacity(file.populations.len());
    for (name, pop) in &file.populations {
        let prefix = format!("populations.{name}");
        total = total.saturating_add(pop.size);
        if pop.size == 0 || total > MAX_NEURONS {
            let e = (
                format!("{prefix}.size"),
                format!(
                    " = {}: must be >= 1, and all populations together at most {MAX_NEURONS} neurons",
                    pop.size
                ),
            );
            return Err(if pop.size == 0 {
                e.into()
            } else {
                BuildFailure::too_large(e)
            });
        }
        let model = make_model(pop, &grid, catalogue).map_err(|(k, m)| {
            if k.is_empty() {
                (prefix.clone(), m)
            } else {
                (format!("{prefix}.{k}"), m)
            }
        })?;
        net.add_population(name, pop.size as u32, model.clone())
            .map_err(|e| (prefix.clone(), format!(": {e}")))?;
        models.push(model);
    }
    check_memory(&net, &file).map_err(BuildFailure::too_large)?;
    for (id, ((name, pop), model)) in file.populations.iter().zip(&models).enumerate() {
        let prefix = format!("populations.{name}");
        let record = record_spec(pop, model.as_ref(), &grid, &prefix)?;
        net.set_record(id, record)
            .map_err(|e| (format!("{prefix}.record"), format!(": {e}")))?;
    }

    for (k, (name, proj)) in file.projections.iter().enumerate() {
        let prefix = format!("projections.{name}");
        let added = match &proj.synapse {
            Some(SynapseEntry::Graded(g)) => {
                let gp = make_graded(&net, name, proj, g, k as u64, &prefix)?;
                net.add_graded_projection(gp).map(|_| ())
            }
            _ => net
                .add_projection(make_projection(&net, name, proj, k as u64, &prefix)?)
                .map(|_| ()),
        };
        added.map_err(|e| (prefix.clone(), format!(": {e}")))?;
    }
    // Tripartite entries draw from streams after the projections' (three per entry).
    let first = file.projections.len() as u64;
    for (k, (name, tri)) in file.tripartite.iter().enumerate() {
        let prefix = format!("tripartite.{name}");
        add_tripartite(&mut net, name, tri, first + 3 * k as u64, &prefix)?;
    }
    if let Some(exp) = &file.experiment {
        check_experiment(&net, exp)?;
    }
    Ok((net, grid.dt_ms(), duration_steps, seed))
}

/// Rejects models whose synapse count or engine memory is absurd, before anything is built.
/// Projections naming unknown populations are skipped here (they fail with a clear error later).
fn check_memory(net: &Network, file: &ModelFile) -> Result<(), (String, String)> {
    let n_pops = net.populations.len();
    let mut max_delay = vec![0.0f64; n_pops];
    let mut parts: Vec<(String, f64)> = Vec::new();
    for (name, proj) in &file.projections {
        let (Some(pre), Some(post)) = (net.population_id(&proj.pre), net.population_id(&proj.post))
        else {
            continue;
        };
        let (Some(a), Some(b)) = (net.populations.get(pre), net.populations.get(post)) else {
            continue;
        };
        let expected = proj.connector.expected_synapses(a.size, b.size);
        if expected.is_nan() || expected > MAX_SYNAPSES_PER_PROJECTION {
            return Err((
                format!("projections.{name}.connector"),
                format!(": about {expected:.3e} synapses expected, above the limit of {MAX_SYNAPSES_PER_PROJECTION:.0e}; use a sparser connector or smaller populations"),
            ));
        }
        let steps = (proj.delay.practical_bounds().1 / net.grid.dt_ms())
            .clamp(1.0, sim_core::network::MAX_DELAY_STEPS as f64);
        if let Some(d) = max_delay.get_mut(post) {
            *d = d.max(if steps.is_finite() { steps } else { 1.0 });
        }
        // As `make_projection` stores them: plastic and graded projections are held lists,
        // static ones are generated where the connector and constants allow.
        let generated =
            proj.synapse.is_none() && proj.connector.has_generator(&proj.weight, &proj.delay);
        let per_synapse = if generated {
            GENERATED_SYNAPSE_BYTES
        } else {
            HELD_SYNAPSE_BYTES
        };
        parts.push((format!("projections.{name}"), expected * per_synapse));
    }
    for (p, pop) in net.populations.iter().enumerate() {
        let receptors = pop.model.receptors().len().max(1) as f64;
        let slots = max_delay.get(p).copied().unwrap_or(0.0) + 1.0;
        let bytes = pop.size as f64 * (STATE_BYTES + receptors * slots * 8.0);
        parts.push((format!("populations.{}", pop.name), bytes));
    }
    let total: f64 = parts.iter().map(|(_, b)| b).sum();
    let limit = memory_limit_bytes();
    if total > limit {
        let (key, bytes) = parts
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .cloned()
            .unwrap_or_default();
        const GIB: f64 = (1u64 << 30) as f64;
        return Err((
            key,
            format!(
                ": the model needs about {:.1} GiB ({:.1} GiB here), but only {:.1} GiB of memory is available; make this part smaller (fewer neurons or synapses, shorter delays) or run on a larger machine",
                total / GIB,
                bytes / GIB,
                limit / GIB
            ),
        ));
    }
    Ok(())
}

fn make_model(
    pop: &PopulationEntry,
    grid: &TimeGrid,
    catalogue: &Catalogue,
) -> Result<Arc<dyn PopulationModel>, (String, String)> {
    let cell_type = &pop.cell.cell_type;
    let ctx = BuildContext {
        grid,
        size: pop.size as u32,
        initial_values: &pop.initial_values,
        options: &pop.options,
    };
    let model = pop.cell.params.build(&ctx).map_err(|e| {
        // An initial value or an option (set at the population) names itself; everything
        // else is a parameter.
        let prefix = if pop.initial_values.contains_key(&e.param) {
            "initial_values"
        } else if catalogue.option(&e.param).is_some() {
            ""
        } else {
            "params"
        };
        param_err(prefix, e)
    })?;
    for option in pop.options.keys() {
        if !cell_type.options.iter().any(|o| o.name == *option) {
            let owners = catalogue.option(option).map(|(_, o)| o).unwrap_or_default();
            return Err((
                option.to_string(),
                format!(
                    ": only {} has a choice of {option}, not {}",
                    owners.join(" and "),
                    model.type_name()
                ),
            ));
        }
    }
    let settable: Vec<&str> = cell_type.initial_values.iter().map(|v| v.name).collect();
    for var in pop.initial_values.keys() {
        if !settable.contains(&var.as_str()) {
            return Err((
                format!("initial_values.{var}"),
                format!(
                    ": {} has no state variable '{var}'; expected one of {settable:?}",
                    model.type_name(),
                ),
            ));
        }
    }
    Ok(model)
}

fn record_spec(
    pop: &PopulationEntry,
    model: &dyn PopulationModel,
    grid: &TimeGrid,
    prefix: &str,
) -> Result<RecordSpec, (String, String)> {
    let mut spec = RecordSpec {
        interval: 1,
        ..Default::default()
    };
    for (i, what) in pop.record.iter().enumerate() {
        if what == "spikes" {
            spec.spikes = true;
        } else if let Some(v) = model.state_vars().iter().position(|s| s == what) {
            spec.vars.push(v);
        } else {
            return Err((
                format!("{prefix}.record[{i}]"),
                format!(
                    " = \"{what}\": {} records \"spikes\"{}",
                    model.type_name(),
                    model
                        .state_vars()
                        .iter()
                        .map(|s| format!(", \"{s}\""))
                        .collect::<String>()
                ),
            ));
        }
    }
    if let Some(si) = pop.sampling_interval {
        spec.interval = grid.steps(si).ok().filter(|&s| s >= 1).ok_or_else(|| {
            (
                format!("{prefix}.sampling_interval"),
                format!(
                    " = {si}: must be a positive multiple of dt = {} ms",
                    grid.dt_ms()
                ),
            )
        })?;
    }
    if !spec.vars.is_empty() {
        spec.neurons = match &pop.record_neurons {
            None | Some(RecordNeurons::All(_)) => (0..pop.size as u32).collect(),
            Some(RecordNeurons::First(k)) => {
                if *k == 0 || *k > pop.size {
                    return Err((
                        format!("{prefix}.record_neurons"),
                        format!(" = {k}: must be between 1 and the size {}", pop.size),
                    ));
                }
                (0..*k as u32).collect()
            }
            Some(RecordNeurons::List(list)) => {
                let mut l = list.clone();
                l.sort_unstable();
                l.dedup();
                if let Some(&bad) = l.iter().find(|&&i| i >= pop.size) {
                    return Err((
                        format!("{prefix}.record_neurons"),
                        format!(" contains {bad}: indices must be < size {}", pop.size),
                    ));
                }
                l.into_iter().map(|i| i as u32).collect()
            }
        };
    }
    Ok(spec)
}

/// The population named at `key` (`pre`, `post`, ...).
fn find_population(net: &Network, key: &str, name: &str) -> Result<usize, (String, String)> {
    net.population_id(name).ok_or_else(|| {
        let defined = net
            .populations
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        (
            key.to_string(),
            format!(" = \"{name}\": no such population; defined: {defined}"),
        )
    })
}

/// The receptor index of `receptor_type` (default "excitatory") on population `post`.
fn receptor_index(
    net: &Network,
    post: usize,
    receptor_type: Option<&str>,
    key: &str,
) -> Result<usize, (String, String)> {
    let post_model = &net.populations[post].model;
    let wanted = receptor_type.unwrap_or("excitatory");
    post_model
        .receptors()
        .iter()
        .position(|r| *r == wanted)
        .ok_or_else(|| {
            (
                key.to_string(),
                format!(
                    " = \"{wanted}\": {} (population '{}') accepts {}",
                    post_model.type_name(),
                    net.populations[post].name,
                    if post_model.receptors().is_empty() {
                        "no input (it is a spike source)".to_string()
                    } else {
                        format!("{:?}", post_model.receptors())
                    }
                ),
            )
        })
}

/// Checks the weight signs a receptor allows; returns whether weights are stored as magnitudes.
fn check_weight_sign(
    net: &Network,
    post: usize,
    receptor: usize,
    weight: &Value,
    key: &str,
) -> Result<bool, (String, String)> {
    let post_model = &net.populations[post].model;
    let name = post_model.type_name();
    let conductance = name == if_cond_exp::NAME || name == aeif_cond_alpha_astro::MODEL;
    let astrocyte = matches!(
        post_model.describe().kind,
        sim_core::ModelKind::Graded { .. }
    );
    let inhibitory = post_model.receptors()[receptor] == "inhibitory";
    let (wmin, wmax) = weight.bounds();
    // PyNN's check_weights: excitatory and conductance-based weights are >= 0; current-based
    // inhibitory weights may be negative (PyNN) or positive (sPyNNaker) and act as magnitudes.
    // NEST rejects negative spike weights into astrocytes.
    if (!inhibitory || conductance) && wmin < 0.0 {
        return Err((
            key.to_string(),
            format!(
                " = {}: must be >= 0 for {} synapses",
                if weight.is_constant() {
                    wmin.to_string()
                } else {
                    format!("{weight:?}")
                },
                if astrocyte {
                    "astrocyte input"
                } else if conductance {
                    "conductance-based"
                } else {
                    "excitatory"
                }
            ),
        ));
    }
    if inhibitory && !conductance && wmin < 0.0 && wmax > 0.0 {
        return Err((
            key.to_string(),
            ": an inhibitory current-based weight distribution must not change sign".to_string(),
        ));
    }
    Ok(inhibitory && !conductance)
}

/// How a projection's synapses are kept.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Storage {
    /// The four columns, one entry per synapse.
    Held,
    /// A generator where the connector has one (constant weight and delay, drawn per post
    /// neuron), the columns otherwise: the same synapses in the same order, and the engine
    /// then builds its rows straight from the generator.
    Generated,
}

/// Builds a connector's synapses, mapping its errors to key paths below `prefix`.
#[allow(clippy::too_many_arguments)]
fn connect(
    net: &Network,
    connector: &Connector,
    (pre, post): (usize, usize),
    weight: &Value,
    delay: &Value,
    index: u64,
    magnitude: bool,
    prefix: &str,
    storage: Storage,
) -> Result<SynapseList, (String, String)> {
    if let Value::Constant(d) = delay {
        if *d < net.grid.dt_ms() {
            return Err((
                format!("{prefix}.delay"),
                format!(
                    " = {d}: must be >= dt = {} ms (one step) and a multiple of dt",
                    net.grid.dt_ms()
                ),
            ));
        }
    }
    let cx = ConnectContext {
        n_pre: net.populations[pre].size,
        n_post: net.populations[post].size,
        same_population: pre == post,
        weight,
        delay,
        grid: &net.grid,
        seed: net.seed,
        projection: index,
        magnitude,
    };
    let map_err = |e: models::params::ParamError| {
        match e.param.as_str() {
            "weight" | "delay" => (
                format!("{prefix}.{}", e.param),
                format!(" = {}: {}", e.value, e.allowed),
            ),
            // The connector as a whole (e.g. "OneToOneConnector", "5 -> 10").
            p if p.starts_with(|c: char| c.is_ascii_uppercase()) => (
                format!("{prefix}.connector"),
                format!(": {p} with {}: {}", e.value, e.allowed),
            ),
            p => (
                format!("{prefix}.connector.{p}"),
                format!(" = {}: {}", e.value, e.allowed),
            ),
        }
    };
    if storage == Storage::Generated {
        if let Some(g) = connector.generator(&cx).map_err(map_err)? {
            return Ok(SynapseList::generated(Arc::new(g)));
        }
    }
    connector.connect(&cx).map_err(map_err)
}

fn make_projection(
    net: &Network,
    name: &str,
    proj: &ProjectionEntry,
    index: u64,
    prefix: &str,
) -> Result<Projection, (String, String)> {
    let pre = find_population(net, &format!("{prefix}.pre"), &proj.pre)?;
    let post = find_population(net, &format!("{prefix}.post"), &proj.post)?;
    let receptor = receptor_index(
        net,
        post,
        proj.receptor_type.as_deref(),
        &format!("{prefix}.receptor_type"),
    )?;
    let magnitude = check_weight_sign(
        net,
        post,
        receptor,
        &proj.weight,
        &format!("{prefix}.weight"),
    )?;
    let (wmin, wmax) = proj.weight.bounds();
    // Plastic synapses need their own weights; static ones are generated where they can be.
    let storage = match proj.synapse {
        Some(SynapseEntry::Stdp(_) | SynapseEntry::Dynamics(_)) => Storage::Held,
        _ => Storage::Generated,
    };
    let mut synapses = connect(
        net,
        &proj.connector,
        (pre, post),
        &proj.weight,
        &proj.delay,
        index,
        magnitude,
        prefix,
        storage,
    )?;
    let plasticity = match &proj.synapse {
        Some(SynapseEntry::Stdp(s)) => {
            let rule = Stdp::new(s.timing(), s.weight_dependence, s.semantics).map_err(|e| {
                let part = match e.param.as_str() {
                    "tau_plus" | "tau_minus" | "A_plus" | "A_minus" => "timing_dependence",
                    _ => "weight_dependence",
                };
                param_err(&format!("{prefix}.synapse.{part}"), e)
            })?;
            let (lo, hi) = s.weight_dependence.bounds();
            if wmin < lo || wmax > hi {
                return Err((
                    format!("{prefix}.weight"),
                    format!(": initial weights [{wmin}, {wmax}] must lie within [w_min, w_max] = [{lo}, {hi}]"),
                ));
            }
            if !proj.delay.is_constant() {
                return Err((
                    format!("{prefix}.delay"),
                    ": a plastic projection needs a constant delay (its post spikes are back-propagated by it)".into(),
                ));
            }
            let rule: Arc<dyn sim_core::plasticity::PairRule> = Arc::new(rule);
            Some(rule)
        }
        _ => None,
    };
    if let Some(SynapseEntry::Dynamics(d)) = &proj.synapse {
        let rule = synapse_dynamics(net, d, (post, receptor), synapses.len(), index)
            .map_err(|e| param_err(&format!("{prefix}.synapse"), e))?;
        synapses.dynamics = Some(rule);
    }
    Ok(Projection {
        name: name.to_string(),
        pre,
        post,
        receptor,
        synapses,
        plasticity,
    })
}

/// The rule of a projection's synapse dynamics (`n` synapses onto `receptor` of population
/// `post`; `index` keys its random draws).
fn synapse_dynamics(
    net: &Network,
    d: &DynamicsEntry,
    (post, receptor): (usize, usize),
    n: usize,
    index: u64,
) -> Result<Arc<dyn sim_core::dynamics::SynapseDynamics>, ParamError> {
    Ok(match d {
        DynamicsEntry::TsodyksMarkram {
            u_use,
            tau_rec,
            tau_facil,
            tau_psc,
        } => {
            let model = &net.populations[post].model;
            // PyNN's NEST backend sets tau_psc to the post cell's synaptic time constant.
            let receptor_name = model.receptors()[receptor];
            let tau_syn = match receptor_name {
                "excitatory" => "tau_syn_E",
                "inhibitory" => "tau_syn_I",
                other => other,
            };
            let from_cell = (model.describe().parameters.iter())
                .find(|q| q.name == tau_syn)
                .map(|q| q.value);
            let tau_psc = tau_psc.or(from_cell).ok_or_else(|| {
                ParamError::new(
                    "tau_psc",
                    "missing",
                    format!(
                        "a number (ms): {} has no {tau_syn} to take it from",
                        model.type_name()
                    ),
                )
            })?;
            Arc::new(models::synapses::TsodyksMarkram::new(
                u_use.clone(),
                tau_rec.clone(),
                tau_facil.clone(),
                tau_psc,
                n,
                &net.grid,
            )?)
        }
        DynamicsEntry::SimpleStochastic { p } => Arc::new(models::synapses::SimpleStochastic::new(
            p.clone(),
            n,
            net.seed,
            index,
        )?),
    })
}

/// The output and input ports of a graded connection from `pre` to `post`; `sic_connection`
/// admits only NEST's pairing (astrocyte_lr_1994 -> aeif_cond_alpha_astro).
fn graded_ports(
    net: &Network,
    (pre, post): (usize, usize),
    g: &GradedEntry,
    prefix: &str,
) -> Result<(usize, usize), (String, String)> {
    let (pm, qm) = (&net.populations[pre].model, &net.populations[post].model);
    if g.kind == GradedKind::Sic
        && (pm.type_name() != lr1994::MODEL || qm.type_name() != aeif_cond_alpha_astro::MODEL)
    {
        return Err((
            format!("{prefix}.synapse.type"),
            format!(
                " = \"sic_connection\": connects astrocyte_lr_1994 to aeif_cond_alpha_astro, not {} to {} (use \"graded_connection\" for other graded ports)",
                pm.type_name(),
                qm.type_name()
            ),
        ));
    }
    // A named port, or the first; `end` is the key to blame when there is none to take.
    let port =
        |names: &[&'static str], wanted: &Option<String>, who: &str, side: &str, end: &str| {
            let found = match wanted {
                None if !names.is_empty() => Some(0),
                None => None,
                Some(w) => names.iter().position(|n| n == w),
            };
            let key = match wanted {
                Some(_) => format!("{prefix}.synapse.{side}"),
                None => format!("{prefix}.{end}"),
            };
            found.ok_or_else(|| {
                (
                    key,
                    format!(
                        "{}: {who} has {}",
                        wanted
                            .as_ref()
                            .map(|w| format!(" = \"{w}\""))
                            .unwrap_or_default(),
                        if names.is_empty() {
                            format!("no graded {side}s")
                        } else {
                            format!("graded {side}s {names:?}")
                        }
                    ),
                )
            })
        };
    let output = port(
        pm.graded_outputs(),
        &g.output,
        pm.type_name(),
        "output",
        "pre",
    )?;
    let input = port(
        qm.graded_inputs(),
        &g.input,
        qm.type_name(),
        "input",
        "post",
    )?;
    Ok((output, input))
}

fn make_graded(
    net: &Network,
    name: &str,
    proj: &ProjectionEntry,
    g: &GradedEntry,
    index: u64,
    prefix: &str,
) -> Result<GradedProjection, (String, String)> {
    let pre = find_population(net, &format!("{prefix}.pre"), &proj.pre)?;
    let post = find_population(net, &format!("{prefix}.post"), &proj.post)?;
    if let Some(r) = &proj.receptor_type {
        return Err((
            format!("{prefix}.receptor_type"),
            format!(" = \"{r}\": a graded connection has no receptor; remove the key"),
        ));
    }
    let (output, input) = graded_ports(net, (pre, post), g, prefix)?;
    let synapses = connect(
        net,
        &proj.connector,
        (pre, post),
        &proj.weight,
        &proj.delay,
        index,
        false,
        prefix,
        Storage::Held,
    )?;
    Ok(GradedProjection {
        name: name.to_string(),
        pre,
        post,
        output,
        input,
        synapses,
    })
}

/// NEST's `TripartiteConnect`: the primary connector, then for each primary connection with
/// probability `p` an astrocyte from the target's pool, which receives the pre neuron's spikes
/// (`third_in`) and sends its SIC to the target (`third_out`, a graded connection).
fn add_tripartite(
    net: &mut Network,
    name: &str,
    tri: &TripartiteEntry,
    index: u64,
    prefix: &str,
) -> Result<(), (String, String)> {
    let pre = find_population(net, &format!("{prefix}.pre"), &tri.pre)?;
    let post = find_population(net, &format!("{prefix}.post"), &tri.post)?;
    let astro = find_population(net, &format!("{prefix}.astrocytes"), &tri.astrocytes)?;
    let ppath = format!("{prefix}.primary");
    let receptor = receptor_index(
        net,
        post,
        tri.primary.receptor_type.as_deref(),
        &format!("{ppath}.receptor_type"),
    )?;
    let magnitude = check_weight_sign(
        net,
        post,
        receptor,
        &tri.primary.weight,
        &format!("{ppath}.weight"),
    )?;
    let in_path = format!("{prefix}.third_in");
    let am = &net.populations[astro].model;
    if am.receptors().is_empty() || am.graded_outputs().is_empty() {
        return Err((
            format!("{prefix}.astrocytes"),
            format!(
                " = \"{}\": {} is not an astrocyte model; it needs spike input and a graded output (e.g. astrocyte_lr_1994)",
                tri.astrocytes,
                am.type_name()
            ),
        ));
    }
    let astro_receptor = receptor_index(net, astro, None, &format!("{prefix}.astrocytes"))?;
    check_weight_sign(
        net,
        astro,
        astro_receptor,
        &tri.third_in.weight,
        &format!("{in_path}.weight"),
    )?;
    let out_path = format!("{prefix}.third_out");
    let sic = GradedEntry {
        kind: GradedKind::Graded,
        output: None,
        input: None,
    };
    let (output, input) = graded_ports(net, (astro, post), &sic, &out_path)
        .map_err(|(_, m)| (format!("{prefix}.astrocytes"), m))?;
    let primary = connect(
        net,
        &tri.connector,
        (pre, post),
        &tri.primary.weight,
        &tri.primary.delay,
        index,
        magnitude,
        prefix,
        Storage::Held,
    )?;
    let (n_post, n_astro) = (
        net.populations[post].size as usize,
        net.populations[astro].size as usize,
    );
    let rule = ThirdFactorBernoulliWithPool {
        p: tri.p_third,
        pool_size: tri.pool_size.map(|s| s as usize),
        pool_type: tri.pool_type,
    };
    let edges: Vec<(usize, usize)> = primary
        .iter()
        .map(|(i, j, _, _)| (i as usize, j as usize))
        .collect();
    let mut rng =
        sim_core::rng::stream(net.seed, sim_core::rng::Domain::Connect, 2 * (index + 1), 0);
    let pairs = rule
        .connect(&edges, n_post, n_astro, &mut rng)
        .map_err(|e| match e {
            models::astro::AstroError::InvalidParameter {
                name,
                value,
                allowed,
                ..
            } => (
                format!(
                    "{prefix}.third_factor.{}",
                    if name == "p" { "p" } else { "pool_size" }
                ),
                format!(" = {value}: {allowed}"),
            ),
            other => (format!("{prefix}.third_factor"), format!(": {other}")),
        })?;
    // One weight and delay per pair and link, from streams of their own.
    let draw = |link: &LinkEntry, key: &str, salt: u64| -> Result<SynapseList, (String, String)> {
        let mut r = sim_core::rng::stream(
            net.seed,
            sim_core::rng::Domain::Connect,
            2 * (index + salt) + 1,
            0,
        );
        let mut out = SynapseList::default();
        for pr in &pairs.pairs {
            let (i, j) = if salt == 1 {
                (pr.source as u32, pr.astrocyte as u32)
            } else {
                (pr.astrocyte as u32, pr.target as u32)
            };
            let w = link.weight.sample(&mut r);
            let d = models::connectors::delay_steps(
                link.delay.sample(&mut r),
                link.delay.is_constant(),
                &net.grid,
                "delay",
            )
            .map_err(|e| {
                (
                    format!("{key}.delay"),
                    format!(" = {}: {}", e.value, e.allowed),
                )
            })?;
            out.push(i, j, w, d);
        }
        Ok(out)
    };
    let third_in = draw(&tri.third_in, &in_path, 1)?;
    let third_out = draw(&tri.third_out, &out_path, 2)?;
    let err = |e: sim_core::network::NetworkError| (prefix.to_string(), format!(": {e}"));
    net.add_projection(Projection {
        name: format!("{name}_primary"),
        pre,
        post,
        receptor,
        synapses: primary,
        plasticity: None,
    })
    .map_err(err)?;
    net.add_projection(Projection {
        name: format!("{name}_third_in"),
        pre,
        post: astro,
        receptor: astro_receptor,
        synapses: third_in,
        plasticity: None,
    })
    .map_err(err)?;
    net.add_graded_projection(GradedProjection {
        name: format!("{name}_third_out"),
        pre: astro,
        post,
        output,
        input,
        synapses: third_out,
    })
    .map_err(err)?;
    Ok(())
}

/// Checks an `[experiment]` against the network it runs on.
fn check_experiment(net: &Network, exp: &ExperimentEntry) -> Result<(), (String, String)> {
    for reserved in ["experiment_cue", "experiment_probe"] {
        if net.population_id(reserved).is_some() {
            return Err((
                format!("populations.{reserved}"),
                ": this name is reserved for the experiment's cue and probe sources".into(),
            ));
        }
    }
    let readout = find_population(net, "experiment.readout", &exp.readout)?;
    let pop = &net.populations[readout];
    if pop.model.receptors().first() != Some(&"excitatory") {
        return Err((
            "experiment.readout".into(),
            format!(
                " = \"{}\": cue and probe drive the excitatory receptor, which {} does not have",
                exp.readout,
                pop.model.type_name()
            ),
        ));
    }
    if !(pop.size as u64).is_multiple_of(exp.items) {
        return Err((
            "experiment.items".into(),
            format!(
                " = {}: must divide the size of '{}' ({}) into equal item groups",
                exp.items, exp.readout, pop.size
            ),
        ));
    }
    for (key, ms) in [
        ("experiment.settle".to_string(), exp.settle),
        ("experiment.cue.duration".to_string(), exp.cue.duration),
        ("experiment.probe.duration".to_string(), exp.probe.duration),
    ]
    .into_iter()
    .chain(
        exp.delays
            .iter()
            .enumerate()
            .map(|(k, &d)| (format!("experiment.delays[{k}]"), d)),
    ) {
        net.grid
            .steps(ms)
            .map_err(|e| (key, format!(" = {ms}: {e}")))?;
    }
    Ok(())
}
