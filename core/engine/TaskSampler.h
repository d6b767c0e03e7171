// Per-task batch sampling for tasks that read different datasets. Each task draws from its own
// dataset in a seeded, reshuffled order. A step takes every task's share of the batch, or, with
// single-task batches, a whole batch of one task drawn with the sampling probabilities.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace mtlw {

/// Sampling probability of each task from its dataset's training samples: "proportional"
/// (p ∝ n), "uniform" (p = 1/K) or "temperature" (p ∝ n^(1/T)).
std::vector<double> taskSamplingProbabilities(const std::string& rule, double temperature,
                                              const std::vector<std::int64_t>& sizes);

/// Splits a batch into per-task counts close to probabilities × batchSize (largest remainder),
/// with at least one sample per task, so that every task has a loss at every step.
std::vector<std::int64_t> taskBatchCounts(const std::vector<double>& probabilities, std::int64_t batchSize);

class TaskSampler {
public:
    /// sizes: training samples of each task's dataset. Throws InputError when batchSize is
    /// smaller than the number of tasks without single-task batches.
    TaskSampler(std::vector<std::int64_t> sizes, std::vector<double> probabilities, std::int64_t batchSize,
                bool singleTaskBatches, std::uint64_t seed);

    /// Restarts every task's order for `epoch`, so that a resumed run draws the same batches.
    void startEpoch(int epoch);
    /// Steps per epoch: all tasks' training samples over the batch size, rounded up.
    std::int64_t stepsPerEpoch() const;
    /// Sample indices into each task's training split for the next step; an undefined tensor
    /// for a task that has no samples in this batch.
    std::vector<torch::Tensor> next();

    const std::vector<double>& probabilities() const { return mProbabilities; }

private:
    /// The next `count` indices of task t's order, reshuffling when it runs out.
    torch::Tensor take(std::size_t t, std::int64_t count);

    std::vector<std::int64_t> mSizes;
    std::vector<double> mProbabilities;
    std::vector<std::int64_t> mCounts;
    std::int64_t mBatchSize;
    bool mSingleTaskBatches;
    std::uint64_t mSeed;
    /// mProbabilities as a tensor, for drawing the task of a single-task batch.
    torch::Tensor mTaskWeights;
    torch::Generator mGenerator;
    std::vector<torch::Tensor> mOrders;
    std::vector<std::int64_t> mPositions;
};

}  // namespace mtlw
