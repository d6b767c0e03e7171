#include "WeightsPlot.h"

#include "RunData.h"

#include <map>

namespace mtlw {

WeightsPlot::WeightsPlot(QWidget* parent) : CurvePlot(tr("Step"), tr("Task weight"), parent) {}

void WeightsPlot::reset(const QStringList& tasks) {
    mTasks = tasks;
    clear();
}

int WeightsPlot::appendRows(const std::vector<MetricRow>& rows, std::int64_t stepsPerEpoch) {
    std::map<QString, std::vector<CurvePoint>> byTask;
    int count = 0;
    for (const MetricRow& row : rows) {
        if (row.name != "weight" || row.task.empty()) {
            continue;
        }
        byTask[QString::fromStdString(row.task)].push_back(curvePointOf(row, stepsPerEpoch));
        ++count;
    }
    for (const auto& [task, points] : byTask) {
        appendPoints(task, points, taskColor(static_cast<int>(mTasks.indexOf(task))));
    }
    return count;
}

}  // namespace mtlw
