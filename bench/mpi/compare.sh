#!/usr/bin/env bash
# The cost of MPI against shared memory on one machine, and the scaling model of
# docs/DISTRIBUTED.md checked against it.
#
# For each model (CUBA-40k, the microcircuit at reduced scale) and each seed it runs
# `engram bench --json` three ways: one process × 1 thread (the compute per step the model
# divides), one process × 2 threads (shared memory) and `mpirun -n 2` × 1 thread (MPI). It prints
# every run as a row, then the model's prediction of each 2-rank run next to the measurement.
#
#   bash bench/mpi/compare.sh                  # the full measurement (needs a quiet machine)
#   NEURONS=2000 CUBA_SECONDS=0.2 MC_SCALE=0.02 MC_MS=100 MC_PRESIM=0 SEEDS="1" \
#       bash bench/mpi/compare.sh              # a quick check that it runs (numbers meaningless)
#   UPDATE_DOCS=1 bash bench/mpi/compare.sh    # also writes the tables into docs/DISTRIBUTED.md
#
# Settings (environment): NEURONS (CUBA size, 40000), CUBA_SECONDS (CUBA model time, 2), MC_SCALE
# (microcircuit.scale, 0.1), MC_MS (microcircuit model time after the presimulation, 1000),
# MC_PRESIM (ms, 500), CUBA_DELAY (ms; CUBA's delay, default dt: one exchange per step; 1.5
# makes the ranks exchange once per 15 steps), SEEDS ("1 2 3"), OUT (where the JSON lines go, target/bench-mpi),
# MPIRUN (the launcher and its options). Needs `cargo build --release --features mpi` first.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
engram="${ENGRAM:-$root/target/release/engram}"
neurons="${NEURONS:-40000}"
seconds="${CUBA_SECONDS:-2}"
mc_scale="${MC_SCALE:-0.1}"
mc_ms="${MC_MS:-1000}"
mc_presim="${MC_PRESIM:-500}"
cuba_delay=()
if [ -n "${CUBA_DELAY:-}" ]; then
    cuba_delay=(--delay "$CUBA_DELAY")
fi
seeds="${SEEDS:-1 2 3}"
out="${OUT:-$root/target/bench-mpi}"
mpirun_cmd="${MPIRUN:-mpirun --allow-run-as-root --bind-to core -n 2}"

if [ ! -x "$engram" ]; then
    echo "compare.sh: $engram missing: cargo build --release --features mpi" >&2
    exit 2
fi
mkdir -p "$out"
results="$out/results.jsonl"
: >"$results"

# Runs one benchmark in one layout; appends its JSON line with the layout and seed added.
run() {
    local model="$1" seed="$2" layout="$3"
    shift 3
    local launcher=() threads
    case "$layout" in
        1p1t) threads=1 ;;
        1p2t) threads=2 ;;
        2r1t) threads=1; read -r -a launcher <<<"$mpirun_cmd" ;;
    esac
    local line
    line="$("${launcher[@]}" "$engram" bench "$@" --threads "$threads" --json | tail -n 1)"
    python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d.update(bench_model=sys.argv[2], bench_seed=int(sys.argv[3]), layout=sys.argv[4]); print(json.dumps(d))' \
        "$line" "$model" "$seed" "$layout" >>"$results"
    echo "  $model seed $seed $layout: done" >&2
}

for seed in $seeds; do
    for layout in 1p1t 1p2t 2r1t; do
        run "cuba-$neurons${CUBA_DELAY:+-delay$CUBA_DELAY}" "$seed" "$layout" cuba --neurons "$neurons" \
            --seconds "$seconds" --seed "$seed" "${cuba_delay[@]}"
        run "microcircuit-$mc_scale" "$seed" "$layout" examples/microcircuit.toml \
            --set "microcircuit.scale=$mc_scale" --set "seed=$seed" --set "duration=$mc_ms" \
            --presim "$mc_presim"
    done
done

python3 - "$results" "${UPDATE_DOCS:-0}" "$root/docs/DISTRIBUTED.md" <<'PY'
import json, statistics, sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
update_docs, doc_path = sys.argv[2] == "1", sys.argv[3]

def steps(r):
    return round(r["seconds"] * 1000 / r["dt_ms"])

out = []
p = out.append
p("| model | seed | layout | simulate s | model s per wall s | spikes/step | exchange B/step | interval | "
  "per rank: update / delivery / exchange / waiting s |")
