//! The machine's limit for the microcircuit's spike delivery: nothing but its memory access
//! pattern, with the per-event work of the engine's packed rows (read a 3-byte synapse, decode
//! target and weight, add the weight into the ring entry of its target), and no neuron update.
//!
//! Sizes are the full-scale microcircuit's: rings of 77 169 neurons × 75 slots × 2 receptors;
//! rows of 3 873 synapses (the mean fan-out) with uniformly random targets and delays drawn as
//! the excitatory ones (normal, 15 ± 7.5 steps, at least 1); 24.6 spikes per step (3.2 Hz at
//! dt = 0.1 ms), so one iteration is one model step's delivery, ≈ 95 000 events. The rows of
//! 10 000 pre neurons (112 MB, beyond the last-level cache) are the spikes' sources.
//!
//! Variants (events/s = criterion's elements/s):
//! * `sorted/f64/slot-major`: the engine's layout (delay-sorted runs, one slot per run; rings
//!   `slot × receptor × neuron`, f64);
//! * `sorted/f32/slot-major`: the same with f32 ring entries (half the ring);
//! * `sorted/f64/neuron-major`: rings `neuron × slot × receptor`;
//! * `unsorted/f64/slot-major`: rows in target order with the delay in each 32-bit word (the
//!   layout before delay-sorted rows);
//! * `sorted/f64/slot-major/2 threads`: two shards (each half the neurons, its own ring and
//!   rows) on two threads, all spikes delivered by both, as the engine used to run two threads;
//! * `pulled/f64/one slot` (and `/prefetch`): what the engine does now — rows sorted by delay
//!   first, each spike pending until its last run has arrived, and every step the runs that
//!   arrive then added into the one slot the update reads (cleared each step, as the update
//!   does), so that the adds stay in cache; and the same with two shards on two threads.
//!
//!     cargo bench --bench delivery_limit

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};

const NEURONS: usize = 77_169;
const SLOTS: usize = 75;
const RECEPTORS: usize = 2;
const FAN_OUT: usize = 3_873;
const PRE: usize = 10_000;
const SPIKES_PER_STEP: usize = 25;
const WEIGHT_BITS: u32 = 10;

/// splitmix64: a fixed stream, so every variant sees the same rows and spikes.
struct Stream(u64);

impl Stream {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// A delay in steps: normal 15 ± 7.5 (sum of 12 uniforms), clipped to 1..=SLOTS−1.
    fn delay(&mut self) -> usize {
        let sum: f64 = (0..12).map(|_| self.next() as f64 / u64::MAX as f64).sum();
        (15.0 + 7.5 * (sum - 6.0))
            .round()
            .clamp(1.0, (SLOTS - 1) as f64) as usize
    }
}

/// One synapse before packing.
#[derive(Clone, Copy)]
struct Synapse {
    target: u32,
    delay: u8,
    code: u16,
}

fn draw_rows(neurons: usize, seed: u64) -> Vec<Vec<Synapse>> {
    let mut s = Stream(seed);
    (0..PRE)
        .map(|_| {
            let mut row: Vec<Synapse> = (0..FAN_OUT * neurons / NEURONS)
                .map(|_| Synapse {
                    target: s.below(neurons) as u32,
                    delay: s.delay() as u8,
                    code: s.below(1 << WEIGHT_BITS) as u16,
                })
                .collect();
            row.sort_by_key(|x| x.target);
            row
        })
        .collect()
}

/// Delay-sorted rows as the engine packs them: 3 bytes per synapse (target − its block's start
/// in 14 bits, weight code in 10) and runs (count, delay, block start) of one delay and one
/// block of 2^14 targets each.
struct SortedRows {
    bytes: Vec<u8>,
    row_ptr: Vec<usize>,
    run_ptr: Vec<usize>,
    runs: Vec<(u16, u8, u32)>,
}

const TARGET_BITS: u32 = 24 - WEIGHT_BITS;

