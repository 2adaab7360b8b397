#!/usr/bin/env bash
# Reruns the fuzz targets on their corpora (fuzz/corpus/<target>).
#
#   bash scripts/fuzz.sh                 every target for 60 s
#   bash scripts/fuzz.sh 1800            every target for 30 min (or 1,000,000 executions)
#   bash scripts/fuzz.sh 1800 oc_bin     one target
#   bash scripts/fuzz.sh cmin            minimise every corpus in place
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`); a stable toolchain works with RUSTC_BOOTSTRAP=1.
# Crashes, timeouts and out-of-memory inputs are written to fuzz/artifacts/<target>/; reproduce
# one with `cargo fuzz run <target> <file>`, then add it to tests/fuzz_corpora.rs.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
export RUSTC_BOOTSTRAP=1

TARGETS=(model_file cam_experiment pacman_json oc_bin checkpoint nir_file)

if [[ "${1:-}" == cmin ]]; then
    for t in "${TARGETS[@]}"; do
        cargo fuzz cmin "$t" "corpus/$t" -- -rss_limit_mb=2048 -timeout=10 -use_counters=0
    done
    exit 0
fi

seconds="${1:-60}"
if [[ $# -ge 2 ]]; then
    TARGETS=("$2")
fi

for t in "${TARGETS[@]}"; do
    echo "== $t: up to $seconds s or 1000000 executions"
    nice cargo fuzz run "$t" "corpus/$t" -- \
        -max_total_time="$seconds" -runs=1000000 \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
done
