#!/usr/bin/env bash
# Hard sharing against MMoE and CGC on the synthetic-correlation benchmark: for each task
# correlation p and seed, generates the data (data seed = training seed), trains the three
# architectures and prints a Markdown table of the mean test RMSE over both tasks and the seeds.
# docs/architectures.md lists the numbers of the reference machine.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: bench/architectures.sh [options]

  --ps LIST       task correlations p (default: 1.0,0.9,0.5,0.0)
  --seeds LIST    seeds; each sets the data and the training seed (default: 1,2,3)
  --epochs N      training epochs per run (default: 40)
  --out DIR       folder for the projects and run store (default: a new temporary folder)
  --mtlw PATH     mtlw binary (default: build/bin/mtlw)
  -h, --help      show this help
USAGE
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ps="1.0,0.9,0.5,0.0"
seeds="1,2,3"
epochs=40
out=""
mtlw="$root/build/bin/mtlw"

while [[ $# -gt 0 ]]; do
    case "$1" in
        --ps) ps="$2"; shift 2 ;;
        --seeds) seeds="$2"; shift 2 ;;
        --epochs) epochs="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --mtlw) mtlw="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "error: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
done

if [[ ! -x "$mtlw" ]]; then
    echo "error: $mtlw not found; build it first (cmake --build build --target mtlw)" >&2
    exit 1
fi
if [[ -z "$out" ]]; then
    out="$(mktemp -d)"
fi
mkdir -p "$out"
results="$out/results.tsv"
: > "$results"

# Writes the project of one architecture, p and seed to stdout. The three graphs have about
# 13,000 backbone parameters: one 128-unit layer, 8 experts of 16 units, or 2 experts per task
# plus 4 shared ones of 16 units. Every head has a tower of 8 units.
write_project() {
    python3 - "$1" "$2" "$3" "$epochs" <<'PY'
import json, sys
arch, p, seed, epochs = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
expert = {"type": "mlp", "params": {"hidden": [16]}}
body = {
    "hard": {"id": "body", "type": "mlp", "params": {"hidden": [128]}},
    "mmoe": {"id": "body", "type": "mmoe", "params": {"experts": 8, "expert": expert}},
    "cgc": {"id": "body", "type": "cgc", "params": {"task_experts": 2, "shared_experts": 4, "expert": expert}},
}[arch]
project = {
    "format": "mtl-workbench-project",
    "schema_version": 1,
    "name": f"synthetic {arch} p={p} seed={seed}",
    "datasets": [{"name": "synthetic", "kind": "synthetic-correlation",
                  "options": {"p": p, "dim": 100, "seed": seed, "train_size": 10000,
                              "validation_size": 1000, "test_size": 1000}}],
    "tasks": [{"name": f"task{t}", "type": "regression", "dataset": "synthetic", "target": f"y{t}", "loss": "mse"}
              for t in (1, 2)],
    "graph": {
        "nodes": [{"id": "x", "type": "input"}, body] +
                 [{"id": f"task{t}_head", "type": "head", "params": {"task": f"task{t}", "hidden": [8]}} for t in (1, 2)],
        "edges": [{"from": "x", "to": "body"}] + [{"from": "body", "to": f"task{t}_head"} for t in (1, 2)],
    },
    "training": {"epochs": epochs, "batch_size": 128, "optimizer": {"type": "adam", "learning_rate": 0.001},
                 "seed": seed, "device": "cpu", "method": {"name": "ew"}, "log_every_steps": 100,
                 "conflict_every_steps": 0},
}
print(json.dumps(project, indent=2))
PY
}

IFS=',' read -r -a p_list <<< "$ps"
IFS=',' read -r -a seed_list <<< "$seeds"
for p in "${p_list[@]}"; do
    for seed in "${seed_list[@]}"; do
        for arch in hard mmoe cgc; do
            project="$out/$arch-p$p-seed$seed.mtlw"
            write_project "$arch" "$p" "$seed" > "$project"
            summary="$("$mtlw" -q train "$project" --runs-db "$out/runs.sqlite" --json | tail -n 1)"
            rmse="$(python3 -c 'import json, sys
s = json.loads(sys.argv[1])
if s["status"] != "completed":
    sys.exit("run failed: " + s.get("error", ""))
print((s["tasks"]["task1"]["rmse"] + s["tasks"]["task2"]["rmse"]) / 2)' "$summary")"
            printf '%s\t%s\t%s\t%s\n' "$p" "$seed" "$arch" "$rmse" >> "$results"
            echo "p=$p seed=$seed $arch: mean test RMSE $rmse" >&2
        done
    done
done

python3 - "$results" <<'PY'
import statistics, sys
rows = [line.split("\t") for line in open(sys.argv[1]).read().splitlines()]
ps = list(dict.fromkeys(r[0] for r in rows))
archs = ["hard", "mmoe", "cgc"]
print("| p | hard sharing | MMoE | CGC |")
print("|---|---|---|---|")
for p in ps:
    cells = []
    for arch in archs:
        values = [float(r[3]) for r in rows if r[0] == p and r[2] == arch]
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        cells.append(f"{statistics.mean(values):.3f} ± {spread:.3f}")
    print(f"| {p} | " + " | ".join(cells) + " |")
PY
echo "projects, run store and results.tsv: $out" >&2
