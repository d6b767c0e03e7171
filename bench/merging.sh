#!/usr/bin/env bash
# Model merging on one project. Trains a base on all tasks, then from that base fine-tunes one
# single-task model per task and trains a joint model for the same epochs. Merges the single-task
# models with every merge method and prints a Markdown table of test metrics. docs/merging.md
# lists the numbers of the reference machine.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: bench/merging.sh [options]

  --project FILE        project to merge on (default: projects/multi-fashion.mtlw)
  --base-epochs N       epochs of the base trained on all tasks (default: 1)
  --finetune-epochs N   epochs of each single-task fine-tuning and of the joint run (default: 2)
  --out DIR             folder for the run store and checkpoints (default: a new temporary folder)
  --mtlw PATH           mtlw binary (default: build/bin/mtlw)
  -h, --help            show this help
USAGE
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
project="$root/projects/multi-fashion.mtlw"
base_epochs=1
finetune_epochs=2
out=""
mtlw="$root/build/bin/mtlw"

while [[ $# -gt 0 ]]; do
    case "$1" in
        --project) project="$2"; shift 2 ;;
        --base-epochs) base_epochs="$2"; shift 2 ;;
        --finetune-epochs) finetune_epochs="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --mtlw) mtlw="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "error: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
done

if [[ -z "$out" ]]; then
    out="$(mktemp -d -t mtlw-merging.XXXXXX)"
fi
mkdir -p "$out"
name="$(basename "$project" .mtlw)"
db="$out/$name.runs.sqlite"
results="$out/merges.jsonl"
: > "$results"

json_field() {
    python3 -c 'import json, sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])[sys.argv[1]])' "$1"
}

echo "run store: $db" >&2
base_run="$("$mtlw" -q train "$project" --epochs "$base_epochs" --runs-db "$db" --json | json_field run_id)"
base="$out/$name.runs/run-$base_run/$(printf 'epoch-%04d.pt' "$base_epochs")"
echo "base: run $base_run, $base" >&2

models=()
while read -r line; do
    models+=("$(echo "$line" | json_field run_id)")
done < <("$mtlw" -q baseline "$project" --epochs "$finetune_epochs" --init "$base" --runs-db "$db" --json)
joint_run="$("$mtlw" -q train "$project" --epochs "$finetune_epochs" --init "$base" --runs-db "$db" --json |
             json_field run_id)"
echo "single-task runs: ${models[*]}; joint run: $joint_run" >&2

for method in average task_arithmetic ties dare dare_ties slerp fisher adamerging adamerging_layer; do
    if [[ "$method" == slerp && ${#models[@]} -ne 2 ]]; then
        continue
    fi
    "$mtlw" -q merge --base "$base" --models "${models[@]}" --method "$method" --mtl "$joint_run" \
        --runs-db "$db" --no-save --json | tail -n 1 >> "$results"
done

python3 - "$results" <<'PY'
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1])]
first = rows[0]
columns = []
for task, models in first["tasks"].items():
    for metric in models["merged"]:
        if metric != "loss":
            columns.append((task, metric))
header = " | ".join(f"{task} {metric}" for task, metric in columns)
print(f"| model | params | {header} |")
print("|---|---|" + "---|" * len(columns))

def cells(model, row):
    return " | ".join(f"{row['tasks'][task][model][metric]:.4f}" for task, metric in columns)

for model, label in (("individual", "single-task models"), ("joint", "jointly trained"), ("base", "base with fine-tuned heads")):
    print(f"| {label} | | {cells(model, first)} |")
for row in rows:
    params = ", ".join(f"{key}={value:g}" for key, value in row["params"].items())
    print(f"| {row['method']} | {params} | {cells('merged', row)} |")
PY
