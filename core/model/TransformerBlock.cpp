// A transformer encoder block (self-attention and feed-forward, each with a residual connection
// and layer norm, as torch::nn::TransformerEncoderLayer). Input [tokens, dim], or a CNN feature map
// [channels, height, width] read as height · width tokens of `channels` dimensions.
#include "model/Blocks.h"
#include "model/NodeParams.h"

namespace mtlw {
namespace {

struct TransformerOptions {
    std::int64_t dim = 0;
    std::int64_t heads = 1;
    std::int64_t feedforward = 0;
    double dropout = 0.0;
};

TransformerOptions readOptions(const Project& project, const NodeSpec& node, std::int64_t dim) {
    const JsonFields params = nodeParams(project, node);
    TransformerOptions options;
    options.dim = dim;
    options.heads = params.integer("heads", 1, 1);
    if (dim % options.heads != 0) {
        params.fail("heads", "is " + std::to_string(options.heads) + ", which does not divide the token dimension " +
                                 std::to_string(dim) + "; use a divisor of " + std::to_string(dim));
    }
    options.feedforward = params.integer("feedforward", 4 * dim, 1);
    options.dropout = params.number("dropout", 0.0, 0.0, 0.99);
    return options;
}

struct TransformerImpl : torch::nn::Module {
    explicit TransformerImpl(const TransformerOptions& options) {
        layer = register_module(
            "layer", torch::nn::TransformerEncoderLayer(torch::nn::TransformerEncoderLayerOptions(options.dim, options.heads)
                                                            .dim_feedforward(options.feedforward)
                                                            .dropout(options.dropout)));
    }

    torch::Tensor forward(const torch::Tensor& input) {
        // The layer takes [tokens, B, dim].
        if (input.dim() == 3) {
            return layer->forward(input.transpose(0, 1)).transpose(0, 1);
        }
        const torch::Tensor tokens = input.flatten(2).permute({2, 0, 1});
        return layer->forward(tokens).permute({1, 2, 0}).reshape(input.sizes());
    }

    torch::nn::TransformerEncoderLayer layer{nullptr};
};
TORCH_MODULE(Transformer);

class TransformerBlock final : public BlockType {
public:
    const char* name() const override { return "transformer"; }
    const char* summary() const override { return "Transformer encoder block: self-attention and feed-forward"; }

    Shape outputShape(const NodeSpec& node, const std::vector<Shape>& inputs,
                      const BuildContext& context) const override {
        const Shape& input = inputs.at(0);
        if (input.size() != 2 && input.size() != 3) {
            failShape(context.project, node,
                      "expects a 2-D input [tokens, dim] or a 3-D feature map [channels, height, width], got " +
                          toString(input) + "; feed it from an input or conv node");
        }
        readOptions(context.project, node, input.size() == 2 ? input[1] : input[0]);
        return input;
    }

    torch::nn::AnyModule create(const NodeSpec& node, const std::vector<Shape>& inputs,
                                const BuildContext& context) const override {
        const Shape& input = inputs.at(0);
        return torch::nn::AnyModule(Transformer(readOptions(context.project, node, input.size() == 2 ? input[1] : input[0])));
    }
};

}  // namespace

std::unique_ptr<BlockType> makeTransformerBlock() {
    return std::make_unique<TransformerBlock>();
}

}  // namespace mtlw
