#!/usr/bin/env bash
# Full-scale microcircuit, DC drive: engram and NEST 3.10 runs of several seeds for the
# statistics comparison in docs/MICROCIRCUIT.md ("Full scale"). One simulation at a time, one
# thread each unless THREADS says otherwise (NEST at full scale needs several GB and minutes to
# build; never run two at once). A run directory that
# already holds a complete run is kept, so the script can be resumed.
#
#   bash bench/peers/setup.sh && cargo build --release
#   bash bench/peers/microcircuit_fullscale.sh            # runs into runs/mc-full
#   python3 bench/peers/microcircuit_compare.py --reference full --to 2500 \
#       engram 'runs/mc-full/engram-*[0-9]' nest 'runs/mc-full/nest-*[0-9]'
#
# Environment: SEEDS (default "1 2 3"), PRESIM_MS (500), ANALYSED_S (analysed model time in s, 2),
# THREADS (threads per run, 1), OUT (runs/mc-full).
set -euo pipefail
cd "$(dirname "$0")/../.."
SEEDS=${SEEDS:-"1 2 3"}
PRESIM_MS=${PRESIM_MS:-500}
SECONDS_ANALYSED=${ANALYSED_S:-2}
THREADS=${THREADS:-1}
OUT=${OUT:-runs/mc-full}
ENGRAM=target/release/engram
NEST_PY=target/peers/nest/bin/python
DURATION_MS=$(python3 -c "print($PRESIM_MS + 1000 * $SECONDS_ANALYSED)")
mkdir -p "$OUT"

complete() { [ -f "$1/run.json" ] && grep -q '"complete"' "$1/run.json"; }

run_engram() {
  local dir="$OUT/engram-$1"
  complete "$dir" && return 0
  echo "engram seed $1: $DURATION_MS ms" >&2
  /usr/bin/time -v nice -n 10 "$ENGRAM" run examples/microcircuit.toml --set duration="$DURATION_MS" \
    --seed "$1" --threads "$THREADS" --out "$dir" --quiet 2> "$OUT/engram-$1.time"
}

run_nest() {
  local dir="$OUT/nest-$1"
  complete "$dir" && return 0
  echo "nest seed $1: $PRESIM_MS ms + $SECONDS_ANALYSED s" >&2
  /usr/bin/time -v nice -n 10 "$NEST_PY" bench/peers/nest_microcircuit.py --scale 1 --seed "$1" \
    --threads "$THREADS" --presim "$PRESIM_MS" --seconds "$SECONDS_ANALYSED" --out "$dir" \
    > "$OUT/nest-$1.json" 2> "$OUT/nest-$1.time"
}

# Interleaved so that a partial set already holds both simulators and two NEST seeds.
for s in $SEEDS; do
  run_engram "$s"
  run_nest "$s"
done
