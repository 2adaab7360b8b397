//! The CA3 memory on the emulated SpiNNaker board against the CPU backend (f64, sPyNNaker's
//! integration, as `engram cam` runs it) on random operation streams, spike by spike. Where the
//! two first disagree, both threshold checks are read (the neuron, the step, `v − v_thresh` on
//! each backend) together with the plastic weights that fed the neuron in that step, and the
//! divergence is attributed to one of the board's two departures from the f64 engine.

#[path = "support/cam_run.rs"]
mod cam_run;
#[path = "support/threshold_checks.rs"]
mod threshold_checks;

use std::collections::BTreeSet;

use backends::spinnaker::stdp::MAX_POST_EVENTS;
use backends::spinnaker::Board;
use cam_run::{CamRunExt, Disagreements};
use hw_export::machine::Machine;
use networks::ca3::{self, Ca3Network, Ca3Size, Scheduled};
use sim_core::{MemoryObserver, Simulation, Step};
use threshold_checks::{lif_f64, run_board_probed, run_cpu_probed, Probed, Spike};

const SIZE: Ca3Size = Ca3Size {
    cues: 5,
    content_bits: 10,
};
const SPACING_MS: Step = 10;

/// One differing spike at a stream's first divergent step.
#[derive(Debug)]
struct Divergence {
    spike: Spike,
    /// Whether the CPU backend fired (else the board did).
    cpu_fired: bool,
    /// `v − v_thresh` (mV) at the check of that step on each backend.
    cpu_margin: f64,
    board_margin: f64,
    input: PlasticInput,
}

/// The plastic input to a divergent neuron in its step on both backends: the synapses of the
/// plastic projection onto it whose pre neuron fired one step earlier (delay 1 ms).
#[derive(Debug)]
struct PlasticInput {
    /// Per active synapse: (pre neuron, CPU weight, board weight as stored), nA.
    synapses: Vec<(u32, f64, f64)>,
    /// Per active synapse, the most post spikes the neuron fired between two consecutive pre
    /// spikes of the synapse, up to this one: more than the board's post history holds (15 real
    /// entries) means that at the later pre spike the oldest, which carried the potentiation
    /// pending since the earlier one, had been dropped (and the weight lacks it from then on).
    most_post_spikes_between_pre_spikes: Vec<usize>,
    /// The board's weight unit onto the population (nA).
    unit: f64,
    /// mV at the check per nA of input injected in that step, from rest.
    gain: f64,
}

impl PlasticInput {
    /// The CPU's summed plastic input minus the board's (nA).
    fn deficit(&self) -> f64 {
        self.synapses.iter().map(|&(_, c, b)| c - b).sum()
    }

    /// The largest |CPU − board| weight, in units of the board's weight.
    fn largest_difference_units(&self) -> f64 {
        self.synapses
            .iter()
            .map(|&(_, c, b)| (c - b).abs() / self.unit)
            .fold(0.0, f64::max)
    }
}

struct StreamResult {
    seed: u64,
    operations: usize,
    first: Vec<Divergence>,
    /// Each backend's answers against the ideal CAM.
    cpu: Disagreements,
    board: Disagreements,
}

fn all_spikes(p: &Probed) -> BTreeSet<Spike> {
    p.spikes
        .iter()
        .enumerate()
        .flat_map(|(pop, s)| s.iter().map(move |&(t, i)| (pop, i, t)))
        .collect()
}

fn plastic_input(
    memory: &Ca3Network,
    cpu_spikes: &[Vec<(Step, u32)>],
    (pop, j, t): Spike,
) -> PlasticInput {
    let (projection, pre_pop) = match pop {
        ca3::CONT_CUE => (memory.cue_to_content, ca3::CUE_CUE),
        ca3::CUE_CONT => (memory.content_to_cue, ca3::CONT_CONT),
        _ => panic!("{} has no plastic input", ca3::POPULATIONS[pop]),
    };
    // The weights delivered at t were those after the pre spikes of t − 1 were processed.
    let mut cpu = Simulation::with_threads(&memory.network, 1);
    cpu.run_until(t, &mut MemoryObserver::default()).unwrap();
    let mut board = Board::new(&memory.network, &Machine::spinn5(), "spinn5").unwrap();
    board.run_until(t, &mut MemoryObserver::default()).unwrap();
    let (wc, wb) = (
        cpu.weights(projection),
        board.plastic_weights(projection).unwrap(),
    );
    let n_post = memory.network.populations[pop].size;
    let pre_times = |i: u32| -> Vec<Step> {
        cpu_spikes[pre_pop]
            .iter()
            .filter(|&&(_, k)| k == i)
            .map(|&(s, _)| s)
            .collect()
    };
    let mut synapses = Vec::new();
    let mut most_post = Vec::new();
    for i in 0..memory.network.populations[pre_pop].size {
        let times = pre_times(i);
        if !times.contains(&(t - 1)) {
            continue;
        }
        let k = (i * n_post + j) as usize;
        synapses.push((i, wc[k], wb[k]));
        // Between each two pre spikes up to this one: the post spikes the later one's row
        // update replays (those at or after the earlier pre spike, up to the later one).
        let most = times
            .windows(2)
            .take_while(|w| w[1] < t)
            .map(|w| {
                cpu_spikes[pop]
                    .iter()
                    .filter(|&&(u, n)| n == j && u >= w[0] && u <= w[1])
                    .count()
            })
            .max();
        most_post.push(most.unwrap_or(0));
    }
    PlasticInput {
        synapses,
        most_post_spikes_between_pre_spikes: most_post,
        unit: 2f64.powi(board.shifts()[pop][0] as i32 - 15),
        gain: lif_f64(&memory.network, pop)
            .expect("an IF_curr_exp population")
            .gain(),
    }
}