fn sorted_rows(rows: &[Vec<Synapse>]) -> SortedRows {
    let mut out = SortedRows {
        bytes: Vec::new(),
        row_ptr: vec![0],
        run_ptr: vec![0],
        runs: Vec::new(),
    };
    for row in rows {
        let mut row = row.clone();
        row.sort_by_key(|x| (x.target >> TARGET_BITS, x.delay));
        for run in row.chunk_by(|a, b| {
            a.delay == b.delay && a.target >> TARGET_BITS == b.target >> TARGET_BITS
        }) {
            let block = run[0].target >> TARGET_BITS << TARGET_BITS;
            out.runs.push((run.len() as u16, run[0].delay, block));
            for x in run {
                let word = (x.target - block) | u32::from(x.code) << TARGET_BITS;
                out.bytes.extend_from_slice(&word.to_le_bytes()[..3]);
            }
        }
        out.row_ptr.push(out.bytes.len() / 3);
        out.run_ptr.push(out.runs.len());
    }
    out.bytes.extend([0; 3]);
    out
}

fn weight(code: u32) -> f64 {
    87.81 * 0.2 + code as f64 * (87.81 * 1.6 / 1023.0)
}

/// A ring entry type: f64 or f32.
trait Entry: Copy + Default + std::ops::AddAssign {
    fn from_f64(x: f64) -> Self;
}
impl Entry for f64 {
    fn from_f64(x: f64) -> Self {
        x
    }
}
impl Entry for f32 {
    fn from_f64(x: f64) -> Self {
        x as f32
    }
}

/// Index of (slot, receptor 0, target) in a ring of `n` neurons.
#[inline(always)]
fn slot_major(n: usize, slot: usize, target: usize) -> usize {
    slot * RECEPTORS * n + target
}
#[inline(always)]
fn neuron_major(_: usize, slot: usize, target: usize) -> usize {
    (target * SLOTS + slot) * RECEPTORS
}

/// One step's delivery from delay-sorted rows.
#[inline(never)]
fn deliver_sorted<T: Entry>(
    rows: &SortedRows,
    ring: &mut [T],
    n: usize,
    spikes: &[usize],
    now: usize,
    index: impl Fn(usize, usize, usize) -> usize,
) {
    for &i in spikes {
        let mut syn = rows.row_ptr[i];
        for &(count, delay, block) in &rows.runs[rows.run_ptr[i]..rows.run_ptr[i + 1]] {
            let slot = (now + delay as usize) % SLOTS;
            for k in syn..syn + count as usize {
                let at = k * 3;
                let word = u32::from_le_bytes(rows.bytes[at..at + 4].try_into().unwrap());
                let target = (block + (word & ((1 << TARGET_BITS) - 1))) as usize;
                let w = weight((word >> TARGET_BITS) & ((1 << WEIGHT_BITS) - 1));
                ring[index(n, slot, target)] += T::from_f64(w);
            }
            syn += count as usize;
        }
    }
}

/// Delay-major rows for pulling: each row's runs sorted by (delay, block), with each run's
/// first synapse, so that a pending spike can resume its row at the next delay.
struct PullRows {
    bytes: Vec<u8>,
    run_ptr: Vec<usize>,
    /// Per run: (first synapse, count, delay, block start).
    runs: Vec<(u32, u16, u8, u32)>,
}

fn pull_rows(rows: &[Vec<Synapse>]) -> PullRows {
    let mut out = PullRows {
        bytes: Vec::new(),
        run_ptr: vec![0],
        runs: Vec::new(),
    };
    for row in rows {
        let mut row = row.clone();
        row.sort_by_key(|x| (x.delay, x.target >> TARGET_BITS));
        for run in row.chunk_by(|a, b| {
            a.delay == b.delay && a.target >> TARGET_BITS == b.target >> TARGET_BITS
        }) {
            let block = run[0].target >> TARGET_BITS << TARGET_BITS;
            let first = (out.bytes.len() / 3) as u32;
            out.runs
                .push((first, run.len() as u16, run[0].delay, block));
            for x in run {
                let word = (x.target - block) | u32::from(x.code) << TARGET_BITS;
                out.bytes.extend_from_slice(&word.to_le_bytes()[..3]);
            }
        }
        out.run_ptr.push(out.runs.len());
    }
    out.bytes.extend([0; 3]);
    out
}

/// A spike whose row still has runs to deliver: its next run and its emission step.
#[derive(Clone, Copy)]
struct Pending {
    run: u32,
    end: u32,
    emitted: u32,
}

