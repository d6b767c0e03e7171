#include "compare/Curves.h"

#include "store/Sqlite.h"
#include "util/Errors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <thread>

namespace mtlw {

namespace {

std::vector<std::string> projectTasks(const RunRecord& run) {
    std::vector<std::string> tasks;
    const auto json = nlohmann::json::parse(run.projectJson, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded() || !json.contains("tasks") || !json["tasks"].is_array()) {
        return tasks;
    }
    for (const auto& task : json["tasks"]) {
        if (task.is_object() && task.contains("name") && task["name"].is_string()) {
            tasks.push_back(task["name"].get<std::string>());
        }
    }
    return tasks;
}

// The curve without its NaN points, ready for downsampling.
Curve finitePoints(const Curve& curve) {
    Curve finite = curve;
    finite.steps.clear();
    finite.values.clear();
    for (size_t i = 0; i < curve.values.size(); ++i) {
        if (std::isfinite(curve.values[i])) {
            finite.steps.push_back(curve.steps[i]);
            finite.values.push_back(curve.values[i]);
        }
    }
    return finite;
}

// The request's curves of one run, without points yet. Throws InputError for an unknown run.
std::vector<Curve> emptyCurves(const RunStore& store, std::int64_t runId, const CurveRequest& request) {
    const RunRecord run = store.requireRun(runId);
    std::vector<Curve> curves;
    for (const auto& task : request.task.empty() ? projectTasks(run) : std::vector{request.task}) {
        Curve curve;
        curve.runId = runId;
        curve.split = request.split;
        curve.task = task;
        curve.name = request.name;
        curves.push_back(std::move(curve));
    }
    return curves;
}

void readCurve(sqlite3* db, Curve& curve) {
    sqlite::Statement query(db,
                            "SELECT step, value FROM metrics WHERE run_id = ?1 AND task = ?2 AND name = ?3 "
                            "AND split = ?4 ORDER BY step",
                            "read a curve of run " + std::to_string(curve.runId));
    query.bindInt64(1, curve.runId).bindText(2, curve.task).bindText(3, curve.name).bindText(4, curve.split);
    while (query.step()) {
        curve.steps.push_back(static_cast<double>(query.columnInt64(0)));
        curve.values.push_back(query.isNull(1) ? std::numeric_limits<double>::quiet_NaN() : query.columnDouble(1));
    }
    curve.sourcePoints = curve.values.size();
}

void readCurves(sqlite3* db, std::vector<Curve>& curves) {
    for (auto& curve : curves) {
        readCurve(db, curve);
    }
}

// A read-only connection for one worker thread.
struct ReadConnection {
    sqlite3* db = nullptr;

