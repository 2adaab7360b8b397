#!/usr/bin/env bash
# Runs sim-core's engine invariant tests (1-4 shards, uneven layouts, checkpoints restored on
# other layouts; the shards meet only through the lock-free outbox and the spin barrier) under
# ThreadSanitizer. Needs a nightly toolchain; without one it says so and exits 0.
# The standard library is not instrumented (that needs rust-src), so the sanitizer sees only
# engram's own accesses and atomics, plus thread creation and joins (the engine joins its shard
# threads explicitly for this). scripts/tsan-suppressions.txt lists what is suppressed and why.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "tsan: no nightly toolchain on this machine; the ThreadSanitizer run is skipped"
    exit 0
fi
RUSTFLAGS="-Zsanitizer=thread -Cunsafe-allow-abi-mismatch=sanitizer" \
TSAN_OPTIONS="suppressions=$PWD/scripts/tsan-suppressions.txt halt_on_error=1 report_signal_unsafe=0" \
CARGO_TARGET_DIR=target/tsan \
    cargo +nightly test -p sim-core --target x86_64-unknown-linux-gnu --test engine_invariants
echo "tsan: sim-core's engine invariant tests ran under ThreadSanitizer with no report"
