//! The run directory every backend writes: `run.json`, streamed spike files per population,
//! sampled traces, and a raster plot.
//!
//! ```text
//! run.json                 metadata; "status" is "running" until the run ends, then
//!                          "complete" or "failed" (with the error)
//! model.toml               the model file as run (with --set overrides noted in run.json)
//! <pop>.times.npy          f64 spike times (ms), sorted by time then neuron
//! <pop>.senders.npy        u32 neuron index within the population
//! <pop>.<var>.npy          f64 (n_samples, n_recorded) samples of a state variable
//! <pop>.<var>.times.npy    f64 sample times (ms)
//! <pop>.recorded.npy       u32 indices of the sampled neurons
//! raster.png, raster.svg    spikes of every recorded population, population rates under them
//! ```
//!
//! Spike and sample files are flushed after every chunk of steps and their `.npy` headers
//! rewritten, so a run that is killed keeps a valid file with everything simulated up to the
//! last flush, and `run.json` still says `running`.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use sim_core::npy::NpyWriter;
use sim_core::{Network, Observer, Step};

/// SHA-256 of `bytes` as lowercase hex (identifies the exact input file of a run).
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What `run.json` says about one population.
#[derive(Debug, Clone, Serialize)]
pub struct PopulationInfo {
    pub name: String,
    pub size: u32,
    pub cell_type: String,
    pub spikes: Option<u64>,
    pub recorded_variables: Vec<String>,
}

/// The contents of `run.json`.
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    pub engram_version: String,
    pub command: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub model: ModelInfo,
    pub backend: String,
    pub seed: u64,
    pub dt_ms: f64,
    pub duration_ms: f64,
    pub threads: usize,
    pub neurons: u64,
    pub synapses: u64,
    pub populations: Vec<PopulationInfo>,
    pub build_s: f64,
    pub simulate_s: f64,
    /// Steps simulated so far.
    pub steps_done: Step,
    pub spikes: u64,
    pub synaptic_events: u64,
    pub spikes_per_s: f64,
    pub synaptic_events_per_s: f64,
    /// Anything a command adds (the CAM recall summary, …).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModelInfo {
    pub file: String,
    pub sha256: String,
    pub overrides: Vec<String>,
}

impl RunInfo {
    /// `synapses`: the backend's count where it has one (`Backend::synapses`), else the
    /// network's (which draws generated projections whole).
    pub fn new(
        command: &str,
        model: ModelInfo,
        backend: &str,
        net: &Network,
        synapses: Option<u64>,
    ) -> Self {
        Self {
            engram_version: env!("CARGO_PKG_VERSION").to_string(),
            command: command.to_string(),
            status: "running".into(),
            error: None,
            model,
            backend: backend.to_string(),
            seed: net.seed,
            dt_ms: net.grid.dt_ms(),
            duration_ms: 0.0,
            threads: 1,
            neurons: net.n_neurons(),
            synapses: synapses.unwrap_or_else(|| net.n_synapses()),
            populations: net
                .populations
                .iter()
                .map(|p| PopulationInfo {
                    name: p.name.clone(),
                    size: p.size,
                    cell_type: p.model.type_name().to_string(),
                    spikes: p.record.spikes.then_some(0),
                    recorded_variables: if p.record.neurons.is_empty() {
                        Vec::new()
                    } else {
                        p.record
                            .vars
                            .iter()
                            .map(|&v| p.model.state_vars()[v].to_string())
                            .collect()
                    },
                })
                .collect(),
            build_s: 0.0,
            simulate_s: 0.0,
            steps_done: 0,
            spikes: 0,
            synaptic_events: 0,
            spikes_per_s: 0.0,
            synaptic_events_per_s: 0.0,
            extra: BTreeMap::new(),
        }
    }
}

/// A run directory being written.
pub struct RunDir {
    dir: PathBuf,
    pub info: RunInfo,
}

impl RunDir {
    /// Creates (or reuses) `dir` and writes `run.json` with status `running`.
    pub fn create(dir: &Path, info: RunInfo) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        let rd = Self {
            dir: dir.to_path_buf(),
            info,
        };
        rd.write_json()?;
        Ok(rd)
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Writes `run.json` atomically (temporary file, then rename).
    pub fn write_json(&self) -> io::Result<()> {
        let tmp = self.dir.join("run.json.tmp");
        let text = serde_json::to_string_pretty(&self.info).map_err(io::Error::other)?;
        fs::write(&tmp, text + "\n")?;
        fs::rename(tmp, self.dir.join("run.json"))
    }

