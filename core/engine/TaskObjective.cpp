#include "engine/TaskObjective.h"

#include "util/Errors.h"

#include <cmath>
#include <filesystem>

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
    }
    throw std::logic_error("unhandled task type");
}

void MetricAccumulator::add(const torch::Tensor& output, const torch::Tensor& target, const torch::Tensor& loss) {
    torch::NoGradGuard noGrad;
    const std::int64_t count = target.size(0);
    const torch::Tensor weightedLoss = loss.detach() * static_cast<double>(count);
    mLossSum = mLossSum.defined() ? mLossSum + weightedLoss : weightedLoss;
    mCount += count;
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
    if (mTask->type == TaskType::Regression) {
        values["mae"] = mAbsoluteError.item<double>() / count;
        values["rmse"] = std::sqrt(mSquaredError.item<double>() / count);
    } else {
        values["accuracy"] = mCorrect.item<double>() / count;
    }
    return values;
}

double selectionScore(const TaskSpec& task, const std::map<std::string, double>& metrics) {
    if (task.type == TaskType::Regression) {
        return -metrics.at("mae");
    }
    return metrics.at("accuracy");
}

std::int64_t taskOutputSize(const TaskSpec& task, const TargetInfo& target) {
    if (task.type == TaskType::Classification) {
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
