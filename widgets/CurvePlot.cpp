#include "CurvePlot.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSlider>
#include <QVBoxLayout>

#include <cmath>

namespace mtlw {

namespace {

constexpr int kSliderSteps = 99;

QString axisLabel(CurvePlot::XAxis axis) {
    switch (axis) {
    case CurvePlot::XAxis::Step:
        return CurvePlot::tr("Step");
    case CurvePlot::XAxis::Epoch:
        return CurvePlot::tr("Epoch");
    case CurvePlot::XAxis::WallTime:
        return CurvePlot::tr("Wall time (s)");
    }
    return {};
}

}  // namespace

CurvePlot::CurvePlot(const QString& xLabel, const QString& yLabel, QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(2);

    auto* tools = new QHBoxLayout;
    mXAxisLabel = new QLabel(tr("X axis:"), this);
    mXAxisCombo = new QComboBox(this);
    mXAxisCombo->addItem(axisLabel(XAxis::Step), QVariant::fromValue(XAxis::Step));
    mXAxisCombo->addItem(axisLabel(XAxis::Epoch), QVariant::fromValue(XAxis::Epoch));
    mXAxisCombo->addItem(axisLabel(XAxis::WallTime), QVariant::fromValue(XAxis::WallTime));
    mXAxisCombo->setToolTip(tr("Draw the values against the training step, the epoch or the seconds since the run started"));
    tools->addWidget(mXAxisLabel);
    tools->addWidget(mXAxisCombo);
    tools->addSpacing(12);

    auto* smoothingLabel = new QLabel(tr("Smoothing:"), this);
    mSmoothingSlider = new QSlider(Qt::Horizontal, this);
    mSmoothingSlider->setRange(0, kSliderSteps);
    mSmoothingSlider->setMaximumWidth(140);
    mSmoothingSlider->setToolTip(tr("Exponential moving average weight; the raw values stay visible, faint"));
    mSmoothingValue = new QLabel(QStringLiteral("0.00"), this);
    mSmoothingValue->setMinimumWidth(mSmoothingValue->fontMetrics().horizontalAdvance(QStringLiteral("0.000")));
    tools->addWidget(smoothingLabel);
    tools->addWidget(mSmoothingSlider);
    tools->addWidget(mSmoothingValue);
    tools->addStretch();
    mLogScale = new QCheckBox(tr("Log scale"), this);
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
    mPlot->setMinimumHeight(140);
    layout->addWidget(mPlot, 1);

    connect(mLogScale, &QCheckBox::toggled, this, &CurvePlot::setLogScale);
    connect(mSmoothingSlider, &QSlider::valueChanged, this,
            [this](int value) { setSmoothing(value * kMaxSmoothing / kSliderSteps); });
    connect(mXAxisCombo, &QComboBox::currentIndexChanged, this,
            [this]() { setXAxis(mXAxisCombo->currentData().value<XAxis>()); });
}

QColor CurvePlot::taskColor(int index) {
    static const QColor colors[] = {QColor(0x1f, 0x77, 0xb4), QColor(0xd6, 0x27, 0x28), QColor(0x2c, 0xa0, 0x2c),
                                    QColor(0xff, 0x7f, 0x0e), QColor(0x94, 0x67, 0xbd), QColor(0x8c, 0x56, 0x4b),
                                    QColor(0xe3, 0x77, 0xc2), QColor(0x17, 0xbe, 0xcf)};
    const int count = static_cast<int>(sizeof colors / sizeof colors[0]);
    return colors[((index % count) + count) % count];
}

std::vector<double> CurvePlot::smoothed(const std::vector<double>& values, double weight) {
    std::vector<double> result;
    result.reserve(values.size());
    double state = 0.0;
    double decay = 1.0;
    for (const double value : values) {
        if (!std::isfinite(value)) {
            result.push_back(value);
            continue;
        }
        state = weight * state + (1.0 - weight) * value;
        decay *= weight;
        result.push_back(decay < 1.0 ? state / (1.0 - decay) : value);
    }
    return result;
}

CurvePlot::Series& CurvePlot::seriesFor(const QString& name, const QColor& color, Qt::PenStyle style) {
    const auto found = mSeries.find(name);
    if (found != mSeries.end()) {
        return found->second;
    }
    Series& series = mSeries[name];
    // The raw graph is added first so the smoothed one draws on top of it.
    series.rawGraph = mPlot->addGraph();
    QColor faint = color;
    faint.setAlpha(60);
    series.rawGraph->setPen(QPen(faint, 1.0, style));
    series.rawGraph->removeFromLegend();
    series.rawGraph->setVisible(mSmoothing > 0.0);

    series.graph = mPlot->addGraph();
    series.graph->setName(name);
    series.graph->setPen(QPen(color, 2.0, style));
    series.graph->setScatterStyle(mMarkers ? QCPScatterStyle(QCPScatterStyle::ssCircle, 5)
                                           : QCPScatterStyle(QCPScatterStyle::ssNone));
    mPlot->legend->setVisible(true);
    return series;
}

double CurvePlot::xOf(const CurvePoint& point) const {
    switch (mXAxis) {
    case XAxis::Step:
        return point.step;
    case XAxis::Epoch:
        return point.epoch;
    case XAxis::WallTime:
        return point.wallTime;
    }
    return point.step;
}

void CurvePlot::appendPoint(const QString& series, double x, double y, const QColor& color, Qt::PenStyle style) {
    appendPoint(series, CurvePoint{x, x, x, y}, color, style);
}

void CurvePlot::appendPoint(const QString& series, const CurvePoint& point, const QColor& color, Qt::PenStyle style) {
    appendPoints(series, {point}, color, style);
}

void CurvePlot::appendPoints(const QString& name, const std::vector<CurvePoint>& points, const QColor& color,
                             Qt::PenStyle style) {
    Series& series = seriesFor(name, color, style);
    series.points.insert(series.points.end(), points.begin(), points.end());
    // Smoothing depends on every earlier value, so the series is redrawn whole. A series has
    // at most one point per logged step, which keeps this cheap next to a training step.
    rebuildSeries(series);
    rescale();
}

void CurvePlot::rebuildSeries(Series& series) {
    std::vector<double> values;
    values.reserve(series.points.size());
    QVector<double> keys;
    keys.reserve(static_cast<int>(series.points.size()));
    for (const CurvePoint& point : series.points) {
        keys.push_back(xOf(point));
        values.push_back(point.value);
    }
    const QVector<double> raw(values.begin(), values.end());
    const std::vector<double> drawn = mSmoothing > 0.0 ? smoothed(values, mSmoothing) : values;
    // Points arrive in step order, and every x grows with the step.
    series.graph->setData(keys, QVector<double>(drawn.begin(), drawn.end()), true);
    series.rawGraph->setData(keys, raw, true);
    series.rawGraph->setVisible(mSmoothing > 0.0);
}

void CurvePlot::rebuildAll() {
    for (auto& [name, series] : mSeries) {
        rebuildSeries(series);
    }
    rescale();
}

void CurvePlot::rescale() {
    mPlot->rescaleAxes();
    if (mFixedY) {
        mPlot->yAxis->setRange(mFixedLower, mFixedUpper);
    }
    mPlot->replot(QCustomPlot::rpQueuedReplot);
}

void CurvePlot::clear() {
    mPlot->clearGraphs();
    mSeries.clear();
    mPlot->legend->setVisible(false);
    mPlot->replot(QCustomPlot::rpQueuedReplot);
}

void CurvePlot::setXAxisSelectable(bool selectable) {
    mXAxisLabel->setVisible(selectable);
    mXAxisCombo->setVisible(selectable);
}

void CurvePlot::setFixedYRange(double lower, double upper) {
    mFixedY = true;
    mFixedLower = lower;
    mFixedUpper = upper;
    rescale();
}

QStringList CurvePlot::seriesNames() const {
    QStringList names;
    for (const auto& [name, series] : mSeries) {
        names << name;
    }
    return names;
}

int CurvePlot::pointCount(const QString& series) const {
    const auto found = mSeries.find(series);
    return found == mSeries.end() ? 0 : static_cast<int>(found->second.points.size());
}

std::vector<CurvePoint> CurvePlot::points(const QString& series) const {
    const auto found = mSeries.find(series);
    return found == mSeries.end() ? std::vector<CurvePoint>{} : found->second.points;
}

std::vector<double> CurvePlot::drawnValues(const QString& series) const {
    const auto found = mSeries.find(series);
    if (found == mSeries.end()) {
        return {};
    }
    std::vector<double> values;
    const auto data = found->second.graph->data();
    for (auto it = data->constBegin(); it != data->constEnd(); ++it) {
        values.push_back(it->value);
    }
    return values;
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
    rescale();
}

void CurvePlot::setSmoothing(double weight) {
    weight = std::clamp(weight, 0.0, kMaxSmoothing);
    const int position = static_cast<int>(std::lround(weight / kMaxSmoothing * kSliderSteps));
    if (mSmoothingSlider->value() != position) {
        QSignalBlocker block(mSmoothingSlider);
        mSmoothingSlider->setValue(position);
    }
    mSmoothing = weight;
    mSmoothingValue->setText(QString::number(weight, 'f', 2));
    rebuildAll();
}

void CurvePlot::setXAxis(XAxis axis) {
    const int index = mXAxisCombo->findData(QVariant::fromValue(axis));
    if (mXAxisCombo->currentIndex() != index) {
        QSignalBlocker block(mXAxisCombo);
        mXAxisCombo->setCurrentIndex(index);
    }
    mXAxis = axis;
    mPlot->xAxis->setLabel(axisLabel(axis));
    rebuildAll();
}

}  // namespace mtlw
