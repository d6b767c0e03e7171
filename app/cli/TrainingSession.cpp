#include "TrainingSession.h"

#include "distributed/DistributedContext.h"
#include "engine/Engine.h"
#include "util/Errors.h"

#include <cstdio>
#include <filesystem>
#include <iostream>

#include <unistd.h>

namespace mtlw::cli {

namespace {

// A one-line progress bar on standard error, redrawn in place.
class ProgressBar {
public:
    void draw(const EngineEvent& event) {
        if (event.batchesPerEpoch == 0) {
            return;
        }
        const double epochFraction = static_cast<double>(event.batchInEpoch) / event.batchesPerEpoch;
        const double done = (event.epoch - 1 + epochFraction) / std::max(1, event.epochs);
        if (mFirstDone < 0.0) {
            mFirstDone = done;
            mFirstSeconds = event.elapsedSeconds;
        }
        const double rate = (done - mFirstDone) / std::max(1e-9, event.elapsedSeconds - mFirstSeconds);
        const int width = 30;
        const int filled = static_cast<int>(done * width);
        std::string bar(filled, '#');
        bar.resize(width, '.');
        std::string losses;
        for (const auto& [task, loss] : event.taskLosses) {
            char part[64];
            std::snprintf(part, sizeof part, " %s=%.3f", task.c_str(), loss);
            losses += part;
        }
        char eta[32] = "--";
        if (rate > 0.0) {
            std::snprintf(eta, sizeof eta, "%.0f s", (1.0 - done) / rate);
        }
        std::fprintf(stderr, "\r\033[Kepoch %d/%d [%s] %3.0f%% ETA %s loss%s", event.epoch, event.epochs, bar.c_str(),
                     done * 100.0, eta, losses.c_str());
        std::fflush(stderr);
        mDrawn = true;
    }

    void clear() {
        if (mDrawn) {
            std::fprintf(stderr, "\r\033[K");
            std::fflush(stderr);
            mDrawn = false;
        }
    }

private:
    double mFirstDone = -1.0;
    double mFirstSeconds = 0.0;
    bool mDrawn = false;
};

void printSummary(const TrainResult& result) {
    std::cout << "run " << result.runId << ": " << result.status;
    if (result.summary.contains("train_seconds")) {
        char line[128];
        std::snprintf(line, sizeof line, " in %.1f s, %.0f training samples/s",
                      result.summary.value("seconds", 0.0), result.summary.value("samples_per_second", 0.0));
        std::cout << line;
    }
    std::cout << "\n";
    if (!result.error.empty()) {
        std::cout << "error: " << result.error << "\n";
    }
    if (result.summary.contains("tasks") && !result.summary["tasks"].empty()) {
        std::cout << "test metrics at the best validation epoch (" << result.summary.value("best_epoch", 0) << "):\n";
        for (const auto& [task, metrics] : result.summary["tasks"].items()) {
            std::cout << "  " << task << ":";
            for (const auto& [name, value] : metrics.items()) {
                if (name == "loss") {
                    continue;
                }
                char text[64];
                std::snprintf(text, sizeof text, " %s %.4f", name.c_str(), value.get<double>());
                std::cout << text;
            }
            std::cout << "\n";
        }
    }
    if (result.summary.contains("delta_m")) {
        char text[64];
        std::snprintf(text, sizeof text, "delta_m: %+.2f%% against the single-task baselines\n",
                      result.summary["delta_m"].get<double>());
        std::cout << text;
    }
}

}  // namespace

int runTrainingSession(TrainRequest request, bool json) {
    // Only rank 0 of a multi-process run draws progress.
    const bool interactive = ::isatty(STDERR_FILENO) != 0 && (!request.distributed || request.distributed->isLeader());
    Engine engine;
    engine.start(std::move(request));
    ProgressBar bar;
    while (true) {
        const auto event = engine.events().waitPop(std::chrono::milliseconds(200));
        if (!event) {
            continue;
        }
        if (event->type == EngineEvent::Type::Progress && interactive) {
            bar.draw(*event);
        } else if (event->type == EngineEvent::Type::EpochEnded) {
            bar.clear();
        } else if (event->type == EngineEvent::Type::Finished) {
            bar.clear();
            break;
        }
    }
    const TrainResult result = engine.wait();

    if (result.status == "rejected") {
        std::cerr << "error: " << result.error << "\n";
        if (json) {
            std::cout << nlohmann::json{{"run_id", nullptr}, {"status", "rejected"}, {"error", result.error}}.dump()
                      << std::endl;
        }
        return result.inputError ? 2 : 1;
    }
    if (json) {
        nlohmann::json line{{"run_id", result.runId},
                            {"status", result.status},
                            {"tasks", result.summary.value("tasks", nlohmann::json::object())},
                            {"seconds", result.summary.value("seconds", 0.0)},
                            {"train_seconds", result.summary.value("train_seconds", 0.0)},
                            {"epochs_completed", result.summary.value("epochs_completed", 0)},
                            {"samples_per_second", result.summary.value("samples_per_second", 0.0)}};
        if (!result.error.empty()) {
            line["error"] = result.error;
        }
        if (result.summary.contains("delta_m")) {
            line["delta_m"] = result.summary["delta_m"];
        }
        if (result.summary.contains("baseline_task")) {
            line["baseline_task"] = result.summary["baseline_task"];
        }
        std::cout << line.dump() << std::endl;
    } else {
        printSummary(result);
    }
    return result.status == run_status::kCompleted ? 0 : 1;
}

std::string locateRunsDb(const std::string& runsDb) {
    if (!runsDb.empty()) {
        if (!std::filesystem::exists(runsDb)) {
            throw InputError(runsDb + ": run store not found; pass the .runs.sqlite file next to the project");
        }
        return runsDb;
    }
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::current_path())) {
        const std::string name = entry.path().filename().string();
        if (name.size() > 12 && name.compare(name.size() - 12, 12, ".runs.sqlite") == 0) {
            found.push_back(entry.path().string());
        }
    }
    if (found.size() == 1) {
        return found.front();
    }
    throw InputError(found.empty() ? "no *.runs.sqlite file in the current folder; pass --runs-db FILE"
                                   : "several *.runs.sqlite files in the current folder; pass --runs-db FILE");
}

}  // namespace mtlw::cli
