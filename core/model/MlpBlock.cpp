// An MLP backbone block: linear layers with ReLU and optional dropout.
#include "model/Blocks.h"
#include "model/LinearStack.h"
#include "model/NodeParams.h"

namespace mtlw {
namespace {

class MlpBlock final : public BlockType {
public:
    const char* name() const override { return "mlp"; }
    const char* summary() const override { return "Linear layers with ReLU and optional dropout"; }

    Shape outputShape(const NodeSpec& node, const std::vector<Shape>& inputs,
                      const BuildContext& context) const override {
        requireFeatureVector(node, inputs, context);
        nodeParams(context.project, node).number("dropout", 0.0, 0.0, 0.99);
        return {readWidths(context.project, node, "hidden", true).back()};
    }

    torch::nn::AnyModule create(const NodeSpec& node, const std::vector<Shape>& inputs,
                                const BuildContext& context) const override {
        const double dropout = nodeParams(context.project, node).number("dropout", 0.0, 0.0, 0.99);
        return torch::nn::AnyModule(
            LinearStack(inputs.at(0)[0], readWidths(context.project, node, "hidden", true), dropout, true));
    }
};

}  // namespace

std::unique_ptr<BlockType> makeMlpBlock() {
    return std::make_unique<MlpBlock>();
}

}  // namespace mtlw
