// Bars of one task metric per group of runs that differ only by seed: the mean as the bar and
// the standard deviation over the seeds as an error bar, with the number of seeds on the tick.
#pragma once

#include "compare/Comparison.h"

#include <QWidget>

class QCustomPlot;

namespace mtlw {

class MetricBarChart : public QWidget {
    Q_OBJECT

public:
    explicit MetricBarChart(QWidget* parent = nullptr);

    /// Draws `metric` for each group; groups without the metric are left out.
    void setGroups(const std::vector<SeedGroup>& groups, const TaskMetric& metric);

    /// Bar heights and error bars as drawn, for checks.
    std::vector<double> means() const { return mMeans; }
    std::vector<double> deviations() const { return mDeviations; }
    QCustomPlot* plot() const { return mPlot; }

private:
    QCustomPlot* mPlot;
    std::vector<double> mMeans;
    std::vector<double> mDeviations;
};

}  // namespace mtlw
