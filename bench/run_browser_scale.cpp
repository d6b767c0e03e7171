// Scale benchmark of the run browser window itself: on a store filled by mtlw_bench_compare
// (100 runs x 20k logged steps x 4 tasks by default), times opening the window with its run
// table, and selecting 10 runs, which compares them and redraws the curve overlay, the bars,
// the Pareto plot and the hyperparameter table.
//
//   mtlw_bench_compare --store /tmp/scale.runs.sqlite --repeat 1
//   QT_QPA_PLATFORM=offscreen mtlw_bench_run_browser /tmp/scale.runs.sqlite [--repeat 5]
//
// Prints the median and maximum over the repeats and the ratio of the maximum to the 0.5 s target.
#include "CompareWindow.h"
#include "RunTableModel.h"

#include <QApplication>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

namespace {

constexpr double kTargetSeconds = 0.5;

void measure(const char* label, int repeat, const std::function<void()>& action) {
    std::vector<double> seconds;
    for (int i = 0; i < repeat; ++i) {
        const auto start = std::chrono::steady_clock::now();
        action();
        QApplication::processEvents();
        seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(seconds.begin(), seconds.end());
    const double worst = seconds.back();
    std::printf("%-58s median %.3f s  max %.3f s  max/target %.2f\n", label, seconds[seconds.size() / 2], worst,
                worst / kTargetSeconds);
}

}  // namespace

int main(int argc, char** argv) {
    QApplication application(argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: mtlw_bench_run_browser STORE [--repeat N]; fill STORE with mtlw_bench_compare --store\n");
        return 2;
    }
    const QString store = QString::fromLocal8Bit(argv[1]);
    const int repeat = argc >= 4 && QByteArray(argv[2]) == "--repeat" ? std::max(1, std::atoi(argv[3])) : 5;

    measure("open the run browser (store, run table, window shown)", repeat, [&] {
        mtlw::CompareWindow window(store);
        window.show();
        QApplication::processEvents();
    });

    mtlw::CompareWindow window(store);
    window.show();
    std::vector<std::int64_t> ids;
    for (int row = 0; row < std::min(10, window.runModel()->rowCount()); ++row) {
        ids.push_back(window.runModel()->runs()[static_cast<std::size_t>(row)].run.id);
    }
    std::printf("%d runs in the table; overlaying %zu\n", window.runModel()->rowCount(), ids.size());
    measure("select 10 runs (compare, curves, bars, Pareto, hyperparameters)", repeat, [&] {
        window.selectRuns({});
        window.selectRuns(ids);
    });
    return 0;
}