/// One step of pulled delivery: the spikes of step `now − 1` join the pending list, then every
/// pending spike adds its runs whose delay makes them arrive at `now` into the one slot `acc`
/// (cleared first, as the neuron update would after reading it).
#[inline(never)]
fn deliver_pulled(
    rows: &PullRows,
    acc: &mut [f64],
    pending: &mut Vec<Pending>,
    new_spikes: &[usize],
    now: u32,
    prefetch: bool,
) {
    acc.iter_mut().for_each(|x| *x = 0.0);
    pending.extend(new_spikes.iter().map(|&i| Pending {
        run: rows.run_ptr[i] as u32,
        end: rows.run_ptr[i + 1] as u32,
        emitted: now - 1,
    }));
    const AHEAD: usize = 8;
    let len = pending.len();
    for j in 0..len {
        if prefetch && j + AHEAD < len {
            let p = pending[j + AHEAD];
            let (first, ..) = rows.runs[p.run as usize];
            #[cfg(target_arch = "x86_64")]
            unsafe {
                use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
                let at = rows.bytes.as_ptr().add(first as usize * 3) as *const i8;
                _mm_prefetch(at, _MM_HINT_T0);
                _mm_prefetch(at.add(64), _MM_HINT_T0);
            }
        }
        let p = &mut pending[j];
        let delay = now - p.emitted;
        while p.run < p.end {
            let (first, count, d, block) = rows.runs[p.run as usize];
            if u32::from(d) != delay {
                break;
            }
            for k in first as usize..first as usize + count as usize {
                let at = k * 3;
                let word = u32::from_le_bytes(rows.bytes[at..at + 4].try_into().unwrap());
                let target = (block + (word & ((1 << TARGET_BITS) - 1))) as usize;
                acc[target] += weight((word >> TARGET_BITS) & ((1 << WEIGHT_BITS) - 1));
            }
            p.run += 1;
        }
    }
    pending.retain(|p| p.run < p.end);
}

/// Rows in target order, one 32-bit word per synapse (target in 17 bits, delay in 7, weight
/// code in 8).
fn word_rows(rows: &[Vec<Synapse>]) -> (Vec<u32>, Vec<usize>) {
    let mut ptr = vec![0];
    let mut words = Vec::new();
    for row in rows {
        words.extend(
            row.iter()
                .map(|x| x.target | u32::from(x.delay) << 17 | u32::from(x.code & 0xff) << 24),
        );
        ptr.push(words.len());
    }
    (words, ptr)
}

#[inline(never)]
fn deliver_words(words: &[u32], ptr: &[usize], ring: &mut [f64], spikes: &[usize], now: usize) {
    let n = NEURONS;
    for &i in spikes {
        for &word in &words[ptr[i]..ptr[i + 1]] {
            let target = (word & ((1 << 17) - 1)) as usize;
            let slot = (now + ((word >> 17) & 0x7f) as usize) % SLOTS;
            ring[slot_major(n, slot, target)] += weight(word >> 24);
        }
    }
}

/// The spikes of 1 000 steps: `SPIKES_PER_STEP` random pre neurons each.
fn spike_steps() -> Vec<Vec<usize>> {
    let mut s = Stream(7);
    (0..1000)
        .map(|_| {
            let mut spikes: Vec<usize> = (0..SPIKES_PER_STEP).map(|_| s.below(PRE)).collect();
            spikes.sort_unstable();
            spikes
        })
        .collect()
}

fn events(rows_len: impl Fn(usize) -> usize, steps: &[Vec<usize>]) -> u64 {
    let total: usize = steps.iter().flatten().map(|&i| rows_len(i)).sum();
    (total / steps.len()) as u64
}

/// One model step's delivery per iteration, the steps in turn.
fn bench_steps(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    steps: &[Vec<usize>],
    mut deliver: impl FnMut(&[usize], usize),
) {
    let mut t = 0;
    g.bench_function(name, |b| {
        b.iter(|| {
            t += 1;
            deliver(&steps[t % steps.len()], t % SLOTS)
        })
    });
}

