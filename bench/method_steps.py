#!/usr/bin/python3
"""Step time of every balancing method relative to EW, side by side in one run.

Two problems: Multi-Fashion (2 tasks, the CNN of projects/multi-fashion.mtlw on a training
subset) and a synthetic 10-task regression problem (an MLP on generated CSV data). Each repeat
trains EW, then every method, then EW again, for one epoch each with `mtlw train`, and a method's
ratio is its seconds per step over the mean of the two EW runs around it. The table shows the
median ratio over the repeats, and the targets of docs/methods.md: loss weighting within 1.1x EW,
gradient methods within (k+1)/2 x EW for k tasks.

A second table measures the conflict diagnostics: EW with training.conflict_every_steps set to
0 (off), 50, 25, 10 and 1 on Multi-Fashion, relative to 0.

See docs/benchmarks.md for recorded results.
"""

import argparse
import copy
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SYNTHETIC_TASKS = 10
SYNTHETIC_FEATURES = 64


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mtlw", default=os.path.join(ROOT, "build", "bin", "mtlw"), help="mtlw binary")
    parser.add_argument("--repeats", type=int, default=3, help="repeats per method (median shown)")
    parser.add_argument("--train-size", type=int, default=15360, help="training samples per epoch")
    parser.add_argument("--methods", default="", help="comma-separated methods (default: all)")
    parser.add_argument("--problems", default="multi-fashion,synthetic-10", help="comma-separated problems")
    parser.add_argument("--representation", action="store_true",
                        help="also time gradient methods with gradient_mode = representation")
    parser.add_argument("--skip-diagnostics", action="store_true", help="skip the diagnostics-overhead table")
    return parser.parse_args()


def run_mtlw(mtlw, arguments):
    result = subprocess.run([mtlw, "-q"] + arguments, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"error: mtlw {' '.join(arguments)} exited with {result.returncode}:\n{result.stderr}")
    return result.stdout


def list_methods(mtlw):
    return [(entry["name"], entry["kind"]) for entry in json.loads(run_mtlw(mtlw, ["methods", "--json"]))]


def multi_fashion_project(train_size):
    with open(os.path.join(ROOT, "projects", "multi-fashion.mtlw")) as file:
        project = json.load(file)
    options = project["datasets"][0]["options"]
    options["directory"] = "/usr/share/datasets/fashion-mnist"
    options.update({"train_size": train_size, "test_size": 512, "validation_size": 512})
    return project


def write_synthetic_csv(path, rows):
    """Regression targets y_t = sin(w_t . x) + 0.5 w_t . x + noise, from a fixed seed."""
    generator = random.Random(0)
    weights = [[generator.gauss(0.0, 1.0 / math.sqrt(SYNTHETIC_FEATURES)) for _ in range(SYNTHETIC_FEATURES)]
               for _ in range(SYNTHETIC_TASKS)]
    with open(path, "w") as file:
        header = [f"x{i}" for i in range(SYNTHETIC_FEATURES)] + [f"t{t}" for t in range(SYNTHETIC_TASKS)]
        file.write(",".join(header) + "\n")
        for _ in range(rows):
            x = [generator.gauss(0.0, 1.0) for _ in range(SYNTHETIC_FEATURES)]
            targets = []
            for w in weights:
                projection = sum(a * b for a, b in zip(w, x))
                targets.append(math.sin(projection) + 0.5 * projection + generator.gauss(0.0, 0.1))
            file.write(",".join(f"{value:.5f}" for value in x + targets) + "\n")


def synthetic_project(csv_path):
    tasks = [{"name": f"t{t}", "type": "regression", "dataset": "synthetic", "target": f"t{t}"}
             for t in range(SYNTHETIC_TASKS)]
    nodes = [{"id": "features", "type": "input"},
             {"id": "backbone", "type": "mlp", "params": {"hidden": [256, 256]}}]
    edges = [{"from": "features", "to": "backbone"}]
    for task in tasks:
        nodes.append({"id": task["name"] + "_head", "type": "head", "params": {"task": task["name"]}})
        edges.append({"from": "backbone", "to": task["name"] + "_head"})
    return {
        "format": "mtl-workbench-project",
        "schema_version": 1,
        "name": "Synthetic 10-task regression",
        "datasets": [{"name": "synthetic", "kind": "csv",
                      "options": {"path": csv_path, "validation_fraction": 0.05, "test_fraction": 0.05}}],
        "tasks": tasks,
        "graph": {"nodes": nodes, "edges": edges},
        "training": {"epochs": 1, "batch_size": 256, "optimizer": {"type": "adam", "learning_rate": 0.001},
                     "seed": 1, "device": "cpu", "method": {"name": "ew"}, "log_every_steps": 50},
    }


