//! What each fuzz target does with one input. The corpus smoke test (`tests/fuzz_corpora.rs`)
//! includes this file and runs every corpus file through the same functions, so a crash found
//! by the fuzzer is reproduced by the normal test suite without a fuzz engine.
//!
//! Every function must return normally on any input: an error is the expected answer to a
//! malformed file, a panic is a bug.

use std::sync::OnceLock;

use hw_export::formats::{bin::parse_bin, gunzip, pacman_json::parse_pacman_json};
use hw_export::RoutingTable;
use networks::benchmarks::{build, Benchmark, BenchmarkConfig};
use sim_core::engine::NullObserver;
use sim_core::{Checkpoint, Network, Simulation};

/// Memory (MiB) a fuzzed model file may plan to use: larger models are refused by the loader's
/// resource pre-check, so an out-of-memory under the fuzzer's RSS limit is an estimate that is
/// wrong, not a legitimately large model.
pub const FUZZ_MEMORY_LIMIT_MB: &str = "64";

/// Sets [`FUZZ_MEMORY_LIMIT_MB`] for the loaders' resource pre-checks (at fuzzer start-up,
/// before any thread reads the environment).
pub fn limit_memory() {
    std::env::set_var(networks::modelfile::MEMORY_LIMIT_ENV, FUZZ_MEMORY_LIMIT_MB);
}

/// Networks small enough to build and step on every input.
const SMALL_NEURONS: u64 = 5_000;
const SMALL_SYNAPSES: u64 = 50_000;
/// Tables small enough to compress and check on every input.
const SMALL_TABLE: usize = 48;

/// The model-file loader: lines `#set key.path=value` are also passed as `--set` overrides. A
/// model that loads and is small is also instantiated and run for a few steps.
pub fn model_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let overrides: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("#set "))
        .map(str::to_string)
        .collect();
    if let Ok(spec) = networks::modelfile::parse_str("fuzz.toml", text, &overrides, None) {
        let net = &spec.network;
        if net.n_neurons() <= SMALL_NEURONS && net.n_synapses() <= SMALL_SYNAPSES {
            // One shard or two (a failure in one shard must stop both), by the input's length.
            let mut sim = Simulation::with_threads(net, 1 + data.len() % 2);
            let _ = sim.run_until(spec.duration_steps.min(20), &mut NullObserver);
        }
    }
}

/// The CAM experiment loader.
pub fn cam_experiment(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = networks::ca3::parse_experiment(&text);
}

/// The input itself and, when it is gzipped, its contents.
fn plain_and_gunzipped(
    data: &[u8],
    file: &str,
    read: fn(&[u8], &str) -> hw_export::Result<Vec<RoutingTable>>,
) {
    if let Ok(tables) = read(data, file) {
        compress_small(&tables);
    }
    if data.starts_with(&[0x1f, 0x8b]) {
        if let Ok(raw) = gunzip(data, file) {
            if let Ok(tables) = read(&raw, file) {
                compress_small(&tables);
            }
        }
    }
}

/// Whatever loads must compress and check without panicking.
fn compress_small(tables: &[RoutingTable]) {
    let small: Vec<RoutingTable> = tables
        .iter()
        .filter(|t| t.len() <= SMALL_TABLE)
        .take(4)
        .cloned()
        .collect();
    let _ = hw_export::compress_tables(&small, 1023);
}

/// PACMAN routing-table JSON (plain or gzipped).
pub fn pacman_json(data: &[u8]) {
    plain_and_gunzipped(data, "fuzz.json", parse_pacman_json);
}

/// The OC paper's `.bin` tables (plain or gzipped).
pub fn oc_bin(data: &[u8]) {
    plain_and_gunzipped(data, "fuzz.bin", parse_bin);
}

/// The networks checkpoints are restored into: a static CUBA network and a small CA3 memory
/// (plastic projections, spike-source arrays).
pub fn checkpoint_networks() -> &'static [Network; 2] {
    static NETS: OnceLock<[Network; 2]> = OnceLock::new();
    NETS.get_or_init(|| {
        use networks::ca3::{self, input_spikes, Ca3Size, Operation, Scheduled};
        let cuba = build(
            Benchmark::Cuba,
            &BenchmarkConfig {
                neurons: 50,
                ..Default::default()
            },
        )
        .expect("a 50-neuron CUBA network builds");
        let size = Ca3Size {
            cues: 3,
            content_bits: 4,
        };
        let ops = [Scheduled {
            t0: 0,
            op: Operation::Learn {
                cue: 1,
                content: vec![0, 2],
            },
        }];
        let cam = ca3::build(size, input_spikes(size, &ops))
            .expect("a 3x4 CA3 memory builds")
            .network;
        [cuba, cam]
    })
}

/// Valid checkpoints of both networks after 12 steps (the seed corpus).
pub fn checkpoint_seeds() -> Vec<Vec<u8>> {
    checkpoint_networks()
        .iter()
        .map(|net| {
            let mut sim = Simulation::with_threads(net, 2);
            sim.run_until(12, &mut NullObserver)
                .expect("the small networks run");
            sim.checkpoint().to_bytes()
        })
        .collect()
}

/// Checkpoint loading: decode, restore into each small network, and continue a few steps.
pub fn checkpoint(data: &[u8]) {
    let Ok(cp) = Checkpoint::from_bytes(data) else {
        return;
    };
    for net in checkpoint_networks() {
        let mut sim = Simulation::with_threads(net, 1);
        if sim.restore(&cp).is_ok() {
            // A restored state may be nonsense, but running it must not panic.
            let _ = sim.run_until(sim.step().saturating_add(8), &mut NullObserver);
        }
    }
}

/// The NIR reader, then the import of what it read into a model file and, when that loads and is
/// small, the model file's loader.
pub fn nir_file(data: &[u8]) {
    let Ok((_, graph)) = networks::nir::hdf5::read_bytes("fuzz.nir", data.to_vec()) else {
        return;
    };
    let opts = networks::nir::ImportOptions {
        duration_ms: 1.0,
        ..Default::default()
    };
    if let Ok(text) = networks::nir::import(&graph, "fuzz.nir", &opts) {
        if text.len() < 1 << 20 {
            let _ = networks::modelfile::parse_str("fuzz.toml", &text, &[], None);
        }
    }
}
