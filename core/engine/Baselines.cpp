#include "engine/Baselines.h"

#include "engine/TaskObjective.h"
#include "util/Errors.h"

#include <algorithm>
#include <cmath>

namespace mtlw {

Project singleTaskProject(const Project& project, const std::string& task) {
    const TaskSpec* keptTask = project.findTask(task);
    if (keptTask == nullptr) {
        throw InputError("task '" + task + "' is not a task of project " + project.name);
    }
    Project single = project;
    single.name = project.name + " (single-task " + task + ")";
    single.tasks = {*keptTask};

    // Drop the other tasks' heads and the edges into them.
    std::vector<std::string> removed;
    auto& nodes = single.graph.nodes;
    nodes.erase(std::remove_if(nodes.begin(), nodes.end(),
                               [&](const NodeSpec& node) {
                                   const bool otherHead = node.type == "head" && node.params.contains("task") &&
                                                          node.params["task"] != task;
                                   if (otherHead) {
                                       removed.push_back(node.id);
                                   }
                                   return otherHead;
                               }),
                nodes.end());
    auto& edges = single.graph.edges;
    edges.erase(std::remove_if(edges.begin(), edges.end(),
                               [&](const EdgeSpec& edge) {
                                   return std::find(removed.begin(), removed.end(), edge.to) != removed.end() ||
                                          std::find(removed.begin(), removed.end(), edge.from) != removed.end();
                               }),
                edges.end());
    single.training.method = MethodSpec{};
    return single;
}

BaselineMetrics baselineMetrics(const RunStore& store, const std::string& projectPath) {
    std::map<std::string, std::map<std::string, std::pair<double, int>>> sums;
    for (const auto& run : store.runs(projectPath)) {
        if (run.status != run_status::kCompleted || !run.summary.contains("baseline_task")) {
            continue;
        }
        const std::string task = run.summary["baseline_task"].get<std::string>();
        if (!run.summary.contains("tasks") || !run.summary["tasks"].contains(task)) {
            continue;
        }
        for (const auto& [name, value] : run.summary["tasks"][task].items()) {
            if (value.is_number()) {
                auto& [sum, count] = sums[task][name];
                sum += value.get<double>();
                ++count;
            }
        }
    }
    BaselineMetrics means;
    for (const auto& [task, metrics] : sums) {
        for (const auto& [name, sumAndCount] : metrics) {
            means[task][name] = sumAndCount.first / sumAndCount.second;
        }
    }
    return means;
}

std::optional<double> deltaM(const Project& project, const nlohmann::json& taskMetrics, const BaselineMetrics& baselines) {
    double total = 0.0;
    for (const auto& task : project.tasks) {
        const auto baseline = baselines.find(task.name);
        if (baseline == baselines.end() || !taskMetrics.contains(task.name)) {
            return std::nullopt;
        }
        double taskTotal = 0.0;
        int metricCount = 0;
        for (const auto& metric : task.metrics) {
            const auto reference = baseline->second.find(metric);
            if (reference == baseline->second.end() || !taskMetrics[task.name].contains(metric) ||
                reference->second == 0.0) {
                return std::nullopt;
            }
            const double value = taskMetrics[task.name][metric].get<double>();
            const double sign = metricHigherIsBetter(metric) ? 1.0 : -1.0;
            taskTotal += sign * (value - reference->second) / reference->second * 100.0;
            ++metricCount;
        }
        if (metricCount == 0) {
            return std::nullopt;
        }
        total += taskTotal / metricCount;
    }
    return total / static_cast<double>(project.tasks.size());
}

}  // namespace mtlw
