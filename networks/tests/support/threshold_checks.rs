//! Runs of a network that keep every neuron's threshold check (the potential compared with the
//! threshold), on the CPU backend and on the emulated board. Included by the CA3 tests that look
//! at how close to the threshold a run comes.

use std::collections::BTreeSet;

use backends::spinnaker::Board;
use hw_export::machine::Machine;
use sim_core::{MemoryObserver, Network, Simulation, Step};

/// A spike as (population, neuron, step).
pub type Spike = (usize, u32, Step);

/// A run with every threshold check kept: `margins[t][pop][neuron]` is `v − v_thresh` (mV) at
/// the check of step `t`, `None` for a refractory neuron and for spike sources.
#[allow(dead_code)] // not every test that includes this file runs both backends
pub struct Probed {
    pub spikes: Vec<Vec<(Step, u32)>>,
    pub margins: Vec<Vec<Vec<Option<f64>>>>,
}

#[allow(dead_code)] // not every test that includes this file reads both
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
/// derives them.
pub struct LifF64 {
    v_rest: f64,
    v_thresh: f64,
    r: f64,
    exp_tc: f64,
    init_e: f64,
    decay_e: f64,
    decay_i: f64,
    i_offset: f64,
}

/// The constants of population `pop` if it is an `IF_curr_exp` one (read off its description).
pub fn lif_f64(net: &Network, pop: usize) -> Option<LifF64> {
    let d = net.populations[pop].model.describe();
    if d.name != "IF_curr_exp" {
        return None;
    }
    let p = |name: &str| d.parameter(name).expect("an IF_curr_exp parameter");
    let h = networks::ca3::DT_MS;
    let decay_e = (-h / p("tau_syn_E")).exp();
    Some(LifF64 {
        v_rest: p("v_rest"),
        v_thresh: p("v_thresh"),
        r: p("tau_m") / p("cm"),
        exp_tc: (-h / p("tau_m")).exp(),
        init_e: p("tau_syn_E") / h * (1.0 - decay_e),
        decay_e,
        decay_i: (-h / p("tau_syn_I")).exp(),
        i_offset: p("i_offset"),
    })
}

#[allow(dead_code)] // not every test that includes this file reads it
impl LifF64 {
    /// mV at the threshold check per nA of excitatory input injected in the same step into a
    /// resting neuron: `init·R·(1 − exp_tc)`.
    pub fn gain(&self) -> f64 {
        self.init_e * self.r * (1.0 - self.exp_tc)
    }
}

/// Runs `net` on the CPU backend (one thread) step by step for `steps` steps, keeping every
/// threshold check. The f64 kernel keeps only the state after a step (reset if it fired, the
/// currents decayed), so the potential its check compared is recomputed from that state:
/// the currents as injected are the decayed ones over the decay factor, and the membrane relaxes
/// from the previous step's potential, `v = alpha − exp_tc·(alpha − v_prev)`. Where the neuron
/// did not fire the recomputed potential must equal the kept one, which checks the recomputation.
#[allow(dead_code)] // not every test that includes this file runs both backends
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
#[allow(dead_code)] // not every test that includes this file runs both backends
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
