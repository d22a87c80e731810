#!/usr/bin/env bash
# Measures `peterrec bench` against the PyTorch peer (tests/peers/peterrec_torch.py) at the same
# shapes and threads, alternating the two, and prints a markdown table of samples/s ratios.
# Needs: apt-get install -y python3-torch libopenblas0-pthread. Usage: scripts/bench-vs-peer.sh [OUT]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/out/bench}"
peer="${PEER:-$root/tests/peers/peterrec_torch.py}"
threads="${THREADS:-2}"
shape=(--items "${ITEMS:-10000}" --targets "${TARGETS:-1000}" --emb "${EMB:-64}" --batch "${BATCH:-128}" --seq "${SEQ:-50}" --threads "$threads" --steps "${STEPS:-20}")
mkdir -p "$out"
: > "$out/bench.jsonl"
"$root/peterrec" --help > /dev/null   # build outside the timings
for mode in ${MODES:-pretrain peterrec infer fineall finecls}; do
  for round in 1 2; do
    "$root/peterrec" bench --mode "$mode" "${shape[@]}" | tee -a "$out/bench.jsonl"
    OPENBLAS_NUM_THREADS="$threads" /usr/bin/python3 "$peer" --mode "$mode" "${shape[@]}" | tee -a "$out/bench.jsonl"
  done
done
python3 - "$out/bench.jsonl" <<'PY'
import json, sys, statistics
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
modes = []
for r in rows:
    if r["mode"] not in modes: modes.append(r["mode"])
print("| mode | ours samples/s | PyTorch samples/s | ratio | ours ms/step | PyTorch ms/step | ours peak RSS MB | PyTorch peak RSS MB |")
print("|---|---|---|---|---|---|---|---|")
for m in modes:
    ours = [r for r in rows if r["mode"] == m and r["peer"] == "torchsharp"]
    them = [r for r in rows if r["mode"] == m and r["peer"] == "pytorch"]
    o = statistics.median(r["samples_per_s"] for r in ours); t = statistics.median(r["samples_per_s"] for r in them)
    om = statistics.median(r["ms_per_step_median"] for r in ours); tm = statistics.median(r["ms_per_step_median"] for r in them)
    print(f"| {m} | {o:.0f} | {t:.0f} | {o/t:.2f} | {om:.1f} | {tm:.1f} | {max(r['peak_rss_mb'] for r in ours):.0f} | {max(r['peak_rss_mb'] for r in them):.0f} |")
PY
