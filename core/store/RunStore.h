// The run store: every run, metric, checkpoint and event of a project, in one SQLite file.
// Schema and migrations are documented in docs/run-store.md.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace mtlw {

/// Run status as stored: "running", "completed", "failed", "cancelled", "interrupted".
namespace run_status {
inline constexpr const char* kRunning = "running";
inline constexpr const char* kCompleted = "completed";
inline constexpr const char* kFailed = "failed";
inline constexpr const char* kCancelled = "cancelled";
inline constexpr const char* kInterrupted = "interrupted";
}  // namespace run_status

struct NewRun {
    std::string projectPath;
    std::string projectName;
    /// The project JSON as trained, so a run can be reproduced after the file changes.
    std::string projectJson;
    std::string method;
    std::uint64_t seed = 0;
    std::string device;
    std::string codeVersion;
};

struct RunRecord {
    std::int64_t id = 0;
    std::string projectPath;
    std::string projectName;
    std::string projectJson;
    std::string method;
    std::string status;
    /// ISO 8601 UTC times; endedAt is empty while the run has not ended.
    std::string startedAt;
    std::string endedAt;
    std::uint64_t seed = 0;
    std::string device;
    std::string codeVersion;
    /// Why the run failed or was interrupted; empty otherwise.
    std::string error;
    /// Final results written by the engine (per-task test metrics, throughput).
    nlohmann::json summary = nlohmann::json::object();
};

struct MetricRow {
    std::int64_t runId = 0;
    std::int64_t step = 0;
    int epoch = 0;
    /// "train", "validation" or "test".
    std::string split;
    /// Task name; empty for run-level values such as samples_per_second.
    std::string task;
    std::string name;
    double value = 0.0;
    /// Seconds since the run started.
    double wallTime = 0.0;
};

struct MetricFilter {
    std::optional<std::string> split;
    std::optional<std::string> task;
    std::optional<std::string> name;
};

struct CheckpointRecord {
    std::int64_t id = 0;
    std::int64_t runId = 0;
    int epoch = 0;
    std::int64_t step = 0;
    std::string path;
    /// Validation score used to pick the best checkpoint; higher is better.
    double score = 0.0;
    bool isBest = false;
    std::string createdAt;
};

struct EventRecord {
    std::int64_t id = 0;
    std::int64_t runId = 0;
    std::string time;
    /// "info", "warning" or "error".
    std::string level;
    std::string message;
};

// Task gradients on the shared parameters at one step: norms, pairwise cosines and magnitude
// similarities 2|g_i||g_j| / (|g_i|^2 + |g_j|^2), and the weights the method assigned.
struct GradientStatsRecord {
    std::int64_t runId = 0;
    std::int64_t step = 0;
    int epoch = 0;
    double wallTime = 0.0;
    std::vector<std::string> tasks;
    std::vector<double> norms;
    /// Weights per task; empty when the method defines none.
    std::vector<double> weights;
    /// [k][k] matrices, symmetric, with 1 on the diagonal.
    std::vector<std::vector<double>> cosine;
    std::vector<std::vector<double>> magnitudeSimilarity;
    /// Share of task pairs with a negative cosine.
    double conflictFraction = 0.0;
};

// Per task pair over a run: how the two gradients related on average.
struct PairConflictSummary {
    std::string taskA;
    std::string taskB;
    double meanCosine = 0.0;
    double meanMagnitudeSimilarity = 0.0;
    /// Share of diagnostic steps where the cosine was negative.
    double conflictFrequency = 0.0;
    std::int64_t steps = 0;
};

// Expert routing of one gate (a task's, or "shared") of one routing layer at one logged step.
struct RoutingStatsRecord {
    std::int64_t runId = 0;
    std::int64_t step = 0;
    int epoch = 0;
    std::string layer;
    std::string task;
    /// Experts each sample selects (1 for dense gates: the largest one).
    std::int64_t topK = 1;
    /// cv²(importance) + cv²(load) over the batch.
    double balanceLoss = 0.0;
    std::vector<std::string> experts;
    /// Mean gate probability per expert; sums to 1.
    std::vector<double> gateMean;
    /// Share of samples with the expert among their top k; sums to topK.
    std::vector<double> topKFraction;
};

