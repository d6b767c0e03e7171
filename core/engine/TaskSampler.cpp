#include "engine/TaskSampler.h"

#include "util/Errors.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace mtlw {

std::vector<double> taskSamplingProbabilities(const std::string& rule, double temperature,
                                              const std::vector<std::int64_t>& sizes) {
    std::vector<double> weights;
    for (const std::int64_t size : sizes) {
        const auto n = static_cast<double>(size);
        if (rule == "uniform") {
            weights.push_back(1.0);
        } else if (rule == "temperature") {
            weights.push_back(std::pow(n, 1.0 / temperature));
        } else if (rule == "proportional") {
            weights.push_back(n);
        } else {
            throw InputError("training.task_sampling must be proportional, uniform or temperature, got '" + rule + "'");
        }
    }
    const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
    for (double& weight : weights) {
        weight /= total;
    }
    return weights;
}

std::vector<std::int64_t> taskBatchCounts(const std::vector<double>& probabilities, std::int64_t batchSize) {
    const auto tasks = static_cast<std::int64_t>(probabilities.size());
    // One sample per task first, then the rest by largest remainder of the probabilities.
    std::vector<std::int64_t> counts(probabilities.size(), 1);
    const std::int64_t rest = batchSize - tasks;
    std::vector<double> remainders;
    std::int64_t assigned = 0;
    for (std::size_t t = 0; t < probabilities.size(); ++t) {
        const double share = probabilities[t] * static_cast<double>(rest);
        const auto whole = static_cast<std::int64_t>(std::floor(share));
        counts[t] += whole;
        assigned += whole;
        remainders.push_back(share - static_cast<double>(whole));
    }
    std::vector<std::size_t> order(probabilities.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return remainders[a] > remainders[b]; });
    for (std::int64_t i = 0; i < rest - assigned; ++i) {
        ++counts[order[static_cast<std::size_t>(i) % order.size()]];
    }
    return counts;
}

TaskSampler::TaskSampler(std::vector<std::int64_t> sizes, std::vector<double> probabilities, std::int64_t batchSize,
                         bool singleTaskBatches, std::uint64_t seed)
    : mSizes(std::move(sizes)), mProbabilities(std::move(probabilities)), mBatchSize(batchSize),
      mSingleTaskBatches(singleTaskBatches), mSeed(seed),
      mTaskWeights(torch::tensor(mProbabilities, torch::kDouble)),
      mGenerator(at::make_generator<at::CPUGeneratorImpl>(seed)) {
    if (!mSingleTaskBatches) {
        if (batchSize < static_cast<std::int64_t>(mSizes.size())) {
            throw InputError("training.batch_size is " + std::to_string(batchSize) + " but " +
                             std::to_string(mSizes.size()) +
                             " tasks read different datasets and each needs a sample in every batch; "
                             "raise batch_size or set training.single_task_batches");
        }
        mCounts = taskBatchCounts(mProbabilities, batchSize);
    }
    startEpoch(1);
}

void TaskSampler::startEpoch(int epoch) {
    mGenerator = at::make_generator<at::CPUGeneratorImpl>(mSeed * 1000003ULL + static_cast<std::uint64_t>(epoch));
    mOrders.clear();
    mPositions.assign(mSizes.size(), 0);
    for (const std::int64_t size : mSizes) {
        mOrders.push_back(torch::randperm(size, mGenerator, torch::kLong));
    }
}

std::int64_t TaskSampler::stepsPerEpoch() const {
    const std::int64_t total = std::accumulate(mSizes.begin(), mSizes.end(), std::int64_t{0});
    return (total + mBatchSize - 1) / mBatchSize;
}

torch::Tensor TaskSampler::take(std::size_t t, std::int64_t count) {
    std::vector<torch::Tensor> parts;
    while (count > 0) {
        if (mPositions[t] == mSizes[t]) {
            mOrders[t] = torch::randperm(mSizes[t], mGenerator, torch::kLong);
            mPositions[t] = 0;
        }
        const std::int64_t chunk = std::min(count, mSizes[t] - mPositions[t]);
        parts.push_back(mOrders[t].slice(0, mPositions[t], mPositions[t] + chunk));
        mPositions[t] += chunk;
        count -= chunk;
    }
    return parts.size() == 1 ? parts.front() : torch::cat(parts);
}

std::vector<torch::Tensor> TaskSampler::next() {
    std::vector<torch::Tensor> indices(mSizes.size());
    if (!mSingleTaskBatches) {
        for (std::size_t t = 0; t < mSizes.size(); ++t) {
            indices[t] = take(t, mCounts[t]);
        }
        return indices;
    }
    const auto task =
        static_cast<std::size_t>(torch::multinomial(mTaskWeights, 1, false, mGenerator).item<std::int64_t>());
    indices[task] = take(task, mBatchSize);
    return indices;
}

}  // namespace mtlw
