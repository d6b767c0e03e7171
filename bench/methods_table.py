#!/usr/bin/python3
"""Trains every balancing method on a project over several seeds and prints the results table.

For each seed it first trains the single-task baselines (`mtlw baseline`), then every method
(`mtlw train --method NAME`), all into one run store, so that each run reports Δm% against the
baselines of the same settings. Every finished run is appended to a JSON-lines results file; a
second call with the same file skips what is already there, so an interrupted table resumes.

The table shows, per method: each task's test metric (mean ± sample std over the seeds), Δm%,
training seconds per epoch (wall time) and CPU seconds per epoch of the whole process.
docs/methods.md records a run of it.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", default=os.path.join(ROOT, "projects", "multi-fashion.mtlw"))
    parser.add_argument("--mtlw", default=os.path.join(ROOT, "build", "bin", "mtlw"), help="mtlw binary")
    parser.add_argument("--seeds", default="1,2,3", help="comma-separated seeds")
    parser.add_argument("--epochs", type=int, default=0, help="epochs per run (default: the project's)")
    parser.add_argument("--methods", default="", help="comma-separated methods (default: all)")
    parser.add_argument("--work", default="methods-table", help="folder for the run store and results file")
    parser.add_argument("--metric", default="accuracy", help="the task metric shown in the table")
    return parser.parse_args()


def run_mtlw(mtlw, arguments):
    """Runs mtlw, returning its JSON lines and the CPU seconds it used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run([mtlw, "-q"] + arguments, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"error: mtlw {' '.join(arguments)} exited with {result.returncode}:\n{result.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return lines, cpu


def load_results(path):
    if not os.path.exists(path):
        return []
    with open(path) as file:
        return [json.loads(line) for line in file if line.strip()]


def mean_and_std(values):
    if not values:
        return "n/a"
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}"


def main():
    arguments = parse_arguments()
    if not os.access(arguments.mtlw, os.X_OK):
        sys.exit(f"error: mtlw binary not found at {arguments.mtlw}; build it or pass --mtlw PATH")
    os.makedirs(arguments.work, exist_ok=True)
    runs_db = os.path.join(arguments.work, "runs.sqlite")
    results_path = os.path.join(arguments.work, "results.jsonl")
    results = load_results(results_path)
    done = {(entry["method"], entry["seed"]) for entry in results}

    listed = json.loads(subprocess.check_output([arguments.mtlw, "methods", "--json"]))
    methods = [entry["name"] for entry in listed]
    if arguments.methods:
        unknown = [name for name in arguments.methods.split(",") if name not in methods]
        if unknown:
            sys.exit(f"error: unknown method(s) {', '.join(unknown)}; `mtlw methods` lists them")
        methods = arguments.methods.split(",")
    seeds = [int(seed) for seed in arguments.seeds.split(",")]
    common = ["--runs-db", runs_db, "--json"] + (["--epochs", str(arguments.epochs)] if arguments.epochs else [])

    with open(results_path, "a") as results_file:
        def record(entry):
            results.append(entry)
            results_file.write(json.dumps(entry) + "\n")
            results_file.flush()

        for seed in seeds:
            if ("baseline", seed) not in done:
                print(f"seed {seed}: single-task baselines", file=sys.stderr)
                lines, cpu = run_mtlw(arguments.mtlw, ["baseline", arguments.project, "--seed", str(seed)] + common)
                record({"method": "baseline", "seed": seed, "runs": lines, "cpu_seconds": cpu})
            for method in methods:
                if (method, seed) in done:
                    continue
                print(f"seed {seed}: {method}", file=sys.stderr)
                lines, cpu = run_mtlw(arguments.mtlw,
                                      ["train", arguments.project, "--method", method, "--seed", str(seed)] + common)
                record({"method": method, "seed": seed, "run": lines[-1], "cpu_seconds": cpu})

    print_table(results, methods, arguments.metric)


def print_table(results, methods, metric):
    baselines = [entry for entry in results if entry["method"] == "baseline"]
    tasks = sorted({run["baseline_task"] for entry in baselines for run in entry["runs"]})
    header = "| method | seeds | " + " | ".join(f"{task} {metric} (%)" for task in tasks) + \
             " | Δm% | train s/epoch | CPU s/epoch |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    baseline_row = ["single-task", str(len(baselines))]
    for task in tasks:
        values = [100.0 * run["tasks"][task][metric] for entry in baselines for run in entry["runs"]
                  if run["baseline_task"] == task]
        baseline_row.append(mean_and_std(values))
    print("| " + " | ".join(baseline_row) + " | 0 | | |")
    for method in methods:
        entries = [entry for entry in results if entry["method"] == method]
        if not entries:
            continue
        row = [method, str(len(entries))]
        for task in tasks:
            row.append(mean_and_std([100.0 * entry["run"]["tasks"][task][metric] for entry in entries]))
        row.append(mean_and_std([entry["run"]["delta_m"] for entry in entries if "delta_m" in entry["run"]]))
        row.append(mean_and_std([entry["run"]["train_seconds"] / entry["run"]["epochs_completed"]
                                 for entry in entries if entry["run"].get("epochs_completed")]))
        row.append(mean_and_std([entry["cpu_seconds"] / entry["run"]["epochs_completed"]
                                 for entry in entries if entry["run"].get("epochs_completed")]))
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
