// Single-task baselines and the Δm% score that compares a multi-task run against them.
#pragma once

#include "project/Project.h"
#include "store/RunStore.h"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>

namespace mtlw {

/// Task name -> metric name -> mean test value over the completed baseline runs.
using BaselineMetrics = std::map<std::string, std::map<std::string, double>>;

/// The project reduced to one task: the same graph without the other tasks' heads.
Project singleTaskProject(const Project& project, const std::string& task);

/// Means of the test metrics of the completed single-task runs of a project, per task.
BaselineMetrics baselineMetrics(const RunStore& store, const std::string& projectPath);

/// Δm% as LibMTL defines it: the mean over tasks of the mean over each task's metrics of
/// (-1)^l (M - B) / B * 100. The sign l is 1 for metrics where lower is better (MAE, RMSE,
/// Hamming loss) and 0 for accuracy, F1 and subset accuracy, so positive is better. Empty when a task has no baseline or a baseline is 0.
std::optional<double> deltaM(const Project& project, const nlohmann::json& taskMetrics, const BaselineMetrics& baselines);

}  // namespace mtlw
