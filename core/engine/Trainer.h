// One training run, start to finish: data, model, method, optimizer, loop, checkpoints, records.
// Runs on the calling thread; Engine runs it on a worker thread.
#pragma once

#include "data/ProjectData.h"
#include "engine/Events.h"
#include "engine/TaskSampler.h"
#include "engine/TrainingControl.h"
#include "methods/BalancingMethod.h"
#include "model/MultiTaskModel.h"
#include "project/Project.h"
#include "store/RunStore.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace mtlw {

class DistributedContext;

struct TrainRequest {
    /// The project to train, with any command-line overrides already applied.
    Project project;
    /// Run store file; empty means RunStore::defaultPathFor(project.filePath).
    std::string storePath;
    /// Continue this run from its latest checkpoint instead of starting a new one.
    std::optional<std::int64_t> resumeRunId;
    /// Minimum time between Progress events.
    int progressIntervalMs = 100;
    /// Set when this run is the single-task baseline of that task; recorded in the summary.
    std::string baselineTask;
    /// Checkpoint file whose weights the model starts from (see initializeFromCheckpoint);
    /// empty for a fresh initialization. Ignored when resuming.
    std::string initCheckpoint;
    /// Set for multi-process training (world size > 1); null trains in this process alone.
    std::shared_ptr<DistributedContext> distributed;
    /// Debugging and tests: stop after this many steps (0: no limit), record that epoch, and
    /// write every rank's parameters to parameters-rank-<r>.pt in the run's checkpoint folder.
    std::int64_t maxSteps = 0;
};

struct TrainResult {
    std::int64_t runId = 0;
    /// completed, failed or cancelled; "rejected" when the input was invalid and no run started.
    std::string status;
    std::string error;
    /// True when `error` is about input the user can fix (exit status 2 on the command line).
    bool inputError = false;
    nlohmann::json summary;
};

class Trainer {
public:
    /// `events` and `control` may be null; both must outlive the trainer.
    Trainer(TrainRequest request, EventQueue* events, TrainingControl* control);
    ~Trainer();

    /// Opens the store, loads the data and builds the model and method.
    /// Throws InputError on invalid input; nothing is written to the store before this succeeds.
    void prepare();

    /// Trains. Any std::exception during training ends the run as "failed" with its message recorded
    /// instead of propagating.
    TrainResult run();

    /// The datasets the tasks read.
    const ProjectData& data() const { return mData; }
    MultiTaskModel& model() { return mModel; }
    const torch::Device& device() const { return mDevice; }

private:
    // One training batch on the device. With one dataset every task reads every row. With a
    // dataset per task the batch stacks the tasks' samples, and each task reads its own rows.
    struct Batch {
        torch::Tensor inputs;
        /// Each task's targets for its rows; undefined for a task without samples in the batch
        /// (single-task batches).
        std::vector<torch::Tensor> targets;
        /// Each task's rows [begin, end) of inputs.
        std::vector<std::pair<std::int64_t, std::int64_t>> rows;
        /// Samples of this rank's batch and of the global batch over all ranks.
        std::int64_t samples = 0;
        std::int64_t globalSamples = 0;

        bool hasTask(size_t task) const { return targets[task].defined(); }
        /// Task `task`'s rows of a model output.
        torch::Tensor taskRows(const torch::Tensor& output, size_t task) const {
            return output.slice(0, rows[task].first, rows[task].second);
        }
    };

    /// The batch of step `batch` of the epoch: a shard of the shuffled order with one dataset,
    /// else the sampler's next draw.
    Batch nextBatch(const torch::Tensor& order, std::int64_t batch);
    /// Each task's loss on its rows of `output`; a constant zero for a task not in the batch.
    std::vector<torch::Tensor> batchLosses(const ModelOutput& output, const Batch& batch) const;

