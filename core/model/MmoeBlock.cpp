// MMoE: N shared experts and one softmax gate per task; each task gets its own mix of the experts.
#include "model/Blocks.h"
#include "model/Experts.h"
#include "model/NodeParams.h"
#include "model/Routing.h"

namespace mtlw {
namespace {

struct MmoeImpl : torch::nn::Module, RoutingSource, TaskPath {
    MmoeImpl(const NodeSpec& node, const ExpertSpec& expert, std::int64_t count, const Shape& input,
             const BuildContext& context)
        : mState(node.id, {}, {}, torch::ones({1, 1}), 0, 1, 0.0, 0.0) {
        const Project& project = context.project;
        experts = register_module("experts", ExpertSet(expert, count, input, context));
        std::vector<std::string> rows;
        for (size_t t = 0; t < project.tasks.size(); ++t) {
            gates.push_back(register_module("gate" + std::to_string(t), torch::nn::Linear(flatFeatures(input), count)));
            rows.push_back(project.tasks[t].name);
        }
        std::vector<std::string> labels;
        for (std::int64_t e = 0; e < count; ++e) {
            labels.push_back(std::to_string(e));
        }
        const auto tasks = static_cast<std::int64_t>(rows.size());
        mState = RoutingState(node.id, rows, labels, torch::ones({tasks, count}), tasks, 1,
                              readLossWeight(project, node, "balance_weight", 0.0),
                              readLossWeight(project, node, "mi_weight", 0.0));
    }

    torch::Tensor forward(const torch::Tensor& input) {
        const torch::Tensor outputs = experts->forward(input);
        const torch::Tensor features = input.flatten(1);
        std::vector<torch::Tensor> mixed;
        std::vector<torch::Tensor> probabilities;
        for (auto& gate : gates) {
            const torch::Tensor weights = torch::softmax(gate->forward(features), -1);
            probabilities.push_back(weights);
            mixed.push_back(mixExperts(outputs, weights));
        }
        const torch::Tensor stacked = torch::stack(probabilities);
        const torch::Tensor selected = torch::one_hot(stacked.argmax(-1), stacked.size(-1)).to(stacked.scalar_type());
        mState.update(stacked, selected, is_training());
        return torch::stack(mixed);
    }

    torch::Tensor forwardTask(const torch::Tensor& input, std::int64_t task) override {
        const torch::Tensor weights = torch::softmax(gates.at(static_cast<size_t>(task))->forward(input.flatten(1)), -1);
        return mixExperts(experts->forward(input), weights);
    }

    void appendRouting(std::vector<LayerRouting>& layers) const override { layers.push_back(mState.routing()); }
    torch::Tensor auxiliaryLoss() const override { return mState.auxiliaryLoss(); }

    // Dense gates: every expert and the task's own gate.
    std::int64_t activeParameters(std::int64_t task) const override {
        return countParameters(experts->parameters()) + countParameters(gates.at(static_cast<size_t>(task))->parameters());
    }

    ExpertSet experts{nullptr};
    std::vector<torch::nn::Linear> gates;
    RoutingState mState;
};
TORCH_MODULE(Mmoe);

class MmoeBlock final : public BlockType {
public:
    const char* name() const override { return "mmoe"; }
    const char* summary() const override { return "Multi-gate mixture of experts: shared experts, one gate per task"; }
    bool readsPerTask() const override { return true; }

    Shape outputShape(const NodeSpec& node, const std::vector<Shape>& inputs,
                      const BuildContext& context) const override {
        if (!nodeParams(context.project, node).has("experts")) {
            nodeParams(context.project, node).fail("experts", "is missing; give the number of experts, e.g. 4");
        }
        readExpertCount(context.project, node, "experts", 0, 1);
        readLossWeight(context.project, node, "balance_weight", 0.0);
        readLossWeight(context.project, node, "mi_weight", 0.0);
        return expertOutputShape(readExpertSpec(context.project, node), inputs.at(0), context);
    }

    PortShape outputPort(const NodeSpec& node, const std::vector<PortShape>& inputs,
                         const BuildContext& context) const override {
        requirePlainInput(node, inputs, context);
        return {outputShape(node, {inputs.at(0).shape}, context),
                static_cast<std::int64_t>(context.project.tasks.size())};
    }

    torch::nn::AnyModule create(const NodeSpec& node, const std::vector<Shape>& inputs,
                                const BuildContext& context) const override {
        const std::int64_t count = readExpertCount(context.project, node, "experts", 0, 1);
        return torch::nn::AnyModule(Mmoe(node, readExpertSpec(context.project, node), count, inputs.at(0), context));
    }
};

}  // namespace

std::unique_ptr<BlockType> makeMmoeBlock() {
    return std::make_unique<MmoeBlock>();
}

}  // namespace mtlw
