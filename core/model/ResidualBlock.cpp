// A residual MLP block: x + W2 · dropout(relu(W1 · norm(x))), with optional layer norm first.
#include "model/Blocks.h"
#include "model/NodeParams.h"

namespace mtlw {
namespace {

struct ResidualImpl : torch::nn::Module {
    ResidualImpl(std::int64_t features, std::int64_t hidden, double dropout, bool layerNorm) : mDropout(dropout) {
        if (layerNorm) {
            norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({features})));
        }
        inner = register_module("inner", torch::nn::Linear(features, hidden));
        outer = register_module("outer", torch::nn::Linear(hidden, features));
    }

    torch::Tensor forward(const torch::Tensor& input) {
        torch::Tensor value = norm ? norm->forward(input) : input;
        value = torch::relu(inner->forward(value));
        if (mDropout > 0.0) {
            value = torch::dropout(value, mDropout, is_training());
        }
        return input + outer->forward(value);
    }

    torch::nn::LayerNorm norm{nullptr};
    torch::nn::Linear inner{nullptr};
    torch::nn::Linear outer{nullptr};
    double mDropout;
};
TORCH_MODULE(Residual);

class ResidualBlock final : public BlockType {
public:
    const char* name() const override { return "residual"; }
    const char* summary() const override { return "Residual MLP block: input plus a two-layer branch"; }

    Shape outputShape(const NodeSpec& node, const std::vector<Shape>& inputs,
                      const BuildContext& context) const override {
        requireFeatureVector(node, inputs, context);
        const JsonFields params = nodeParams(context.project, node);
        params.integer("hidden", inputs.at(0)[0], 1);
        params.number("dropout", 0.0, 0.0, 0.99);
        params.boolean("layer_norm", false);
        return inputs.at(0);
    }

    torch::nn::AnyModule create(const NodeSpec& node, const std::vector<Shape>& inputs,
                                const BuildContext& context) const override {
        const JsonFields params = nodeParams(context.project, node);
        const std::int64_t features = inputs.at(0)[0];
        return torch::nn::AnyModule(Residual(features, params.integer("hidden", features, 1),
                                             params.number("dropout", 0.0, 0.0, 0.99),
                                             params.boolean("layer_norm", false)));
    }
};

}  // namespace

std::unique_ptr<BlockType> makeResidualBlock() {
    return std::make_unique<ResidualBlock>();
}

}  // namespace mtlw
