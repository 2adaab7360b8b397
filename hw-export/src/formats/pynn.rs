//! A PyNN script for sPyNNaker (`import pyNN.spiNNaker as sim`) that builds the exported
//! network on a real board: the same cell types and parameters, initial values, the exact
//! synapse lists (as `FromListConnector` arrays in `.npy` files next to the script), STDP,
//! recording, and the slice sizes of the mapping.
//!
//! Spike sources are written as `SpikeSourceArray`s holding the very spike trains engram's
//! sources produce (a `SpikeSourcePoisson` realised with the model's seed), so the board sees
//! the same input as the CPU run.

use crate::error::{HwError, Result};
use crate::formats::report::cell_parameters;
use crate::mapping::Mapping;
use sim_core::WeightDependenceKind;
use sim_core::{Network, StepContext};
use std::fmt::Write;
use std::path::Path;

/// What the script writer needs besides the network.
pub struct ScriptInput<'a> {
    pub net: &'a Network,
    pub pop_names: &'a [String],
    pub proj_names: &'a [String],
    pub mapping: &'a Mapping,
    pub duration_ms: f64,
    pub time_scale_factor: u32,
    /// Where the model came from (a comment in the script).
    pub origin: &'a str,
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> HwError + '_ {
    move |source| HwError::Io {
        file: path.display().to_string(),
        source,
    }
}

fn py_float(v: f64) -> String {
    if v.is_finite() {
        format!("{v:?}")
    } else {
        "float('inf')".into()
    }
}

