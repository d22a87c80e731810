#!/usr/bin/env bash
# Reproduces the README's results table: synthetic transfer data, one pretrained backbone, then every
# fine-tuning mode on both tasks. Writes OUT/table.md plus each run's report and curves.
# Usage: scripts/results-table.sh [OUT=out/results] [extra finetune options...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/out/results}"; shift || true
pr="$root/peterrec"
threads="${THREADS:-2}"
mkdir -p "$out"
start=$(date +%s)
"$pr" gen-data --out "$out/data" --seed 7
"$pr" pretrain --data "$out/data/pretrain.csv" --out "$out/backbone" --epochs 10 --threads "$threads" --seed 7 > "$out/pretrain.json"
modes=(scratch finecls finelast1 finelast2 fineall peterrec-serial peterrec-parallel)
for task in rec cls; do
  for mode in "${modes[@]}"; do
    "$pr" finetune --backbone "$out/backbone" --data "$out/data/$task.csv" --task "$task" --mode "$mode" \
      --out "$out/tasks/$task-$mode" --report "$out/reports/$task-$mode.json" --epochs 10 --threads "$threads" --seed 7 "$@" > /dev/null
    echo "done $task $mode" >&2
  done
done
total=$(( $(date +%s) - start ))
python3 - "$out" "$total" <<'PY'
import json, sys, os
out, total = sys.argv[1], sys.argv[2]
pre = json.load(open(os.path.join(out, "pretrain.json")))
rows = ["| task | mode | MRR@5 | HR@5 | NDCG@5 | accuracy | trained params | share trained | patch/conv | seconds |",
        "|---|---|---|---|---|---|---|---|---|---|"]
for task in ("rec", "cls"):
    for mode in ("scratch", "finecls", "finelast1", "finelast2", "fineall", "peterrec-serial", "peterrec-parallel"):
        r = json.load(open(os.path.join(out, "reports", f"{task}-{mode}.json")))
        f = lambda k: "" if r.get(k) is None else f"{r[k]:.4f}"
        ratio = "" if r.get("patch_params_per_conv_ratio") is None else f"{r['patch_params_per_conv_ratio']:.3f}"
        rows.append(f"| {task} | {mode} | {f('mrr_5')} | {f('hr_5')} | {f('ndcg_5')} | {f('accuracy')} | {r['trainable_params']:,} | {r['trainable_share']*100:.1f}% | {ratio} | {r['seconds']:.0f} |")
text = "\n".join(rows) + f"\n\nBackbone: {pre['items']} items, valid MRR@5 {pre['valid_mrr5']:.4f} / HR@5 {pre['valid_hr5']:.4f} (full-vocabulary ranking), {pre['seconds']:.0f} s. Whole run: {total} s.\n"
open(os.path.join(out, "table.md"), "w").write(text)
print(text)
PY