    explicit ReadConnection(const std::string& path) {
        const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
        if (rc != SQLITE_OK) {
            const std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
            sqlite3_close(db);
            throw std::runtime_error(path + ": cannot open the run store to read curves: " + message);
        }
        sqlite3_busy_timeout(db, 5000);
    }
    ~ReadConnection() { sqlite3_close(db); }
    ReadConnection(const ReadConnection&) = delete;
    ReadConnection& operator=(const ReadConnection&) = delete;
};

void appendPoint(Curve& curve, const Curve& source, size_t index) {
    curve.steps.push_back(source.steps[index]);
    curve.values.push_back(source.values[index]);
}

}  // namespace

std::vector<Curve> loadCurves(const RunStore& store, std::int64_t runId, const CurveRequest& request) {
    std::vector<Curve> curves = emptyCurves(store, runId, request);
    readCurves(store.handle(), curves);
    return curves;
}

std::vector<Curve> loadCurves(const RunStore& store, const std::vector<std::int64_t>& runIds,
                              const CurveRequest& request, std::size_t maxPoints, Downsampling method) {
    std::vector<Curve> curves;
    for (const std::int64_t runId : runIds) {
        for (auto& curve : emptyCurves(store, runId, request)) {
            curves.push_back(std::move(curve));
        }
    }

    // Each worker reads and downsamples every n-th curve on its own read-only connection;
    // SQLite in WAL mode lets them read in parallel, also while a training run writes.
    const std::size_t workers =
        std::min<std::size_t>(curves.size(), std::max(1u, std::thread::hardware_concurrency()));
    const auto work = [&](sqlite3* db, std::size_t first) {
        for (std::size_t i = first; i < curves.size(); i += workers) {
            readCurve(db, curves[i]);
            curves[i] = downsample(curves[i], maxPoints, method);
        }
    };
    if (workers <= 1) {
        work(store.handle(), 0);
        return curves;
    }
    std::vector<std::thread> threads;
    std::vector<std::exception_ptr> errors(workers);
    for (std::size_t w = 1; w < workers; ++w) {
        threads.emplace_back([&, w] {
            try {
                ReadConnection connection(store.path());
                work(connection.db, w);
            } catch (...) {
                errors[w] = std::current_exception();
            }
        });
    }
    try {
        work(store.handle(), 0);
    } catch (...) {
        errors[0] = std::current_exception();
    }
    for (auto& thread : threads) {
        thread.join();
    }
    for (const auto& error : errors) {
        if (error) {
            std::rethrow_exception(error);
        }
    }
    return curves;
}

Curve downsampleMinMax(const Curve& curve, std::size_t maxPoints) {
    const Curve finite = finitePoints(curve);
    maxPoints = std::max<std::size_t>(maxPoints, 4);
    const size_t count = finite.values.size();
    if (count <= maxPoints) {
        return finite;
    }

    Curve reduced = finite;
    reduced.steps.clear();
    reduced.values.clear();
    appendPoint(reduced, finite, 0);
    // Points 1 .. count-2 go into buckets of two output points each.
    const size_t buckets = (maxPoints - 2) / 2;
    const size_t inner = count - 2;
    for (size_t b = 0; b < buckets; ++b) {
        const size_t begin = 1 + b * inner / buckets;
        const size_t end = 1 + (b + 1) * inner / buckets;
        if (begin >= end) {
            continue;
        }
        size_t low = begin;
        size_t high = begin;
        for (size_t i = begin; i < end; ++i) {
            if (finite.values[i] < finite.values[low]) {
                low = i;
            }
            if (finite.values[i] > finite.values[high]) {
                high = i;
            }
        }
        appendPoint(reduced, finite, std::min(low, high));
        if (low != high) {
            appendPoint(reduced, finite, std::max(low, high));
        }
    }
    appendPoint(reduced, finite, count - 1);
    return reduced;
}

Curve downsampleLttb(const Curve& curve, std::size_t maxPoints) {
    const Curve finite = finitePoints(curve);
    maxPoints = std::max<std::size_t>(maxPoints, 3);
    const size_t count = finite.values.size();
    if (count <= maxPoints) {
        return finite;
    }

    Curve reduced = finite;
    reduced.steps.clear();
    reduced.values.clear();
    const auto& x = finite.steps;
    const auto& y = finite.values;
    // maxPoints - 2 buckets over the inner points; the first and last point are always kept.
    const double bucketSize = static_cast<double>(count - 2) / static_cast<double>(maxPoints - 2);
    size_t previous = 0;
    appendPoint(reduced, finite, 0);
    for (size_t b = 0; b < maxPoints - 2; ++b) {
        const size_t begin = 1 + static_cast<size_t>(std::floor(b * bucketSize));
        const size_t end = std::min(count - 1, 1 + static_cast<size_t>(std::floor((b + 1) * bucketSize)));

        // The third corner is the mean of the next bucket, or the last point for the last bucket.
        const size_t nextBegin = end;
        const size_t nextEnd = std::min(count, 1 + static_cast<size_t>(std::floor((b + 2) * bucketSize)));
        double meanX = 0.0;
        double meanY = 0.0;
        const size_t nextCount = nextEnd > nextBegin ? nextEnd - nextBegin : 0;
        if (nextCount == 0 || b + 1 == maxPoints - 2) {
            meanX = x[count - 1];
            meanY = y[count - 1];
        } else {
            for (size_t i = nextBegin; i < nextEnd; ++i) {
                meanX += x[i];
                meanY += y[i];
            }
            meanX /= static_cast<double>(nextCount);
            meanY /= static_cast<double>(nextCount);
        }

        size_t chosen = begin;
        double largestArea = -1.0;
        for (size_t i = begin; i < end; ++i) {
            // Twice the triangle area; the factor does not change which point wins.
            const double area = std::abs((x[previous] - meanX) * (y[i] - y[previous]) -
                                         (x[previous] - x[i]) * (meanY - y[previous]));
            if (area > largestArea) {
                largestArea = area;
                chosen = i;
            }
        }
        if (begin < end) {
            appendPoint(reduced, finite, chosen);
            previous = chosen;
        }
    }
    appendPoint(reduced, finite, count - 1);
    return reduced;
}

Curve downsample(const Curve& curve, std::size_t maxPoints, Downsampling method) {
    switch (method) {
    case Downsampling::MinMax:
        return downsampleMinMax(curve, maxPoints);
    case Downsampling::Lttb:
        return downsampleLttb(curve, maxPoints);
    case Downsampling::None:
        break;
    }
    return curve;
}

}  // namespace mtlw
