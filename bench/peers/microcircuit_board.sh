#!/usr/bin/env bash
# The microcircuit at 10 % of the neurons (full in-degrees, DC drive, dt = 0.1 ms) on the
# emulated SpiNNaker board (one SpiNN-5, delay-extension cores for delays beyond 16 steps) and
# on the CPU, several seeds each, for the board section of docs/MICROCIRCUIT.md. A seed gives
# both backends the same network and initial state; they differ in arithmetic (the board's
# fixed point, 16-bit weights, ring-buffer shifts) only. Complete run directories are kept.
#
#   cargo build --release
#   bash bench/peers/microcircuit_board.sh                 # runs into runs/mc-board
#   python3 bench/peers/microcircuit_compare.py board 'runs/mc-board/board-*' \
#       cpu 'runs/mc-board/cpu-[0-9]*'
#   python3 bench/peers/microcircuit_compare.py board 'runs/mc-board/board-*' \
#       cpu-spynnaker 'runs/mc-board/cpu-spynnaker-*'
#
# cpu-spynnaker is the CPU with IF_curr_exp integrated in sPyNNaker's order (input before the
# membrane update, in f64): it separates the integration order from the board's fixed point.
#
# Environment: SEEDS (default "1 2 3"), DURATION_MS (2500: 500 ms presimulation + 2 s),
# OUT (runs/mc-board).
set -euo pipefail
cd "$(dirname "$0")/../.."
SEEDS=${SEEDS:-"1 2 3"}
DURATION_MS=${DURATION_MS:-2500}
OUT=${OUT:-runs/mc-board}
ENGRAM=target/release/engram
mkdir -p "$OUT"

complete() { [ -f "$1/run.json" ] && grep -q '"complete"' "$1/run.json"; }

# name, backend, integration of IF_curr_exp on the CPU (the board always integrates as
# sPyNNaker does: input before the membrane update)
VARIANTS="cpu:cpu:nest board:spinnaker:nest cpu-spynnaker:cpu:spynnaker"
for s in $SEEDS; do
  for v in $VARIANTS; do
    IFS=: read -r name backend integration <<< "$v"
    dir="$OUT/$name-$s"
    complete "$dir" && continue
    echo "$name seed $s: $DURATION_MS ms" >&2
    nice -n 10 "$ENGRAM" run examples/microcircuit.toml --set microcircuit.scale=0.1 \
      --set microcircuit.integration="\"$integration\"" --set duration="$DURATION_MS" \
      --seed "$s" --threads 1 --backend "$backend" --out "$dir" --quiet > "$dir.log"
  done
done
