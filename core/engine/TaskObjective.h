// Loss and metrics of one task, by task type: cross entropy and accuracy for classification,
// binary cross entropy and accuracy for binary tasks, MSE or L1 with MAE and RMSE for regression,
// binary cross entropy per label with micro F1, subset accuracy and Hamming loss for multi-label.
#pragma once

#include "data/Dataset.h"
#include "project/Project.h"

#include <torch/torch.h>

#include <map>
#include <string>

namespace mtlw {

/// The task's loss on a batch: a scalar, averaged over the batch (and over the labels of a
/// multi-label task).
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
    // Multi-label counts: [true positives, false positives, false negatives, samples with every
    // label right], summed over batches.
    torch::Tensor mLabelCounts;
    std::int64_t mLabelDecisions = 0;
};

/// The metric that ranks checkpoints and summarizes a task: "accuracy" for classification and
/// binary tasks, "mae" for regression, "f1" for multi-label tasks.
std::string primaryMetric(const TaskSpec& task);

/// Returns true when a larger value of the metric is better: accuracy, f1, subset_accuracy and
/// other scores (miou, auc, precision, recall, r2). Losses and errors (mae, rmse, hamming_loss)
/// give false.
bool metricHigherIsBetter(const std::string& metric);

/// The primary metric of a task, oriented so that higher is better: accuracy, minus MAE for
/// regression, or micro F1 for multi-label tasks.
double selectionScore(const TaskSpec& task, const std::map<std::string, double>& metrics);

/// Output width of a task's head: classes for classification, labels for multi-label, 1 otherwise.
std::int64_t taskOutputSize(const TaskSpec& task, const TargetInfo& target);

/// Checks that the dataset has the task's target and that its kind fits the task type.
/// Throws InputError naming the project file and the task.
void checkTaskTarget(const Project& project, const TaskSpec& task, const Dataset& dataset);

}  // namespace mtlw
