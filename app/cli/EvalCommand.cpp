// mtlw eval RUN_ID --task NAME: one task's metrics from the run's best checkpoint, and the
// parameters its output uses against those of the whole model.
#include "Commands.h"
#include "TrainingSession.h"

#include "engine/TaskEvaluation.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

namespace mtlw::cli {

void addEvalCommand(CLI::App& app, int& exitCode) {
    auto runId = std::make_shared<std::int64_t>(0);
    auto task = std::make_shared<std::string>();
    auto split = std::make_shared<std::string>("test");
    auto runsDb = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    CLI::App* command = app.add_subcommand(
        "eval", "Evaluate one task of a run: its metrics and its active parameters against the full model");
    command->add_option("RUN_ID", *runId, "Run id, as `mtlw runs` lists it")->required();
    command->add_option("--task", *task, "Task to evaluate")->required();
    command->add_option("--split", *split, "Split to evaluate: test or validation (default: test)");
    command->add_option("--runs-db", *runsDb, "Run store file (default: the only *.runs.sqlite in this folder)");
    command->add_flag("--json", *json, "Print JSON");

    command->callback([=, &exitCode] {
        const TaskEvaluation result = evaluateRunTask(locateRunsDb(*runsDb), *runId, *task, *split);
        exitCode = 0;

        const double share = result.totalParameters > 0
                                 ? static_cast<double>(result.activeParameters) / static_cast<double>(result.totalParameters)
                                 : 0.0;
        if (*json) {
            std::cout << nlohmann::json{{"run_id", *runId},
                                        {"task", result.task},
                                        {"split", result.split},
                                        {"epoch", result.epoch},
                                        {"samples", result.samples},
                                        {"metrics", result.metrics},
                                        {"active_parameters", result.activeParameters},
                                        {"total_parameters", result.totalParameters}}
                             .dump(2)
                      << "\n";
            return;
        }
        std::printf("run %lld, task %s, %s split (%lld samples), checkpoint of epoch %d\n",
                    static_cast<long long>(*runId), result.task.c_str(), result.split.c_str(),
                    static_cast<long long>(result.samples), result.epoch);
        for (const auto& [name, value] : result.metrics) {
            std::printf("  %-16s %.4f\n", name.c_str(), value);
        }
        std::printf("active parameters per sample: %lld of %lld (%.1f%%)\n",
                    static_cast<long long>(result.activeParameters), static_cast<long long>(result.totalParameters),
                    100.0 * share);
    });
}

}  // namespace mtlw::cli