    void createOrReopenRun();
    void trainEpoch(int epoch);
    /// [k, d] gradients of each task loss with respect to `inputs`, flattened and concatenated.
    torch::Tensor taskGradientMatrix(const torch::Tensor& taskLosses, const std::vector<torch::Tensor>& inputs);
    /// Gradient methods: the task gradients (on the shared parameters or the shared representation),
    /// the method's direction on the shared part, and each head's own loss gradient on its head.
    /// With `sharpnessBatch`, the method combines sharpness-aware task gradients on that batch.
    /// Returns the plain task gradients for the diagnostics.
    torch::Tensor backwardWithTaskGradients(const torch::Tensor& taskLosses, const torch::Tensor& representation,
                                            const torch::Tensor& detachedRepresentation, const StepContext& context,
                                            const Batch* sharpnessBatch);
    /// Sets the gradients of the shared parameters from one flat [d] direction.
    void assignSharedGradients(const torch::Tensor& direction);
    /// [k, d] task gradients, each taken at the shared parameters moved by sam_rho along that
    /// task's normalized gradient (one extra forward and backward pass per task).
    torch::Tensor sharpnessAwareGradients(const Batch& batch, const torch::Tensor& gradients);
    /// Every task on its own dataset's split, e.g. evaluate(&Dataset::validation).
    std::map<std::string, std::map<std::string, double>> evaluate(Split Dataset::*split);
    void recordEpoch(int epoch, double epochSeconds);
    void applySchedule(int epoch);
    void pushEvent(EngineEvent event);
    nlohmann::json buildSummary() const;

    // Multi-process training (see docs/distributed.md); each is a no-op without mRequest.distributed.
    bool isLeader() const;
    /// Sample-weighted mean over ranks of the tensors, in place, with this step's shard weight.
    void averageAcrossRanks(const std::vector<torch::Tensor>& tensors);
    /// Rank 0's model and method state on every rank.
    void broadcastState();
    /// Non-leader ranks: receive the run id, log to rank-<r>.log, load a resumed checkpoint.
    void joinRun();
    void writeRankParameters();

    TrainRequest mRequest;
    EventQueue* mEvents;
    TrainingControl* mControl;

    std::unique_ptr<RunStore> mStore;
    ProjectData mData;
    /// Draws per-task batches when tasks read different datasets; null with one dataset.
    std::unique_ptr<TaskSampler> mSampler;
    torch::Device mDevice{torch::kCPU};
    MultiTaskModel mModel{nullptr};
    std::unique_ptr<BalancingMethod> mMethod;
    std::unique_ptr<torch::optim::Optimizer> mOptimizer;
    torch::Generator mMethodGenerator;

    std::int64_t mRunId = 0;
    int mStartEpoch = 1;
    std::int64_t mStep = 0;
    double mTrainSeconds = 0.0;
    std::int64_t mTrainSamples = 0;
    double mRunStartSeconds = 0.0;
    std::chrono::steady_clock::time_point mClockStart;

    /// Per-task training metrics of the epoch in progress.
    std::map<std::string, std::map<std::string, double>> mEpochTrainMetrics;
    std::vector<MetricRow> mPendingRows;
    std::vector<GradientStatsRecord> mPendingGradientStats;
    /// Expert routing of the logged steps of the epoch in progress.
    std::vector<RoutingStatsRecord> mPendingRoutingStats;
    std::vector<std::string> mTaskNames;
    /// Gradient methods take task gradients on the shared representation instead of the parameters.
    bool mUseRepresentation = false;
    /// This rank's share of the current global batch (1 in a single process).
    double mShardWeight = 1.0;
    /// The current step's task losses averaged over ranks (the local losses in a single process).
    torch::Tensor mGlobalLosses;
    bool mStopAfterEpoch = false;

    double mBestScore = -std::numeric_limits<double>::infinity();
    int mBestEpoch = 0;
    nlohmann::json mBestTestMetrics = nlohmann::json::object();
    nlohmann::json mLastTestMetrics = nlohmann::json::object();
    int mEpochsCompleted = 0;
};

/// Loads a run's project snapshot from the store, for resuming it. The snapshot's relative
/// paths resolve from the run's original project file.
Project projectOfRun(const RunRecord& run);

}  // namespace mtlw
