//! Loading a mapped network onto the emulated board: what sPyNNaker's data-specification and
//! synapse-expander stages would write into each core's memory, built from the same
//! `sim_core::Network` the CPU backend runs and the `hw_export::Mapping` of it.

use std::collections::HashMap;
use std::ops::Range;

use hw_export::quantise::{weight_unit, Rounding, WeightScaling};
use hw_export::{CoreLocation, Mapping, Slice};
use models::catalogue::Catalogue;
use models::neurons::if_curr_exp;
use sim_core::{
    ModelDescription, ModelKind, Network, NeuronKernel, RuleDescription, WeightDependenceKind,
};

use super::delay::DelayCore;
use super::fixed::Accum;
use super::neuron::{LifConstants, LifSlice, N_RECEPTORS};
use super::stdp::{DecayLut, StdpRule};
use super::synapses::{PlasticRow, PopTableEntry, Row, SynapticMatrix, WordFormat, MAX_DELAY};
use super::SpinnakerError;
use hw_export::delays::split_delay;

/// An `IF_curr_exp` slice with its synaptic matrix.
pub struct LifCore {
    pub neurons: LifSlice,
    pub synapses: SynapticMatrix,
    /// This tick's input, per receptor (scratch).
    pub input: [Vec<Accum>; N_RECEPTORS],
}

/// Where a plastic synapse's weight lives: (core, row block, row, position in the row).
pub type PlasticSlot = (usize, usize, usize, usize);

/// What runs on a core.
pub enum CoreProgram {
    Lif(Box<LifCore>),
    /// A spike source (`SpikeSourceArray`, `SpikeSourcePoisson`): the population's own kernel,
    /// so its trains equal those the CPU backend draws from the same seed.
    Source(Box<dyn NeuronKernel>),
    /// A slice of a delay extension: re-emits its source slice's spikes stage by stage.
    Delay(DelayCore),
}

/// One application core.
pub struct Core {
    /// The mapping's vertex it runs (a neuron slice, or a delay slice).
    pub slice: usize,
    /// The population of its neurons (for a delay slice, of its source).
    pub pop: usize,
    pub neurons: Range<u32>,
    pub at: CoreLocation,
    pub key: u32,
    pub mask: u32,
    /// Whether the slice has targets. One without sends nothing: sPyNNaker gives a vertex
    /// with no outgoing projection no key (`use_key` false), so its spikes stay on the core.
    pub sends: bool,
    pub program: CoreProgram,
}

impl Core {
    /// The core of the mapping's vertex `v`, whose neurons are `slice`'s.
    fn of_vertex(mapping: &Mapping, v: usize, slice: &Slice, program: CoreProgram) -> Self {
        let (key, mask) = mapping.keys[v];
        Core {
            slice: v,
            pop: slice.pop,
            neurons: slice.neurons.clone(),
            at: mapping.placements[v],
            key,
            mask,
            sends: !mapping.targets[v].is_empty(),
            program,
        }
    }

    pub fn n_neurons(&self) -> u32 {
        self.neurons.end - self.neurons.start
    }
}

/// How weights were represented, per population and receptor.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Quantisation {
    pub population: String,
    pub receptor: &'static str,
    /// Ring-buffer-to-input left shift.
    pub left_shift: u32,
    /// nA per 16-bit weight unit (2^(shift − 15)).
    pub weight_unit_na: f64,
    /// Synapses with a non-zero weight that became 0.
    pub rounded_to_zero: u64,
    /// Synapses whose weight did not fit in 16 bits.
    pub saturated: u64,
    /// Largest |quantised − exact| / exact over the non-zero weights.
    pub max_relative_error: f64,
}

const RECEPTOR_NAMES: [&str; N_RECEPTORS] = ["excitatory", "inhibitory"];

/// Whether the board runs `d` as its fixed-point LIF (sPyNNaker's `IF_curr_exp`).
fn is_lif(d: &ModelDescription) -> bool {
    d.kind == ModelKind::Neuron && d.name == if_curr_exp::NAME
}

