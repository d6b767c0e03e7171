// Scale benchmark of the run browser queries: fills a run store with synthetic runs, then times
// listing the runs with their final metrics and loading the downsampled curves of 10 runs.
//
//   build/bin/mtlw_bench_compare [--runs 100] [--steps 20000] [--tasks 4] [--weights]
//                                [--store FILE] [--repeat 5] [--points 2000]
//
// Prints one line per measurement with the median and maximum over the repeats, and the ratio
// of the maximum to the 0.5 s target.
#include "compare/Comparison.h"
#include "compare/Curves.h"
#include "store/RunStore.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace {

constexpr double kTargetSeconds = 0.5;

struct Options {
    int runs = 100;
    int steps = 20000;
    int tasks = 4;
    bool weights = false;
    std::string store;
    int repeat = 5;
    std::size_t points = 2000;
};

Options parseOptions(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "missing value after %s\n", flag.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (flag == "--runs") {
            options.runs = std::stoi(value());
        } else if (flag == "--steps") {
            options.steps = std::stoi(value());
        } else if (flag == "--tasks") {
            options.tasks = std::stoi(value());
        } else if (flag == "--weights") {
            options.weights = true;
        } else if (flag == "--store") {
            options.store = value();
        } else if (flag == "--repeat") {
            options.repeat = std::stoi(value());
        } else if (flag == "--points") {
            options.points = static_cast<std::size_t>(std::stoul(value()));
        } else {
            std::fprintf(stderr, "unknown option %s; see the comment at the top of bench/compare_scale.cpp\n",
                         flag.c_str());
            std::exit(2);
        }
    }
    return options;
}

std::string taskName(int t) {
    return "task" + std::to_string(t);
}

nlohmann::json projectJson(const Options& options, int run) {
    nlohmann::json tasks = nlohmann::json::array();
    for (int t = 0; t < options.tasks; ++t) {
        tasks.push_back({{"name", taskName(t)}, {"type", "classification"}, {"dataset", "data"}, {"target", taskName(t)}});
    }
    const char* methods[] = {"ew", "pcgrad", "cagrad", "famo"};
    return {{"format", "mtl-workbench-project"},
            {"schema_version", 1},
            {"name", "Scale benchmark"},
            {"tasks", tasks},
            {"training",
             {{"epochs", 20},
              {"seed", run % 5},
              {"optimizer", {{"type", "adam"}, {"learning_rate", 0.001}}},
              {"method", {{"name", methods[run % 4]}}}}}};
}