/// A file-name-safe version of a name.
fn safe(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Spike trains of a source population over the run, in ms, by stepping its kernel.
fn realise_source(net: &Network, pop: usize, duration_ms: f64) -> Vec<Vec<f64>> {
    let p = &net.populations[pop];
    let dt = net.grid.dt_ms();
    let mut kernel = p.model.instantiate(pop, 0..p.size, &net.grid, net.seed);
    let steps = (duration_ms / dt).round() as u64;
    let mut trains = vec![Vec::new(); p.size as usize];
    let mut spikes = Vec::new();
    let mut input: Vec<f64> = Vec::new();
    for step in 0..steps {
        spikes.clear();
        let ctx = StepContext { step, dt_ms: dt };
        if kernel.update(&ctx, &mut input, &mut spikes).is_err() {
            break;
        }
        let stamp = (step + p.model.spike_stamp_offset()) as f64 * dt;
        for &i in &spikes {
            trains[i as usize].push(stamp);
        }
    }
    trains
}

/// Write `network.py` and its data files (`pynn/*.npy`, `pynn/*.json`) into `dir`; returns the
/// script's path.
pub fn write_pynn(dir: &Path, input: &ScriptInput) -> Result<std::path::PathBuf> {
    let net = input.net;
    let data = dir.join("pynn");
    std::fs::create_dir_all(&data).map_err(io_err(&data))?;
    let dt = net.grid.dt_ms();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\"\"\"The network of {} for sPyNNaker, written by `engram export spinnaker`.\n\n\
         Run on a board with sPyNNaker 7 installed and configured (~/.spynnaker.cfg):\n    \
         python network.py\nSpike recordings are saved as <population>.pkl (Neo) next to \
         this script.\n\"\"\"",
        input.origin
    );
    s.push_str(
        "import json\nimport os\n\nimport numpy\nimport pyNN.spiNNaker as sim\n\n\
         HERE = os.path.dirname(os.path.abspath(__file__))\n\n\n\
         def data(name):\n    return os.path.join(HERE, \"pynn\", name)\n\n\n\
         def limit_per_core(population, n):\n    \
         # sPyNNaker 7: per population; older releases only per cell type.\n    \
         if hasattr(population, \"set_max_atoms_per_core\"):\n        \
         population.set_max_atoms_per_core(n)\n    else:\n        \
         sim.set_number_of_neurons_per_core(type(population.celltype), n)\n\n\n",
    );
    let _ = writeln!(
        s,
        "sim.setup(timestep={}, time_scale_factor={})\n",
        py_float(dt),
        input.time_scale_factor
    );
    s.push_str("pops = {}\n");
    for (p, pop) in net.populations.iter().enumerate() {
        let name = &input.pop_names[p];
        let per_core = input
            .mapping
            .pop_slices(p)
            .map(|r| input.mapping.slices[r].iter().map(|sl| sl.len()).max())
            .unwrap_or(None)
            .unwrap_or(pop.size);
        let type_name = pop.model.type_name();
        if pop.model.describe().is_spike_source() {
            let trains = realise_source(net, p, input.duration_ms);
            let file = format!("{}_spike_times.json", safe(name));
            let path = data.join(&file);
            let text = serde_json::to_string(&trains).expect("plain data");
            std::fs::write(&path, text).map_err(io_err(&path))?;
            let _ = writeln!(
                s,
                "# {type_name} in engram: the trains it produces (seed {}), replayed exactly.\n\
                 with open(data({file:?})) as f:\n    spike_times = json.load(f)\n\
                 pops[{name:?}] = sim.Population({}, sim.SpikeSourceArray(spike_times=spike_times), label={name:?})",
                net.seed, pop.size
            );
        } else {
            let params = cell_parameters(pop.model.as_ref()).ok_or_else(|| HwError::Map {
                what: format!(
                    "population {name}: cell type {type_name} has no PyNN form for sPyNNaker"
                ),
            })?;
            let args: Vec<String> = params
                .iter()
                .map(|(k, v)| format!("{k}={}", py_float(*v)))
                .collect();
            let _ = writeln!(
                s,
                "pops[{name:?}] = sim.Population({}, sim.{type_name}({}), label={name:?})",
                pop.size,
                args.join(", ")
            );
            // Initial values as engram draws them (per neuron, from the model's seed).
            let kernel = pop.model.instantiate(p, 0..pop.size, &net.grid, net.seed);
            let mut inits = Vec::new();
            for (vi, var) in pop.model.state_vars().iter().enumerate() {
                if !matches!(*var, "v" | "u") {
                    continue;
                }
                let vals: Vec<f64> = (0..pop.size as usize).map(|i| kernel.read(vi, i)).collect();
                if vals.iter().all(|&v| v == vals[0]) {
                    inits.push(format!("{var}={}", py_float(vals[0])));
                } else {
                    let file = format!("{}_{var}_init.npy", safe(name));
                    let path = data.join(&file);
                    sim_core::npy::write_npy_1d(&path, &vals).map_err(io_err(&path))?;
                    inits.push(format!("{var}=numpy.load(data({file:?}))"));
                }
            }
            if !inits.is_empty() {
                let _ = writeln!(s, "pops[{name:?}].initialize({})", inits.join(", "));
            }
        }
        let _ = writeln!(s, "limit_per_core(pops[{name:?}], {per_core})");
        let rec = &pop.record;
        if rec.spikes {
            let _ = writeln!(s, "pops[{name:?}].record(\"spikes\")");
        }
        if !rec.vars.is_empty() {
            let vars: Vec<&str> = rec
                .vars
                .iter()
                .map(|&v| pop.model.state_vars()[v])
                .collect();
            let view = if rec.neurons.len() == pop.size as usize {
                format!("pops[{name:?}]")
            } else {
                format!("pops[{name:?}][{:?}]", rec.neurons)
            };
            let _ = writeln!(
                s,
                "{view}.record({vars:?}, sampling_interval={})",
                py_float(rec.interval as f64 * dt)
            );
        }
        s.push('\n');
    }
    for (j, proj) in net.projections.iter().enumerate() {
        let name = &input.proj_names[j];
        let syn = &proj.synapses;
        // Read through `get`/`iter`: a generated list has no columns (and one weight and delay
        // unless it has a value grid).
        let first = (!syn.is_empty()).then(|| syn.get(0));
        let uniform = first.is_some_and(|(_, _, w0, d0)| {
            syn.generator().is_some_and(|g| g.value_grid().is_none())
                || syn.iter().all(|(_, _, w, d)| w == w0 && d == d0)
        });
        let file = format!("{}_connections.npy", safe(name));
        let path = data.join(&file);
        let (w0, d0) = first.map_or((0.0, dt), |(_, _, w, d)| (w, d as f64 * dt));
        if uniform {
            let idx: Vec<u32> = syn.iter().flat_map(|(i, k, _, _)| [i, k]).collect();
            sim_core::npy::write_npy_2d(&path, 2, &idx).map_err(io_err(&path))?;
        } else {
            let rows: Vec<f64> = syn
                .iter()
                .flat_map(|(i, k, w, d)| [i as f64, k as f64, w, d as f64 * dt])
                .collect();
            sim_core::npy::write_npy_2d(&path, 4, &rows).map_err(io_err(&path))?;
        }
        let receptor = net.populations[proj.post].model.receptors()[proj.receptor];
        let synapse = match proj.plasticity.as_ref().map(|r| r.describe()) {
            None => format!(
                "sim.StaticSynapse(weight={}, delay={})",
                py_float(w0),
                py_float(d0)
            ),
            Some(rule) => {
                let kind = match rule.weight_dependence {
                    WeightDependenceKind::Additive => "AdditiveWeightDependence",
                    WeightDependenceKind::Multiplicative => "MultiplicativeWeightDependence",
                };
                let (w_min, w_max) = (rule.w_min, rule.w_max);
                // sPyNNaker's additive amplitudes are absolute weights; NEST semantics scales
                // them by w_max, so the same rule on the board has A = a * w_max.
                let scale = rule.additive_amplitude_scale();
                let t = &rule;
                format!(
                    "sim.STDPMechanism(timing_dependence=sim.SpikePairRule(tau_plus={}, \
                     tau_minus={}, A_plus={}, A_minus={}), weight_dependence=sim.{kind}(w_min={}, \
                     w_max={}), weight={}, delay={})",
                    py_float(t.tau_plus),
                    py_float(t.tau_minus),
                    py_float(t.a_plus * scale),
                    py_float(t.a_minus * scale),
                    py_float(w_min),
                    py_float(w_max),
                    py_float(w0),
                    py_float(d0)
                )
            }
        };
        let connector = if uniform {
            format!("sim.FromListConnector(numpy.load(data({file:?})))")
        } else {
            format!(
                "sim.FromListConnector(numpy.load(data({file:?})), column_names=[\"weight\", \"delay\"])"
            )
        };
        let _ = writeln!(
            s,
            "sim.Projection(pops[{:?}], pops[{:?}], {connector},\n    synapse_type={synapse},\n    receptor_type={receptor:?}, label={name:?})",
            input.pop_names[proj.pre], input.pop_names[proj.post]
        );
    }
    let _ = writeln!(s, "\nsim.run({})\n", py_float(input.duration_ms));
    let recorded: Vec<&String> = net
        .populations
        .iter()
        .zip(input.pop_names)
        .filter(|(p, _)| p.record.spikes || !p.record.vars.is_empty())
        .map(|(_, n)| n)
        .collect();
    let _ = writeln!(
        s,
        "for name in {recorded:?}:\n    pops[name].write_data(os.path.join(HERE, name + \".pkl\"))\nsim.end()"
    );
    let script = dir.join("network.py");
    std::fs::write(&script, s).map_err(io_err(&script))?;
    Ok(script)
}
