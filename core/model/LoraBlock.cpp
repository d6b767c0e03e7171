// A linear layer with frozen base weights and low-rank adapters (LoRA): one adapter shared by all
// tasks and one per task. Task t computes base(x) + (alpha / rank) · (B_s A_s x + B_t A_t x).
#include "model/Blocks.h"
#include "model/NodeParams.h"
#include "model/Routing.h"

namespace mtlw {
namespace {

struct LoraOptions {
    std::int64_t width = 0;
    std::int64_t rank = 4;
    double alpha = 4.0;
    bool relu = true;
};

LoraOptions readOptions(const Project& project, const NodeSpec& node, std::int64_t inFeatures) {
    const JsonFields params = nodeParams(project, node);
    LoraOptions options;
    options.width = params.integer("width", 1);
    options.rank = params.integer("rank", 4, 1);
    const std::int64_t limit = std::min(options.width, inFeatures);
    if (options.rank > limit) {
        params.fail("rank", "is " + std::to_string(options.rank) + ", larger than the layer (" +
                                std::to_string(inFeatures) + " inputs, width " + std::to_string(options.width) +
                                "); use a rank of at most " + std::to_string(limit));
    }
    options.alpha = params.number("alpha", static_cast<double>(options.rank), 0.0, 1e6);
    options.relu = params.boolean("relu", true);
    return options;
}

struct LoraLinearImpl : torch::nn::Module, TaskPath {
    LoraLinearImpl(std::int64_t tasks, std::int64_t inFeatures, const LoraOptions& options, bool perTaskInput)
        : mTasks(tasks), mScale(options.alpha / static_cast<double>(options.rank)), mRelu(options.relu),
          mPerTaskInput(perTaskInput) {
        base = register_module("base", torch::nn::Linear(inFeatures, options.width));
        for (auto& parameter : base->parameters()) {
            parameter.requires_grad_(false);
        }
        // A starts random and B at zero, so every task starts from the base layer's output.
        const double bound = 1.0 / std::sqrt(static_cast<double>(inFeatures));
        for (std::int64_t a = 0; a <= tasks; ++a) {
            const std::string suffix = a == tasks ? "shared" : "task" + std::to_string(a);
            down.push_back(register_parameter("down_" + suffix,
                                              torch::rand({options.rank, inFeatures}) * (2.0 * bound) - bound));
            up.push_back(register_parameter("up_" + suffix, torch::zeros({options.width, options.rank})));
        }
    }

    torch::Tensor adapter(const torch::Tensor& input, std::int64_t index) {
        const auto i = static_cast<size_t>(index);
        return torch::matmul(torch::matmul(input, down[i].t()), up[i].t());
    }

    /// Input [B, features] or [tasks, B, features]; output [tasks, B, width].
    torch::Tensor forward(const torch::Tensor& input) {
        std::vector<torch::Tensor> outputs;
        for (std::int64_t t = 0; t < mTasks; ++t) {
            outputs.push_back(forwardTask(input, t));
        }
        return torch::stack(outputs);
    }

    torch::Tensor forwardTask(const torch::Tensor& input, std::int64_t task) override {
        const torch::Tensor taskInput = mPerTaskInput ? input[task] : input;
        torch::Tensor value =
            base->forward(taskInput) + (adapter(taskInput, mTasks) + adapter(taskInput, task)) * mScale;
        return mRelu ? torch::relu(value) : value;
    }

    // The base layer, the shared adapter and the task's adapter.
    std::int64_t activeParameters(std::int64_t task) const override {
        const auto t = static_cast<size_t>(task);
        return countParameters(base->parameters()) + down.back().numel() + up.back().numel() + down.at(t).numel() +
               up.at(t).numel();
    }

    torch::nn::Linear base{nullptr};
    /// A matrices [rank, in] and B matrices [width, rank]: per task in task order, the shared one last.
    std::vector<torch::Tensor> down;
    std::vector<torch::Tensor> up;
    std::int64_t mTasks;
    double mScale;
    bool mRelu;
    bool mPerTaskInput;
};
TORCH_MODULE(LoraLinear);

class LoraBlock final : public TaskSlotsBlock {
public:
    const char* name() const override { return "lora"; }
    const char* summary() const override { return "Frozen linear layer with shared and per-task LoRA adapters"; }

    Shape outputShape(const NodeSpec& node, const std::vector<Shape>& inputs,
                      const BuildContext& context) const override {
        requireFeatureVector(node, inputs, context);
        return {readOptions(context.project, node, inputs.at(0).at(0)).width};
    }

    torch::nn::AnyModule createForPorts(const NodeSpec& node, const std::vector<PortShape>& inputs,
                                        const BuildContext& context) const override {
        const std::int64_t inFeatures = inputs.at(0).shape.at(0);
        return torch::nn::AnyModule(LoraLinear(static_cast<std::int64_t>(context.project.tasks.size()), inFeatures,
                                               readOptions(context.project, node, inFeatures),
                                               inputs.at(0).taskSlots != 0));
    }
};

}  // namespace

std::unique_ptr<BlockType> makeLoraBlock() {
    return std::make_unique<LoraBlock>();
}

}  // namespace mtlw
