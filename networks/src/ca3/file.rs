//! Experiment files (TOML): parsing and loading, with errors naming the key, the value and
//! what is allowed, and the random operation stream a `[generator]` section asks for.

use serde::{Deserialize, Serialize};
use sim_core::Step;

use super::network::check_memory;
use super::{validate, Ca3Size, CamError, Operation, Scheduled, DT_MS};

/// Relative frequencies of the operation kinds in a random stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationMix {
    /// In a file, a kind left out of `mix` has weight 0.
    #[serde(default)]
    pub learn: u32,
    #[serde(default)]
    pub recall_by_cue: u32,
    #[serde(default)]
    pub recall_by_content: u32,
}

impl Default for OperationMix {
    /// A third of each kind.
    fn default() -> Self {
        Self {
            learn: 1,
            recall_by_cue: 1,
            recall_by_content: 1,
        }
    }
}

/// A random operation stream: `count` operations every `spacing` steps (at least each
/// operation's minimum), a third each of learn (every bit with probability 1/2, at least one),
/// recall by cue, and recall by content (1 to 3 random bits); drawn from `seed` only.
pub fn random_schedule(size: Ca3Size, count: usize, spacing: Step, seed: u64) -> Vec<Scheduled> {
    random_schedule_mix(size, count, spacing, seed, OperationMix::default())
}

/// [`random_schedule`] with the kinds drawn in proportion to `mix` (weights; at least one must be
/// positive). The equal mix gives exactly the stream of [`random_schedule`].
///
/// # Panics
/// If every weight of `mix` is 0 (experiment files are checked for this before calling).
pub fn random_schedule_mix(
    size: Ca3Size,
    count: usize,
    spacing: Step,
    seed: u64,
    mix: OperationMix,
) -> Vec<Scheduled> {
    use rand::RngExt;
    let mut r = sim_core::rng::stream(seed, sim_core::rng::Domain::Other, 0xCA3, 0);
    let total = mix.learn as u64 + mix.recall_by_cue as u64 + mix.recall_by_content as u64;
    assert!(total > 0, "the operation mix needs a positive weight");
    let mut t0 = 0;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let x = r.random_range(0..total);
        let kind = if x < mix.learn as u64 {
            0
        } else if x < mix.learn as u64 + mix.recall_by_cue as u64 {
            1
        } else {
            2
        };
        let op = match kind {
            0 => {
                let mut content: Vec<u32> = (0..size.content_bits)
                    .filter(|_| r.random::<bool>())
                    .collect();
                if content.is_empty() {
                    content.push(r.random_range(0..size.content_bits));
                }
                Operation::Learn {
                    cue: r.random_range(0..size.cues),
                    content,
                }
            }
            1 => Operation::RecallByCue {
                cue: r.random_range(0..size.cues),
            },
            _ => {
                let k = r.random_range(1..=3u32.min(size.content_bits));
                let mut content: Vec<u32> = Vec::new();
                while (content.len() as u32) < k {
                    let b = r.random_range(0..size.content_bits);
                    if !content.contains(&b) {
                        content.push(b);
                    }
                }
                content.sort_unstable();
                Operation::RecallByContent { content }
            }
        };
        let step = spacing.max(op.min_spacing());
        out.push(Scheduled { t0, op });
        t0 += step;
    }
    out
}

/// A CAM experiment as read from a TOML file:
///
/// ```toml
/// cues = 5               # or n = 5
/// content_bits = 10      # or m = 10
/// dt = 1.0               # optional; the protocol is defined at 1 ms only
/// seed = 0               # optional network seed (the memory is deterministic)
/// duration = 90.0        # ms; optional, the run lasts at least until the last output
/// spacing = 10.0         # (or spacing_ms) ms between operations without an explicit `at`
///                        # (default and floor: the protocol's minimum, 7 ms after a learn,
///                        # 6 ms after a recall)
///
/// [[operations]]
/// at = 0.0               # ms, optional
/// op = "learn"           # learn | recall_by_cue | recall_by_content
/// cue = 0
/// content = [0, 1, 8, 9]
///
/// # or, instead of operations, a random stream:
/// [generator]
/// count = 500
/// spacing = 10.0         # or spacing_ms
/// seed = 1
/// mix = { learn = 1, recall_by_cue = 1, recall_by_content = 1 }   # optional weights
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    pub size: Ca3Size,
    pub schedule: Vec<Scheduled>,
    pub min_steps: Step,
    /// The network's seed (recorded; the memory has no random element).
    pub seed: u64,
}

