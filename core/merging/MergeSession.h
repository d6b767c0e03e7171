// A model merge loaded once: the project's data, a base checkpoint and one fine-tuned checkpoint
// per task. It merges with any registered method, evaluates merged weights on a split, and
// re-evaluates task arithmetic with given coefficients on a validation subset (the Merge view's
// sliders).
#pragma once

#include "data/Dataset.h"
#include "engine/WeightInit.h"
#include "merging/MergeMethod.h"
#include "merging/TaskVectors.h"
#include "model/MultiTaskModel.h"
#include "project/Project.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mtlw {

// One fine-tuned model: the task it was fine-tuned on and its checkpoint file.
struct MergeModelSource {
    std::string task;
    std::string checkpointPath;
    /// Name in messages, e.g. "run 4"; empty means the checkpoint path.
    std::string label;
};

struct MergeSetup {
    /// The multi-task project the models come from; its graph gives the merged architecture.
    Project project;
    std::string baseCheckpoint;
    /// One model per task; the merged model has these tasks, in this order.
    std::vector<MergeModelSource> models;
};

/// Task name -> metric name -> value, as MetricAccumulator computes them (with "loss").
using TaskMetrics = std::map<std::string, std::map<std::string, double>>;

/// The project reduced to `tasks` (in that order) and their heads.
Project projectWithTasks(const Project& project, const std::vector<std::string>& tasks);

class MergeSession {
public:
    /// Loads the dataset and every checkpoint. Throws InputError for a task that is not in the
    /// project or is given twice, a missing or unreadable checkpoint, or a tensor that is missing
    /// or has another shape (naming the checkpoint, the tensor and both shapes).
    explicit MergeSession(const MergeSetup& setup);

    /// The project reduced to the merged tasks.
    const Project& project() const { return mProject; }
    const Dataset& dataset() const { return mDataset; }
    /// The shared tensors of the base and of every fine-tuned model.
    const MergeProblem& problem() const { return mProblem; }

    /// Merges with a registered method. Methods that use inputs see the validation inputs (the
    /// training inputs when the dataset has no validation split) and never a target.
    MergeOutput merge(const std::string& method, const nlohmann::json& params);

    /// Per-task metrics of the model with these shared tensors and each task's fine-tuned head,
    /// on the first `samples` samples of `split` (all when `samples` is 0).
    TaskMetrics evaluate(const TensorList& sharedWeights, const Split& split, std::int64_t samples = 0);

    /// Task arithmetic with one coefficient per merged task (base + Σ c_k τ_k), evaluated on the
    /// first `samples` validation samples (all when 0). Throws std::invalid_argument when the
    /// number of coefficients differs from the number of tasks.
    TaskMetrics evaluateCoefficients(const std::vector<double>& coefficients, std::int64_t samples);

    /// Merges with a registered method and evaluates the result on the first `samples` validation
    /// samples (all when 0), for sliders over a method's parameters such as TIES's lambda.
    TaskMetrics evaluateMethod(const std::string& method, const nlohmann::json& params, std::int64_t samples);

    /// The validation split, or the training split when the dataset has no validation samples.
    const Split& validationSplit() const;

    /// Each fine-tuned model on its own task, with its own shared tensors and head.
    TaskMetrics evaluateIndividual(const Split& split, std::int64_t samples = 0);

    /// A checkpoint of a model that has every merged task (a jointly trained run), on a split.
    /// Throws InputError naming the tensor when it does not fit the merged architecture.
    TaskMetrics evaluateCheckpoint(const std::string& path, const Split& split, std::int64_t samples = 0);

    /// Writes a checkpoint of the merged model (these shared tensors, each task's head) that
    /// `mtlw train --init` and other checkpoint readers accept.
    void saveMergedCheckpoint(const TensorList& sharedWeights, const std::string& path);

private:
    MultiTaskModel buildModel() const;
    void loadShared(const TensorList& sharedWeights);
    TaskMetrics evaluateModel(MultiTaskModel& model, const Split& split, std::int64_t samples,
                              std::optional<std::size_t> onlyTask = std::nullopt);

    Project mProject;
    Dataset mDataset;
    MultiTaskModel mModel{nullptr};
    ParameterNames mNames;
    /// The model's shared parameters, in the order of mNames.shared.
    std::vector<torch::Tensor> mSharedParameters;
    MergeProblem mProblem;
};

}  // namespace mtlw
