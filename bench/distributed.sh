#!/usr/bin/env bash
# Multi-process training on one machine: samples/s of `mtlw train` against `mtlw launch --nproc 2`
# at the same global batch, then the time of one gradient all-reduce for 2, 4 and 8 processes
# and several gradient sizes. See docs/distributed.md for the numbers of the reference machine.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: bench/distributed.sh [options]

  --project FILE   project to train (default: projects/multi-fashion.mtlw)
  --epochs N       training epochs per run (default: 2)
  --batch N        global batch size; each of 2 workers takes half (default: 256)
  --processes LIST process counts for the all-reduce timing (default: 2,4,8)
  --sizes LIST     gradient sizes in floats (default: 10000,100000,1000000,10000000)
  --mtlw PATH      mtlw binary (default: build/bin/mtlw)
  -h, --help       show this help
USAGE
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
project="$root/projects/multi-fashion.mtlw"
epochs=2
batch=256
processes="2,4,8"
sizes="10000,100000,1000000,10000000"
mtlw="$root/build/bin/mtlw"

while [[ $# -gt 0 ]]; do
    case "$1" in
        --project) project="$2"; shift 2 ;;
        --epochs) epochs="$2"; shift 2 ;;
        --batch) batch="$2"; shift 2 ;;
        --processes) processes="$2"; shift 2 ;;
        --sizes) sizes="$2"; shift 2 ;;
        --mtlw) mtlw="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "error: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
done

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

rate() {
    # Prints samples_per_second from the last line of --json output.
    tail -n 1 | python3 -c 'import json, sys; print(round(json.load(sys.stdin)["samples_per_second"]))'
}

echo "training $project, $epochs epochs, global batch $batch on $(nproc) cores"
one=$("$mtlw" -q train "$project" --epochs "$epochs" --batch-size "$batch" --runs-db "$scratch/one.sqlite" --json | rate)
echo "1 process:   $one samples/s"
two=$("$mtlw" -q launch --nproc 2 "$project" --epochs "$epochs" --batch-size $((batch / 2)) \
    --runs-db "$scratch/two.sqlite" --json | rate)
echo "2 processes: $two samples/s"

echo
echo "all-reduce of one gradient on 127.0.0.1 (median of 20)"
printf '%-10s %-10s %s\n' processes floats "median ms"
IFS=, read -r -a counts <<< "$processes"
for count in "${counts[@]}"; do
    "$mtlw" -q launch --nproc "$count" allreduce-bench --sizes "$sizes" |
        python3 -c 'import json, sys
for line in sys.stdin:
    row = json.loads(line)
    print("{:<10} {:<10} {:.2f}".format(row["processes"], row["floats"], row["median_ms"]))'
done
