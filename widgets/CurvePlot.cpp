#include "CurvePlot.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QHBoxLayout>
#include <QVBoxLayout>

namespace mtlw {

CurvePlot::CurvePlot(const QString& xLabel, const QString& yLabel, QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(2);

    auto* tools = new QHBoxLayout;
    mLogScale = new QCheckBox(tr("Log scale"), this);
    tools->addStretch();
    tools->addWidget(mLogScale);
    layout->addLayout(tools);

    mPlot = new QCustomPlot(this);
    mPlot->xAxis->setLabel(xLabel);
    mPlot->yAxis->setLabel(yLabel);
    // Shown once there is a series, so an empty plot has no empty legend box.
    mPlot->legend->setVisible(false);
    mPlot->legend->setBrush(QColor(255, 255, 255, 220));
    QFont legendFont = font();
    legendFont.setPointSizeF(8.5);
    mPlot->legend->setFont(legendFont);
    mPlot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    mPlot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    mPlot->setMinimumHeight(160);
    layout->addWidget(mPlot, 1);

    connect(mLogScale, &QCheckBox::toggled, this, &CurvePlot::setLogScale);
}

QColor CurvePlot::taskColor(int index) {
    static const QColor colors[] = {QColor(0x1f, 0x77, 0xb4), QColor(0xd6, 0x27, 0x28), QColor(0x2c, 0xa0, 0x2c),
                                    QColor(0xff, 0x7f, 0x0e), QColor(0x94, 0x67, 0xbd), QColor(0x8c, 0x56, 0x4b),
                                    QColor(0xe3, 0x77, 0xc2), QColor(0x17, 0xbe, 0xcf)};
    const int count = static_cast<int>(sizeof colors / sizeof colors[0]);
    return colors[((index % count) + count) % count];
}

void CurvePlot::appendPoint(const QString& series, double x, double y, const QColor& color, Qt::PenStyle style) {
    QCPGraph* graph = nullptr;
    const auto found = mSeries.find(series);
    if (found == mSeries.end()) {
        graph = mPlot->addGraph();
        graph->setName(series);
        graph->setPen(QPen(color, 2.0, style));
        graph->setScatterStyle(mMarkers ? QCPScatterStyle(QCPScatterStyle::ssCircle, 5)
                                        : QCPScatterStyle(QCPScatterStyle::ssNone));
        mSeries[series] = graph;
        mPlot->legend->setVisible(true);
    } else {
        graph = found->second;
    }
    graph->addData(x, y);
    mPlot->rescaleAxes();
    mPlot->replot(QCustomPlot::rpQueuedReplot);
}

void CurvePlot::clear() {
    mPlot->clearGraphs();
    mSeries.clear();
    mPlot->legend->setVisible(false);
    mPlot->replot(QCustomPlot::rpQueuedReplot);
}

QStringList CurvePlot::seriesNames() const {
    QStringList names;
    for (const auto& [name, graph] : mSeries) {
        names << name;
    }
    return names;
}

int CurvePlot::pointCount(const QString& series) const {
    const auto found = mSeries.find(series);
    return found == mSeries.end() ? 0 : found->second->dataCount();
}

bool CurvePlot::logScale() const {
    return mLogScale->isChecked();
}

void CurvePlot::setLogScale(bool enabled) {
    if (mLogScale->isChecked() != enabled) {
        mLogScale->setChecked(enabled);
        return;
    }
    mPlot->yAxis->setScaleType(enabled ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (enabled) {
        mPlot->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
        mPlot->yAxis->setNumberFormat(QStringLiteral("eb"));
        mPlot->yAxis->setNumberPrecision(0);
    } else {
        mPlot->yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
        mPlot->yAxis->setNumberFormat(QStringLiteral("gb"));
        mPlot->yAxis->setNumberPrecision(6);
    }
    mPlot->rescaleAxes();
    mPlot->replot();
}

}  // namespace mtlw
