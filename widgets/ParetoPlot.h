// A scatter plot of runs on two task metrics, with the non-dominated runs (the Pareto front)
// drawn larger, labelled and joined by a line.
#pragma once

#include "compare/Comparison.h"

#include <QWidget>

#include <cstdint>
#include <vector>

class QCustomPlot;

namespace mtlw {

class ParetoPlot : public QWidget {
    Q_OBJECT

public:
    explicit ParetoPlot(QWidget* parent = nullptr);

    /// Plots every run that has both metrics and highlights paretoFront(comparison, x, y).
    void setComparison(const Comparison& comparison, const TaskMetric& x, const TaskMetric& y);

    /// Ids of the highlighted runs, best on x first.
    const std::vector<std::int64_t>& frontRunIds() const { return mFront; }
    /// Number of runs drawn.
    int pointCount() const { return mPointCount; }
    QCustomPlot* plot() const { return mPlot; }

private:
    QCustomPlot* mPlot;
    std::vector<std::int64_t> mFront;
    int mPointCount = 0;
};

}  // namespace mtlw