// Utilisation of one expert by one gate, averaged over a run's logged steps.
struct RoutingUtilisation {
    std::string layer;
    std::string task;
    std::string expert;
    double meanGate = 0.0;
    double meanTopKFraction = 0.0;
    std::int64_t steps = 0;
};

// One fine-tuned model a merge combined.
struct MergeInputRecord {
    /// The run it comes from; empty for a checkpoint file outside the store.
    std::optional<std::int64_t> runId;
    std::string task;
    std::string checkpointPath;
};

// One test metric of one model in a merge comparison.
struct MergeMetricRecord {
    /// "merged", "individual" (the task's fine-tuned model), "joint" (the jointly trained run)
    /// or "base" (the base backbone with each task's fine-tuned head).
    std::string model;
    /// The run whose model it is, for "individual" and "joint".
    std::optional<std::int64_t> runId;
    std::string task;
    std::string name;
    double value = 0.0;
};

// A model merge: its inputs, method and parameters, and the per-task metrics of the merged model
// next to the models it is compared with.
struct MergeRecord {
    std::int64_t id = 0;
    std::string projectPath;
    std::string projectName;
    /// ISO 8601 UTC; empty on insert means now.
    std::string createdAt;
    std::string method;
    nlohmann::json params = nlohmann::json::object();
    std::string baseCheckpoint;
    std::vector<MergeInputRecord> inputs;
    /// The jointly trained run it is compared with, if any.
    std::optional<std::int64_t> mtlRunId;
    /// Method results such as learned coefficients.
    nlohmann::json details = nlohmann::json::object();
    /// Checkpoint file of the merged model; empty when none was written.
    std::string checkpointPath;
    double seconds = 0.0;
    std::string codeVersion;
    std::vector<MergeMetricRecord> metrics;
};

// One connection to a run store file. Not thread-safe: use one RunStore per thread.
// SQLite in WAL mode lets one writer and many readers work on the same file.
class RunStore {
public:
    /// Opens or creates the store, migrates it to the current schema, and marks runs whose
    /// process has died as "interrupted". Throws InputError if the file cannot be opened,
    /// created or written, naming the path.
    explicit RunStore(const std::string& path);
    ~RunStore();
    RunStore(const RunStore&) = delete;
    RunStore& operator=(const RunStore&) = delete;

    /// The default store for a project: "dir/name.mtlw" -> "dir/name.runs.sqlite".
    static std::string defaultPathFor(const std::string& projectPath);
    /// The schema version this build creates and reads; see store/StoreSchema.h.
    static int schemaVersion();

    const std::string& path() const { return mPath; }

    /// Inserts a run with status "running", owned by this process; returns its id.
    std::int64_t createRun(const NewRun& run);
    /// Marks a run as running again in this process (resume) and clears its end time and
    /// error. Throws InputError when the run does not exist, is running or has completed.
    void reopenRun(std::int64_t runId);
    /// Sets the final status, end time, error and summary of a run. status is "completed",
    /// "failed", "cancelled" or "interrupted"; throws std::invalid_argument otherwise or
    /// when the run does not exist.
    void finishRun(std::int64_t runId, const std::string& status, const nlohmann::json& summary,
                   const std::string& error = {});

    /// Inserts the rows in one transaction: either all of them are stored or none.
    void appendMetrics(const std::vector<MetricRow>& rows);
    /// Inserts a checkpoint and returns its id; checkpoint.id is ignored, and an empty
    /// createdAt is set to now. Clears isBest on the run's other checkpoints when
    /// checkpoint.isBest is set, so a run has at most one best checkpoint.
    std::int64_t addCheckpoint(const CheckpointRecord& checkpoint);
    /// Inserts an event stamped with the current time; level is "info", "warning" or "error".
    void addEvent(std::int64_t runId, const std::string& level, const std::string& message);

