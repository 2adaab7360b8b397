#!/usr/bin/env bash
# Regenerates every figure the docs show (docs/figures/), each with the command the docs name.
# The runs go to target/figures/; only the PNGs are copied into docs/figures/. About two minutes
# on two cores (the retention experiment and the CUBA-40k export take most of it).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --quiet
engram=target/release/engram
runs=target/figures
docs=docs/figures
rm -rf "$runs"
mkdir -p "$runs" "$docs"
cuba40k=(--set populations.exc.size=32000 --set populations.inh.size=8000)

# README: the raster of CUBA-40k and the board map of its export onto three boards.
$engram run examples/cuba.toml "${cuba40k[@]}" --out "$runs/cuba40k" --quiet
cp "$runs/cuba40k/raster.png" "$docs/raster_cuba40k.png"
$engram export spinnaker examples/cuba.toml "${cuba40k[@]}" --machine 12x12 \
    --out "$runs/export_cuba40k_12x12" > /dev/null
cp "$runs/export_cuba40k_12x12/board_map.png" "$docs/board_map_cuba40k_12x12.png"
# docs/SPINNAKER.md: that export's per-core load; docs/SPINNAKER_BACKEND.md: a run on the board.
cp "$runs/export_cuba40k_12x12/core_load.png" "$docs/core_load_cuba40k_12x12.png"
$engram run examples/cuba_1ms.toml --backend spinnaker --out "$runs/cuba_board" --quiet
cp "$runs/cuba_board/core_load.png" "$docs/core_load_cuba_board.png"

# docs/ASTROCYTES.md: the retention plot.
$engram run examples/astro/retention.toml --out "$runs/retention" --quiet > /dev/null
cp "$runs/retention/recall.png" "$docs/recall_retention.png"

# docs/CAM.md: the recall figure of the random 1000-operation experiment.
$engram cam examples/cam/random_1000_5x10.toml --out "$runs/cam_random" --quiet > /dev/null
cp "$runs/cam_random/recall_table.png" "$docs/recall_table_random_1000.png"

# BENCHMARKS.md: the side-by-side report of bench/peers.
results=bench/peers/results
$engram bench --plot $results/2026-12-01-ahead-f32-cuba.md $results/2026-12-01-anchored-f64-cuba.md \
    $results/2026-12-01-final-f64-cuba-coba.md --out "$runs/bench_peers.png" 2> /dev/null
cp "$runs/bench_peers.png" "$docs/bench_peers.png"

ls -l "$docs"
