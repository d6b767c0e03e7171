// Building blocks of the expert-based block types (mmoe, cgc, ple, moe): the expert
// specification read from params.expert, a set of experts, and gate helpers.
#pragma once

#include "model/Block.h"

#include <torch/torch.h>

#include <string>
#include <vector>

namespace mtlw {

// One expert as a block of another type: params.expert = {"type": ..., "params": {...}}.
struct ExpertSpec {
    /// A node named "<node id>.expert" with the expert's type and params, for messages and create().
    NodeSpec node;
    const BlockType* type = nullptr;
};

/// Reads params.expert (default: an mlp with hidden [64]) and checks the type: any backbone
/// block that takes one input; not input, head or another task-aware block.
ExpertSpec readExpertSpec(const Project& project, const NodeSpec& node);

/// The output shape of one expert on `input`, checked by its block type.
Shape expertOutputShape(const ExpertSpec& expert, const Shape& input, const BuildContext& context);

/// Reads a non-negative expert count params[key] with a message that names the node.
std::int64_t readExpertCount(const Project& project, const NodeSpec& node, const std::string& key,
                             std::int64_t fallback, std::int64_t minimum);

/// Throws ShapeError unless the node's only input is plain (not per-task).
void requirePlainInput(const NodeSpec& node, const std::vector<PortShape>& inputs, const BuildContext& context);

// `count` experts of one spec; forward returns their outputs stacked, [count, B, ...].
struct ExpertSetImpl : torch::nn::Module {
    ExpertSetImpl(const ExpertSpec& expert, std::int64_t count, const Shape& input, const BuildContext& context);

    torch::Tensor forward(const torch::Tensor& input);
    std::int64_t size() const { return static_cast<std::int64_t>(mExperts.size()); }
    /// The outputs of experts [begin, end) only.
    torch::Tensor forwardRange(const torch::Tensor& input, std::int64_t begin, std::int64_t end);
    /// Outputs [E, B, ...] where expert e runs only on the samples b with routed[b, e] nonzero;
    /// the rows of the other samples are zero. This is the sparse compute of top-k routing.
    /// While tracing (TorchScript export) every expert runs on every sample instead.
    torch::Tensor forwardRouted(const torch::Tensor& input, const torch::Tensor& routed);

    /// Shape of one expert's output for one sample.
    Shape mOutputShape;
    std::vector<torch::nn::AnyModule> mExperts;
};
TORCH_MODULE(ExpertSet);

/// Number of input features of a gate that reads `input` flattened.
std::int64_t flatFeatures(const Shape& input);

/// Mixes expert outputs [E, B, ...] with gate weights [B, E]; returns [B, ...].
torch::Tensor mixExperts(const torch::Tensor& expertOutputs, const torch::Tensor& gates);

/// Reads balance_weight and mi_weight, each in [0, 100].
double readLossWeight(const Project& project, const NodeSpec& node, const std::string& key, double fallback);

}  // namespace mtlw