    /// Inserts the records' steps, task rows and pair rows in one transaction.
    void appendGradientStats(const std::vector<GradientStatsRecord>& records);
    /// Writes an epoch's metric rows, gradient statistics and checkpoint row in one transaction,
    /// so a process killed at any moment leaves either all of them or none. Returns the checkpoint id.
    std::int64_t recordEpoch(const std::vector<MetricRow>& rows, const std::vector<GradientStatsRecord>& gradientStats,
                             const CheckpointRecord& checkpoint);
    /// All diagnostic steps of a run, in step order.
    std::vector<GradientStatsRecord> gradientStats(std::int64_t runId) const;
    /// Mean cosine, mean magnitude similarity and conflict frequency per task pair.
    std::vector<PairConflictSummary> conflictSummary(std::int64_t runId) const;

    /// Inserts routing records in one transaction (store/RoutingStats.cpp).
    void appendRoutingStats(const std::vector<RoutingStatsRecord>& records);
    /// Deletes a run's routing records after `step`, which a resumed run records again.
    void deleteRoutingStatsAfter(std::int64_t runId, std::int64_t step);
    /// All routing records of a run, by step, layer and task in insertion order.
    std::vector<RoutingStatsRecord> routingStats(std::int64_t runId) const;
    /// Mean gate and top-k share per layer, task and expert over all logged steps, in the order
    /// the layers, tasks and experts were first recorded.
    std::vector<RoutingUtilisation> routingUtilisation(std::int64_t runId) const;

    /// Inserts a merge with its inputs and metrics in one transaction and returns its id;
    /// merge.id is ignored (store/MergeRecords.cpp).
    std::int64_t addMerge(const MergeRecord& merge);
    /// Sets the checkpoint file of a merged model. Throws std::invalid_argument for an unknown id.
    void setMergeCheckpoint(std::int64_t mergeId, const std::string& path);
    std::optional<MergeRecord> mergeRecord(std::int64_t mergeId) const;
    /// Merges of one project (by path), or all when projectPath is empty; newest first.
    std::vector<MergeRecord> merges(const std::string& projectPath = {}) const;

    std::optional<RunRecord> run(std::int64_t runId) const;
    /// The run with this id. Throws InputError naming the store file when there is none.
    RunRecord requireRun(std::int64_t runId) const;
    /// Runs of one project (by path), or all runs when projectPath is empty; newest first.
    std::vector<RunRecord> runs(const std::string& projectPath = {}) const;
    /// Metrics of a run in insertion order. A value stored as NaN reads back as NaN.
    std::vector<MetricRow> metrics(std::int64_t runId, const MetricFilter& filter = {}) const;
    /// Checkpoints of a run in insertion order.
    std::vector<CheckpointRecord> checkpoints(std::int64_t runId) const;
    /// The checkpoint added last.
    std::optional<CheckpointRecord> latestCheckpoint(std::int64_t runId) const;
    std::optional<CheckpointRecord> bestCheckpoint(std::int64_t runId) const;
    /// Events of a run, oldest first.
    std::vector<EventRecord> events(std::int64_t runId) const;

    /// Ids of the runs this constructor marked "interrupted" because their process died.
    const std::vector<std::int64_t>& interruptedAtOpen() const { return mInterruptedAtOpen; }

    /// The raw connection, for area-specific tables added by later migrations.
    sqlite3* handle() const { return mDb; }

private:
    void configureConnection();
    void markInterruptedRuns();
    // Inserts without a transaction of their own; callers hold one.
    void insertMetricRows(const std::vector<MetricRow>& rows);
    void insertGradientStats(const std::vector<GradientStatsRecord>& records);
    std::int64_t insertCheckpoint(const CheckpointRecord& checkpoint);

    std::string mPath;
    sqlite3* mDb = nullptr;
    std::vector<std::int64_t> mInterruptedAtOpen;
};

}  // namespace mtlw
