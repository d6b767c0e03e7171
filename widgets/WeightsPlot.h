// The weight a balancing method gave each task over a run, one line per task, from the
// "weight" rows the trainer logs with the step losses.
#pragma once

#include "CurvePlot.h"
#include "store/RunStore.h"

#include <QStringList>

#include <vector>

class QLabel;

namespace mtlw {

class WeightsPlot : public CurvePlot {
    Q_OBJECT

public:
    explicit WeightsPlot(QWidget* parent = nullptr);

    /// Sets the task order, which picks the colours, and removes every point.
    void reset(const QStringList& tasks);
    /// Appends the rows named "weight"; others are ignored. Returns how many were appended.
    int appendRows(const std::vector<MetricRow>& rows, std::int64_t stepsPerEpoch);

private:
    QStringList mTasks;
};

}  // namespace mtlw
