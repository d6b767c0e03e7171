#include "ParetoPlot.h"

#include "CurvePlot.h"

#include <qcustomplot.h>

#include <QVBoxLayout>

#include <algorithm>
#include <numeric>
#include <optional>

namespace mtlw {
namespace {

std::optional<double> metricOf(const ComparedRun& run, const TaskMetric& metric) {
    const auto task = run.taskMetrics.find(metric.task);
    if (task == run.taskMetrics.end()) {
        return std::nullopt;
    }
    const auto found = task->second.find(metric.metric);
    if (found == task->second.end()) {
        return std::nullopt;
    }
    return found->second;
}

QString axisLabel(const TaskMetric& metric) {
    return QString::fromStdString(metric.label()) +
           (higherIsBetter(metric.metric) ? QStringLiteral(" (higher is better)") : QStringLiteral(" (lower is better)"));
}

}  // namespace

ParetoPlot::ParetoPlot(QWidget* parent) : QWidget(parent), mPlot(new QCustomPlot(this)) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(mPlot);
    mPlot->setMinimumHeight(220);
    mPlot->legend->setVisible(true);
    mPlot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignLeft);
}

void ParetoPlot::setComparison(const Comparison& comparison, const TaskMetric& x, const TaskMetric& y) {
    mPlot->clearGraphs();
    mPlot->clearItems();
    mFront = paretoFront(comparison, x, y);
    mPointCount = 0;

    QVector<double> otherX, otherY, frontX, frontY;
    for (const ComparedRun& run : comparison.runs) {
        const auto valueX = metricOf(run, x);
        const auto valueY = metricOf(run, y);
        if (!valueX || !valueY) {
            continue;
        }
        ++mPointCount;
        const bool onFront = std::find(mFront.begin(), mFront.end(), run.run.id) != mFront.end();
        (onFront ? frontX : otherX) << *valueX;
        (onFront ? frontY : otherY) << *valueY;
        auto* label = new QCPItemText(mPlot);
        label->position->setCoords(*valueX, *valueY);
        label->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
        label->setPadding(QMargins(6, 0, 0, 2));
        label->setText(QStringLiteral("#%1 %2").arg(run.run.id).arg(QString::fromStdString(run.run.method)));
        label->setColor(onFront ? CurvePlot::taskColor(1) : Qt::darkGray);
    }

    QCPGraph* others = mPlot->addGraph();
    others->setName(QStringLiteral("dominated runs"));
    others->setLineStyle(QCPGraph::lsNone);
    others->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, Qt::gray, Qt::lightGray, 8));
    others->setData(otherX, otherY);

    // Joined in x order, so the line traces the front.
    QVector<int> order(frontX.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int a, int b) { return frontX[a] < frontX[b]; });
    QVector<double> sortedX, sortedY;
    for (int i : order) {
        sortedX << frontX[i];
        sortedY << frontY[i];
    }
    QCPGraph* front = mPlot->addGraph();
    front->setName(QStringLiteral("Pareto front"));
    front->setPen(QPen(CurvePlot::taskColor(1), 1.5, Qt::DashLine));
    front->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, CurvePlot::taskColor(1), CurvePlot::taskColor(1), 11));
    front->setData(sortedX, sortedY, true);

    mPlot->xAxis->setLabel(axisLabel(x));
    mPlot->yAxis->setLabel(axisLabel(y));
    mPlot->rescaleAxes();
    // Room for the labels and the markers at the edges.
    mPlot->xAxis->scaleRange(1.25, mPlot->xAxis->range().center());
    mPlot->yAxis->scaleRange(1.2, mPlot->yAxis->range().center());
    if (mPlot->xAxis->range().size() <= 0.0) {
        mPlot->xAxis->setRange(mPlot->xAxis->range().lower - 0.5, mPlot->xAxis->range().upper + 0.5);
    }
    if (mPlot->yAxis->range().size() <= 0.0) {
        mPlot->yAxis->setRange(mPlot->yAxis->range().lower - 0.5, mPlot->yAxis->range().upper + 0.5);
    }
    mPlot->replot();
}

}  // namespace mtlw
