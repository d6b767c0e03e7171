// Expert routing of task-aware blocks: gate statistics of the last forward pass, which the
// trainer records, and the auxiliary losses (load balancing, task-expert mutual information)
// that join the training objective.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace mtlw {

// Gate statistics of one routing layer over the last batch. A row is one gate: a task's gate,
// or "shared" for the shared gate of a cgc level with shared_output.
struct LayerRouting {
    /// Node id, with "/level N" appended for the levels of a ple node.
    std::string layer;
    std::vector<std::string> rows;
    std::vector<std::string> experts;
    /// Experts each sample selects: top_k for sparse layers, 1 (the largest gate) for dense gates.
    std::int64_t topK = 1;
    /// [rows, experts] mean gate probability over the batch; each row sums to 1.
    torch::Tensor gateMean;
    /// [rows, experts] share of samples that had the expert among their top k; each row sums to topK.
    torch::Tensor topKFraction;
    /// [rows] load-balancing loss cv²(importance) + cv²(load) of each gate.
    torch::Tensor balanceLoss;
};

// Computes and keeps the statistics and the auxiliary loss of one routing layer.
class RoutingState {
public:
    /// `allowed` is [rows, experts], 1 where the row's gate may pick the expert; the first
    /// `taskRows` rows are task gates, which the mutual-information term covers.
    RoutingState(std::string layer, std::vector<std::string> rows, std::vector<std::string> experts,
                 torch::Tensor allowed, std::int64_t taskRows, std::int64_t topK, double balanceWeight,
                 double miWeight);

    /// Records the gates of one forward pass: `probabilities` [rows, B, experts] from a softmax
    /// (0 outside `allowed`), `selected` [rows, B, experts] 1 for each sample's top-k experts.
    /// Keeps an auxiliary loss with gradient when `training` and a weight is above 0.
    void update(const torch::Tensor& probabilities, const torch::Tensor& selected, bool training);

    /// The statistics of the last update, on the CPU.
    LayerRouting routing() const;
    /// balance_weight · mean balance loss − mi_weight · MI(task; expert) of the last training
    /// update; undefined when both weights are 0 or the last update was not in training mode.
    const torch::Tensor& auxiliaryLoss() const { return mAuxiliaryLoss; }

private:
    std::string mLayer;
    std::vector<std::string> mRows;
    std::vector<std::string> mExperts;
    torch::Tensor mAllowed;
    std::int64_t mTaskRows;
    std::int64_t mTopK;
    double mBalanceWeight;
    double mMiWeight;

    torch::Tensor mGateMean;
    torch::Tensor mTopKFraction;
    torch::Tensor mBalanceLoss;
    torch::Tensor mAuxiliaryLoss;
};

// A module with routing layers. MultiTaskModel finds these among its blocks.
class RoutingSource {
public:
    virtual ~RoutingSource() = default;
    virtual void appendRouting(std::vector<LayerRouting>& layers) const = 0;
    /// Sum of the layers' auxiliary losses of the last training pass; undefined when there is none.
    virtual torch::Tensor auxiliaryLoss() const = 0;
};

// A task-aware module whose output slot for one task needs only part of its parameters (per
// sample, for top-k routing). MultiTaskModel uses it to count a task's active parameters and to
// run one task's path alone.
class TaskPath {
public:
    virtual ~TaskPath() = default;
    /// Parameters that task `task`'s output uses per sample.
    virtual std::int64_t activeParameters(std::int64_t task) const = 0;
    /// Slot `task` of forward(input), [B, ...], computed with that task's part alone. Records no
    /// routing statistics.
    virtual torch::Tensor forwardTask(const torch::Tensor& input, std::int64_t task) = 0;
};

/// Number of elements of `parameters`.
std::int64_t countParameters(const std::vector<torch::Tensor>& parameters);

/// cv² = variance / mean² of `values` [rows, experts] along the last dimension, over the
/// entries where `allowed` is 1 (population variance; 1e-10 keeps an all-zero row finite).
torch::Tensor squaredCoefficientOfVariation(const torch::Tensor& values, const torch::Tensor& allowed);

/// Mutual information between task and expert, in nats, for task gate probabilities
/// [tasks, B, experts] with tasks drawn uniformly.
torch::Tensor taskExpertMutualInformation(const torch::Tensor& probabilities);

/// Adds two possibly undefined losses.
torch::Tensor addLoss(const torch::Tensor& total, const torch::Tensor& loss);

}  // namespace mtlw
