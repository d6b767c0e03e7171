// mtlw runs PROJECT and mtlw show RUN_ID: read runs back from the run store.
#include "Commands.h"
#include "TrainingSession.h"

#include "project/Project.h"
#include "store/RunStore.h"
#include "util/Errors.h"

#include <cstdio>
#include <filesystem>
#include <iostream>

namespace mtlw::cli {

namespace {

std::string finalMetricsText(const RunRecord& run) {
    std::string text;
    if (!run.summary.contains("tasks")) {
        return text;
    }
    for (const auto& [task, metrics] : run.summary["tasks"].items()) {
        for (const auto& [name, value] : metrics.items()) {
            if (name == "loss" || !value.is_number()) {
                continue;
            }
            char part[96];
            std::snprintf(part, sizeof part, "%s%s %s=%.4f", text.empty() ? "" : ", ", task.c_str(), name.c_str(),
                          value.get<double>());
            text += part;
        }
    }
    return text;
}

nlohmann::json runJson(const RunRecord& run) {
    return {{"run_id", run.id},         {"project", run.projectName}, {"project_path", run.projectPath},
            {"method", run.method},     {"status", run.status},       {"started_at", run.startedAt},
            {"ended_at", run.endedAt},  {"seed", run.seed},           {"device", run.device},
            {"code_version", run.codeVersion}, {"error", run.error},  {"summary", run.summary},
            {"tasks", run.summary.value("tasks", nlohmann::json::object())}};
}

}  // namespace

void addRunsCommand(CLI::App& app, int& exitCode) {
    auto projectPath = std::make_shared<std::string>();
    auto runsDb = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    CLI::App* command = app.add_subcommand("runs", "List the runs of a project, newest first");
    command->add_option("PROJECT", *projectPath, "Project file (.mtlw)")->required();
    command->add_option("--runs-db", *runsDb, "Run store file (default: PROJECT's .runs.sqlite beside it)");
    command->add_flag("--json", *json, "Print a JSON array");
    command->callback([=, &exitCode] {
        const Project project = loadProject(*projectPath);
        const std::string storePath = runsDb->empty() ? RunStore::defaultPathFor(project.filePath) : *runsDb;
        if (!std::filesystem::exists(storePath)) {
            if (*json) {
                std::cout << "[]\n";
            } else {
                std::cout << "no runs yet for " << *projectPath << " (no " << storePath << ")\n";
            }
            exitCode = 0;
            return;
        }
        const auto runs = RunStore(storePath).runs(project.filePath);
        if (*json) {
            nlohmann::json list = nlohmann::json::array();
            for (const auto& run : runs) {
                list.push_back(runJson(run));
            }
            std::cout << list.dump(2) << "\n";
        } else {
            std::printf("%-5s %-11s %-8s %-6s %-24s %s\n", "id", "status", "method", "seed", "started", "test metrics");
            for (const auto& run : runs) {
                std::printf("%-5lld %-11s %-8s %-6llu %-24s %s\n", static_cast<long long>(run.id), run.status.c_str(),
                            run.method.c_str(), static_cast<unsigned long long>(run.seed), run.startedAt.c_str(),
                            finalMetricsText(run).c_str());
            }
        }
        exitCode = 0;
    });
}

void addShowCommand(CLI::App& app, int& exitCode) {
    auto runId = std::make_shared<std::int64_t>(0);
    auto runsDb = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    CLI::App* command = app.add_subcommand("show", "Print a run's final metrics");
    command->add_option("RUN_ID", *runId, "Run id, as `mtlw runs` lists it")->required();
    command->add_option("--runs-db", *runsDb, "Run store file (default: the only *.runs.sqlite in this folder)");
    command->add_flag("--json", *json, "Print JSON");
    command->callback([=, &exitCode] {
        const std::string storePath = locateRunsDb(*runsDb);
        const auto run = RunStore(storePath).requireRun(*runId);
        if (*json) {
            std::cout << runJson(run).dump(2) << "\n";
            exitCode = 0;
            return;
        }
        std::cout << "run " << run.id << " of " << run.projectName << " (" << run.projectPath << ")\n"
                  << "  status:   " << run.status << "\n"
                  << "  method:   " << run.method << ", seed " << run.seed << ", device " << run.device << "\n"
                  << "  started:  " << run.startedAt << "\n"
                  << "  ended:    " << (run.endedAt.empty() ? "-" : run.endedAt) << "\n"
                  << "  version:  " << run.codeVersion << "\n";
        if (!run.error.empty()) {
            std::cout << "  error:    " << run.error << "\n";
        }
        if (run.summary.contains("epochs_completed")) {
            std::printf("  epochs:   %d completed, best validation epoch %d\n",
                        run.summary.value("epochs_completed", 0), run.summary.value("best_epoch", 0));
            std::printf("  speed:    %.0f training samples/s\n", run.summary.value("samples_per_second", 0.0));
        }
        if (run.summary.contains("delta_m")) {
            std::printf("  delta_m:  %+.2f%% against the single-task baselines\n", run.summary["delta_m"].get<double>());
        }
        if (run.summary.contains("baseline_task")) {
            std::cout << "  baseline: single-task run of task " << run.summary["baseline_task"].get<std::string>() << "\n";
        }
        if (run.summary.contains("tasks")) {
            std::cout << "  test metrics:\n";
            for (const auto& [task, metrics] : run.summary["tasks"].items()) {
                std::cout << "    " << task << ":";
                for (const auto& [name, value] : metrics.items()) {
                    std::printf(" %s %.4f", name.c_str(), value.get<double>());
                }
                std::cout << "\n";
            }
        }
        exitCode = 0;
    });
}

}  // namespace mtlw::cli
