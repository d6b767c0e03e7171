// Loss and metrics of one task, by task type: cross entropy and accuracy for classification,
// binary cross entropy and accuracy for binary tasks, MSE or L1 with MAE and RMSE for regression.
#pragma once

#include "data/Dataset.h"
#include "project/Project.h"

#include <torch/torch.h>

#include <map>
#include <string>

namespace mtlw {

/// The task's loss on a batch: a scalar, averaged over the batch.
torch::Tensor taskLoss(const TaskSpec& task, const torch::Tensor& output, const torch::Tensor& target);

// Running sums over batches for a task's metrics; stays on the device until read.
class MetricAccumulator {
public:
    explicit MetricAccumulator(const TaskSpec& task) : mTask(&task) {}

    void add(const torch::Tensor& output, const torch::Tensor& target, const torch::Tensor& loss);
    /// Metric name -> value, with "loss" among them. Empty when nothing was added.
    std::map<std::string, double> values() const;

private:
    const TaskSpec* mTask;
    std::int64_t mCount = 0;
    torch::Tensor mLossSum;
    torch::Tensor mCorrect;
    torch::Tensor mAbsoluteError;
    torch::Tensor mSquaredError;
};

/// The metric that ranks checkpoints for a task, oriented so that higher is better:
/// accuracy, or minus MAE for regression.
double selectionScore(const TaskSpec& task, const std::map<std::string, double>& metrics);

/// Output width of a task's head: classes for classification, 1 otherwise.
std::int64_t taskOutputSize(const TaskSpec& task, const TargetInfo& target);

/// Checks that the dataset has the task's target and that its kind fits the task type.
/// Throws InputError naming the project file and the task.
void checkTaskTarget(const Project& project, const TaskSpec& task, const Dataset& dataset);

}  // namespace mtlw
