// mtlw conflicts RUN_ID: per task pair, the mean gradient cosine and how often the pair conflicted.
#include "Commands.h"
#include "TrainingSession.h"

#include "store/RunStore.h"
#include "util/Errors.h"

#include <cstdio>
#include <iostream>

namespace mtlw::cli {

void addConflictsCommand(CLI::App& app, int& exitCode) {
    auto runId = std::make_shared<std::int64_t>(0);
    auto runsDb = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    CLI::App* command = app.add_subcommand("conflicts", "Print gradient conflicts between task pairs of a run");
    command->add_option("RUN_ID", *runId, "Run id, as `mtlw runs` lists it")->required();
    command->add_option("--runs-db", *runsDb, "Run store file (default: the only *.runs.sqlite in this folder)");
    command->add_flag("--json", *json, "Print JSON");
    command->callback([=, &exitCode] {
        const std::string storePath = locateRunsDb(*runsDb);
        const RunStore store(storePath);
        store.requireRun(*runId);
        const auto pairs = store.conflictSummary(*runId);
        if (*json) {
            nlohmann::json list = nlohmann::json::array();
            for (const auto& pair : pairs) {
                list.push_back({{"task_a", pair.taskA},
                                {"task_b", pair.taskB},
                                {"mean_cosine", pair.meanCosine},
                                {"mean_magnitude_similarity", pair.meanMagnitudeSimilarity},
                                {"conflict_frequency", pair.conflictFrequency},
                                {"steps", pair.steps}});
            }
            std::cout << nlohmann::json{{"run_id", *runId}, {"pairs", list}}.dump(2) << "\n";
            exitCode = 0;
            return;
        }
        if (pairs.empty()) {
            std::cout << "run " << *runId
                      << " has no gradient diagnostics (a single task, or training.conflict_every_steps is 0)\n";
            exitCode = 0;
            return;
        }
        std::printf("%-16s %-16s %12s %12s %14s %8s\n", "task a", "task b", "mean cosine", "conflicts", "magnitude sim",
                    "steps");
        for (const auto& pair : pairs) {
            std::printf("%-16s %-16s %12.4f %11.1f%% %14.4f %8lld\n", pair.taskA.c_str(), pair.taskB.c_str(),
                        pair.meanCosine, 100.0 * pair.conflictFrequency, pair.meanMagnitudeSimilarity,
                        static_cast<long long>(pair.steps));
        }
        exitCode = 0;
    });
}

}  // namespace mtlw::cli
