//! Shared by the CA3 tests: the published recordings, spike-by-spike comparison, and runs that
//! keep every neuron's threshold check (the potential compared with the threshold) on the CPU
//! backend and on the emulated board.

// Each test file uses the part it needs.
#![allow(dead_code)]

use std::collections::BTreeSet;

use backends::spinnaker::Board;
use hw_export::machine::Machine;
use models::neurons::IfCurrExp;
use networks::ca3;
use serde_json::Value;
use sim_core::{MemoryObserver, Network, Simulation, Step};

/// The three published experiments: (short name, key in the recordings file).
pub const EXPERIMENTS: [(&str, &str); 3] = [
    ("E1", "1_learn_recall_by_cue_and_cont_forget"),
    ("E2", "2_tb2_piramidal_sequence_cont"),
    ("E3", "3_state_map_app"),
];

pub fn recordings() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/reference/ca3_cam_spinnaker_recordings.json"
    );
    let text =
        std::fs::read_to_string(path).expect("the reference recordings are beside the checkout");
    serde_json::from_str(&text).expect("valid JSON")
}

/// A spike as (population, neuron, step).
pub type Spike = (usize, u32, Step);

/// Every spike of `spikes` (per population, `(step, neuron)`) outside the IN layer.
pub fn non_input_spikes(spikes: &[Vec<(Step, u32)>]) -> BTreeSet<Spike> {
    spikes
        .iter()
        .enumerate()
        .filter(|&(p, _)| p != ca3::IN)
        .flat_map(|(p, s)| s.iter().map(move |&(t, i)| (p, i, t)))
        .collect()
}

/// Every spike of recorded experiment `e` outside the IN layer (INcue, INcont), in population
/// neuron numbering.
pub fn recorded_non_input_spikes(e: &Value) -> BTreeSet<Spike> {
    let size = ca3::recorded_experiment(e)
        .expect("a recorded experiment")
        .0;
    let mut out = BTreeSet::new();
    for col in ca3::json_columns(size) {
        if col.population == ca3::IN {
            continue;
        }
        let Some(obj) = e["spinnaker_spikes"][col.name].as_object() else {
            continue;
        };
        for (neuron, times) in obj {
            let k: u32 = neuron.parse().expect("neuron indices are numbers");
            assert!(k < col.width, "{} neuron {k}", col.name);
            for t in times.as_array().expect("spike times").iter() {
                let t = t.as_u64().expect("spike times are whole ms");
                assert!(out.insert((col.population, col.first + k, t)));
            }
        }
    }
    out
}

/// A run's non-input spikes against a recording's, spike by spike.
#[derive(Debug)]
pub struct SpikeMatch {
    /// Non-input spikes in the recording.
    pub recorded: usize,
    /// Of those, the ones the run has too (same population, neuron and ms).
    pub matched: usize,
    /// Recorded spikes the run lacks, and spikes of the run the recording lacks.
    pub missing: Vec<Spike>,
    pub extra: Vec<Spike>,
}

pub fn match_recording(e: &Value, spikes: &[Vec<(Step, u32)>]) -> SpikeMatch {
    let recorded = recorded_non_input_spikes(e);
    let ours = non_input_spikes(spikes);
    SpikeMatch {
        recorded: recorded.len(),
        matched: recorded.intersection(&ours).count(),
        missing: recorded.difference(&ours).copied().collect(),
        extra: ours.difference(&recorded).copied().collect(),
    }
}

/// Checks `spikes` against recorded experiment `name`: every recorded non-input spike
/// reproduced and no other, and no differing (column, ms) cell; `what` names the run in
/// messages. Returns the number of recorded non-input spikes.
pub fn assert_reproduced(
    rec: &Value,
    name: &str,
    what: &str,
    spikes: &[Vec<(Step, u32)>],
) -> usize {
    let e = &rec["experiments"][name];
    let c = ca3::compare_with_recording(e, spikes);
    for l in &c.lines {
        eprintln!("{what}: {l}");
    }
    // Every population of the network is covered by the columns.
    let size = ca3::recorded_experiment(e).unwrap().0;
    let covered: BTreeSet<usize> = ca3::json_columns(size)
        .iter()
        .map(|c| c.population)
        .collect();
    assert_eq!(covered.len(), ca3::POPULATIONS.len());
    let m = match_recording(e, spikes);
    eprintln!(
        "{what}: {} of {} recorded non-input spikes reproduced, {} missing, {} extra; {} differing cells",
        m.matched,
        m.recorded,
        m.missing.len(),
        m.extra.len(),
        c.differing
    );
    assert_eq!(m.matched, m.recorded, "{what}: missing {:?}", m.missing);
    assert!(m.extra.is_empty(), "{what}: extra {:?}", m.extra);
    assert_eq!(c.differing, 0, "{what}");
    m.recorded
}

/// A run with every threshold check kept: `margins[t][pop][neuron]` is `v − v_thresh` (mV) at
/// the check of step `t`, `None` for a refractory neuron and for spike sources.
pub struct Probed {
    pub spikes: Vec<Vec<(Step, u32)>>,
    pub margins: Vec<Vec<Vec<Option<f64>>>>,
}

impl Probed {
    pub fn margin(&self, (pop, neuron, t): Spike) -> Option<f64> {
        self.margins[t as usize][pop][neuron as usize]
    }

    /// The check closest to the threshold: (|v − v_thresh|, the spike it would be).
    pub fn closest_check(&self) -> (f64, Spike) {
        let mut best = (f64::INFINITY, (0, 0, 0));
        for (t, pops) in self.margins.iter().enumerate() {
            for (p, neurons) in pops.iter().enumerate() {
                for (i, m) in neurons.iter().enumerate() {
                    if let Some(m) = m {
                        if m.abs() < best.0 {
                            best = (m.abs(), (p, i as u32, t as Step));
                        }
                    }
                }
            }
        }
        best
    }
}

