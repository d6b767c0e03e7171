// One CGC level (customized gate control, from PLE): experts of each task, shared experts, and a
// gate per task over its own and the shared experts. With a shared output, a further gate over
// all experts produces the shared representation that the next level's shared experts read.
#pragma once

#include "model/Experts.h"
#include "model/Routing.h"

namespace mtlw {

struct CgcOptions {
    std::string layer;
    std::int64_t taskExperts = 1;
    std::int64_t sharedExperts = 1;
    bool sharedOutput = false;
    /// Whether the input is per-task with one slot per task plus the shared slot.
    bool perTaskInput = false;
    double balanceWeight = 0.0;
    double miWeight = 0.0;
};

struct CgcLayerImpl : torch::nn::Module, RoutingSource, TaskPath {
    CgcLayerImpl(const ExpertSpec& expert, const CgcOptions& options, const Shape& input,
                 const BuildContext& context);

    /// Input [B, ...] or [tasks + 1, B, ...]; output [tasks, B, ...], or [tasks + 1, B, ...] with
    /// the shared representation last when sharedOutput is set.
    torch::Tensor forward(const torch::Tensor& input);

    void appendRouting(std::vector<LayerRouting>& layers) const override { layers.push_back(mState.routing()); }
    torch::Tensor auxiliaryLoss() const override { return mState.auxiliaryLoss(); }
    /// The task's own experts, the shared experts and the task's gate.
    std::int64_t activeParameters(std::int64_t task) const override;
    torch::Tensor forwardTask(const torch::Tensor& input, std::int64_t task) override;

    std::vector<ExpertSet> taskExperts;
    ExpertSet sharedExperts{nullptr};
    std::vector<torch::nn::Linear> gates;
    torch::nn::Linear sharedGate{nullptr};
    CgcOptions mOptions;
    std::int64_t mTasks = 0;
    RoutingState mState;
};
TORCH_MODULE(CgcLayer);

/// Reads and checks the params shared by cgc and ple: task_experts, shared_experts (at least
/// one expert per gate), balance_weight and mi_weight.
CgcOptions readCgcOptions(const Project& project, const NodeSpec& node);

/// Checks a cgc or ple input: plain, or per-task with one slot per task plus the shared slot.
void checkCgcInput(const NodeSpec& node, const PortShape& input, const BuildContext& context);

// The block types built from CGC levels (cgc, ple): a plain input or one slot per task plus the
// shared slot, and one output slot per task, plus the shared one with shared_output.
class CgcLevelsBlock : public TaskSlotsBlock {
protected:
    void checkInputSlots(const NodeSpec& node, const PortShape& input, const BuildContext& context) const override;
    std::int64_t outputSlots(const NodeSpec& node, const BuildContext& context) const override;
};

}  // namespace mtlw