    pub fn write_file(&self, name: &str, contents: &[u8]) -> io::Result<()> {
        fs::write(self.dir.join(name), contents)
    }

    /// The observer that streams `net`'s recordings into this directory.
    pub fn recorder(&self, net: &Network, total_steps: Step, quiet: bool) -> io::Result<Recorder> {
        Recorder::new(&self.dir, net, total_steps, quiet)
    }

    /// Marks the run finished (`complete`) or `failed` with an error.
    pub fn finish(&mut self, error: Option<String>) -> io::Result<()> {
        self.info.status = if error.is_some() {
            "failed"
        } else {
            "complete"
        }
        .into();
        self.info.error = error;
        self.write_json()
    }
}

struct SampleFiles {
    values: NpyWriter<f64>,
    times: NpyWriter<f64>,
}

/// How far every file of a recorder has been written: what a checkpoint must remember so that a
/// resumed run continues the files exactly where the checkpoint was taken.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct RecorderPositions {
    /// Spikes written per population.
    pub spikes: Vec<u64>,
    /// Rows written per sampled (population, variable).
    pub samples: Vec<((usize, usize), u64)>,
}

/// Streams spikes and samples into `.npy` files; shows progress on a terminal.
pub struct Recorder {
    dt_ms: f64,
    stamp_offset: Vec<Step>,
    spike_files: Vec<Option<(NpyWriter<f64>, NpyWriter<u32>)>>,
    samples: BTreeMap<(usize, usize), SampleFiles>,
    pub spike_counts: Vec<u64>,
    progress: ProgressBar,
}

impl Recorder {
    fn new(dir: &Path, net: &Network, total_steps: Step, quiet: bool) -> io::Result<Self> {
        Self::open(dir, net, total_steps, quiet, None)
    }

    /// Reopens the files of an interrupted run, cut back to `at` (what its last checkpoint saw).
    pub fn resume(
        dir: &Path,
        net: &Network,
        total_steps: Step,
        quiet: bool,
        at: &RecorderPositions,
    ) -> io::Result<Self> {
        Self::open(dir, net, total_steps, quiet, Some(at))
    }

    /// Stamps every spike at the step that emitted it, whatever the cell type's convention: a
    /// backend that runs every neuron in sPyNNaker's order (the SpiNNaker board) records so.
    pub fn stamp_at_emission(&mut self) {
        self.stamp_offset.iter_mut().for_each(|o| *o = 0);
    }

    /// What has been written so far (call after a flush).
    pub fn positions(&self) -> RecorderPositions {
        RecorderPositions {
            spikes: self.spike_counts.clone(),
            samples: self
                .samples
                .iter()
                .map(|(k, f)| (*k, f.times.len() as u64))
                .collect(),
        }
    }

