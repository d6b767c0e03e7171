// PLE (progressive layered extraction): CGC levels stacked. Every level but the last also
// outputs a shared representation, which the next level's shared experts read.
#include "model/Blocks.h"
#include "model/CgcLayer.h"
#include "model/NodeParams.h"

namespace mtlw {
namespace {

struct PleImpl : torch::nn::Module, RoutingSource, TaskPath {
    PleImpl(const NodeSpec& node, const PortShape& input, const BuildContext& context) {
        const ExpertSpec expert = readExpertSpec(context.project, node);
        const CgcOptions base = readCgcOptions(context.project, node);
        const std::int64_t count = nodeParams(context.project, node).integer("levels", 2, 1);
        Shape shape = input.shape;
        for (std::int64_t level = 0; level < count; ++level) {
            CgcOptions options = base;
            options.layer = node.id + "/level" + std::to_string(level + 1);
            options.perTaskInput = level > 0 || input.taskSlots != 0;
            options.sharedOutput = level + 1 < count || base.sharedOutput;
            levels.push_back(
                register_module("level" + std::to_string(level + 1), CgcLayer(expert, options, shape, context)));
            shape = expertOutputShape(expert, shape, context);
        }
    }

    torch::Tensor forward(torch::Tensor input) {
        for (auto& level : levels) {
            input = level->forward(input);
        }
        return input;
    }

    torch::Tensor forwardTask(const torch::Tensor& input, std::int64_t task) override {
        torch::Tensor value = input;
        for (size_t level = 0; level + 1 < levels.size(); ++level) {
            value = levels[level]->forward(value);
        }
        return levels.back()->forwardTask(value, task);
    }

    void appendRouting(std::vector<LayerRouting>& layers) const override {
        for (const auto& level : levels) {
            level->appendRouting(layers);
        }
    }

    torch::Tensor auxiliaryLoss() const override {
        torch::Tensor total;
        for (const auto& level : levels) {
            total = addLoss(total, level->auxiliaryLoss());
        }
        return total;
    }

    // The lower levels all feed the last level's shared experts, so only the last level has a
    // task path of its own.
    std::int64_t activeParameters(std::int64_t task) const override {
        std::int64_t count = 0;
        for (size_t level = 0; level + 1 < levels.size(); ++level) {
            count += countParameters(levels[level]->parameters());
        }
        return count + levels.back()->activeParameters(task);
    }

    std::vector<CgcLayer> levels;
};
TORCH_MODULE(Ple);

class PleBlock final : public CgcLevelsBlock {
public:
    const char* name() const override { return "ple"; }
    const char* summary() const override { return "Progressive layered extraction: stacked CGC levels"; }

    Shape outputShape(const NodeSpec& node, const std::vector<Shape>& inputs,
                      const BuildContext& context) const override {
        readCgcOptions(context.project, node);
        const ExpertSpec expert = readExpertSpec(context.project, node);
        const std::int64_t count = nodeParams(context.project, node).integer("levels", 2, 1);
        Shape shape = inputs.at(0);
        for (std::int64_t level = 0; level < count; ++level) {
            shape = expertOutputShape(expert, shape, context);
        }
        return shape;
    }

    torch::nn::AnyModule createForPorts(const NodeSpec& node, const std::vector<PortShape>& inputs,
                                        const BuildContext& context) const override {
        return torch::nn::AnyModule(Ple(node, inputs.at(0), context));
    }
};

}  // namespace

std::unique_ptr<BlockType> makePleBlock() {
    return std::make_unique<PleBlock>();
}

}  // namespace mtlw