fn bench(c: &mut Criterion) {
    let steps = spike_steps();
    let rows = draw_rows(NEURONS, 1);
    let sorted = sorted_rows(&rows);
    let per_step = events(|i| sorted.row_ptr[i + 1] - sorted.row_ptr[i], &steps);
    let mut g = c.benchmark_group("delivery_limit");
    g.throughput(Throughput::Elements(per_step));
    g.sample_size(20);

    let ring_len = NEURONS * SLOTS * RECEPTORS;
    let mut ring64 = vec![0f64; ring_len];
    bench_steps(&mut g, "sorted/f64/slot-major", &steps, |spikes, now| {
        deliver_sorted(&sorted, &mut ring64, NEURONS, spikes, now, slot_major)
    });
    let mut ring32 = vec![0f32; ring_len];
    bench_steps(&mut g, "sorted/f32/slot-major", &steps, |spikes, now| {
        deliver_sorted(&sorted, &mut ring32, NEURONS, spikes, now, slot_major)
    });
    drop(ring32);
    bench_steps(&mut g, "sorted/f64/neuron-major", &steps, |spikes, now| {
        deliver_sorted(&sorted, &mut ring64, NEURONS, spikes, now, neuron_major)
    });
    drop(sorted);
    let pulled = pull_rows(&rows);
    let mut acc = vec![0f64; NEURONS * RECEPTORS];
    for prefetch in [false, true] {
        let mut pending = Vec::new();
        let name = if prefetch {
            "pulled/f64/one slot/prefetch"
        } else {
            "pulled/f64/one slot"
        };
        let mut now = SLOTS as u32;
        bench_steps(&mut g, name, &steps, |spikes, _| {
            now += 1;
            deliver_pulled(&pulled, &mut acc, &mut pending, spikes, now, prefetch)
        });
    }
    drop((pulled, acc));
    let (words, ptr) = word_rows(&rows);
    drop(rows);
    bench_steps(&mut g, "unsorted/f64/slot-major", &steps, |spikes, now| {
        deliver_words(&words, &ptr, &mut ring64, spikes, now)
    });
    drop((words, ptr, ring64));

    // Two shards, each with half the neurons: the same spikes, each shard its own targets.
    let half = NEURONS / 2;
    let shards: Vec<(SortedRows, Vec<f64>)> = (0..2)
        .map(|s| {
            let rows = draw_rows(half, 11 + s);
            (sorted_rows(&rows), vec![0f64; half * SLOTS * RECEPTORS])
        })
        .collect();
    let per_step: u64 = shards
        .iter()
        .map(|(r, _)| events(|i| r.row_ptr[i + 1] - r.row_ptr[i], &steps))
        .sum();
    // One iteration is 100 steps, so that starting the threads is not measured.
    g.throughput(Throughput::Elements(per_step * 100));
    let mut shards = shards;
    let mut t = 0;
    g.bench_function("sorted/f64/slot-major/2 threads", |b| {
        b.iter(|| {
            let first = t;
            t += 100;
            std::thread::scope(|scope| {
                for (rows, ring) in shards.iter_mut() {
                    let steps = &steps;
                    scope.spawn(move || {
                        for t in first..first + 100 {
                            deliver_sorted(
                                rows,
                                ring,
                                half,
                                &steps[t % 1000],
                                t % SLOTS,
                                slot_major,
                            );
                        }
                    });
                }
            });
        })
    });

    // The same two shards, pulled.
    let mut shards: Vec<(PullRows, Vec<f64>, Vec<Pending>)> = (0..2)
        .map(|s| {
            let rows = draw_rows(half, 11 + s);
            (pull_rows(&rows), vec![0f64; half * RECEPTORS], Vec::new())
        })
        .collect();
    let mut t = SLOTS;
    g.bench_function("pulled/f64/one slot/prefetch/2 threads", |b| {
        b.iter(|| {
            let first = t;
            t += 100;
            std::thread::scope(|scope| {
                for (rows, acc, pending) in shards.iter_mut() {
                    let steps = &steps;
                    scope.spawn(move || {
                        for t in first..first + 100 {
                            let spikes = &steps[t % 1000];
                            deliver_pulled(rows, acc, pending, spikes, t as u32, true);
                        }
                    });
                }
            });
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
