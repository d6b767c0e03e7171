// Everything the views show about one run, read from its run store in one go, so that a
// worker thread can load it and hand it to the UI thread.
#pragma once

#include "CurvePlot.h"
#include "store/RunStore.h"

#include <QMetaType>
#include <QStringList>

#include <cstdint>
#include <string>
#include <vector>

namespace mtlw {

// How one routing layer (mixture of experts) routed each gate's samples at one step. A gate
// is a task's own gate, or "shared" for a gate all tasks use.
struct RoutingSnapshot {
    std::int64_t step = 0;
    int epoch = 0;
    /// The layer's node id in the graph.
    std::string layer;
    /// Gate names: task names, or "shared".
    std::vector<std::string> tasks;
    std::vector<std::string> experts;
    /// Experts each sample selects.
    std::int64_t topK = 1;
    /// [gate][expert] mean gate probability; each row sums to 1.
    std::vector<std::vector<double>> gateMean;
    /// [gate][expert] share of samples with the expert among their top k; each row sums to topK.
    std::vector<std::vector<double>> topKFraction;
};

/// Groups the store's per-gate routing records into one snapshot per step and layer, with the
/// gates in record order. A gate whose experts differ from the layer's first gate is skipped.
std::vector<RoutingSnapshot> routingSnapshotsOf(const std::vector<RoutingStatsRecord>& records);

struct RunData {
    RunRecord run;
    /// Task names in project order, from the run's project snapshot.
    QStringList tasks;
    std::vector<MetricRow> metrics;
    std::vector<GradientStatsRecord> gradientStats;
    std::vector<PairConflictSummary> conflicts;
    std::vector<RoutingSnapshot> routing;
    /// Training steps per epoch, from the step of the first epoch's rows; 0 when unknown.
    std::int64_t stepsPerEpoch = 0;
};

/// Reads one run from a store. Opens its own connection, so it may run on any thread.
/// Throws InputError when the store cannot be opened and std::runtime_error for an unknown run.
RunData loadRunData(const std::string& storePath, std::int64_t runId);

/// A metric row as a plot point. With `stepsPerEpoch` > 0 the epoch is step / stepsPerEpoch,
/// fractional inside an epoch; otherwise it is the row's epoch.
CurvePoint curvePointOf(const MetricRow& row, std::int64_t stepsPerEpoch);

/// Task names of a project snapshot, in project order; empty when the JSON has no tasks.
QStringList taskNamesOf(const std::string& projectJson);

}  // namespace mtlw

Q_DECLARE_METATYPE(mtlw::RunData)
