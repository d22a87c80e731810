#!/usr/bin/env bash
# Measures `peterrec bench` against the PyTorch peer (tests/peers/peterrec_torch.py) at the same shapes and
# threads: every mode ROUNDS times (default 3), ours and the peer's alternating, then medians and ratios as
# markdown (OUT/table.md); then the sampled-softmax pretraining sweep over SWEEP_ITEMS catalogue sizes
# (OUT/sweep.md). Rows are appended to OUT/bench.jsonl as they come; `uptime` goes at the top of table.md,
# because a loaded machine slows both sides (the ratios, measured in the same run, stay comparable).
# Needs: apt-get install -y python3-torch libopenblas0-pthread. Usage: scripts/bench-vs-peer.sh [OUT]
# Knobs: MODES, ROUNDS, STEPS, WARMUP, THREADS, ITEMS, TARGETS, EMB, BATCH, SEQ, SAMPLED,
#        SWEEP_ITEMS ("" skips the sweep), SWEEP_ROUNDS, SWEEP_SAMPLED, SWEEP_STEPS.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/out/bench}"
peer="${PEER:-$root/tests/peers/peterrec_torch.py}"
threads="${THREADS:-2}"
rounds="${ROUNDS:-3}"
common=(--emb "${EMB:-64}" --batch "${BATCH:-128}" --seq "${SEQ:-50}" --threads "$threads" --warmup "${WARMUP:-3}")
shape=(--items "${ITEMS:-10000}" --targets "${TARGETS:-1000}" "${common[@]}" --steps "${STEPS:-20}")
mkdir -p "$out"
: > "$out/bench.jsonl"
"$root/peterrec" --help > /dev/null   # build outside the timings
load="$(uptime)"
echo "start: $load" >&2

pair() { # one run of ours, then one of the peer's, same arguments; each tagged with the mode name used in the tables
  local name="$1"; shift
  "$root/peterrec" bench "$@" | python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); r["row"]=sys.argv[1]; print(json.dumps(r))' "$name" | tee -a "$out/bench.jsonl"
  OPENBLAS_NUM_THREADS="$threads" /usr/bin/python3 "$peer" "$@" | python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); r["row"]=sys.argv[1]; print(json.dumps(r))' "$name" | tee -a "$out/bench.jsonl"
}

for round in $(seq 1 "$rounds"); do
  for mode in ${MODES:-pretrain sampled peterrec fineall finecls headonly infer}; do
    if [[ "$mode" == sampled ]]; then pair sampled --mode pretrain --loss sampled --sampled "${SAMPLED:-2000}" "${shape[@]}"
    else pair "$mode" --mode "$mode" "${shape[@]}"; fi
  done
done
for items in ${SWEEP_ITEMS-10000 100000 1000000}; do
  for round in $(seq 1 "${SWEEP_ROUNDS:-$rounds}"); do
    pair "sampled-$items" --mode pretrain --loss sampled --sampled "${SWEEP_SAMPLED:-2000}" --items "$items" "${common[@]}" --steps "${SWEEP_STEPS:-10}"
  done
done

load="$load; at the end: $(uptime)"
python3 - "$out" "$load" <<'PY'
import json, sys, statistics, os
out, load = sys.argv[1], sys.argv[2]
rows = [json.loads(l) for l in open(os.path.join(out, "bench.jsonl")) if l.strip()]
names = []
for r in rows:
    if r["row"] not in names: names.append(r["row"])
def table(selected, first):
    lines = [f"| {first} | ours samples/s | PyTorch samples/s | ratio | ours ms/step | PyTorch ms/step | ours peak RSS MB | PyTorch peak RSS MB | runs |",
             "|---|---|---|---|---|---|---|---|---|"]
    for n in selected:
        ours = [r for r in rows if r["row"] == n and r["peer"] == "torchsharp"]
        them = [r for r in rows if r["row"] == n and r["peer"] == "pytorch"]
        if not ours or not them: continue
        o = statistics.median(r["samples_per_s"] for r in ours); t = statistics.median(r["samples_per_s"] for r in them)
        om = statistics.median(r["ms_per_step_median"] for r in ours); tm = statistics.median(r["ms_per_step_median"] for r in them)
        label = n if not n.startswith("sampled-") else f"{int(n.split('-')[1]):,}"
        lines.append(f"| {label} | {o:.0f} | {t:.0f} | {o/t:.2f} | {om:.1f} | {tm:.1f} | {max(r['peak_rss_mb'] for r in ours):.0f} | {max(r['peak_rss_mb'] for r in them):.0f} | {len(ours)}+{len(them)} |")
    return "\n".join(lines)
main = table([n for n in names if not n.startswith("sampled-")], "mode")
sweep = table([n for n in names if n.startswith("sampled-")], "items (sampled)")
ours = {n: statistics.median(r["ms_per_step_median"] for r in rows if r["row"] == n and r["peer"] == "torchsharp") for n in names}
extra = ""
if "peterrec" in ours and "fineall" in ours:
    extra = f"\nOurs: a PeterRec step takes {ours['peterrec'] / ours['fineall']:.2f}x the time of our FineAll step.\n"
open(os.path.join(out, "table.md"), "w").write(f"Load during the run: `{load.strip()}`\n\n{main}\n{extra}")
open(os.path.join(out, "sweep.md"), "w").write(sweep + "\n")
print(open(os.path.join(out, "table.md")).read())
if sweep.count("\n") > 1: print(sweep)
PY