def seconds_per_step(mtlw, project, work, method, mode="parameters", conflict_every=0):
    variant = copy.deepcopy(project)
    training = variant["training"]
    training.update({"epochs": 1, "device": "cpu", "method": {"name": method},
                     "conflict_every_steps": conflict_every, "gradient_mode": mode})
    path = os.path.join(work, "bench.mtlw")
    with open(path, "w") as file:
        json.dump(variant, file)
    output = run_mtlw(mtlw, ["train", path, "--json", "--runs-db", os.path.join(work, "runs.sqlite")])
    summary = json.loads(output.strip().splitlines()[-1])
    samples_per_second = summary.get("summary", summary)["samples_per_second"]
    return training["batch_size"] / samples_per_second


def relative_step_times(mtlw, project, work, runs, repeats):
    """runs: list of (label, method, mode, conflict_every). Returns {label: [ratio per repeat]}."""
    ratios = {label: [] for label, *_ in runs}
    baseline_times = []
    for repeat in range(repeats):
        before = seconds_per_step(mtlw, project, work, "ew")
        times = {label: seconds_per_step(mtlw, project, work, method, mode, every)
                 for label, method, mode, every in runs}
        after = seconds_per_step(mtlw, project, work, "ew")
        reference = (before + after) / 2.0
        baseline_times.append(reference)
        for label, seconds in times.items():
            ratios[label].append(seconds / reference)
        print(f"  repeat {repeat + 1}/{repeats} done (EW {1000 * reference:.1f} ms/step)", file=sys.stderr)
    return ratios, statistics.median(baseline_times)


def print_method_table(problem, task_count, methods, ratios, baseline, representation):
    target_gradient = (task_count + 1) / 2.0
    print(f"\n### {problem} ({task_count} tasks); EW: {1000 * baseline:.1f} ms/step\n")
    columns = "| method | kind | step time / EW | target |"
    if representation:
        columns += " representation mode / EW |"
    print(columns)
    print("|" + "---|" * (columns.count("|") - 1))
    for name, kind in methods:
        target = 1.1 if kind == "loss weighting" else target_gradient
        ratio = statistics.median(ratios[name])
        mark = "" if ratio <= target else " (over)"
        row = f"| {name} | {kind} | {ratio:.2f}{mark} | {target:.2f} |"
        if representation:
            key = name + "@representation"
            row += f" {statistics.median(ratios[key]):.2f} |" if key in ratios else " |"
        print(row)


def main():
    arguments = parse_arguments()
    if not os.access(arguments.mtlw, os.X_OK):
        sys.exit(f"error: mtlw binary not found at {arguments.mtlw}; build it or pass --mtlw PATH")
    methods = [(name, kind) for name, kind in list_methods(arguments.mtlw) if name != "ew"]
    if arguments.methods:
        wanted = arguments.methods.split(",")
        unknown = [name for name in wanted if name not in {name for name, _ in methods}]
        if unknown:
            sys.exit(f"error: unknown method(s) {', '.join(unknown)}; `mtlw methods` lists them")
        methods = [(name, kind) for name, kind in methods if name in wanted]

    with tempfile.TemporaryDirectory() as work:
        problems = {}
        for problem in arguments.problems.split(","):
            if problem == "multi-fashion":
                problems[problem] = (multi_fashion_project(arguments.train_size), 2)
            elif problem == "synthetic-10":
                csv_path = os.path.join(work, "synthetic.csv")
                write_synthetic_csv(csv_path, arguments.train_size * 10 // 9)
                problems[problem] = (synthetic_project(csv_path), SYNTHETIC_TASKS)
            else:
                sys.exit(f"error: unknown problem '{problem}'; use multi-fashion or synthetic-10")

        print(f"Step time relative to EW, median of {arguments.repeats} repeats, "
              f"{arguments.train_size} training samples per run, batch 256, CPU.")
        for problem, (project, task_count) in problems.items():
            print(f"{problem}: timing {len(methods)} methods", file=sys.stderr)
            runs = [(name, name, "parameters", 0) for name, _ in methods]
            if arguments.representation:
                runs += [(name + "@representation", name, "representation", 0)
                         for name, kind in methods if kind == "gradient"]
            ratios, baseline = relative_step_times(arguments.mtlw, project, work, runs, arguments.repeats)
            print_method_table(problem, task_count, methods, ratios, baseline, arguments.representation)

        if not arguments.skip_diagnostics and "multi-fashion" in problems:
            print("multi-fashion: timing the conflict diagnostics", file=sys.stderr)
            project = problems["multi-fashion"][0]
            intervals = [50, 25, 10, 1]
            runs = [(f"every {every}", "ew", "parameters", every) for every in intervals]
            ratios, baseline = relative_step_times(arguments.mtlw, project, work, runs, arguments.repeats)
            print(f"\n### Conflict diagnostics, EW on multi-fashion; off: {1000 * baseline:.1f} ms/step\n")
            print("| conflict_every_steps | step time / off |")
            print("|---|---|")
            for every in intervals:
                print(f"| {every} | {statistics.median(ratios[f'every {every}']):.3f} |")


if __name__ == "__main__":
    main()
