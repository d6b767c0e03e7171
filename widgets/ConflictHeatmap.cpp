#include "ConflictHeatmap.h"

#include <qcustomplot.h>

#include <QHBoxLayout>
#include <QLabel>
#include <QSlider>
#include <QVBoxLayout>

#include <cmath>

namespace mtlw {

namespace {

// Above this many tasks the cells get too small for their numbers.
constexpr int kMaxLabelledTasks = 8;

QCPColorGradient divergingGradient() {
    QCPColorGradient gradient;
    gradient.setColorStopAt(0.0, QColor(0xb2, 0x18, 0x2b));
    gradient.setColorStopAt(0.5, QColor(0xf7, 0xf7, 0xf7));
    gradient.setColorStopAt(1.0, QColor(0x21, 0x66, 0xac));
    return gradient;
}

}  // namespace

ConflictHeatmap::ConflictHeatmap(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(2);

    auto* tools = new QHBoxLayout;
    tools->addWidget(new QLabel(tr("Step:"), this));
    mSlider = new QSlider(Qt::Horizontal, this);
    mSlider->setRange(0, 0);
    mSlider->setEnabled(false);
    mSlider->setToolTip(tr("Diagnostic step whose gradient cosines are shown"));
    tools->addWidget(mSlider, 1);
    mStepLabel = new QLabel(tr("no diagnostics yet"), this);
    mStepLabel->setMinimumWidth(mStepLabel->fontMetrics().horizontalAdvance(QStringLiteral("step 000000 (epoch 000)")));
    tools->addWidget(mStepLabel);
    layout->addLayout(tools);

    mPlot = new QCustomPlot(this);
    mPlot->setMinimumSize(220, 160);
    mPlot->axisRect()->setupFullAxesBox(true);
    mPlot->xAxis->setLabel(tr("Task"));
    mPlot->yAxis->setLabel(tr("Task"));
    mPlot->yAxis->setRangeReversed(true);
    mMap = new QCPColorMap(mPlot->xAxis, mPlot->yAxis);
    mMap->setGradient(divergingGradient());
    mMap->setInterpolate(false);
    mMap->setDataRange(QCPRange(-1.0, 1.0));
    mScale = new QCPColorScale(mPlot);
    mScale->setType(QCPAxis::atRight);
    mScale->axis()->setLabel(tr("Cosine"));
    mScale->setDataRange(QCPRange(-1.0, 1.0));
    mScale->setGradient(divergingGradient());
    mScale->setBarWidth(10);
    mPlot->plotLayout()->addElement(0, 1, mScale);
    mMap->setColorScale(mScale);
    // Keep the colour bar as tall as the map.
    auto* margins = new QCPMarginGroup(mPlot);
    mPlot->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
    mScale->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
    layout->addWidget(mPlot, 1);

    mSummary = new QLabel(this);
    mSummary->setWordWrap(true);
    mSummary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(mSummary);

    connect(mSlider, &QSlider::valueChanged, this, &ConflictHeatmap::showRecord);
    clear();
}

void ConflictHeatmap::clear() {
    mRecords.clear();
    mSummary->clear();
    {
        const QSignalBlocker block(mSlider);
        mSlider->setRange(0, 0);
    }
    mSlider->setEnabled(false);
    setTaskAxes({});
    mMap->data()->setSize(0, 0);
    mStepLabel->setText(tr("no diagnostics yet"));
    mPlot->replot(QCustomPlot::rpQueuedReplot);
}

void ConflictHeatmap::setRecords(std::vector<GradientStatsRecord> records) {
    const bool atLatest = mRecords.empty() || mSlider->value() >= static_cast<int>(mRecords.size()) - 1;
    mRecords = std::move(records);
    if (mRecords.empty()) {
        clear();
        return;
    }
    const int last = static_cast<int>(mRecords.size()) - 1;
    {
        const QSignalBlocker block(mSlider);
        mSlider->setRange(0, last);
        if (atLatest) {
            mSlider->setValue(last);
        }
    }
    mSlider->setEnabled(last > 0);
    showRecord(mSlider->value());
}

void ConflictHeatmap::setSummary(const std::vector<PairConflictSummary>& summary) {
    QStringList lines;
    for (const PairConflictSummary& pair : summary) {
        lines << tr("%1 × %2: mean cosine %3, negative in %4% of %5 steps")
                     .arg(QString::fromStdString(pair.taskA), QString::fromStdString(pair.taskB))
                     .arg(pair.meanCosine, 0, 'f', 3)
                     .arg(pair.conflictFrequency * 100.0, 0, 'f', 1)
                     .arg(pair.steps);
    }
    mSummary->setText(lines.join(QLatin1Char('\n')));
}

int ConflictHeatmap::currentIndex() const {
    return mRecords.empty() ? -1 : mSlider->value();
}

qint64 ConflictHeatmap::currentStep() const {
    return mRecords.empty() ? -1 : mRecords[static_cast<size_t>(mSlider->value())].step;
}

double ConflictHeatmap::cellValue(int row, int column) const {
    return mMap->data()->cell(column, row);
}

QString ConflictHeatmap::summaryText() const {
    return mSummary->text();
}

void ConflictHeatmap::setCurrentIndex(int index) {
    mSlider->setValue(index);
}

void ConflictHeatmap::setTaskAxes(const QStringList& tasks) {
    if (tasks == mTasks && !tasks.isEmpty()) {
        return;
    }
    mTasks = tasks;
    for (QCPAxis* axis : {mPlot->xAxis, mPlot->yAxis}) {
        auto ticker = QSharedPointer<QCPAxisTickerText>::create();
        for (int i = 0; i < tasks.size(); ++i) {
            ticker->addTick(i, tasks[i]);
        }
        axis->setTicker(ticker);
        axis->setRange(-0.5, std::max<qsizetype>(tasks.size(), 1) - 0.5);
    }
    // The top and right axes of the full box repeat the ticks without labels.
    mPlot->xAxis2->setTicker(mPlot->xAxis->ticker());
    mPlot->yAxis2->setTicker(mPlot->yAxis->ticker());
    mPlot->clearItems();
}

void ConflictHeatmap::showRecord(int index) {
    if (index < 0 || index >= static_cast<int>(mRecords.size())) {
        return;
    }
    const GradientStatsRecord& record = mRecords[static_cast<size_t>(index)];
    QStringList tasks;
    for (const std::string& task : record.tasks) {
        tasks << QString::fromStdString(task);
    }
    setTaskAxes(tasks);
    const int count = static_cast<int>(tasks.size());
    mMap->data()->setSize(count, count);
    mMap->data()->setRange(QCPRange(0, count - 1), QCPRange(0, count - 1));

    const bool labelled = count <= kMaxLabelledTasks;
    if (labelled && mPlot->itemCount() != count * count) {
        mPlot->clearItems();
        for (int i = 0; i < count * count; ++i) {
            auto* text = new QCPItemText(mPlot);
            text->setClipToAxisRect(true);
            text->position->setType(QCPItemPosition::ptPlotCoords);
            text->position->setCoords(i % count, i / count);
        }
    }
    for (int row = 0; row < count; ++row) {
        for (int column = 0; column < count; ++column) {
            const double cosine = record.cosine[static_cast<size_t>(row)][static_cast<size_t>(column)];
            mMap->data()->setCell(column, row, cosine);
            if (labelled) {
                auto* text = static_cast<QCPItemText*>(mPlot->item(row * count + column));
                text->setText(QString::number(cosine, 'f', 2));
                // Dark cells get white numbers.
                text->setColor(std::abs(cosine) > 0.6 ? Qt::white : Qt::black);
            }
        }
    }
    mStepLabel->setText(tr("step %1 (epoch %2)").arg(record.step).arg(record.epoch));
    mPlot->replot(QCustomPlot::rpQueuedReplot);
    Q_EMIT currentStepChanged(record.step);
}

}  // namespace mtlw
