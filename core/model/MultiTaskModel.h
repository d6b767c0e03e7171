// The LibTorch module built from a project graph: shared backbone nodes and one head per task.
#pragma once

#include "model/GraphPlan.h"

#include <torch/torch.h>

#include <string>
#include <vector>

namespace mtlw {

struct ModelOutput {
    /// One output per task, in project task order: [B, classes] logits, or [B, 1].
    std::vector<torch::Tensor> taskOutputs;
};

class MultiTaskModelImpl : public torch::nn::Module {
public:
    /// Builds modules for every planned node. The plan must come from planGraph on `context`.
    MultiTaskModelImpl(const GraphPlan& plan, const BuildContext& context);

    ModelOutput forward(const torch::Tensor& input);

    /// True when every head reads the same node: the shared representation.
    bool hasSharedRepresentation() const { return mRepresentation != SIZE_MAX; }
    /// Runs every node but the heads and returns the shared representation [B, ...].
    torch::Tensor forwardRepresentation(const torch::Tensor& input);
    /// Runs the heads on a shared representation.
    ModelOutput forwardHeads(const torch::Tensor& representation);

    /// Parameters of every node that is not a head: the ones all tasks share.
    std::vector<torch::Tensor> sharedParameters() const;
    /// Parameters of one task's head.
    std::vector<torch::Tensor> headParameters(size_t task) const;
    std::int64_t parameterCount() const;

    const std::vector<std::string>& nodeIds() const { return mNodeIds; }

private:
    std::vector<torch::nn::AnyModule> mBlocks;
    std::vector<std::string> mNodeIds;
    std::vector<std::vector<size_t>> mInputs;
    std::vector<bool> mIsHead;
    std::vector<size_t> mHeadOfTask;
    size_t mRepresentation = SIZE_MAX;
};
TORCH_MODULE(MultiTaskModel);

}  // namespace mtlw
