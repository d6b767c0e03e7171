#include "engine/TaskObjective.h"

#include "util/Errors.h"

#include <cmath>
#include <filesystem>
#include <set>

namespace mtlw {

torch::Tensor taskLoss(const TaskSpec& task, const torch::Tensor& output, const torch::Tensor& target) {
    switch (task.type) {
    case TaskType::Classification:
        return torch::nn::functional::cross_entropy(output, target);
    case TaskType::Binary:
        return torch::nn::functional::binary_cross_entropy_with_logits(output.squeeze(1),
                                                                        target.to(output.scalar_type()));
    case TaskType::Regression:
        if (task.loss == "l1") {
            return torch::l1_loss(output.squeeze(1), target);
        }
        return torch::mse_loss(output.squeeze(1), target);
    case TaskType::MultiLabel:
        // The mean over every sample and label of the per-label binary cross entropy.
        return torch::nn::functional::binary_cross_entropy_with_logits(output, target.to(output.scalar_type()));
    }
    throw std::logic_error("unhandled task type");
}

namespace {

// [true positives, false positives, false negatives, samples with every label right] of a
// multi-label batch, as an int64 tensor on the output's device. A label is predicted when its
// logit is above 0.
torch::Tensor multiLabelCounts(const torch::Tensor& output, const torch::Tensor& target) {
    const torch::Tensor predicted = output > 0;
    const torch::Tensor truth = target > 0.5;
    const torch::Tensor truePositives = (predicted & truth).sum();
    const torch::Tensor falsePositives = (predicted & truth.logical_not()).sum();
    const torch::Tensor falseNegatives = (predicted.logical_not() & truth).sum();
    const torch::Tensor exactSamples = predicted.eq(truth).all(1).sum();
    return torch::stack({truePositives, falsePositives, falseNegatives, exactSamples}).to(torch::kLong);
}

}  // namespace

void MetricAccumulator::add(const torch::Tensor& output, const torch::Tensor& target, const torch::Tensor& loss) {
    torch::NoGradGuard noGrad;
    const std::int64_t count = target.size(0);
    const torch::Tensor weightedLoss = loss.detach() * static_cast<double>(count);
    mLossSum = mLossSum.defined() ? mLossSum + weightedLoss : weightedLoss;
    mCount += count;
    if (mTask->type == TaskType::MultiLabel) {
        const torch::Tensor counts = multiLabelCounts(output.detach(), target);
        mLabelCounts = mLabelCounts.defined() ? mLabelCounts + counts : counts;
        mLabelDecisions += target.numel();
        return;
    }
    if (mTask->type == TaskType::Regression) {
        const torch::Tensor error = output.detach().squeeze(1) - target;
        const torch::Tensor absolute = error.abs().sum();
        const torch::Tensor squared = error.square().sum();
        mAbsoluteError = mAbsoluteError.defined() ? mAbsoluteError + absolute : absolute;
        mSquaredError = mSquaredError.defined() ? mSquaredError + squared : squared;
        return;
    }
    const torch::Tensor predicted = mTask->type == TaskType::Binary ? (output.detach().squeeze(1) > 0).to(torch::kLong)
                                                                    : output.detach().argmax(1);
    const torch::Tensor correct = predicted.eq(target).sum();
    mCorrect = mCorrect.defined() ? mCorrect + correct : correct;
}

std::map<std::string, double> MetricAccumulator::values() const {
    std::map<std::string, double> values;
    if (mCount == 0) {
        return values;
    }
    const double count = static_cast<double>(mCount);
    values["loss"] = mLossSum.item<double>() / count;
    if (mTask->type == TaskType::MultiLabel) {
        const torch::Tensor counts = mLabelCounts.to(torch::kCPU);
        const double truePositives = static_cast<double>(counts[0].item<std::int64_t>());
        const double falsePositives = static_cast<double>(counts[1].item<std::int64_t>());
        const double falseNegatives = static_cast<double>(counts[2].item<std::int64_t>());
        const double exactSamples = static_cast<double>(counts[3].item<std::int64_t>());
        // Micro F1 pools the decisions of all labels. With no positive label in the targets and
        // none predicted, every decision is right, so F1 is 1 rather than 0/0.
        const double denominator = 2.0 * truePositives + falsePositives + falseNegatives;
        values["f1"] = denominator > 0.0 ? 2.0 * truePositives / denominator : 1.0;
        values["subset_accuracy"] = exactSamples / count;
        values["hamming_loss"] =
            mLabelDecisions > 0 ? (falsePositives + falseNegatives) / static_cast<double>(mLabelDecisions) : 0.0;
    } else if (mTask->type == TaskType::Regression) {
        values["mae"] = mAbsoluteError.item<double>() / count;
        values["rmse"] = std::sqrt(mSquaredError.item<double>() / count);
    } else {
        values["accuracy"] = mCorrect.item<double>() / count;
    }
    return values;
}

std::string primaryMetric(const TaskSpec& task) {
    switch (task.type) {
    case TaskType::Classification:
    case TaskType::Binary:
        return "accuracy";
    case TaskType::Regression:
        return "mae";
    case TaskType::MultiLabel:
        return "f1";
    }
    throw std::logic_error("unhandled task type");
}

bool metricHigherIsBetter(const std::string& metric) {
    // The engine's own metrics, and common ones that imported or future runs may carry.
    static const std::set<std::string> higher = {"accuracy", "subset_accuracy", "f1",   "miou",
                                                 "auc",      "precision",       "recall", "r2"};
    return higher.count(metric) > 0;
}

double selectionScore(const TaskSpec& task, const std::map<std::string, double>& metrics) {
    const std::string metric = primaryMetric(task);
    const double value = metrics.at(metric);
    return metricHigherIsBetter(metric) ? value : -value;
}

std::int64_t taskOutputSize(const TaskSpec& task, const TargetInfo& target) {
    if (task.type == TaskType::Classification || task.type == TaskType::MultiLabel) {
        return static_cast<std::int64_t>(target.classNames.size());
    }
    return 1;
}

void checkTaskTarget(const Project& project, const TaskSpec& task, const Dataset& dataset) {
    const std::string source =
        project.filePath.empty() ? project.name : std::filesystem::path(project.filePath).filename().string();
    const auto found = dataset.targets.find(task.target);
    if (found == dataset.targets.end()) {
        std::string known;
        for (const auto& [name, info] : dataset.targets) {
            known += known.empty() ? name : ", " + name;
        }
        throw InputError(source + ": task '" + task.name + "': dataset '" + dataset.name + "' has no target '" +
                         task.target + "'; its targets are: " + known);
    }
    const TargetInfo& target = found->second;
    if (target.kind == TargetInfo::Kind::MultiLabel && task.type != TaskType::MultiLabel) {
        throw InputError(source + ": task '" + task.name + "' is a " + toString(task.type) + " task, but target '" +
                         task.target + "' holds a set of labels per sample; use type multilabel");
    }
    if (task.type == TaskType::MultiLabel) {
        if (target.kind == TargetInfo::Kind::Numeric) {
            throw InputError(source + ": task '" + task.name + "' is a multilabel task, but target '" + task.target +
                             "' is numeric; use type regression");
        }
        if (target.kind == TargetInfo::Kind::Categorical) {
            throw InputError(source + ": task '" + task.name + "' is a multilabel task, but target '" + task.target +
                             "' holds one class label per sample; use type classification or a multi-label target");
        }
        if (target.classNames.empty()) {
            throw InputError(source + ": task '" + task.name + "': target '" + task.target +
                             "' has no labels in any sample, so there is nothing to predict");
        }
        return;
    }
    const bool categorical = target.kind == TargetInfo::Kind::Categorical;
    if (task.type == TaskType::Regression && categorical) {
        throw InputError(source + ": task '" + task.name + "' is a regression task, but target '" + task.target +
                         "' is categorical; use type classification");
    }
    if (task.type != TaskType::Regression && !categorical) {
        throw InputError(source + ": task '" + task.name + "' is a " + toString(task.type) + " task, but target '" +
                         task.target + "' is numeric; use type regression");
    }
    if (task.type == TaskType::Binary && target.classNames.size() != 2) {
        throw InputError(source + ": task '" + task.name + "' is a binary task, but target '" + task.target +
                         "' has " + std::to_string(target.classNames.size()) + " classes; use type classification");
    }
    if (task.type == TaskType::Classification && target.classNames.size() < 2) {
        throw InputError(source + ": task '" + task.name + "': target '" + task.target +
                         "' has fewer than 2 classes, so there is nothing to classify");
    }
}

}  // namespace mtlw
