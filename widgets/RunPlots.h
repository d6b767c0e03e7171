// The plots of one run, as tabs: step loss, epoch loss, epoch metrics, gradient conflicts,
// task weights and expert routing. Fed live from engine events during a run, or all at once
// from a run read back from the store.
#pragma once

#include "RunData.h"

#include <QStringList>
#include <QTabWidget>

#include <cstdint>
#include <vector>

namespace mtlw {

class ConflictHeatmap;
class CurvePlot;
class RoutingHeatmap;
class WeightsPlot;
struct EngineEvent;

class RunPlots : public QTabWidget {
    Q_OBJECT

public:
    /// Diagnostic steps in the sliding window of the conflict frequency curve.
    static constexpr int kConflictWindow = 20;

    explicit RunPlots(QWidget* parent = nullptr);

    /// Clears every view for a new run; `tasks` in project order pick the colours.
    void startRun(const QStringList& tasks);
    /// Shows a whole run read from the store, replacing what is shown.
    void showRun(const RunData& data);
    /// The run shown, or 0 before the first run.
    std::int64_t runId() const { return mRunId; }

    /// Live: the step losses and logged step rows (weights) of a Progress event.
    void addProgress(const EngineEvent& event);
    /// Live: the per-task rows of an EpochEnded event.
    void addEpochRows(const std::vector<MetricRow>& rows);
    /// Replaces the gradient diagnostics: heatmap steps and conflict frequency curve.
    void setGradientStats(const std::vector<GradientStatsRecord>& records);
    void setConflictSummary(const std::vector<PairConflictSummary>& summary);
    void setRouting(const std::vector<RoutingSnapshot>& snapshots);

    CurvePlot* stepLossPlot() const { return mStepLoss; }
    CurvePlot* epochLossPlot() const { return mEpochLoss; }
    CurvePlot* epochMetricPlot() const { return mEpochMetric; }
    ConflictHeatmap* conflictHeatmap() const { return mConflicts; }
    CurvePlot* conflictFrequencyPlot() const { return mConflictFrequency; }
    WeightsPlot* weightsPlot() const { return mWeights; }
    RoutingHeatmap* routingHeatmap() const { return mRouting; }

    /// Name of the conflict frequency series of a task pair, e.g. "left × right".
    static QString pairName(const QString& taskA, const QString& taskB);

private:
    void addStepLossRows(const std::vector<MetricRow>& rows);
    QColor colorOf(const std::string& task) const;

    QStringList mTasks;
    std::int64_t mRunId = 0;
    std::int64_t mStepsPerEpoch = 0;
    CurvePlot* mStepLoss;
    CurvePlot* mEpochLoss;
    CurvePlot* mEpochMetric;
    ConflictHeatmap* mConflicts;
    CurvePlot* mConflictFrequency;
    WeightsPlot* mWeights;
    RoutingHeatmap* mRouting;
};

}  // namespace mtlw