fn compare_stream(seed: u64, operations: usize) -> StreamResult {
    let schedule: Vec<Scheduled> = ca3::random_schedule(SIZE, operations, SPACING_MS, seed);
    let (memory, steps) = ca3::prepare(SIZE, &schedule, 0, 0).unwrap();
    let cpu = run_cpu_probed(&memory.network, steps);
    let board = run_board_probed(&memory.network, steps);
    let (a, b) = (all_spikes(&cpu), all_spikes(&board));
    let differing: Vec<Spike> = a.symmetric_difference(&b).copied().collect();
    let first_step = differing.iter().map(|s| s.2).min();
    let first = differing
        .iter()
        .filter(|s| Some(s.2) == first_step)
        .map(|&spike| Divergence {
            spike,
            cpu_fired: a.contains(&spike),
            cpu_margin: cpu.margin(spike).expect("integrated on the CPU"),
            board_margin: board.margin(spike).expect("integrated on the board"),
            input: plastic_input(&memory, &cpu.spikes, spike),
        })
        .collect();
    // Only the answers are needed, not the weights.
    let answers = |spikes| {
        let memory = ca3::build(SIZE, ca3::input_spikes(SIZE, &schedule)).unwrap();
        ca3::assemble(memory, &schedule, steps, spikes, vec![], vec![]).disagreements()
    };
    StreamResult {
        seed,
        operations,
        first,
        cpu: answers(cpu.spikes),
        board: answers(board.spikes),
    }
}

/// Why the board and the CPU backend first disagree in a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cause {
    /// sPyNNaker keeps 15 post spikes per neuron (`post_events.h`) and potentiates a synapse
    /// only at its next pre spike: a neuron that fired 16 times or more since had lost the post
    /// spikes that potentiation was waiting for, so the board's weight lacks it. The f64 engine
    /// potentiates at every post arrival.
    PostHistory,
    /// The board's plastic weights are 16-bit multiples of its weight unit (truncated at every
    /// update); a check within their rounding of the threshold went the other way.
    WeightRounding,
}

impl Cause {
    fn name(self) -> &'static str {
        match self {
            Cause::PostHistory => "post history full",
            Cause::WeightRounding => "weight rounding",
        }
    }
}

/// How far (in units of the board's weight) truncation at every update and the 11-bit traces
/// take a plastic weight from the f64 engine's: a few units (at most 3.2 at the divergences
/// here, 2.4 after E2 in `final_weights_agree_with_the_f64_engine`); a lost potentiation is
/// hundreds.
const ROUNDING_UNITS: f64 = 8.0;
/// How closely, where no history was full, the plastic input difference predicts the membrane
/// difference at the check (mV): the rest is carried over from earlier steps (the neuron's
/// current and potential), which differ by rounding too.
const EXPLAINED_MV: f64 = 1e-3;

/// The cause of a divergence, or a message saying why neither explains it.
fn cause(d: &Divergence) -> Result<Cause, String> {
    let what = format!("{:?}", d);
    // The probes agree with the spikes: one side fired, the other did not.
    if d.cpu_fired != (d.cpu_margin >= 0.0) || d.cpu_fired == (d.board_margin >= 0.0) {
        return Err(format!("margins and spikes disagree: {what}"));
    }
    let synapses = &d.input.synapses;
    // The history holds MAX_POST_EVENTS − 1 real spikes.
    let full = |k: usize| d.input.most_post_spikes_between_pre_spikes[k] >= MAX_POST_EVENTS;
    let full_deficit: f64 = (0..synapses.len())
        .filter(|&k| full(k))
        .map(|k| synapses[k].1 - synapses[k].2)
        .sum();
    if (0..synapses.len()).any(full) {
        // The input the board lost with the history alone puts its check on the CPU's side.
        return if full_deficit > 0.0
            && (d.board_margin + d.input.gain * full_deficit >= 0.0) == d.cpu_fired
        {
            Ok(Cause::PostHistory)
        } else {
            Err(format!("a full history does not account for it: {what}"))
        };
    }
    // No potentiation was lost: the weights differ by their rounding, they account for the
    // difference between the checks, and both checks lie within that difference of the
    // threshold.
    if d.input.largest_difference_units() > ROUNDING_UNITS {
        return Err(format!("weights differ beyond rounding: {what}"));
    }
    let dv = d.cpu_margin - d.board_margin;
    let predicted = d.input.gain * d.input.deficit();
    let spread: f64 = synapses.iter().map(|&(_, c, b)| (c - b).abs()).sum();
    let within = d.input.gain * spread + EXPLAINED_MV;
    if (dv - predicted).abs() <= EXPLAINED_MV
        && d.cpu_margin.abs() <= within
        && d.board_margin.abs() <= within
    {
        Ok(Cause::WeightRounding)
    } else {
        Err(format!(
            "Δv = {dv} mV, the plastic input predicts {predicted} mV: {what}"
        ))
    }
}