p("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for r in rows:
    split = "; ".join(
        f"{t['update_s']:.3f} / {t['delivery_s']:.3f} / {t['exchange_s']:.3f} / {t['waiting_s']:.3f}"
        for t in r.get("per_rank") or [])
    xb = r.get("exchange_bytes_per_step")
    interval = (r.get("per_rank") or [{}])[0].get("interval_steps", "")
    p(f"| {r['bench_model']} | {r['bench_seed']} | {r['layout']} | {r['simulate_s']:.3f} | "
      f"{r['realtime_factor']:.3f} | {r['spikes'] / steps(r):.1f} | "
      f"{'' if xb is None else f'{xb:.0f}'} | {interval} | {split} |")

# The scaling model: T(2) = steps · W1 / 2 + exchanges · (2α + β · B_x), with W1 the compute
# per step of one process on one thread, B_x the bytes of one exchange (all ranks' records),
# α and β fitted as a line through every 2-rank run's mean exchange time per exchange.
mpi = [r for r in rows if r["layout"] == "2r1t"]
points = []
for r in mpi:
    ranks = r["per_rank"]
    n_x = max(ranks[0]["exchanges"], 1)
    b_x = sum(t["bytes_sent"] for t in ranks) / n_x
    t_x = statistics.mean(t["exchange_s"] for t in ranks) / n_x
    points.append((b_x, t_x))
sizes = [b for b, _ in points]
# A slope needs exchanges of clearly different sizes (a factor of 2 at least); runs whose
# exchanges all carry about the same bytes determine only the latency, so β is then 0.
if len(points) >= 2 and min(sizes) > 0 and max(sizes) / min(sizes) >= 2:
    mb, mt = statistics.mean(b for b, _ in points), statistics.mean(t for _, t in points)
    beta = sum((b - mb) * (t - mt) for b, t in points) / sum((b - mb) ** 2 for b, _ in points)
    alpha = max((mt - beta * mb) / 2, 0.0)
    how = "a line through their mean time per exchange"
else:
    beta, alpha = 0.0, (statistics.mean(t for _, t in points) / 2 if points else 0.0)
    how = ("their exchanges carry %.0f to %.0f bytes, too narrow a range to fit β: the mean time "
           "per exchange is the latency term alone" % (min(sizes, default=0), max(sizes, default=0)))
p("")
p(f"Exchange fit over {len(points)} two-rank runs ({how}): α = {alpha * 1e6:.2f} µs per collective, "
  f"β = {beta * 1e9:.3f} ns per byte (B_x: bytes of one exchange, all ranks).")
if beta < 0:
    p("(β < 0: here the exchange time does not grow with its bytes; the line is noise; it is still "
      "what the predictions below use.)")
p("")
p("| model | seed | W1 µs/step (1 process, 1 thread) | exchanges | B per exchange | predicted 2-rank s | "
  "measured 2-rank s | error | 1 process × 2 threads s |")
p("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
by_model = {}
for r in mpi:
    key = (r["bench_model"], r["bench_seed"])
    one = next((x for x in rows if (x["bench_model"], x["bench_seed"], x["layout"]) == key + ("1p1t",)), None)
    two = next((x for x in rows if (x["bench_model"], x["bench_seed"], x["layout"]) == key + ("1p2t",)), None)
    if one is None:
        continue
    n_steps = steps(r)
    w1 = one["simulate_s"] / steps(one)
    ranks = r["per_rank"]
    n_x = ranks[0]["exchanges"]
    b_x = sum(t["bytes_sent"] for t in ranks) / max(n_x, 1)
    predicted = n_steps * w1 / 2 + n_x * (2 * alpha + beta * b_x)
    measured = r["simulate_s"]
    by_model.setdefault(r["bench_model"], []).append((predicted, measured))
    p(f"| {key[0]} | {key[1]} | {w1 * 1e6:.1f} | {n_x} | {b_x:.0f} | {predicted:.3f} | {measured:.3f} | "
      f"{(predicted - measured) / measured * 100:+.1f} % | {'' if two is None else round(two['simulate_s'], 3)} |")
p("")
p("| model | mean predicted s | mean measured s | error | stated error (spread of measured + of predicted over seeds) | within |")
p("| --- | --- | --- | --- | --- | --- |")
for model, pm in by_model.items():
    pred = [x for x, _ in pm]
    meas = [y for _, y in pm]
    mp, mm = statistics.mean(pred), statistics.mean(meas)
    spread = ((max(meas) - min(meas)) + (max(pred) - min(pred))) / mm
    err = abs(mp - mm) / mm
    p(f"| {model} | {mp:.3f} | {mm:.3f} | {(mp - mm) / mm * 100:+.1f} % | {spread * 100:.1f} % | "
      f"{'yes' if err <= spread else 'no'} |")

text = "\n".join(out)
print(text)
if update_docs:
    begin, end = "<!-- BEGIN measured: bench/mpi/compare.sh -->", "<!-- END measured -->"
    doc = open(doc_path).read()
    a, b = doc.index(begin) + len(begin), doc.index(end)
    open(doc_path, "w").write(doc[:a] + "\n" + text + "\n" + doc[b:])
    print(f"\n(written into {doc_path})", file=sys.stderr)
PY
