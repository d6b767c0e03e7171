#include "RoutingHeatmap.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSlider>
#include <QVBoxLayout>

#include <algorithm>

namespace mtlw {

namespace {

QSharedPointer<QCPAxisTickerText> textTicker(const std::vector<std::string>& names) {
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    for (size_t i = 0; i < names.size(); ++i) {
        ticker->addTick(static_cast<double>(i), QString::fromStdString(names[i]));
    }
    return ticker;
}

QCPColorGradient sequentialGradient() {
    QCPColorGradient gradient;
    gradient.setColorStopAt(0.0, QColor(0xf7, 0xfb, 0xff));
    gradient.setColorStopAt(0.5, QColor(0x6b, 0xae, 0xd6));
    gradient.setColorStopAt(1.0, QColor(0x08, 0x30, 0x6b));
    return gradient;
}

}  // namespace

RoutingHeatmap::RoutingHeatmap(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(2);

    auto* tools = new QHBoxLayout;
    tools->addWidget(new QLabel(tr("Layer:"), this));
    mLayer = new QComboBox(this);
    mLayer->setMinimumContentsLength(12);
    tools->addWidget(mLayer);
    mValue = new QComboBox(this);
    mValue->addItem(tr("Mean gate probability"));
    mValue->addItem(tr("Top-k selection share"));
    tools->addWidget(mValue);
    tools->addSpacing(12);
    tools->addWidget(new QLabel(tr("Step:"), this));
    mSlider = new QSlider(Qt::Horizontal, this);
    tools->addWidget(mSlider, 1);
    mStepLabel = new QLabel(this);
    mStepLabel->setMinimumWidth(mStepLabel->fontMetrics().horizontalAdvance(QStringLiteral("step 000000 (epoch 000)")));
    tools->addWidget(mStepLabel);
    layout->addLayout(tools);

    mEmpty = new QLabel(tr("No routing records. They exist for runs of models with mixture-of-experts layers."), this);
    mEmpty->setAlignment(Qt::AlignCenter);
    mEmpty->setWordWrap(true);
    mEmpty->setStyleSheet(QStringLiteral("color: palette(mid);"));
    layout->addWidget(mEmpty, 1);

    mPlot = new QCustomPlot(this);
    mPlot->setMinimumSize(220, 160);
    mPlot->axisRect()->setupFullAxesBox(true);
    mPlot->xAxis->setLabel(tr("Expert"));
    mPlot->yAxis->setLabel(tr("Gate"));
    mPlot->yAxis->setRangeReversed(true);
    mMap = new QCPColorMap(mPlot->xAxis, mPlot->yAxis);
    mMap->setInterpolate(false);
    mMap->setGradient(sequentialGradient());
    mMap->setDataRange(QCPRange(0.0, 1.0));
    auto* scale = new QCPColorScale(mPlot);
    scale->axis()->setLabel(tr("Probability / share"));
    scale->setBarWidth(10);
    mPlot->plotLayout()->addElement(0, 1, scale);
    mMap->setColorScale(scale);
    scale->setDataRange(QCPRange(0.0, 1.0));
    scale->setGradient(sequentialGradient());
    layout->addWidget(mPlot, 1);

    connect(mLayer, &QComboBox::currentTextChanged, this, &RoutingHeatmap::setCurrentLayer);
    connect(mSlider, &QSlider::valueChanged, this, &RoutingHeatmap::showSnapshot);
    connect(mValue, &QComboBox::currentIndexChanged, this, &RoutingHeatmap::showSnapshot);
    clear();
}

void RoutingHeatmap::clear() {
    setSnapshots({});
}

void RoutingHeatmap::setSnapshots(const std::vector<RoutingSnapshot>& snapshots) {
    const QString previous = currentLayer();
    mByLayer.clear();
    for (const RoutingSnapshot& snapshot : snapshots) {
        mByLayer[QString::fromStdString(snapshot.layer)].push_back(snapshot);
    }
    for (auto& [layer, list] : mByLayer) {
        std::stable_sort(list.begin(), list.end(),
                         [](const RoutingSnapshot& a, const RoutingSnapshot& b) { return a.step < b.step; });
    }
    {
        const QSignalBlocker block(mLayer);
        mLayer->clear();
        mLayer->addItems(layers());
        const int index = mLayer->findText(previous);
        mLayer->setCurrentIndex(index >= 0 ? index : 0);
    }
    const bool empty = mByLayer.empty();
    mEmpty->setVisible(empty);
    mPlot->setVisible(!empty);
    mLayer->setEnabled(!empty);
    mValue->setEnabled(!empty);
    mSlider->setEnabled(!empty);
    setCurrentLayer(mLayer->currentText());
}

QStringList RoutingHeatmap::layers() const {
    QStringList names;
    for (const auto& [layer, list] : mByLayer) {
        names << layer;
    }
    return names;
}

QString RoutingHeatmap::currentLayer() const {
    return mLayer->currentText();
}

int RoutingHeatmap::stepCount() const {
    const auto found = mByLayer.find(currentLayer());
    return found == mByLayer.end() ? 0 : static_cast<int>(found->second.size());
}

double RoutingHeatmap::cellValue(int task, int expert) const {
    return mMap->data()->cell(expert, task);
}

void RoutingHeatmap::setCurrentLayer(const QString& layer) {
    if (mLayer->currentText() != layer) {
        mLayer->setCurrentText(layer);
        return;
    }
    const int count = stepCount();
    {
        const QSignalBlocker block(mSlider);
        mSlider->setRange(0, std::max(0, count - 1));
        mSlider->setValue(std::max(0, count - 1));
    }
    showSnapshot();
}

void RoutingHeatmap::setCurrentIndex(int index) {
    mSlider->setValue(index);
}

bool RoutingHeatmap::showsTopK() const {
    return mValue->currentIndex() == 1;
}

void RoutingHeatmap::setShowTopK(bool topK) {
    mValue->setCurrentIndex(topK ? 1 : 0);
}

void RoutingHeatmap::showSnapshot() {
    const auto found = mByLayer.find(currentLayer());
    if (found == mByLayer.end() || found->second.empty()) {
        mStepLabel->clear();
        mMap->data()->setSize(0, 0);
        mPlot->replot(QCustomPlot::rpQueuedReplot);
        return;
    }
    const RoutingSnapshot& snapshot = found->second[static_cast<size_t>(mSlider->value())];
    const int tasks = static_cast<int>(snapshot.tasks.size());
    const int experts = static_cast<int>(snapshot.experts.size());
    mMap->data()->setSize(experts, tasks);
    mMap->data()->setRange(QCPRange(0, experts - 1), QCPRange(0, tasks - 1));
    const auto& values = showsTopK() ? snapshot.topKFraction : snapshot.gateMean;
    for (int task = 0; task < tasks && task < static_cast<int>(values.size()); ++task) {
        const auto& row = values[static_cast<size_t>(task)];
        for (int expert = 0; expert < experts && expert < static_cast<int>(row.size()); ++expert) {
            mMap->data()->setCell(expert, task, row[static_cast<size_t>(expert)]);
        }
    }
    mPlot->xAxis->setTicker(textTicker(snapshot.experts));
    mPlot->yAxis->setTicker(textTicker(snapshot.tasks));
    mPlot->xAxis->setRange(-0.5, experts - 0.5);
    mPlot->yAxis->setRange(-0.5, tasks - 0.5);
    mStepLabel->setText(tr("step %1 (epoch %2), top-%3").arg(snapshot.step).arg(snapshot.epoch).arg(snapshot.topK));
    mPlot->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace mtlw
