#include "RunData.h"

#include <nlohmann/json.hpp>

#include <map>
#include <stdexcept>
#include <utility>

namespace mtlw {

CurvePoint curvePointOf(const MetricRow& row, std::int64_t stepsPerEpoch) {
    CurvePoint point;
    point.step = static_cast<double>(row.step);
    point.epoch = stepsPerEpoch > 0 ? static_cast<double>(row.step) / static_cast<double>(stepsPerEpoch) : row.epoch;
    point.wallTime = row.wallTime;
    point.value = row.value;
    return point;
}

std::vector<RoutingSnapshot> routingSnapshotsOf(const std::vector<RoutingStatsRecord>& records) {
    std::vector<RoutingSnapshot> snapshots;
    std::map<std::pair<std::int64_t, std::string>, size_t> indexOf;
    for (const RoutingStatsRecord& record : records) {
        const auto key = std::make_pair(record.step, record.layer);
        auto found = indexOf.find(key);
        if (found == indexOf.end()) {
            RoutingSnapshot snapshot;
            snapshot.step = record.step;
            snapshot.epoch = record.epoch;
            snapshot.layer = record.layer;
            snapshot.experts = record.experts;
            snapshot.topK = record.topK;
            found = indexOf.emplace(key, snapshots.size()).first;
            snapshots.push_back(std::move(snapshot));
        }
        RoutingSnapshot& snapshot = snapshots[found->second];
        if (record.experts != snapshot.experts) {
            continue;
        }
        snapshot.tasks.push_back(record.task);
        snapshot.gateMean.push_back(record.gateMean);
        snapshot.topKFraction.push_back(record.topKFraction);
    }
    return snapshots;
}

QStringList taskNamesOf(const std::string& projectJson) {
    QStringList names;
    const nlohmann::json project = nlohmann::json::parse(projectJson, nullptr, false);
    if (!project.is_object() || !project.contains("tasks") || !project["tasks"].is_array()) {
        return names;
    }
    for (const auto& task : project["tasks"]) {
        if (task.is_object() && task.contains("name") && task["name"].is_string()) {
            names << QString::fromStdString(task["name"].get<std::string>());
        }
    }
    return names;
}

RunData loadRunData(const std::string& storePath, std::int64_t runId) {
    const RunStore store(storePath);
    RunData data;
    const auto run = store.run(runId);
    if (!run) {
        throw std::runtime_error("run " + std::to_string(runId) + " not found in " + storePath);
    }
    data.run = *run;
    data.tasks = taskNamesOf(run->projectJson);
    data.metrics = store.metrics(runId);
    data.gradientStats = store.gradientStats(runId);
    data.conflicts = store.conflictSummary(runId);
    data.routing = routingSnapshotsOf(store.routingStats(runId));
    for (const MetricRow& row : data.metrics) {
        // Epoch rows carry the step at the end of their epoch.
        if (row.epoch == 1 && row.name != "step_loss" && row.name != "weight") {
            data.stepsPerEpoch = row.step;
            break;
        }
    }
    return data;
}

}  // namespace mtlw