/// The markdown table of the streams' first divergences (docs/SPINNAKER_BACKEND.md).
fn table(results: &[StreamResult]) -> String {
    let mut out = String::from(
        "| seed | operations | ms | population | neuron | fired on | CPU v − v_thresh (mV) | board v − v_thresh (mV) | plastic input CPU / board (nA) | largest weight difference (board units) | cause |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for r in results {
        for d in &r.first {
            let sum = |f: fn(&(u32, f64, f64)) -> f64| d.input.synapses.iter().map(f).sum::<f64>();
            out += &format!(
                "| {} | {} | {} | {} | {} | {} | {:+.4} | {:+.4} | {:.4} / {:.4} | {:.1} | {} |\n",
                r.seed,
                r.operations,
                d.spike.2,
                ca3::POPULATIONS[d.spike.0],
                d.spike.1,
                if d.cpu_fired { "CPU" } else { "board" },
                d.cpu_margin,
                d.board_margin,
                sum(|s| s.1),
                sum(|s| s.2),
                d.input.largest_difference_units(),
                cause(d).map_or("unexplained", Cause::name),
            );
        }
    }
    out
}

/// Compares the streams of `seeds` with `operations` operations each, prints the table of their
/// first divergences and a summary, and checks that every first divergence has a cause.
/// Returns the results, the number of streams that agree spike for spike, and the number of
/// first divergences per cause ([full post history, weight rounding]).
fn sweep(
    seeds: std::ops::RangeInclusive<u64>,
    operations: usize,
) -> (Vec<StreamResult>, usize, [usize; 2]) {
    let results: Vec<StreamResult> = seeds.map(|s| compare_stream(s, operations)).collect();
    print!("{}", table(&results));
    let agree = results.iter().filter(|r| r.first.is_empty()).count();
    let mut causes = [0; 2];
    for r in &results {
        for d in &r.first {
            match cause(d) {
                Ok(Cause::PostHistory) => causes[0] += 1,
                Ok(Cause::WeightRounding) => causes[1] += 1,
                Err(e) => panic!("seed {}, {operations} operations: {e}", r.seed),
            }
        }
    }
    println!(
        "{} streams of {operations} operations: {agree} agree spike for spike; first divergences: {} from the full post history, {} from weight rounding\n",
        results.len(),
        causes[0],
        causes[1]
    );
    (results, agree, causes)
}

/// 40 streams of 30 operations (seeds 1–40, the ones docs/CAM.md describes) and 10 of 1000
/// (seeds 101–110), 10 ms apart on the 5 × 10 memory. Prints the tables in
/// docs/SPINNAKER_BACKEND.md: `cargo test --release -p networks --test spinnaker_ca3_streams --
/// --nocapture`.
#[test]
fn board_and_cpu_agree_until_a_full_post_history_or_weight_rounding_decides() {
    let (short, agree, causes) = sweep(1..=40, 30);
    assert_eq!((agree, causes), (35, [6, 1]));
    // The answers against the ideal CAM: [wrong learns, wrong recalls by cue, content queries
    // with extra cues, content queries, content queries with missing cues]. The CPU backend's
    // are those docs/CAM.md quotes.
    let totals = |f: fn(&StreamResult) -> &Disagreements| {
        short.iter().map(f).fold([0; 5], |a, d| {
            [
                a[0] + d.learn_wrong,
                a[1] + d.recall_by_cue_wrong,
                a[2] + d.extra_cues,
                a[3] + d.recall_by_content,
                a[4] + d.missing_cues,
            ]
        })
    };
    println!(
        "answers [learn, cue, extra, content, missing]: CPU {:?}, board {:?}",
        totals(|r| &r.cpu),
        totals(|r| &r.board)
    );
    assert_eq!(totals(|r| &r.cpu), [0, 0, 75, 379, 0]);
    assert_eq!(totals(|r| &r.board), [4, 0, 73, 379, 0]);

    let (_, agree, causes) = sweep(101..=110, 1000);
    assert_eq!((agree, causes), (0, [22, 0]));
}

/// The larger sweep quoted in docs/SPINNAKER_BACKEND.md (about ten seconds):
/// `cargo test --release -p networks --test spinnaker_ca3_streams -- --ignored --nocapture`.
#[test]
#[ignore]
fn board_and_cpu_on_many_streams() {
    let (_, agree, causes) = sweep(1..=400, 30);
    assert_eq!((agree, causes), (353, [72, 3]));
    let (_, agree, causes) = sweep(101..=140, 1000);
    assert_eq!((agree, causes), (0, [94, 0]));
}