impl Experiment {
    /// An experiment from a schedule built in code (e.g. with [`Protocol`]).
    pub fn new(size: Ca3Size, schedule: Vec<Scheduled>) -> Result<Self, CamError> {
        validate(size, &schedule)?;
        Ok(Self {
            size,
            schedule,
            min_steps: 0,
            seed: 0,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExperimentFile {
    #[serde(alias = "n")]
    cues: u32,
    #[serde(alias = "m")]
    content_bits: u32,
    dt: Option<f64>,
    seed: Option<u64>,
    duration: Option<f64>,
    #[serde(alias = "spacing_ms")]
    spacing: Option<f64>,
    #[serde(default)]
    operations: Vec<OperationEntry>,
    generator: Option<GeneratorEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OperationEntry {
    at: Option<f64>,
    op: String,
    cue: Option<u32>,
    content: Option<Vec<u32>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GeneratorEntry {
    count: usize,
    #[serde(alias = "spacing_ms")]
    spacing: f64,
    seed: u64,
    mix: Option<OperationMix>,
}

/// Whole milliseconds (the memory runs at dt = 1 ms).
fn whole_ms(key: &str, v: f64) -> Result<Step, String> {
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 1e12 {
        Ok(v as Step)
    } else {
        Err(format!(
            "{key} = {v}: must be a whole number of ms >= 0 (dt = 1 ms)"
        ))
    }
}

/// Parses an experiment file's text; errors read `key = value: what is allowed`.
pub fn parse_experiment(text: &str) -> Result<Experiment, String> {
    if text.trim().is_empty() {
        return Err(
            "the file is empty; an experiment needs cues, content_bits and operations".into(),
        );
    }
    let f: ExperimentFile = toml::from_str(text).map_err(|e| {
        let msg = e.message().to_string();
        // Name the key and value from the offending line, and the line number.
        match e.span() {
            Some(s) => {
                let start = s.start.min(text.len());
                let line_no = text[..start].matches('\n').count() + 1;
                let line = text.lines().nth(line_no - 1).unwrap_or("").trim();
                if line.contains('=') && !line.starts_with('[') {
                    format!("{line}: {msg} (line {line_no})")
                } else {
                    format!("{msg} (line {line_no})")
                }
            }
            None => msg,
        }
    })?;
    let size = Ca3Size {
        cues: f.cues,
        content_bits: f.content_bits,
    };
    size.check().map_err(|e| e.to_string())?;
    if let Some(dt) = f.dt {
        if dt != DT_MS {
            return Err(format!(
                "dt = {dt}: the memory's protocol is defined at dt = 1 ms only (write dt = 1.0 or leave it out)"
            ));
        }
    }
    let min_steps = match f.duration {
        Some(d) => whole_ms("duration", d)?,
        None => 0,
    };
    if f.generator.is_some() && !f.operations.is_empty() {
        return Err("give either [[operations]] or [generator], not both".into());
    }
    let schedule = if let Some(g) = f.generator {
        if g.count == 0 || g.count > 10_000_000 {
            return Err(format!(
                "generator.count = {}: must be between 1 and 10000000",
                g.count
            ));
        }
        let mix = g.mix.unwrap_or_default();
        if mix.learn == 0 && mix.recall_by_cue == 0 && mix.recall_by_content == 0 {
            return Err(
                "generator.mix = {learn = 0, recall_by_cue = 0, recall_by_content = 0}: at least one weight must be > 0".into(),
            );
        }
        // A learn draws every bit with probability 1/2, a recall by content 1 to 3 bits.
        let weights = [mix.learn, mix.recall_by_cue, mix.recall_by_content].map(f64::from);
        let mean_content = (weights[0] * size.content_bits as f64 / 2.0 + weights[2] * 2.0)
            / weights.iter().sum::<f64>();
        check_memory(size, g.count as f64, mean_content)
            .map_err(|e| format!("generator.count = {}: {e}", g.count))?;
        random_schedule_mix(
            size,
            g.count,
            whole_ms("generator.spacing", g.spacing)?,
            g.seed,
            mix,
        )
    } else {
        if f.operations.is_empty() {
            return Err("operations: at least one operation (or a [generator]) is needed".into());
        }
        let spacing = f.spacing.map(|s| whole_ms("spacing", s)).transpose()?;
        let mut schedule = Vec::with_capacity(f.operations.len());
        let mut next: Step = 0;
        for (i, e) in f.operations.into_iter().enumerate() {
            let key = |k: &str| format!("operations[{i}].{k}");
            let need_cue = || {
                e.cue
                    .ok_or_else(|| format!("{}: missing for op = \"{}\"", key("cue"), e.op))
            };
            let need_content = || {
                e.content
                    .clone()
                    .ok_or_else(|| format!("{}: missing for op = \"{}\"", key("content"), e.op))
            };
            let op = match e.op.as_str() {
                "learn" => Operation::Learn {
                    cue: need_cue()?,
                    content: need_content()?,
                },
                "recall_by_cue" => {
                    if e.content.is_some() {
                        return Err(format!("{}: not used by recall_by_cue", key("content")));
                    }
                    Operation::RecallByCue { cue: need_cue()? }
                }
                "recall_by_content" => {
                    if e.cue.is_some() {
                        return Err(format!("{}: not used by recall_by_content", key("cue")));
                    }
                    Operation::RecallByContent {
                        content: need_content()?,
                    }
                }
                other => {
                    return Err(format!(
                        "{} = \"{other}\": expected learn, recall_by_cue or recall_by_content",
                        key("op")
                    ))
                }
            };
            let t0 = match e.at {
                Some(at) => whole_ms(&key("at"), at)?,
                None => next,
            };
            next = t0 + spacing.unwrap_or(0).max(op.min_spacing());
            schedule.push(Scheduled { t0, op });
        }
        schedule
    };
    validate(size, &schedule).map_err(|e| e.to_string())?;
    Ok(Experiment {
        size,
        schedule,
        min_steps,
        seed: f.seed.unwrap_or(0),
    })
}

/// Reads and parses an experiment file; errors name the file, then `key = value: what is
/// allowed`.
pub fn load_experiment(path: impl AsRef<std::path::Path>) -> Result<Experiment, CamError> {
    let path = path.as_ref();
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| CamError::Experiment {
        file: file.clone(),
        message: format!("cannot read: {e}"),
    })?;
    parse_experiment(&text).map_err(|message| CamError::Experiment { file, message })
}
