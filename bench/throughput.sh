#!/usr/bin/env bash
# Measures training throughput (samples/s) on Multi-Fashion: `mtlw train` against the plain
# PyTorch loop in bench/python_loop.py, for each batch size, and prints the medians and ratios.
# See docs/benchmarks.md for what is measured and how to read the table.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: bench/throughput.sh [options]

  --batch-sizes LIST  comma-separated batch sizes (default: 256,32)
  --epochs N          training epochs per run (default: 1)
  --repeats N         runs per batch size and side; the table shows the median (default: 3)
  --mtlw PATH         mtlw binary (default: build/bin/mtlw)
  --python PATH       Python with PyTorch (default: /usr/bin/python3)
  -h, --help          show this help
EOF
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
batch_sizes="256,32"
epochs=1
repeats=3
mtlw=""
python="/usr/bin/python3"

while [[ $# -gt 0 ]]; do
    case "$1" in
        --batch-sizes) batch_sizes="$2"; shift 2 ;;
        --epochs) epochs="$2"; shift 2 ;;
        --repeats) repeats="$2"; shift 2 ;;
        --mtlw) mtlw="$2"; shift 2 ;;
        --python) python="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "error: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
done

if [[ -z "$mtlw" ]]; then
    for candidate in "$root/build/bin/mtlw"; do
        if [[ -x "$candidate" ]]; then
            mtlw="$candidate"
            break
        fi
    done
fi
if [[ -z "$mtlw" || ! -x "$mtlw" ]]; then
    echo "error: mtlw binary not found; build it (cmake --build BUILD_DIR --target mtlw) or pass --mtlw PATH" >&2
    exit 2
fi
if ! "$python" -c "import torch" 2>/dev/null; then
    echo "error: '$python' cannot import torch; install python3-torch or pass --python PATH" >&2
    exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
results="$work/results.tsv"
: > "$results"

# Prints the samples_per_second field of the last line of standard input, a JSON object.
samples_per_second() {
    tail -n 1 | "$python" -c 'import json, sys; print(json.loads(sys.stdin.read())["samples_per_second"])'
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
IFS=',' read -r -a sizes <<< "$batch_sizes"
for size in "${sizes[@]}"; do
    for ((run = 1; run <= repeats; run++)); do
        # Each run gets a fresh run store so earlier runs cost nothing.
        engine=$("$mtlw" train "$root/projects/multi-fashion.mtlw" --json --epochs "$epochs" \
            --batch-size "$size" --runs-db "$work/run-$size-$run.sqlite" 2>"$work/mtlw.log" |
            samples_per_second) || { cat "$work/mtlw.log" >&2; exit 1; }
        python_rate=$("$python" "$root/bench/python_loop.py" --batch-size "$size" --epochs "$epochs" |
            samples_per_second)
        echo "batch $size, run $run/$repeats: engine $engine samples/s, python $python_rate samples/s" >&2
        printf '%s\t%s\t%s\n' "$size" "$engine" "$python_rate" >> "$results"
    done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

"$python" - "$results" "$epochs" "$repeats" <<'EOF'
import statistics
import sys

path, epochs, repeats = sys.argv[1], sys.argv[2], sys.argv[3]
rows = {}
for line in open(path):
    size, engine, python = line.split("\t")
    rows.setdefault(int(size), ([], []))
    rows[int(size)][0].append(float(engine))
    rows[int(size)][1].append(float(python))

print(f"median of {repeats} runs, {epochs} epoch(s) each, samples/s")
print(f"{'batch':>6} {'engine':>10} {'python':>10} {'ratio':>7}")
for size, (engine, python) in rows.items():
    engine_median = statistics.median(engine)
    python_median = statistics.median(python)
    print(f"{size:>6} {engine_median:>10.0f} {python_median:>10.0f} {engine_median / python_median:>7.2f}")
EOF
