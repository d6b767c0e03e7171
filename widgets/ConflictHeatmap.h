// Task × task cosine similarity of the task gradients at one diagnostic step, as a colour map
// from -1 (red, conflicting) through 0 (white) to +1 (blue), with a slider over the steps and
// the run's per-pair summary underneath.
#pragma once

#include "store/RunStore.h"

#include <QStringList>
#include <QWidget>

#include <vector>

class QCPColorMap;
class QCPColorScale;
class QCustomPlot;
class QLabel;
class QSlider;

namespace mtlw {

class ConflictHeatmap : public QWidget {
    Q_OBJECT

public:
    explicit ConflictHeatmap(QWidget* parent = nullptr);

    /// Replaces the steps shown. The slider stays on the latest step if it was there before,
    /// so a live run keeps showing its newest step.
    void setRecords(std::vector<GradientStatsRecord> records);
    void setSummary(const std::vector<PairConflictSummary>& summary);
    void clear();

    int recordCount() const { return static_cast<int>(mRecords.size()); }
    /// Index of the step shown, or -1 when there is none.
    int currentIndex() const;
    /// Step of the record shown, or -1 when there is none.
    qint64 currentStep() const;
    QStringList tasks() const { return mTasks; }
    /// The cosine drawn in a cell, read back from the colour map.
    double cellValue(int row, int column) const;
    QString summaryText() const;
    QSlider* stepSlider() const { return mSlider; }

public Q_SLOTS:
    void setCurrentIndex(int index);

Q_SIGNALS:
    void currentStepChanged(qint64 step);

private:
    void showRecord(int index);
    void setTaskAxes(const QStringList& tasks);

    std::vector<GradientStatsRecord> mRecords;
    QStringList mTasks;
    QCustomPlot* mPlot;
    QCPColorMap* mMap;
    QCPColorScale* mScale;
    QSlider* mSlider;
    QLabel* mStepLabel;
    QLabel* mSummary;
};

}  // namespace mtlw
