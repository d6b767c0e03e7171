// The LibTorch module built from a project graph: shared backbone nodes and one head per task.
#pragma once

#include "model/GraphPlan.h"
#include "model/Routing.h"

#include <torch/torch.h>

#include <string>
#include <vector>

namespace mtlw {

struct ModelOutput {
    /// One output per task, in project task order: [B, classes] or [B, labels] logits, or [B, 1].
    std::vector<torch::Tensor> taskOutputs;
};

class MultiTaskModelImpl : public torch::nn::Module {
public:
    /// Builds modules for every planned node. The plan must come from planGraph on `context`.
    MultiTaskModelImpl(const GraphPlan& plan, const BuildContext& context);

    ModelOutput forward(const torch::Tensor& input);

    /// True when every head reads the same node and that node's output is plain (not per-task):
    /// the shared representation.
    bool hasSharedRepresentation() const { return mRepresentation != SIZE_MAX; }
    /// Runs every node but the heads and returns the shared representation [B, ...].
    torch::Tensor forwardRepresentation(const torch::Tensor& input);
    /// Runs the heads on a shared representation.
    ModelOutput forwardHeads(const torch::Tensor& representation);

    /// Trainable parameters of every node that is not a head: the ones all tasks share, plus
    /// the task-specific parts of task-aware blocks (gates, task experts, adapters).
    std::vector<torch::Tensor> sharedParameters() const;
    /// Parameters of one task's head.
    std::vector<torch::Tensor> headParameters(size_t task) const;
    /// All parameters, frozen ones (LoRA base weights) included.
    std::int64_t parameterCount() const;
    /// Parameters that training updates.
    std::int64_t trainableParameterCount() const;
    /// Counts the parameters one task's output uses per sample: the nodes on the path from the
    /// input to its head. Of a task-aware node only the task's part counts (its gate, experts
    /// and adapters, or top_k experts for moe).
    /// NOTE: a task-aware node that feeds another task-aware node counts all of its parameters,
    /// which can overstate the path.
    std::int64_t activeParameterCount(size_t task) const;

    /// Task `task`'s output [B, ...] alone: runs only the nodes on the path from the input to its
    /// head and, of a task-aware block, only the task's part (its gate and experts, the experts
    /// its router selects, its adapters). Equals forward(input).taskOutputs[task]; records no
    /// routing statistics.
    torch::Tensor forwardTask(const torch::Tensor& input, size_t task);

    const std::vector<std::string>& nodeIds() const { return mNodeIds; }

    /// True when some block routes between experts (mmoe, cgc, ple, moe).
    bool hasRouting() const { return !mRoutingSources.empty(); }
    /// Gate statistics of the last forward pass, one entry per routing layer in graph order.
    std::vector<LayerRouting> routing() const;
    /// Sum of the routing layers' auxiliary losses (load balancing, mutual information) of the
    /// last training forward pass; undefined when there is none.
    torch::Tensor auxiliaryLoss() const;

private:
    /// Use of each node on the path to a task's head: unused, the task's slot only, or whole
    /// (a task-aware block that feeds another task-aware block).
    static constexpr int kUnused = 0;
    static constexpr int kTaskSlot = 1;
    static constexpr int kWhole = 2;
    std::vector<int> taskPathUse(size_t task) const;

    /// The input tensor of node i: the graph input, its source's value, the head's slot of a
    /// per-task value.
    torch::Tensor nodeInput(size_t i, const torch::Tensor& input, const std::vector<torch::Tensor>& values) const;
    /// Runs node i, applying a block that reads one plain value to every slot of a per-task input.
    torch::Tensor runNode(size_t i, const torch::Tensor& blockInput);

    std::vector<torch::nn::AnyModule> mBlocks;
    std::vector<std::string> mNodeIds;
    std::vector<std::vector<size_t>> mInputs;
    std::vector<bool> mIsHead;
    /// Task slots of each node's input (0: plain) and whether the block takes them itself.
    std::vector<std::int64_t> mInputSlots;
    std::vector<bool> mReadsPerTask;
    /// Task index of each head node; unused for other nodes.
    std::vector<std::int64_t> mTaskOfNode;
    std::vector<size_t> mHeadOfTask;
    std::vector<const RoutingSource*> mRoutingSources;
    size_t mRepresentation = SIZE_MAX;
};
TORCH_MODULE(MultiTaskModel);

}  // namespace mtlw
