// mtlw compare RUN_ID...: final metrics, hyperparameter differences, seed statistics, the Pareto
// front and Δm% of several runs, printed as tables or JSON and optionally exported as CSV.
#include "Commands.h"
#include "TrainingSession.h"

#include "compare/Comparison.h"
#include "store/RunStore.h"
#include "util/Errors.h"

#include <cstdio>
#include <iostream>

namespace mtlw::cli {

namespace {

std::string metricText(const TaskMetricValues& values, const TaskMetric& metric) {
    const auto task = values.find(metric.task);
    if (task == values.end() || task->second.count(metric.metric) == 0) {
        return "-";
    }
    char text[32];
    std::snprintf(text, sizeof text, "%.4f", task->second.at(metric.metric));
    return text;
}

// The first metric of each of the first two tasks, when the runs have two tasks.
std::optional<std::pair<TaskMetric, TaskMetric>> defaultParetoAxes(const Comparison& comparison) {
    for (const auto& second : comparison.metrics) {
        if (second.task != comparison.metrics.front().task) {
            return std::make_pair(comparison.metrics.front(), second);
        }
    }
    return std::nullopt;
}

void printRuns(const Comparison& comparison) {
    std::printf("%-6s %-14s %-8s %-11s", "run", "method", "seed", "status");
    for (const auto& metric : comparison.metrics) {
        std::printf(" %16s", metric.label().c_str());
    }
    std::printf(" %9s\n", "delta_m%");
    for (const auto& run : comparison.runs) {
        std::printf("%-6lld %-14s %-8llu %-11s", static_cast<long long>(run.run.id), run.run.method.c_str(),
                    static_cast<unsigned long long>(run.run.seed), run.run.status.c_str());
        for (const auto& metric : comparison.metrics) {
            std::printf(" %16s", metricText(run.taskMetrics, metric).c_str());
        }
        if (run.deltaM) {
            std::printf(" %+9.2f\n", *run.deltaM);
        } else {
            std::printf(" %9s\n", "-");
        }
    }
}

void printHyperparameters(const Comparison& comparison, bool onlyDifferences) {
    const auto rows = hyperparameterRows(comparison, onlyDifferences);
    std::cout << "\nhyperparameters" << (onlyDifferences ? " that differ" : "") << ":\n";
    if (rows.empty()) {
        std::cout << "  (all equal)\n";
        return;
    }
    std::printf("  %-44s", "key");
    for (const auto& run : comparison.runs) {
        std::printf(" %14s", ("run " + std::to_string(run.run.id)).c_str());
    }
    std::printf("\n");
    for (const auto& row : rows) {
        std::printf("%s %-44s", row.differs ? "*" : " ", row.key.c_str());
        for (const auto& value : row.values) {
            std::printf(" %14s", value ? value->c_str() : "-");
        }
        std::printf("\n");
    }
}

void printSeedGroups(const Comparison& comparison) {
    std::cout << "\nmean ± std over seeds:\n";
    for (const auto& group : seedGroups(comparison)) {
        std::cout << "  " << group.label << " (" << group.runIds.size() << " run" << (group.runIds.size() == 1 ? "" : "s")
                  << "):";
        for (const auto& [task, metrics] : group.taskMetrics) {
            for (const auto& [name, value] : metrics) {
                std::printf(" %s/%s %.4f ± %.4f", task.c_str(), name.c_str(), value.mean, value.std);
            }
        }
        if (group.deltaM.count > 0) {
            std::printf(" delta_m %+.2f%% ± %.2f", group.deltaM.mean, group.deltaM.std);
        }
        std::printf("\n");
    }
}

}  // namespace

void addCompareCommand(CLI::App& app, int& exitCode) {
    auto runIds = std::make_shared<std::vector<std::int64_t>>();
    auto runsDb = std::make_shared<std::string>();
    auto csvPath = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    auto onlyDifferences = std::make_shared<bool>(false);
    auto pareto = std::make_shared<std::vector<std::string>>();
    auto epoch = std::make_shared<std::string>("best");
    CLI::App* command = app.add_subcommand("compare", "Compare the final metrics and hyperparameters of runs");
    command->add_option("RUN_ID", *runIds, "Run ids, as `mtlw runs` lists them")->required();
    command->add_option("--runs-db", *runsDb, "Run store file (default: the only *.runs.sqlite in this folder)");
    command->add_option("--csv", *csvPath, "Also write the comparison to this CSV file, one row per run");
    command->add_flag("--json", *json, "Print JSON");
    command->add_flag("--differences", *onlyDifferences, "Show only the hyperparameters that differ between the runs");
    command->add_option("--pareto", *pareto,
                        "Two task metrics for the Pareto front, as TASK/METRIC (default: the first metric of the "
                        "first two tasks)")
        ->expected(2);
    command->add_option("--epoch", *epoch,
                        "Test metrics of the best validation epoch (best, default) or of the last epoch (last)");
    command->callback([=, &exitCode] {
        CompareOptions options;
        if (*epoch == "last") {
            options.epoch = MetricEpoch::Last;
        } else if (*epoch != "best") {
            throw InputError("invalid --epoch '" + *epoch + "'; use best or last");
        }
        std::optional<std::pair<TaskMetric, TaskMetric>> axes;
        if (!pareto->empty()) {
            axes = std::make_pair(parseTaskMetric(pareto->at(0)), parseTaskMetric(pareto->at(1)));
        }

        const RunStore store(locateRunsDb(*runsDb));
        const Comparison comparison = compareRuns(store, *runIds, options);
        if (!axes && !comparison.metrics.empty()) {
            axes = defaultParetoAxes(comparison);
        }
        if (!csvPath->empty()) {
            writeComparisonCsv(comparison, *csvPath, *onlyDifferences);
        }

        if (*json) {
            std::cout << comparisonJson(comparison, *onlyDifferences, axes).dump(2) << "\n";
            exitCode = 0;
            return;
        }
        printRuns(comparison);
        printHyperparameters(comparison, *onlyDifferences);
        printSeedGroups(comparison);
        if (axes) {
            std::cout << "\nPareto front of " << axes->first.label() << " and " << axes->second.label() << ": runs";
            for (const std::int64_t id : paretoFront(comparison, axes->first, axes->second)) {
                std::cout << " " << id;
            }
            std::cout << "\n";
        }
        if (!csvPath->empty()) {
            std::cout << "\nwrote " << *csvPath << "\n";
        }
        exitCode = 0;
    });
}

}  // namespace mtlw::cli
