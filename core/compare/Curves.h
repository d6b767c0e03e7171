// Metric curves of runs read straight from the run store, and downsampling for display:
// a plot of a few thousand pixels gains nothing from 20,000 points per curve.
#pragma once

#include "store/RunStore.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mtlw {

struct Curve {
    std::int64_t runId = 0;
    std::string split;
    std::string task;
    std::string name;
    /// Optimizer steps in ascending order. A run resumed from an earlier checkpoint logs some steps twice.
    std::vector<double> steps;
    /// Values; NaN where the logged value was NaN.
    std::vector<double> values;
    /// Number of points before downsampling.
    std::size_t sourcePoints = 0;
};

struct CurveRequest {
    std::string split = "train";
    /// Task name; empty loads one curve per task of the run's project.
    std::string task;
    std::string name = "step_loss";
};

enum class Downsampling {
    /// Keeps every point.
    None,
    /// Keeps the minimum and maximum of each bucket, so spikes stay visible.
    MinMax,
    /// Largest-Triangle-Three-Buckets (LTTB): keeps the point of each bucket that
    /// spans the largest triangle with its neighbours, so the shape of the curve stays.
    Lttb,
};

/// Loads one run's curves for the request; a task without rows gives an empty curve.
/// SQLite answers the query from the covering index metrics_curve (schema version 5) alone.
std::vector<Curve> loadCurves(const RunStore& store, std::int64_t runId, const CurveRequest& request);

/// Loads the curves of several runs and reduces each to at most maxPoints points. Reads on up to
/// std::thread::hardware_concurrency() threads: the calling thread uses `store`, each other thread
/// its own read-only connection to store.path(). Throws InputError naming the store when a run
/// does not exist.
std::vector<Curve> loadCurves(const RunStore& store, const std::vector<std::int64_t>& runIds,
                              const CurveRequest& request, std::size_t maxPoints,
                              Downsampling method = Downsampling::MinMax);

/// At most maxPoints points: the first and last point, and per bucket in between the minimum
/// and the maximum in step order. NaN points are dropped. maxPoints below 4 is taken as 4.
Curve downsampleMinMax(const Curve& curve, std::size_t maxPoints);

/// At most maxPoints points by LTTB, including the first and last point. NaN points are
/// dropped. maxPoints below 3 is taken as 3.
Curve downsampleLttb(const Curve& curve, std::size_t maxPoints);

Curve downsample(const Curve& curve, std::size_t maxPoints, Downsampling method);

}  // namespace mtlw