// Inserts the runs: per step and task a step_loss row (and a weight row with --weights), and
// per 1000 steps validation and test accuracy, in transactions of one epoch each.
void fillStore(mtlw::RunStore& store, const Options& options) {
    const auto start = std::chrono::steady_clock::now();
    constexpr int kStepsPerEpoch = 1000;
    std::size_t rowCount = 0;
    for (int r = 0; r < options.runs; ++r) {
        mtlw::NewRun run;
        run.projectPath = "/bench/scale.mtlw";
        run.projectName = "Scale benchmark";
        run.projectJson = projectJson(options, r).dump();
        run.method = projectJson(options, r)["training"]["method"]["name"];
        run.seed = static_cast<std::uint64_t>(r % 5);
        run.device = "cpu";
        run.codeVersion = "bench";
        const std::int64_t id = store.createRun(run);

        std::vector<mtlw::MetricRow> rows;
        nlohmann::json finalTasks = nlohmann::json::object();
        for (int step = 1; step <= options.steps; ++step) {
            const int epoch = (step - 1) / kStepsPerEpoch + 1;
            const double wallTime = step * 0.01;
            for (int t = 0; t < options.tasks; ++t) {
                const double loss = 2.0 / (1.0 + 0.001 * step) + 0.1 * std::sin(0.37 * step + t + r);
                rows.push_back({id, step, epoch, "train", taskName(t), "step_loss", loss, wallTime});
                if (options.weights) {
                    rows.push_back({id, step, epoch, "train", taskName(t), "weight", 1.0, wallTime});
                }
            }
            if (step % kStepsPerEpoch == 0 || step == options.steps) {
                for (int t = 0; t < options.tasks; ++t) {
                    const double accuracy = 0.5 + 0.4 * step / options.steps - 0.01 * t + 0.001 * r;
                    rows.push_back({id, step, epoch, "validation", taskName(t), "accuracy", accuracy, wallTime});
                    rows.push_back({id, step, epoch, "test", taskName(t), "accuracy", accuracy - 0.01, wallTime});
                    finalTasks[taskName(t)] = {{"accuracy", accuracy - 0.01}, {"loss", 0.5}};
                }
                rowCount += rows.size();
                store.appendMetrics(rows);
                rows.clear();
            }
        }
        store.finishRun(id, mtlw::run_status::kCompleted,
                        {{"tasks", finalTasks}, {"final_tasks", finalTasks}, {"epochs_completed", options.steps / 1000}});
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("filled %d runs, %zu metric rows in %.1f s\n", options.runs, rowCount, seconds);
}

// Runs `action` `repeat` times; prints the median and maximum seconds and their ratio to the target.
void measure(const char* label, int repeat, const std::function<std::size_t()>& action) {
    std::vector<double> seconds;
    std::size_t items = 0;
    for (int i = 0; i < repeat; ++i) {
        const auto start = std::chrono::steady_clock::now();
        items = action();
        seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(seconds.begin(), seconds.end());
    const double median = seconds[seconds.size() / 2];
    const double maximum = seconds.back();
    std::printf("%-44s median %.3f s, max %.3f s (%zu items); max / 0.5 s target = %.2f\n", label, median, maximum,
                items, maximum / kTargetSeconds);
}

}  // namespace

int main(int argc, char** argv) {
    const Options options = parseOptions(argc, argv);
    spdlog::set_level(spdlog::level::warn);
    const bool temporary = options.store.empty();
    const std::string path =
        temporary ? (std::filesystem::temp_directory_path() / "mtlw-bench-compare.runs.sqlite").string() : options.store;

    if (temporary || !std::filesystem::exists(path)) {
        for (const char* suffix : {"", "-wal", "-shm"}) {
            std::filesystem::remove(path + suffix);
        }
        mtlw::RunStore store(path);
        fillStore(store, options);
    } else {
        // Opening migrates a store of an older schema, which is not part of the timing.
        std::printf("reusing %s\n", path.c_str());
        const mtlw::RunStore store(path);
    }
    std::printf("store %s: %.0f MB\n", path.c_str(), std::filesystem::file_size(path) / 1e6);

    measure("open store + list runs with final metrics", options.repeat, [&] {
        const mtlw::RunStore store(path);
        return mtlw::listRuns(store, "/bench/scale.mtlw").size();
    });

    std::vector<std::int64_t> tenRuns;
    {
        const mtlw::RunStore store(path);
        for (const auto& run : store.runs()) {
            if (tenRuns.size() < 10) {
                tenRuns.push_back(run.id);
            }
        }
    }
    const mtlw::CurveRequest request;  // train step_loss of every task
    for (const auto& [label, method] :
         {std::pair{"curves of 10 runs, all tasks, min/max", mtlw::Downsampling::MinMax},
          std::pair{"curves of 10 runs, all tasks, LTTB", mtlw::Downsampling::Lttb},
          std::pair{"curves of 10 runs, all tasks, no downsampling", mtlw::Downsampling::None}}) {
        measure(label, options.repeat, [&, method = method] {
            const mtlw::RunStore store(path);
            std::size_t points = 0;
            for (const auto& curve : mtlw::loadCurves(store, tenRuns, request, options.points, method)) {
                points += curve.values.size();
            }
            return points;
        });
    }

    if (temporary) {
        for (const char* suffix : {"", "-wal", "-shm"}) {
            std::filesystem::remove(path + suffix);
        }
    }
    return 0;
}
