#include "compare/Comparison.h"

#include "engine/Baselines.h"
#include "engine/TaskObjective.h"
#include "engine/Trainer.h"
#include "project/AtomicFile.h"
#include "store/Sqlite.h"
#include "util/Errors.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include <spdlog/spdlog.h>

namespace mtlw {

namespace {

TaskMetricValues metricsFromJson(const nlohmann::json& tasks) {
    TaskMetricValues values;
    if (!tasks.is_object()) {
        return values;
    }
    for (const auto& [task, metrics] : tasks.items()) {
        if (!metrics.is_object()) {
            continue;
        }
        for (const auto& [name, value] : metrics.items()) {
            if (name != "loss" && value.is_number()) {
                values[task][name] = value.get<double>();
            }
        }
    }
    return values;
}

// Test metrics of the last epoch that has test rows, for a run without a summary.
TaskMetricValues lastTestMetrics(const RunStore& store, std::int64_t runId) {
    sqlite::Statement query(store.handle(),
                            "SELECT task, name, value FROM metrics WHERE run_id = ?1 AND split = 'test' "
                            "AND epoch = (SELECT MAX(epoch) FROM metrics WHERE run_id = ?1 AND split = 'test') "
                            "ORDER BY rowid",
                            "read the last test metrics of run " + std::to_string(runId));
    query.bindInt64(1, runId);
    TaskMetricValues values;
    while (query.step()) {
        const std::string task = query.columnText(0);
        const std::string name = query.columnText(1);
        if (task.empty() || name == "loss" || query.isNull(2)) {
            continue;
        }
        values[task][name] = query.columnDouble(2);
    }
    return values;
}

TaskMetricValues finalMetrics(const RunStore& store, const RunRecord& run, MetricEpoch epoch) {
    const char* key = epoch == MetricEpoch::Best ? "tasks" : "final_tasks";
    if (run.summary.contains(key)) {
        return metricsFromJson(run.summary[key]);
    }
    return lastTestMetrics(store, run.id);
}

std::string keyOfArrayElement(const nlohmann::json& element, size_t index) {
    for (const char* field : {"id", "name"}) {
        if (element.is_object() && element.contains(field) && element[field].is_string()) {
            return element[field].get<std::string>();
        }
    }
    return std::to_string(index);
}

void flattenInto(const nlohmann::json& value, const std::string& prefix, Hyperparameters& out) {
    if (value.is_object()) {
        for (const auto& [key, child] : value.items()) {
            flattenInto(child, prefix.empty() ? key : prefix + "." + key, out);
        }
        return;
    }
    // Arrays of objects (nodes, datasets, tasks) are keyed by id or name; other arrays are one value.
    const bool ofObjects = value.is_array() && !value.empty() &&
                           std::all_of(value.begin(), value.end(), [](const auto& e) { return e.is_object(); });
    if (ofObjects) {
        for (size_t i = 0; i < value.size(); ++i) {
            flattenInto(value[i], prefix + "[" + keyOfArrayElement(value[i], i) + "]", out);
        }
        return;
    }
    out[prefix] = value.dump();
}

std::string csvField(const std::string& text) {
    if (text.find_first_of(",\"\n\r") == std::string::npos) {
        return text;
    }
    std::string quoted = "\"";
    for (const char c : text) {
        quoted += c;
        if (c == '"') {
            quoted += '"';
        }
    }
    return quoted + "\"";
}

std::string formatNumber(double value) {
    if (!std::isfinite(value)) {
        return std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf");
    }
    std::ostringstream text;
    text.precision(10);
    text << value;
    return text.str();
}

// Oriented so that larger is better; empty when the run lacks the metric.
std::optional<double> orientedValue(const ComparedRun& run, const TaskMetric& metric) {
    const auto task = run.taskMetrics.find(metric.task);
    if (task == run.taskMetrics.end()) {
        return std::nullopt;
    }
    const auto value = task->second.find(metric.metric);
    if (value == task->second.end() || !std::isfinite(value->second)) {
        return std::nullopt;
    }
    return higherIsBetter(metric.metric) ? value->second : -value->second;
}

nlohmann::json meanStdJson(const MeanStd& value) {
    return {{"mean", value.mean}, {"std", value.std}, {"count", value.count}};
}

}  // namespace

TaskMetric parseTaskMetric(const std::string& text) {
    const size_t separator = text.find_first_of("/:");
    if (separator == std::string::npos || separator == 0 || separator + 1 == text.size()) {
        throw InputError("invalid task metric '" + text + "'; write TASK/METRIC, for example left/accuracy");
    }
    return {text.substr(0, separator), text.substr(separator + 1)};
}

bool higherIsBetter(const std::string& metric) {
    return metricHigherIsBetter(metric);
}

std::vector<RunOverview> listRuns(const RunStore& store, const std::string& projectPath, MetricEpoch epoch) {
    std::vector<RunOverview> overviews;
    for (auto& run : store.runs(projectPath)) {
        RunOverview overview;
        overview.taskMetrics = finalMetrics(store, run, epoch);
        if (run.summary.contains("delta_m") && run.summary["delta_m"].is_number()) {
            overview.deltaM = run.summary["delta_m"].get<double>();
        }
        overview.run = std::move(run);
        overviews.push_back(std::move(overview));
    }
    return overviews;
}

Hyperparameters flattenHyperparameters(const nlohmann::json& projectJson) {
    Hyperparameters values;
    if (!projectJson.is_object()) {
        return values;
    }
    for (const auto& [key, child] : projectJson.items()) {
        if (key == "format" || key == "schema_version" || key == "name" || key == "description") {
            continue;
        }
        flattenInto(child, key, values);
    }
    return values;
}

MeanStd meanStd(const std::vector<double>& values) {
    MeanStd result;
    double sum = 0.0;
    for (const double value : values) {
        if (std::isfinite(value)) {
            sum += value;
            ++result.count;
        }
    }
    if (result.count == 0) {
        return result;
    }
    result.mean = sum / result.count;
    if (result.count > 1) {
        double squares = 0.0;
        for (const double value : values) {
            if (std::isfinite(value)) {
                squares += (value - result.mean) * (value - result.mean);
            }
        }
        result.std = std::sqrt(squares / (result.count - 1));
    }
    return result;
}

Comparison compareRuns(const RunStore& store, const std::vector<std::int64_t>& runIds, const CompareOptions& options) {
    if (runIds.empty()) {
        throw InputError("no runs to compare; give one or more run ids, as `mtlw runs PROJECT` lists them");
    }
    Comparison comparison;
    std::set<std::int64_t> seen;
    std::map<std::string, BaselineMetrics> baselinesByProject;
    for (const std::int64_t id : runIds) {
        if (!seen.insert(id).second) {
            throw InputError("run " + std::to_string(id) + " is listed twice; give each run id once");
        }
        RunRecord run = store.requireRun(id);
        ComparedRun compared;
        compared.taskMetrics = finalMetrics(store, run, options.epoch);
        const nlohmann::json projectJson = nlohmann::json::parse(run.projectJson, nullptr, /*allow_exceptions=*/false);
        compared.hyperparameters = flattenHyperparameters(projectJson);
        compared.hyperparameters["run.device"] = nlohmann::json(run.device).dump();

        if (options.withDeltaM && !run.summary.contains("baseline_task") && !projectJson.is_discarded()) {
            try {
                const Project project = projectOfRun(run);
                auto baselines = baselinesByProject.find(run.projectPath);
                if (baselines == baselinesByProject.end()) {
                    baselines =
                        baselinesByProject.emplace(run.projectPath, baselineMetrics(store, run.projectPath)).first;
                }
                nlohmann::json metrics = nlohmann::json::object();
                for (const auto& [task, values] : compared.taskMetrics) {
                    metrics[task] = values;
                }
                compared.deltaM = deltaM(project, metrics, baselines->second);
            } catch (const InputError& error) {
                // A snapshot this build cannot parse still compares, without Δm%.
                spdlog::warn("run {}: no delta_m, its project snapshot is invalid: {}", id, error.what());
            }
        }

        for (const auto& [task, values] : compared.taskMetrics) {
            for (const auto& [name, value] : values) {
                const TaskMetric metric{task, name};
                if (std::find(comparison.metrics.begin(), comparison.metrics.end(), metric) ==
                    comparison.metrics.end()) {
                    comparison.metrics.push_back(metric);
                }
            }
        }
        compared.run = std::move(run);
        comparison.runs.push_back(std::move(compared));
    }
    return comparison;
}

std::vector<HyperparameterRow> hyperparameterRows(const Comparison& comparison, bool onlyDifferences) {
    std::set<std::string> keys;
    for (const auto& run : comparison.runs) {
        for (const auto& [key, value] : run.hyperparameters) {
            keys.insert(key);
        }
    }
    std::vector<HyperparameterRow> rows;
    for (const auto& key : keys) {
        HyperparameterRow row;
        row.key = key;
        for (const auto& run : comparison.runs) {
            const auto found = run.hyperparameters.find(key);
            row.values.push_back(found == run.hyperparameters.end() ? std::nullopt
                                                                     : std::optional<std::string>(found->second));
        }
        row.differs = std::any_of(row.values.begin(), row.values.end(),
                                  [&](const auto& value) { return value != row.values.front(); });
        if (row.differs || !onlyDifferences) {
            rows.push_back(std::move(row));
        }
    }
    return rows;
}

std::vector<SeedGroup> seedGroups(const Comparison& comparison) {
    // Group by every hyperparameter except the seed.
    std::vector<Hyperparameters> groupKeys;
    std::vector<std::vector<const ComparedRun*>> members;
    for (const auto& run : comparison.runs) {
        Hyperparameters key = run.hyperparameters;
        key.erase(kSeedKey);
        const auto found = std::find(groupKeys.begin(), groupKeys.end(), key);
        if (found == groupKeys.end()) {
            groupKeys.push_back(std::move(key));
            members.push_back({&run});
        } else {
            members[static_cast<size_t>(found - groupKeys.begin())].push_back(&run);
        }
    }

    // The keys whose values differ between groups make up the labels.
    std::set<std::string> differing;
    for (const auto& key : groupKeys) {
        for (const auto& [name, value] : key) {
            for (const auto& other : groupKeys) {
                const auto found = other.find(name);
                if (found == other.end() || found->second != value) {
                    differing.insert(name);
                }
            }
        }
    }

    std::vector<SeedGroup> groups;
    for (size_t g = 0; g < groupKeys.size(); ++g) {
        SeedGroup group;
        for (const auto& name : differing) {
            const auto found = groupKeys[g].find(name);
            const std::string value = found == groupKeys[g].end() ? "(none)" : found->second;
            group.label += (group.label.empty() ? "" : ", ") + name + "=" + value;
        }
        if (group.label.empty()) {
            group.label = members[g].front()->run.method;
        }
        std::map<std::string, std::map<std::string, std::vector<double>>> values;
        std::vector<double> deltas;
        for (const ComparedRun* run : members[g]) {
            group.runIds.push_back(run->run.id);
            group.seeds.push_back(run->run.seed);
            for (const auto& [task, metrics] : run->taskMetrics) {
                for (const auto& [name, value] : metrics) {
                    values[task][name].push_back(value);
                }
            }
            if (run->deltaM) {
                deltas.push_back(*run->deltaM);
            }
        }
        for (const auto& [task, metrics] : values) {
            for (const auto& [name, list] : metrics) {
                group.taskMetrics[task][name] = meanStd(list);
            }
        }
        group.deltaM = meanStd(deltas);
        groups.push_back(std::move(group));
    }
    return groups;
}

std::vector<std::int64_t> paretoFront(const Comparison& comparison, const TaskMetric& first, const TaskMetric& second) {
    struct Point {
        std::int64_t id;
        double a;
        double b;
    };
    std::vector<Point> points;
    for (const auto& run : comparison.runs) {
        const auto a = orientedValue(run, first);
        const auto b = orientedValue(run, second);
        if (a && b) {
            points.push_back({run.run.id, *a, *b});
        }
    }
    std::vector<Point> front;
    for (const auto& point : points) {
        const bool dominated = std::any_of(points.begin(), points.end(), [&](const Point& other) {
            return other.a >= point.a && other.b >= point.b && (other.a > point.a || other.b > point.b);
        });
        if (!dominated) {
            front.push_back(point);
        }
    }
    std::stable_sort(front.begin(), front.end(), [](const Point& x, const Point& y) { return x.a > y.a; });
    std::vector<std::int64_t> ids;
    for (const auto& point : front) {
        ids.push_back(point.id);
    }
    return ids;
}

std::string comparisonCsv(const Comparison& comparison, bool onlyDifferences) {
    const auto rows = hyperparameterRows(comparison, onlyDifferences);
    std::string csv = "run_id,project,method,seed,status";
    for (const auto& metric : comparison.metrics) {
        csv += "," + csvField(metric.label());
    }
    csv += ",delta_m";
    for (const auto& row : rows) {
        csv += "," + csvField(row.key);
    }
    csv += "\n";

    for (size_t r = 0; r < comparison.runs.size(); ++r) {
        const ComparedRun& run = comparison.runs[r];
        csv += std::to_string(run.run.id) + "," + csvField(run.run.projectName) + "," + csvField(run.run.method) + "," +
               std::to_string(run.run.seed) + "," + csvField(run.run.status);
        for (const auto& metric : comparison.metrics) {
            csv += ",";
            const auto task = run.taskMetrics.find(metric.task);
            if (task != run.taskMetrics.end() && task->second.count(metric.metric) > 0) {
                csv += formatNumber(task->second.at(metric.metric));
            }
        }
        csv += ",";
        if (run.deltaM) {
            csv += formatNumber(*run.deltaM);
        }
        for (const auto& row : rows) {
            csv += ",";
            if (row.values[r]) {
                // Strings lose their JSON quotes; numbers, booleans and arrays stay JSON text.
                const auto parsed = nlohmann::json::parse(*row.values[r], nullptr, false);
                csv += csvField(parsed.is_string() ? parsed.get<std::string>() : *row.values[r]);
            }
        }
        csv += "\n";
    }
    return csv;
}

void writeComparisonCsv(const Comparison& comparison, const std::string& path, bool onlyDifferences) {
    writeFileAtomically(path, comparisonCsv(comparison, onlyDifferences));
}

nlohmann::json comparisonJson(const Comparison& comparison, bool onlyDifferences,
                              const std::optional<std::pair<TaskMetric, TaskMetric>>& pareto) {
    nlohmann::json runs = nlohmann::json::array();
    for (const auto& run : comparison.runs) {
        runs.push_back({{"run_id", run.run.id},
                        {"project", run.run.projectName},
                        {"project_path", run.run.projectPath},
                        {"method", run.run.method},
                        {"seed", run.run.seed},
                        {"status", run.run.status},
                        {"tasks", run.taskMetrics},
                        {"delta_m", run.deltaM ? nlohmann::json(*run.deltaM) : nlohmann::json()}});
    }

    nlohmann::json hyperparameters = nlohmann::json::array();
    for (const auto& row : hyperparameterRows(comparison, onlyDifferences)) {
        nlohmann::json values = nlohmann::json::array();
        for (const auto& value : row.values) {
            values.push_back(value ? nlohmann::json::parse(*value, nullptr, false) : nlohmann::json());
        }
        hyperparameters.push_back({{"key", row.key}, {"values", values}, {"differs", row.differs}});
    }

    nlohmann::json groups = nlohmann::json::array();
    for (const auto& group : seedGroups(comparison)) {
        nlohmann::json tasks = nlohmann::json::object();
        for (const auto& [task, metrics] : group.taskMetrics) {
            for (const auto& [name, value] : metrics) {
                tasks[task][name] = meanStdJson(value);
            }
        }
        groups.push_back({{"label", group.label},
                          {"run_ids", group.runIds},
                          {"seeds", group.seeds},
                          {"tasks", tasks},
                          {"delta_m", meanStdJson(group.deltaM)}});
    }

    nlohmann::json result = {{"runs", runs}, {"hyperparameters", hyperparameters}, {"seed_groups", groups}};
    if (pareto) {
        result["pareto"] = {{"x", pareto->first.label()},
                            {"y", pareto->second.label()},
                            {"run_ids", paretoFront(comparison, pareto->first, pareto->second)}};
    }
    return result;
}

}  // namespace mtlw
