// mtlw train PROJECT: trains a project and records the run; mtlw resume RUN_ID continues one.
#include "Commands.h"
#include "TrainingSession.h"

#include "engine/Baselines.h"
#include "methods/BalancingMethod.h"
#include "store/RunStore.h"
#include "util/Errors.h"

namespace mtlw::cli {

namespace {

struct TrainOptions {
    std::string projectPath;
    int epochs = 0;
    int batchSize = 0;
    std::string method;
    std::int64_t seed = -1;
    std::string device;
    std::string runsDb;
    bool json = false;
};

}  // namespace

void addTrainCommand(CLI::App& app, int& exitCode) {
    auto options = std::make_shared<TrainOptions>();
    CLI::App* command = app.add_subcommand("train", "Train a project and record the run in its run store");
    command->add_option("PROJECT", options->projectPath, "Project file (.mtlw)")->required();
    command->add_option("--epochs", options->epochs, "Number of epochs (overrides training.epochs)")
        ->check(CLI::PositiveNumber);
    command->add_option("--batch-size", options->batchSize, "Samples per training step (overrides training.batch_size)")
        ->check(CLI::PositiveNumber);
    command->add_option("--method", options->method, "Balancing method (overrides training.method.name)");
    command->add_option("--seed", options->seed, "Random seed (overrides training.seed)")->check(CLI::NonNegativeNumber);
    command->add_option("--device", options->device, "auto, cpu, cuda or cuda:N (overrides training.device)");
    command->add_option("--runs-db", options->runsDb, "Run store file (default: PROJECT's .runs.sqlite beside it)");
    command->add_flag("--json", options->json, "Print one JSON object with the results as the last line");
    command->callback([options, &exitCode] {
        TrainRequest request;
        request.project = loadProject(options->projectPath);
        auto& training = request.project.training;
        if (options->epochs > 0) {
            training.epochs = options->epochs;
        }
        if (options->batchSize > 0) {
            training.batchSize = options->batchSize;
        }
        if (!options->method.empty()) {
            training.method.name = options->method;
            training.method.params = nlohmann::json::object();
        }
        if (options->seed >= 0) {
            training.seed = static_cast<std::uint64_t>(options->seed);
        }
        if (!options->device.empty()) {
            training.device = options->device;
        }
        createMethod(training.method.name, training.method.params, "training.method");
        request.storePath = options->runsDb;
        exitCode = runTrainingSession(std::move(request), options->json);
    });
}

void addBaselineCommand(CLI::App& app, int& exitCode) {
    auto options = std::make_shared<TrainOptions>();
    CLI::App* command = app.add_subcommand(
        "baseline", "Train one single-task model per task of a project, the reference for Δm%");
    command->add_option("PROJECT", options->projectPath, "Project file (.mtlw)")->required();
    command->add_option("--epochs", options->epochs, "Number of epochs (overrides training.epochs)")
        ->check(CLI::PositiveNumber);
    command->add_option("--seed", options->seed, "Random seed (overrides training.seed)")->check(CLI::NonNegativeNumber);
    command->add_option("--device", options->device, "auto, cpu, cuda or cuda:N (overrides training.device)");
    command->add_option("--runs-db", options->runsDb, "Run store file (default: PROJECT's .runs.sqlite beside it)");
    command->add_flag("--json", options->json, "Print one JSON object per task run");
    command->callback([options, &exitCode] {
        const Project project = loadProject(options->projectPath);
        exitCode = 0;
        for (const auto& task : project.tasks) {
            TrainRequest request;
            request.project = singleTaskProject(project, task.name);
            auto& training = request.project.training;
            if (options->epochs > 0) {
                training.epochs = options->epochs;
            }
            if (options->seed >= 0) {
                training.seed = static_cast<std::uint64_t>(options->seed);
            }
            if (!options->device.empty()) {
                training.device = options->device;
            }
            request.storePath = options->runsDb;
            request.baselineTask = task.name;
            const int status = runTrainingSession(std::move(request), options->json);
            if (status != 0) {
                exitCode = status;
                return;
            }
        }
    });
}

void addResumeCommand(CLI::App& app, int& exitCode) {
    auto runId = std::make_shared<std::int64_t>(0);
    auto runsDb = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    CLI::App* command = app.add_subcommand("resume", "Continue an interrupted, failed or cancelled run from its latest checkpoint");
    command->add_option("RUN_ID", *runId, "Run id, as `mtlw runs` lists it")->required();
    command->add_option("--runs-db", *runsDb, "Run store file (default: the only *.runs.sqlite in this folder)");
    command->add_flag("--json", *json, "Print one JSON object with the results as the last line");
    command->callback([runId, runsDb, json, &exitCode] {
        const std::string storePath = locateRunsDb(*runsDb);
        const auto run = RunStore(storePath).run(*runId);
        if (!run) {
            throw InputError(storePath + ": run " + std::to_string(*runId) + " not found");
        }
        TrainRequest request;
        request.project = projectOfRun(*run);
        request.storePath = storePath;
        request.resumeRunId = *runId;
        exitCode = runTrainingSession(std::move(request), *json);
    });
}

}  // namespace mtlw::cli
