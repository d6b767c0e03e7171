// mtlw merge: merges single-task models fine-tuned from one base into one multi-task model,
// evaluates it and records the merge; mtlw merges lists recorded merges.
#include "Commands.h"
#include "TrainingSession.h"

#include "engine/Checkpoint.h"
#include "engine/Trainer.h"
#include "merging/MergeSession.h"
#include "store/RunStore.h"
#include "util/Errors.h"
#include "util/Version.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

namespace mtlw::cli {

namespace {

struct MergeOptions {
    std::string base;
    std::vector<std::int64_t> models;
    std::string method;
    std::vector<std::string> params;
    std::int64_t mtlRunId = -1;
    std::string projectPath;
    std::string runsDb;
    bool noSave = false;
    bool json = false;
};

// The merged, individual, joint and base models' metrics, by task.
struct Comparison {
    std::map<std::string, TaskMetrics> byModel;
    std::map<std::string, std::int64_t> individualRuns;
};

nlohmann::json parseParams(const std::vector<std::string>& pairs) {
    nlohmann::json params = nlohmann::json::object();
    for (const auto& pair : pairs) {
        const auto equals = pair.find('=');
        if (equals == std::string::npos || equals == 0) {
            throw InputError("--param " + pair + ": expected key=value, e.g. --param lambda=0.3");
        }
        const std::string key = pair.substr(0, equals);
        const std::string text = pair.substr(equals + 1);
        std::size_t parsed = 0;
        double value = 0.0;
        try {
            value = std::stod(text, &parsed);
        } catch (const std::exception&) {
            parsed = 0;
        }
        if (parsed == 0 || parsed != text.size()) {
            throw InputError("--param " + pair + ": the value '" + text + "' is not a number");
        }
        params[key] = value;
    }
    return params;
}

std::string resolveStorePath(const MergeOptions& options) {
    if (!options.runsDb.empty() || options.projectPath.empty()) {
        return locateRunsDb(options.runsDb);
    }
    const std::string path = RunStore::defaultPathFor(loadProject(options.projectPath).filePath);
    if (!std::filesystem::exists(path)) {
        throw InputError(path + ": run store not found; train the models first or pass --runs-db FILE");
    }
    return path;
}

std::string bestCheckpointOf(const RunStore& store, std::int64_t runId) {
    auto checkpoint = store.bestCheckpoint(runId);
    if (!checkpoint) {
        checkpoint = store.latestCheckpoint(runId);
    }
    if (!checkpoint) {
        throw InputError(store.path() + ": run " + std::to_string(runId) + " has no checkpoint");
    }
    return checkpoint->path;
}

// "run:ID" names a run's best checkpoint; anything else is a file.
std::string resolveBase(const RunStore& store, const std::string& base) {
    if (base.rfind("run:", 0) == 0) {
        std::int64_t runId = 0;
        try {
            runId = std::stoll(base.substr(4));
        } catch (const std::exception&) {
            throw InputError("--base " + base + ": expected run:ID with a run id, or a checkpoint file");
        }
        store.requireRun(runId);
        return bestCheckpointOf(store, runId);
    }
    if (!std::filesystem::is_regular_file(base)) {
        throw InputError("--base " + base + ": checkpoint file not found");
    }
    return std::filesystem::absolute(base).lexically_normal().string();
}

MergeSetup buildSetup(const RunStore& store, const MergeOptions& options, const std::string& basePath) {
    MergeSetup setup;
    setup.baseCheckpoint = basePath;
    std::string projectPath = options.projectPath;
    for (const std::int64_t runId : options.models) {
        const RunRecord run = store.requireRun(runId);
        const Project snapshot = projectOfRun(run);
        if (snapshot.tasks.size() != 1) {
            throw InputError("--models: run " + std::to_string(runId) + " trains " + std::to_string(snapshot.tasks.size()) +
                             " tasks; merging takes single-task runs, such as those of `mtlw baseline PROJECT --init "
                             "CHECKPOINT`");
        }
        if (run.status != run_status::kCompleted) {
            spdlog::warn("run {} is {}, not completed; merging its best checkpoint", runId, run.status);
        }
        const std::string init = run.summary.value("init_checkpoint", std::string());
        if (init != basePath) {
            spdlog::warn("run {} was not fine-tuned from the base {} (it started from {}); task vectors assume it was",
                         runId, basePath, init.empty() ? "a fresh initialization" : init);
        }
        if (options.projectPath.empty()) {
            if (!projectPath.empty() && projectPath != run.projectPath) {
                throw InputError("--models: runs come from different projects (" + projectPath + " and " +
                                 run.projectPath + "); pass --project FILE");
            }
            projectPath = run.projectPath;
        }
        setup.models.push_back({snapshot.tasks.front().name, bestCheckpointOf(store, runId), "run " + std::to_string(runId)});
    }
    setup.project = loadProject(projectPath);
    return setup;
}

Comparison compare(MergeSession& session, const MergeOutput& output, const RunStore& store, const MergeOptions& options,
                   std::string& jointCheckpoint) {
    const Dataset& dataset = session.dataset();
    const Split& test = dataset.test.size() > 0 ? dataset.test : dataset.validation;
    Comparison comparison;
    comparison.byModel["merged"] = session.evaluate(output.weights, test);
    comparison.byModel["individual"] = session.evaluateIndividual(test);
    comparison.byModel["base"] = session.evaluate(session.problem().base, test);
    if (options.mtlRunId >= 0) {
        store.requireRun(options.mtlRunId);
        jointCheckpoint = bestCheckpointOf(store, options.mtlRunId);
        comparison.byModel["joint"] = session.evaluateCheckpoint(jointCheckpoint, test);
    }
    for (std::size_t m = 0; m < options.models.size(); ++m) {
        comparison.individualRuns[session.project().tasks[m].name] = options.models[m];
    }
    return comparison;
}

MergeRecord buildRecord(const MergeSession& session, const MergeSetup& setup, const MergeOptions& options,
                        const MergeOutput& output, const Comparison& comparison, double seconds) {
    MergeRecord record;
    record.projectPath = setup.project.filePath;
    record.projectName = setup.project.name;
    record.method = options.method;
    record.params = resolveMergeParams(*findMergeMethod(options.method), parseParams(options.params), "--param");
    record.baseCheckpoint = setup.baseCheckpoint;
    for (std::size_t m = 0; m < setup.models.size(); ++m) {
        record.inputs.push_back({options.models[m], setup.models[m].task, setup.models[m].checkpointPath});
    }
    if (options.mtlRunId >= 0) {
        record.mtlRunId = options.mtlRunId;
    }
    record.details = output.details;
    record.seconds = seconds;
    record.codeVersion = codeVersion();
    for (const auto& [model, byTask] : comparison.byModel) {
        for (const auto& [task, metrics] : byTask) {
            std::optional<std::int64_t> runId;
            if (model == "individual") {
                runId = comparison.individualRuns.at(task);
            } else if (model == "joint") {
                runId = options.mtlRunId;
            }
            for (const auto& [name, value] : metrics) {
                record.metrics.push_back({model, runId, task, name, value});
            }
        }
    }
    return record;
}

nlohmann::json comparisonJson(const Comparison& comparison) {
    nlohmann::json tasks = nlohmann::json::object();
    for (const auto& [model, byTask] : comparison.byModel) {
        for (const auto& [task, metrics] : byTask) {
            tasks[task][model] = metrics;
        }
    }
    return tasks;
}

void printComparison(const MergeRecord& record, const MergeSession& session, const Comparison& comparison) {
    std::cout << "merge " << record.id << ": " << record.method << " " << record.params.dump() << " of";
    for (const auto& input : record.inputs) {
        std::cout << " run " << input.runId.value_or(0) << " (" << input.task << ")";
    }
    std::cout << "\n  base:       " << record.baseCheckpoint << "\n";
    if (!record.checkpointPath.empty()) {
        std::cout << "  checkpoint: " << record.checkpointPath << "\n";
    }
    if (!record.details.empty()) {
        std::cout << "  details:    " << record.details.dump() << "\n";
    }
    const std::vector<std::string> models = {"merged", "individual", "joint", "base"};
    // The metric column fits the longest metric name, subset_accuracy.
    std::printf("test metrics %-20s", "");
    for (const auto& model : models) {
        if (comparison.byModel.count(model) > 0) {
            std::printf(" %10s", model.c_str());
        }
    }
    std::printf("\n");
    for (const auto& task : session.project().tasks) {
        for (const auto& [name, value] : comparison.byModel.at("merged").at(task.name)) {
            if (name == "loss") {
                continue;
            }
            std::printf("  %-14s %-15s", task.name.c_str(), name.c_str());
            for (const auto& model : models) {
                const auto found = comparison.byModel.find(model);
                if (found != comparison.byModel.end()) {
                    std::printf(" %10.4f", found->second.at(task.name).at(name));
                }
            }
            std::printf("\n");
        }
    }
}

void runMerge(const MergeOptions& options) {
    const auto start = std::chrono::steady_clock::now();
    if (findMergeMethod(options.method) == nullptr) {
        createMergeMethod(options.method, nlohmann::json::object());
    }
    const nlohmann::json params = parseParams(options.params);
    resolveMergeParams(*findMergeMethod(options.method), params, "--param");

    const std::string storePath = resolveStorePath(options);
    RunStore store(storePath);
    const std::string basePath = resolveBase(store, options.base);
    const MergeSetup setup = buildSetup(store, options, basePath);
    MergeSession session(setup);
    const MergeOutput output = session.merge(options.method, params);
    std::string jointCheckpoint;
    const Comparison comparison = compare(session, output, store, options, jointCheckpoint);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    MergeRecord record = buildRecord(session, setup, options, output, comparison, seconds);
    record.id = store.addMerge(record);
    if (!options.noSave) {
        const std::filesystem::path folder = std::filesystem::path(checkpointFolder(storePath, 0)).parent_path() /
                                             ("merge-" + std::to_string(record.id));
        record.checkpointPath = (folder / "merged.pt").string();
        session.saveMergedCheckpoint(output.weights, record.checkpointPath);
        store.setMergeCheckpoint(record.id, record.checkpointPath);
    }
    spdlog::info("merge {}: {} of {} models in {:.1f} s", record.id, options.method, options.models.size(), seconds);

    if (options.json) {
        nlohmann::json line{{"merge_id", record.id},     {"method", record.method},
                            {"params", record.params},   {"base", record.baseCheckpoint},
                            {"models", options.models},  {"details", record.details},
                            {"checkpoint", record.checkpointPath}, {"seconds", seconds},
                            {"tasks", comparisonJson(comparison)}};
        if (options.mtlRunId >= 0) {
            line["mtl_run_id"] = options.mtlRunId;
        }
        std::cout << line.dump() << std::endl;
    } else {
        printComparison(record, session, comparison);
    }
}

}  // namespace

void addMergeCommand(CLI::App& app, int& exitCode) {
    auto options = std::make_shared<MergeOptions>();
    CLI::App* command = app.add_subcommand(
        "merge", "Merge single-task models fine-tuned from one base into one multi-task model, and record it");
    command->add_option("--base", options->base, "Base checkpoint file the models were fine-tuned from, or run:ID")
        ->required();
    command->add_option("--models", options->models, "Single-task runs to merge, one per task")->required();
    command->add_option("--method", options->method,
                        "average, task_arithmetic, ties, dare, dare_ties, slerp, fisher, adamerging or adamerging_layer")
        ->required();
    command->add_option("--param", options->params, "Method parameter as key=value, e.g. lambda=0.3; repeatable");
    command->add_option("--mtl", options->mtlRunId, "Jointly trained run to compare with")->check(CLI::NonNegativeNumber);
    command->add_option("--project", options->projectPath, "Project file (default: the project of the runs)");
    command->add_option("--runs-db", options->runsDb, "Run store file (default: the only *.runs.sqlite in this folder)");
    command->add_flag("--no-save", options->noSave, "Do not write a checkpoint of the merged model");
    command->add_flag("--json", options->json, "Print one JSON object with the results as the last line");
    command->callback([options, &exitCode] {
        runMerge(*options);
        exitCode = 0;
    });
}

void addMergesCommand(CLI::App& app, int& exitCode) {
    auto runsDb = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    CLI::App* command = app.add_subcommand("merges", "List recorded model merges, newest first");
    command->add_option("--runs-db", *runsDb, "Run store file (default: the only *.runs.sqlite in this folder)");
    command->add_flag("--json", *json, "Print a JSON array");
    command->callback([runsDb, json, &exitCode] {
        const RunStore store(locateRunsDb(*runsDb));
        const auto merges = store.merges();
        if (*json) {
            nlohmann::json list = nlohmann::json::array();
            for (const auto& merge : merges) {
                nlohmann::json metrics = nlohmann::json::object();
                for (const auto& metric : merge.metrics) {
                    metrics[metric.task][metric.model][metric.name] = metric.value;
                }
                nlohmann::json runs = nlohmann::json::array();
                for (const auto& input : merge.inputs) {
                    runs.push_back({{"run_id", input.runId ? nlohmann::json(*input.runId) : nlohmann::json()},
                                    {"task", input.task},
                                    {"checkpoint", input.checkpointPath}});
                }
                list.push_back({{"merge_id", merge.id},      {"project", merge.projectName},
                                {"created_at", merge.createdAt}, {"method", merge.method},
                                {"params", merge.params},     {"base", merge.baseCheckpoint},
                                {"models", runs},             {"details", merge.details},
                                {"checkpoint", merge.checkpointPath}, {"tasks", metrics}});
            }
            std::cout << list.dump(2) << "\n";
        } else {
            std::printf("%-5s %-17s %-24s %s\n", "id", "method", "created", "merged test metrics");
            for (const auto& merge : merges) {
                std::string text;
                for (const auto& metric : merge.metrics) {
                    if (metric.model != "merged" || metric.name == "loss") {
                        continue;
                    }
                    char part[96];
                    std::snprintf(part, sizeof part, "%s%s %s=%.4f", text.empty() ? "" : ", ", metric.task.c_str(),
                                  metric.name.c_str(), metric.value);
                    text += part;
                }
                std::printf("%-5lld %-17s %-24s %s\n", static_cast<long long>(merge.id), merge.method.c_str(),
                            merge.createdAt.c_str(), text.c_str());
            }
        }
        exitCode = 0;
    });
}

}  // namespace mtlw::cli