/// The cell types of the standard catalogue the board runs, for error messages.
fn board_cell_types() -> String {
    let names: Vec<&str> = Catalogue::standard()
        .entries()
        .iter()
        .filter(|e| e.board.is_some())
        .map(|e| e.name)
        .collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

/// The board rule for a model's STDP rule; its decay tables have one entry per tick of `dt_ms`.
fn board_rule(rule: &RuleDescription, shift: u32, dt_ms: f64) -> Result<StdpRule, String> {
    if rule.weight_dependence == WeightDependenceKind::Multiplicative {
        return Err("MultiplicativeWeightDependence is not implemented on this backend (AdditiveWeightDependence is)".into());
    }
    // PyNN's NEST reading scales the amplitudes by w_max; sPyNNaker takes them as weights.
    let scale = rule.additive_amplitude_scale();
    Ok(StdpRule {
        tau_plus: DecayLut::new(rule.tau_plus, dt_ms),
        tau_minus: DecayLut::new(rule.tau_minus, dt_ms),
        w_min: Accum::from_f64(rule.w_min),
        w_max: Accum::from_f64(rule.w_max),
        a_plus: Accum::from_f64(rule.a_plus * scale),
        a_minus: Accum::from_f64(rule.a_minus * scale),
        weight_shift: shift,
    })
}

/// Everything loaded: the cores (in slice order) and the weight representation.
pub struct Loaded {
    pub cores: Vec<Core>,
    pub quantisation: Vec<Quantisation>,
    /// Per projection: for a plastic one, where each synapse's weight lives
    /// (core index, block, row, position), in synapse-list order.
    pub plastic_slots: Vec<Option<Vec<PlasticSlot>>>,
    /// Per population, per receptor: the left shift.
    pub shifts: Vec<[u32; N_RECEPTORS]>,
}

/// Builds every core's data.
pub fn load(net: &Network, mapping: &Mapping) -> Result<Loaded, SpinnakerError> {
    let bad = |what: String| Err(SpinnakerError::Unsupported(what));
    // Checks first: models, delays, rules.
    let mut rules: Vec<Option<RuleDescription>> = Vec::with_capacity(net.projections.len());
    for proj in &net.projections {
        let d = proj.synapses.max_delay();
        if proj.plasticity.is_some() && d as u32 > MAX_DELAY {
            return bad(format!(
                "projection '{}': plastic, with a delay of {d} steps; plastic rows delivered through delay-extension cores are not emulated (static ones are); use delays <= {MAX_DELAY} steps for plastic projections",
                proj.name
            ));
        }
        if let Some(dynamics) = &proj.synapses.dynamics {
            return bad(format!(
                "projection '{}': synapse type {} is not implemented on the SpiNNaker backend (static synapses and STDPMechanism are)",
                proj.name,
                dynamics.name()
            ));
        }
        rules.push(proj.plasticity.as_ref().map(|r| r.describe()));
    }
    let descriptions: Vec<ModelDescription> =
        net.populations.iter().map(|p| p.model.describe()).collect();
    for (p, d) in net.populations.iter().zip(&descriptions) {
        if !is_lif(d) && !d.is_spike_source() {
            return bad(format!(
                "population '{}': cell type {} is not implemented on the SpiNNaker backend ({} are)",
                p.name,
                d.name,
                board_cell_types()
            ));
        }
    }
    // The shifts and 16-bit weights are hw_export's, the same the export report gives.
    let scaling = WeightScaling::of(net);
    let shifts: Vec<[u32; N_RECEPTORS]> = (0..net.populations.len())
        .map(|p| [0, 1].map(|r| scaling.shift(p, r)))
        .collect();

    // Where each (population, neuron) lives.
    let slice_of = |pop: usize, n: u32| {
        mapping
            .slice_of(pop, n)
            .expect("the mapping covers every neuron")
    };
    // Rows: per post slice, per (projection, source vertex), one row per key of the source: per
    // pre neuron of a pre slice, per (stage, pre neuron) of its delay slice.
    type RowKey = (usize, usize); // (projection, source vertex)
    let mut rows: Vec<HashMap<RowKey, Vec<Row>>> = vec![HashMap::new(); mapping.slices.len()];
    let mut quant: HashMap<(usize, usize), (Quantisation, Rounding)> = HashMap::new();
    let mut plastic_slots: Vec<Option<Vec<PlasticSlot>>> = vec![None; net.projections.len()];
    // Post-slice rule indices per projection.
    let mut core_rules: Vec<Vec<StdpRule>> = vec![Vec::new(); mapping.slices.len()];
    let mut rule_index: HashMap<(usize, usize), usize> = HashMap::new();
    let mut placed: Vec<(usize, RowKey, usize, usize)> = Vec::new(); // for plastic slots
    for (k, proj) in net.projections.iter().enumerate() {
        let r = proj.receptor;
        let shift = shifts[proj.post][r];
        let (_, rounding) = quant.entry((proj.post, r)).or_insert_with(|| {
            let q = Quantisation {
                population: net.populations[proj.post].name.clone(),
                receptor: RECEPTOR_NAMES[r],
                left_shift: shift,
                weight_unit_na: weight_unit(shift),
                ..Default::default()
            };
            (q, Rounding::default())
        });
        let board = match &rules[k] {
            Some(s) => Some(board_rule(s, shift, net.grid.dt_ms()).map_err(|e| {
                SpinnakerError::Unsupported(format!("projection '{}': {e}", proj.name))
            })?),
            None => None,
        };
        for (pre, post, w, d) in proj.synapses.iter() {
            let pre_slice = slice_of(proj.pre, pre);
            let dst = slice_of(proj.post, post);
            let fixed = scaling.quantise(proj, w);
            rounding.add(w, fixed, shift);
            let w16 = fixed.units;
            let dst_slice = &mapping.slices[dst];
            let fmt = WordFormat::for_neurons(dst_slice.len());
            // Stage 0: the pre slice's own row; stage s: row (s − 1)·n + i of its delay slice.
            let (stage, row_delay) = split_delay(d as u32);
            let control = fmt.control(row_delay, r as u32, post - dst_slice.neurons.start);
            let n_pre = mapping.slices[pre_slice].len() as usize;
            let pre_local = (pre - mapping.slices[pre_slice].neurons.start) as usize;
            let (src, pre_off) = match stage {
                0 => (pre_slice, pre_local),
                s => (
                    mapping
                        .delay_vertex_of(pre_slice)
                        .expect("the mapping gives every long delay a delay slice"),
                    (s as usize - 1) * n_pre + pre_local,
                ),
            };
            let n_src = mapping.n_keys(src) as usize;
            let block = rows[dst].entry((k, src)).or_insert_with(|| match &board {
                None => vec![Row::Static(Vec::new()); n_src],
                Some(_) => {
                    let rules = &mut core_rules[dst];
                    let ri = *rule_index.entry((dst, k)).or_insert_with(|| {
                        rules.push(board.clone().expect("plastic"));
                        rules.len() - 1
                    });
                    vec![
                        Row::Plastic(PlasticRow {
                            pre: Default::default(),
                            weights: Vec::new(),
                            controls: Vec::new(),
                            rule: ri,
                        });
                        n_src
                    ]
                }
            });
            match &mut block[pre_off] {
                Row::Static(words) => words.push(((w16 as u32) << 16) | control),
                Row::Plastic(p) => {
                    placed.push((dst, (k, src), pre_off, p.weights.len()));
                    p.weights.push(w16);
                    p.controls.push(control as u16);
                }
            }
        }
    }
    let mut cores = Vec::with_capacity(mapping.n_vertices());
    let mut block_ids: HashMap<(usize, RowKey), usize> = HashMap::new();
    for (s, slice) in mapping.slices.iter().enumerate() {
        let pop = &net.populations[slice.pop];
        let description = &descriptions[slice.pop];
        let program = match is_lif(description) {
            true => {
                let fmt = WordFormat::for_neurons(slice.len());
                if !fmt.fits() {
                    return bad(format!(
                        "population '{}': {} neurons on one core do not fit the 16-bit synaptic control word (at most 2048)",
                        pop.name,
                        slice.len()
                    ));
                }
                // Initial values as the model draws them (same streams as the CPU backend).
                let kernel =
                    pop.model
                        .instantiate(slice.pop, slice.neurons.clone(), &net.grid, net.seed);
                let v0: Vec<f64> = (0..slice.len() as usize)
                    .map(|i| kernel.read(0, i))
                    .collect();
                let k =
                    LifConstants::new(&description.parameters, net.grid.dt_ms()).map_err(|e| {
                        SpinnakerError::Unsupported(format!("population '{}': {e}", pop.name))
                    })?;
                let mut entries: HashMap<usize, PopTableEntry> = HashMap::new();
                let mut blocks = Vec::new();
                let mut keyed: Vec<(RowKey, Vec<Row>)> = rows[s].drain().collect();
                keyed.sort_by_key(|(rk, _)| *rk);
                for (rk, block) in keyed {
                    let (bk, bm) = mapping.keys[rk.1];
                    block_ids.insert((s, rk), blocks.len());
                    entries
                        .entry(rk.1)
                        .or_insert_with(|| PopTableEntry {
                            key: bk,
                            mask: bm,
                            blocks: Vec::new(),
                        })
                        .blocks
                        .push(blocks.len());
                    blocks.push(block);
                }
                let n = slice.len() as usize;
                let matrix = SynapticMatrix::new(
                    fmt,
                    n,
                    entries.into_values().collect(),
                    blocks,
                    std::mem::take(&mut core_rules[s]),
                    shifts[slice.pop],
                );
                if matrix
                    .rules
                    .windows(2)
                    .any(|w| w[0].tau_minus != w[1].tau_minus)
                {
                    return bad(format!(
                        "population '{}': plastic projections with different tau_minus onto one population (a core keeps one post trace per neuron)",
                        pop.name
                    ));
                }
                CoreProgram::Lif(Box::new(LifCore {
                    neurons: LifSlice::new(k, &v0),
                    synapses: matrix,
                    input: [vec![Accum::ZERO; n], vec![Accum::ZERO; n]],
                }))
            }
            false => CoreProgram::Source(pop.model.instantiate(
                slice.pop,
                slice.neurons.clone(),
                &net.grid,
                net.seed,
            )),
        };
        cores.push(Core::of_vertex(mapping, s, slice, program));
    }
    for (i, d) in mapping.delay_slices.iter().enumerate() {
        let v = mapping.slices.len() + i;
        let source = &mapping.slices[d.source];
        let (incoming_key, incoming_mask) = mapping.keys[d.source];
        let program = CoreProgram::Delay(DelayCore::new(
            source.len(),
            d.stages,
            incoming_key,
            incoming_mask,
        ));
        cores.push(Core::of_vertex(mapping, v, source, program));
    }
    for (dst, rk, row, pos) in placed {
        let b = block_ids[&(dst, rk)];
        plastic_slots[rk.0]
            .get_or_insert_with(Vec::new)
            .push((dst, b, row, pos));
    }
    let mut quantisation: Vec<Quantisation> = quant
        .into_values()
        .map(|(q, rounding)| Quantisation {
            rounded_to_zero: rounding.rounded_to_zero,
            saturated: rounding.saturated,
            max_relative_error: rounding.max_relative_error,
            ..q
        })
        .collect();
    quantisation.sort_by(|a, b| (&a.population, a.receptor).cmp(&(&b.population, b.receptor)));
    Ok(Loaded {
        cores,
        quantisation,
        plastic_slots,
        shifts,
    })
}
