// mtlw train PROJECT: trains a project and records the run; mtlw resume RUN_ID continues one.
#include "Commands.h"
#include "DistributedFlags.h"
#include "TrainingSession.h"

#include "engine/Baselines.h"
#include "methods/BalancingMethod.h"
#include "store/RunStore.h"
#include "util/Errors.h"

#include <filesystem>

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
    std::string init;
    bool json = false;
    DistributedOptions distributed;
    std::int64_t maxSteps = 0;
};

std::string absoluteInit(const std::string& path) {
    return path.empty() ? path : std::filesystem::absolute(path).lexically_normal().string();
}

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
    command->add_option("--init", options->init,
                        "Checkpoint file to start from: shared weights must match, heads are copied where they match");
    command->add_flag("--json", options->json, "Print one JSON object with the results as the last line");
    addDistributedFlags(command, options->distributed);
    // Hidden, for tests and debugging: stop after N steps (see TrainRequest::maxSteps).
    command->add_option("--max-steps", options->maxSteps)->check(CLI::PositiveNumber)->group("");
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
        request.initCheckpoint = absoluteInit(options->init);
        request.maxSteps = options->maxSteps;
        request.distributed = joinProcessGroup(options->distributed, training.device);
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
    command->add_option("--init", options->init,
                        "Checkpoint file every task's model starts from, e.g. the base of a model merge");
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
            request.initCheckpoint = absoluteInit(options->init);
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
    auto distributed = std::make_shared<DistributedOptions>();
    CLI::App* command = app.add_subcommand("resume", "Continue an interrupted, failed or cancelled run from its latest checkpoint");
    command->add_option("RUN_ID", *runId, "Run id, as `mtlw runs` lists it")->required();
    command->add_option("--runs-db", *runsDb, "Run store file (default: the only *.runs.sqlite in this folder)");
    command->add_flag("--json", *json, "Print one JSON object with the results as the last line");
    addDistributedFlags(command, *distributed);
    command->callback([runId, runsDb, json, distributed, &exitCode] {
        TrainRequest request;
        request.resumeRunId = *runId;
        // Several workers: rank 0 reads the run and sends its project to the others, which may
        // not see the store. The backend follows `auto`, as the project is not read yet.
        request.distributed = joinProcessGroup(*distributed, "auto");
        nlohmann::json shared;
        if (!request.distributed || request.distributed->isLeader()) {
            try {
                request.storePath = locateRunsDb(*runsDb);
                const auto run = RunStore(request.storePath).run(*runId);
                if (!run) {
                    throw InputError(request.storePath + ": run " + std::to_string(*runId) + " not found");
                }
                request.project = projectOfRun(*run);
                shared = {{"project", run->projectJson}, {"path", run->projectPath}, {"store", request.storePath}};
            } catch (const std::exception& error) {
                if (request.distributed) {
                    request.distributed->reportFailure(error.what());
                }
                throw;
            }
            if (request.distributed) {
                request.distributed->set("resume_run", shared.dump());
            }
        } else {
            const auto text = request.distributed->waitForKey("resume_run", 0);
            if (!text) {
                throw std::runtime_error("rank 0 could not read run " + std::to_string(*runId));
            }
            shared = nlohmann::json::parse(*text);
            RunRecord run;
            run.id = *runId;
            run.projectJson = shared.at("project").get<std::string>();
            run.projectPath = shared.at("path").get<std::string>();
            request.project = projectOfRun(run);
            request.storePath = shared.at("store").get<std::string>();
        }
        exitCode = runTrainingSession(std::move(request), *json);
    });
}

}  // namespace mtlw::cli
