#include "MetricBarChart.h"

#include "CurvePlot.h"

#include <qcustomplot.h>

#include <QVBoxLayout>

namespace mtlw {

MetricBarChart::MetricBarChart(QWidget* parent) : QWidget(parent), mPlot(new QCustomPlot(this)) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(mPlot);
    mPlot->setMinimumHeight(220);
}

void MetricBarChart::setGroups(const std::vector<SeedGroup>& groups, const TaskMetric& metric) {
    mPlot->clearPlottables();
    mMeans.clear();
    mDeviations.clear();
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    QVector<double> keys;
    QVector<double> values;
    QVector<double> errors;
    for (const SeedGroup& group : groups) {
        const auto task = group.taskMetrics.find(metric.task);
        if (task == group.taskMetrics.end()) {
            continue;
        }
        const auto found = task->second.find(metric.metric);
        if (found == task->second.end() || found->second.count == 0) {
            continue;
        }
        const double key = static_cast<double>(keys.size() + 1);
        keys << key;
        values << found->second.mean;
        errors << found->second.std;
        mMeans.push_back(found->second.mean);
        mDeviations.push_back(found->second.std);
        ticker->addTick(key, QStringLiteral("%1 (n = %2)").arg(QString::fromStdString(group.label)).arg(found->second.count));
    }

    auto* bars = new QCPBars(mPlot->xAxis, mPlot->yAxis);
    bars->setWidth(0.6);
    bars->setPen(QPen(CurvePlot::taskColor(0).darker(120)));
    bars->setBrush(CurvePlot::taskColor(0).lighter(130));
    bars->setData(keys, values);
    auto* errorBars = new QCPErrorBars(mPlot->xAxis, mPlot->yAxis);
    errorBars->setDataPlottable(bars);
    errorBars->setData(errors);
    errorBars->setPen(QPen(Qt::black, 1.5));

    mPlot->xAxis->setTicker(ticker);
    mPlot->xAxis->setRange(0.4, keys.size() + 0.6);
    mPlot->xAxis->setSubTicks(false);
    mPlot->xAxis->grid()->setVisible(false);
    mPlot->yAxis->setLabel(QString::fromStdString(metric.label()) + QStringLiteral(" (mean ± std over seeds)"));
    // Bars start at 0, so the range always contains it.
    double low = 0.0;
    double high = 0.0;
    for (int i = 0; i < values.size(); ++i) {
        low = std::min(low, values[i] - errors[i]);
        high = std::max(high, values[i] + errors[i]);
    }
    const double margin = high > low ? 0.08 * (high - low) : 1.0;
    mPlot->yAxis->setRange(low < 0.0 ? low - margin : 0.0, high > 0.0 ? high + margin : 0.0);
    mPlot->xAxis->setTickLabelRotation(keys.size() > 6 ? 40.0 : 0.0);
    mPlot->replot();
}

}  // namespace mtlw