    fn open(
        dir: &Path,
        net: &Network,
        total_steps: Step,
        quiet: bool,
        resume: Option<&RecorderPositions>,
    ) -> io::Result<Self> {
        let bad =
            |what: &str| io::Error::new(io::ErrorKind::InvalidData, format!("checkpoint: {what}"));
        if let Some(r) = resume {
            if r.spikes.len() != net.populations.len() {
                return Err(bad("population count differs from the model"));
            }
        }
        let open_1d = |name: String, keep: Option<u64>| -> io::Result<NpyWriter<f64>> {
            match keep {
                None => NpyWriter::create(dir.join(name)),
                Some(k) => NpyWriter::open_append(dir.join(name), k as usize),
            }
        };
        let mut spike_files = Vec::new();
        let mut samples = BTreeMap::new();
        for (p, pop) in net.populations.iter().enumerate() {
            let keep = resume.map(|r| r.spikes[p]);
            spike_files.push(if pop.record.spikes {
                Some((
                    open_1d(format!("{}.times.npy", pop.name), keep)?,
                    match keep {
                        None => NpyWriter::create(dir.join(format!("{}.senders.npy", pop.name)))?,
                        Some(k) => NpyWriter::open_append(
                            dir.join(format!("{}.senders.npy", pop.name)),
                            k as usize,
                        )?,
                    },
                ))
            } else {
                None
            });
            if !pop.record.neurons.is_empty() && !pop.record.vars.is_empty() {
                sim_core::npy::write_npy_1d(
                    dir.join(format!("{}.recorded.npy", pop.name)),
                    &pop.record.neurons,
                )?;
                for &v in &pop.record.vars {
                    let var = pop.model.state_vars()[v];
                    let values = dir.join(format!("{}.{var}.npy", pop.name));
                    let keep = match resume {
                        None => None,
                        Some(r) => Some(
                            r.samples
                                .iter()
                                .find(|(k, _)| *k == (p, v))
                                .map(|(_, n)| *n)
                                .ok_or_else(|| bad("a sampled variable is missing"))?,
                        ),
                    };
                    samples.insert(
                        (p, v),
                        SampleFiles {
                            values: match keep {
                                None => NpyWriter::create_2d(values, pop.record.neurons.len())?,
                                Some(k) => NpyWriter::open_append(values, k as usize)?,
                            },
                            times: open_1d(format!("{}.{var}.times.npy", pop.name), keep)?,
                        },
                    );
                }
            }
        }
        let progress = if quiet {
            ProgressBar::hidden()
        } else {
            // indicatif draws on stderr and stays silent when stderr is not a terminal.
            let pb = ProgressBar::new(total_steps);
            pb.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {percent:>3}% steps {pos}/{len} eta {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            pb
        };
        Ok(Self {
            dt_ms: net.grid.dt_ms(),
            stamp_offset: net
                .populations
                .iter()
                .map(|p| p.model.spike_stamp_offset())
                .collect(),
            spike_counts: match resume {
                Some(r) => r.spikes.clone(),
                None => vec![0; net.populations.len()],
            },
            spike_files,
            samples,
            progress,
        })
    }

    /// Flushes everything and closes the progress bar.
    pub fn finish(&mut self) -> io::Result<()> {
        self.flush()?;
        self.progress.finish_and_clear();
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        for (t, s) in self.spike_files.iter_mut().flatten() {
            t.flush()?;
            s.flush()?;
        }
        for f in self.samples.values_mut() {
            f.values.flush()?;
            f.times.flush()?;
        }
        Ok(())
    }
}

impl Observer for Recorder {
    fn spikes(&mut self, pop: usize, steps: &[Step], neurons: &[u32]) -> io::Result<()> {
        if let Some((t, s)) = &mut self.spike_files[pop] {
            let off = self.stamp_offset[pop];
            let dt = self.dt_ms;
            let times: Vec<f64> = steps.iter().map(|&k| (k + off) as f64 * dt).collect();
            t.append(&times);
            s.append(neurons);
            self.spike_counts[pop] += neurons.len() as u64;
        }
        Ok(())
    }

    fn samples(
        &mut self,
        pop: usize,
        var: usize,
        steps: &[Step],
        values: &[f64],
    ) -> io::Result<()> {
        if let Some(f) = self.samples.get_mut(&(pop, var)) {
            // A sample is the state after the update of step k: like a spike, it is stamped at
            // the end of the step for NEST-convention models ((k + 1) dt, as NEST's multimeter
            // does) and at its start for sPyNNaker's.
            let off = self.stamp_offset[pop];
            let dt = self.dt_ms;
            let times: Vec<f64> = steps.iter().map(|&k| (k + off) as f64 * dt).collect();
            f.times.append(&times);
            f.values.append(values);
        }
        Ok(())
    }

    fn chunk_done(&mut self, next_step: Step) -> io::Result<()> {
        self.flush()?;
        self.progress.set_position(next_step);
        Ok(())
    }
}

/// Draws `raster.png` from the spike files of a finished (or partial) run directory.
pub fn draw_raster(
    dir: &Path,
    net: &Network,
    t_stop_ms: f64,
    markers: &[crate::plot::Marker],
) -> Result<(), String> {
    let mut data = Vec::new();
    for pop in net.populations.iter().filter(|p| p.record.spikes) {
        let times = sim_core::npy::read_npy_f64(dir.join(format!("{}.times.npy", pop.name)))
            .map_err(|e| e.to_string())?;
        let senders = sim_core::npy::read_npy_u32(dir.join(format!("{}.senders.npy", pop.name)))
            .map_err(|e| e.to_string())?;
        data.push((pop.name.clone(), pop.size, times, senders));
    }
    let pops: Vec<crate::plot::RasterPopulation> = data
        .iter()
        .map(|(name, size, t, s)| crate::plot::RasterPopulation {
            name,
            size: *size,
            times_ms: t,
            senders: s,
        })
        .collect();
    crate::plot::raster(
        &dir.join("raster.png"),
        "Spike raster and population rates",
        &pops,
        t_stop_ms,
        markers,
    )
    .map_err(|e| e.to_string())
}
