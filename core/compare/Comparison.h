// Side-by-side comparison of runs: final test metrics, hyperparameter differences, mean and
// standard deviation over seeds, the Pareto front of two task metrics, Δm% against the
// single-task baselines, and CSV and JSON export. The run browser and `mtlw compare` use it.
#pragma once

#include "store/RunStore.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mtlw {

/// Task name -> metric name -> value.
using TaskMetricValues = std::map<std::string, std::map<std::string, double>>;

/// The epoch whose test metrics count as a run's final metrics.
enum class MetricEpoch {
    /// The epoch with the best validation score, as `mtlw show` reports it (summary "tasks").
    Best,
    /// The last completed epoch (summary "final_tasks").
    Last,
};

/// One metric of one task, for example {"left", "accuracy"}.
struct TaskMetric {
    std::string task;
    std::string metric;

    /// "task/metric".
    std::string label() const { return task + "/" + metric; }
    bool operator==(const TaskMetric& other) const { return task == other.task && metric == other.metric; }
};

/// Parses "task/metric" or "task:metric". Throws InputError naming `text` otherwise.
TaskMetric parseTaskMetric(const std::string& text);

/// True for metrics where a higher value is better: accuracy, subset_accuracy, miou, f1, auc,
/// precision, recall and r2. Every other metric (loss, mae, rmse, hamming_loss, ...) counts as
/// lower is better.
/// False for every other name, which covers losses and errors such as loss, mae and rmse.
bool higherIsBetter(const std::string& metric);

// A run with its final test metrics, as the run browser lists it.
struct RunOverview {
    RunRecord run;
    /// Test metrics per task, without the loss. Taken from the run summary, or, for a run that
    /// has not ended, from the last test rows in the metrics table.
    TaskMetricValues taskMetrics;
    /// Δm% as stored in the summary when the run ended; empty otherwise.
    std::optional<double> deltaM;
};

/// Runs of one project (all projects when projectPath is empty), newest first, with their final
/// test metrics. Reads the summaries and, only for runs without one, their test rows.
std::vector<RunOverview> listRuns(const RunStore& store, const std::string& projectPath = {},
                                  MetricEpoch epoch = MetricEpoch::Best);

// Flattened hyperparameters of a run: "training.optimizer.learning_rate" -> "0.001" (JSON text).
// Graph nodes are keyed by id ("graph.nodes[conv1].params.out_channels"), datasets and tasks
// by name. The run's device is under "run.device".
using Hyperparameters = std::map<std::string, std::string>;

/// Flattens a project JSON snapshot; the keys "format", "schema_version", "name" and
/// "description" are left out because they do not change what is trained.
Hyperparameters flattenHyperparameters(const nlohmann::json& projectJson);

/// The hyperparameter that seeds a run; seed groups ignore it.
inline constexpr const char* kSeedKey = "training.seed";

struct ComparedRun {
    RunRecord run;
    TaskMetricValues taskMetrics;
    Hyperparameters hyperparameters;
    /// Δm% against the project's current single-task baselines; empty without baselines.
    std::optional<double> deltaM;
};

// One hyperparameter across the compared runs.
struct HyperparameterRow {
    std::string key;
    /// One value per compared run, in run order; empty where the run lacks the key.
    std::vector<std::optional<std::string>> values;
    bool differs = false;
};

struct MeanStd {
    double mean = 0.0;
    /// Sample standard deviation (divides by n - 1); 0 for a single value.
    double std = 0.0;
    int count = 0;
};

/// Mean and sample standard deviation of the finite values; count 0 when there are none.
MeanStd meanStd(const std::vector<double>& values);

// Runs with equal hyperparameters except the seed.
struct SeedGroup {
    /// The hyperparameters that set this group apart from the other groups ("training.method.name=pcgrad"),
    /// or the method name when every group has the same ones.
    std::string label;
    std::vector<std::int64_t> runIds;
    std::vector<std::uint64_t> seeds;
    /// Task -> metric -> mean and std over the group's runs that have the metric.
    std::map<std::string, std::map<std::string, MeanStd>> taskMetrics;
    MeanStd deltaM;
};

struct CompareOptions {
    MetricEpoch epoch = MetricEpoch::Best;
    /// Compute Δm% against the single-task baselines of each run's project.
    bool withDeltaM = true;
};

struct Comparison {
    /// In the order of the requested ids.
    std::vector<ComparedRun> runs;
    /// Every task/metric pair that some run has, in order of first appearance; within a run,
    /// tasks and metrics come in alphabetical order.
    std::vector<TaskMetric> metrics;
};

/// Loads the runs and their metrics, hyperparameters and Δm%. Throws InputError naming the store
/// and the id when a run does not exist, and for an empty or repeated id list.
Comparison compareRuns(const RunStore& store, const std::vector<std::int64_t>& runIds,
                       const CompareOptions& options = {});

/// The union of the runs' hyperparameters, sorted by key. With onlyDifferences, only the keys whose
/// values are not the same in every run; a key that some run lacks counts as differing.
std::vector<HyperparameterRow> hyperparameterRows(const Comparison& comparison, bool onlyDifferences);

/// Groups runs whose hyperparameters match except kSeedKey, in order of each group's first run.
std::vector<SeedGroup> seedGroups(const Comparison& comparison);

/// Ids of the runs that no other run dominates on the two metrics, each oriented by higherIsBetter.
/// Runs without both metrics are left out. Sorted by the first metric, best first.
std::vector<std::int64_t> paretoFront(const Comparison& comparison, const TaskMetric& first, const TaskMetric& second);

/// One row per run: id, project, method, seed, status, every task/metric, Δm%, then the
/// hyperparameters (only the differing ones with onlyDifferences). RFC 4180 quoting, "\n" line ends.
std::string comparisonCsv(const Comparison& comparison, bool onlyDifferences);

/// Writes comparisonCsv to `path` atomically. Throws InputError naming the path when it cannot be written.
void writeComparisonCsv(const Comparison& comparison, const std::string& path, bool onlyDifferences);

/// Runs, hyperparameter rows, seed groups and, when `pareto` is given, the Pareto front.
nlohmann::json comparisonJson(const Comparison& comparison, bool onlyDifferences,
                              const std::optional<std::pair<TaskMetric, TaskMetric>>& pareto = std::nullopt);

}  // namespace mtlw