/// The sPyNNaker-order constants of an `IF_curr_exp` population (dt = 1 ms), as the f64 kernel
/// derives them; `None` for other models.
struct LifF64 {
    v_rest: f64,
    v_thresh: f64,
    r: f64,
    exp_tc: f64,
    decay_e: f64,
    decay_i: f64,
    i_offset: f64,
}

fn lif_f64(net: &Network, pop: usize) -> Option<LifF64> {
    let m = net.populations[pop].model.as_any()?;
    let p = m.downcast_ref::<IfCurrExp>()?.params();
    Some(LifF64 {
        v_rest: p.v_rest,
        v_thresh: p.v_thresh,
        r: p.tau_m / p.cm,
        exp_tc: (-ca3::DT_MS / p.tau_m).exp(),
        decay_e: (-ca3::DT_MS / p.tau_syn_e).exp(),
        decay_i: (-ca3::DT_MS / p.tau_syn_i).exp(),
        i_offset: p.i_offset,
    })
}

/// Runs `net` on the CPU backend (one thread) step by step for `steps` steps, keeping every
/// threshold check. The f64 kernel keeps only the state after a step (reset if it fired, the
/// currents decayed), so the potential its check compared is recomputed from that state:
/// the currents as injected are the decayed ones over the decay factor, and the membrane relaxes
/// from the previous step's potential, `v = alpha − exp_tc·(alpha − v_prev)`. Where the neuron
/// did not fire the recomputed potential must equal the kept one, which checks the recomputation.
pub fn run_cpu_probed(net: &Network, steps: Step) -> Probed {
    let lif: Vec<Option<LifF64>> = (0..net.populations.len())
        .map(|p| lif_f64(net, p))
        .collect();
    let sizes: Vec<u32> = net.populations.iter().map(|p| p.size).collect();
    let mut sim = Simulation::with_threads(net, 1);
    let mut obs = MemoryObserver::default();
    let read_v = |sim: &Simulation, p: usize| -> Vec<f64> {
        (0..sizes[p]).map(|i| sim.read(p, 0, i)).collect()
    };
    let mut v_prev: Vec<Vec<f64>> = (0..sizes.len()).map(|p| read_v(&sim, p)).collect();
    let mut margins = Vec::with_capacity(steps as usize);
    for t in 0..steps {
        let before: Vec<usize> = (0..sizes.len())
            .map(|p| obs.spikes.get(p).map_or(0, |s| s.len()))
            .collect();
        sim.run_until(t + 1, &mut obs).expect("the memory runs");
        let mut step = Vec::with_capacity(sizes.len());
        for (p, k) in lif.iter().enumerate() {
            let Some(k) = k else {
                step.push(vec![None; sizes[p] as usize]);
                continue;
            };
            let fired: BTreeSet<u32> = obs.spikes[p][before[p]..].iter().map(|&(_, i)| i).collect();
            let fired_last: BTreeSet<u32> = obs.spikes[p][..before[p]]
                .iter()
                .rev()
                .take_while(|&&(s, _)| s + 1 == t)
                .map(|&(_, i)| i)
                .collect();
            let v_now = read_v(&sim, p);
            let mut row = Vec::with_capacity(sizes[p] as usize);
            for i in 0..sizes[p] {
                // One refractory step (tau_refrac = 1 ms): a neuron that fired in the previous
                // step is not integrated.
                if fired_last.contains(&i) {
                    row.push(None);
                    continue;
                }
                let ie = sim.read(p, 1, i) / k.decay_e;
                let ii = sim.read(p, 2, i) / k.decay_i;
                let alpha = (ie - ii + k.i_offset) * k.r + k.v_rest;
                let v = alpha - k.exp_tc * (alpha - v_prev[p][i as usize]);
                let m = v - k.v_thresh;
                if fired.contains(&i) {
                    assert!(m > -1e-9, "pop {p} neuron {i} fired at {t} with margin {m}");
                } else {
                    let kept = v_now[i as usize];
                    assert!(
                        (v - kept).abs() < 1e-9,
                        "pop {p} neuron {i} at {t}: recomputed {v}, kept {kept}"
                    );
                }
                row.push(Some(m));
            }
            step.push(row);
        }
        margins.push(step);
        v_prev = (0..sizes.len()).map(|p| read_v(&sim, p)).collect();
    }
    obs.spikes.resize(sizes.len(), Vec::new());
    Probed {
        spikes: obs.spikes,
        margins,
    }
}

/// Runs `net` on an emulated SpiNN-5 board tick by tick for `steps` ticks, keeping every
/// threshold check as the board computed it (S16.15).
pub fn run_board_probed(net: &Network, steps: Step) -> Probed {
    let mut board = Board::new(net, &Machine::spinn5(), "spinn5").expect("the memory loads");
    let sizes: Vec<u32> = net.populations.iter().map(|p| p.size).collect();
    let mut obs = MemoryObserver::default();
    let mut margins = Vec::with_capacity(steps as usize);
    for t in 0..steps {
        board.run_until(t + 1, &mut obs).expect("the memory runs");
        margins.push(
            sizes
                .iter()
                .enumerate()
                .map(|(p, &n)| {
                    (0..n)
                        .map(|i| board.threshold_check(p, i).and_then(|c| c.margin_mv()))
                        .collect()
                })
                .collect(),
        );
    }
    assert!(board.report().ok, "packets dropped or unmatched");
    obs.spikes.resize(sizes.len(), Vec::new());
    Probed {
        spikes: obs.spikes,
        margins,
    }
}
