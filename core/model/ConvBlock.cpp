// A CNN stage: 2-D convolution, optional batch norm, ReLU, then optional max pooling.
#include "model/Blocks.h"
#include "model/NodeParams.h"

namespace mtlw {
namespace {

struct ConvStageOptions {
    std::int64_t inChannels = 1;
    std::int64_t outChannels = 16;
    std::int64_t kernelSize = 3;
    std::int64_t padding = 0;
    std::int64_t pool = 2;
    bool batchNorm = false;
};

ConvStageOptions readOptions(const Project& project, const NodeSpec& node, std::int64_t inChannels) {
    const JsonFields params = nodeParams(project, node);
    ConvStageOptions options;
    options.inChannels = inChannels;
    options.outChannels = params.integer("out_channels", 1);
    options.kernelSize = params.integer("kernel_size", 3, 1);
    options.padding = params.integer("padding", 0, 0);
    options.pool = params.integer("pool", 2, 1);
    options.batchNorm = params.boolean("batch_norm", false);
    return options;
}

struct ConvStageImpl : torch::nn::Module {
    explicit ConvStageImpl(const ConvStageOptions& options) : mPool(options.pool) {
        conv = register_module(
            "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(options.inChannels, options.outChannels, options.kernelSize)
                                          .padding(options.padding)));
        if (options.batchNorm) {
            norm = register_module("norm", torch::nn::BatchNorm2d(options.outChannels));
        }
    }

    torch::Tensor forward(const torch::Tensor& input) {
        torch::Tensor output = conv->forward(input);
        if (norm) {
            output = norm->forward(output);
        }
        output = torch::relu(output);
        if (mPool > 1) {
            output = torch::max_pool2d(output, mPool);
        }
        return output;
    }

    torch::nn::Conv2d conv{nullptr};
    torch::nn::BatchNorm2d norm{nullptr};
    std::int64_t mPool;
};
TORCH_MODULE(ConvStage);

class ConvBlock final : public BlockType {
public:
    const char* name() const override { return "conv"; }
    const char* summary() const override { return "CNN stage: Conv2d, optional batch norm, ReLU, max pooling"; }

    Shape outputShape(const NodeSpec& node, const std::vector<Shape>& inputs,
                      const BuildContext& context) const override {
        const Shape& input = inputs.at(0);
        if (input.size() != 3) {
            failShape(context.project, node,
                     "expects a 3-D input [channels, height, width], got " + toString(input));
        }
        const ConvStageOptions options = readOptions(context.project, node, input[0]);
        const std::int64_t height = input[1] + 2 * options.padding - options.kernelSize + 1;
        const std::int64_t width = input[2] + 2 * options.padding - options.kernelSize + 1;
        if (height < 1 || width < 1) {
            failNode(context.project, node,
                     "kernel_size " + std::to_string(options.kernelSize) + " is larger than its input " +
                         toString(input) + "; use a smaller kernel or more padding");
        }
        if (height < options.pool || width < options.pool) {
            failNode(context.project, node,
                     "pool " + std::to_string(options.pool) + " is larger than the convolution output " +
                         toString({options.outChannels, height, width}));
        }
        return {options.outChannels, height / options.pool, width / options.pool};
    }

    torch::nn::AnyModule create(const NodeSpec& node, const std::vector<Shape>& inputs,
                                const BuildContext& context) const override {
        return torch::nn::AnyModule(ConvStage(readOptions(context.project, node, inputs.at(0)[0])));
    }
};

}  // namespace

std::unique_ptr<BlockType> makeConvBlock() {
    return std::make_unique<ConvBlock>();
}

}  // namespace mtlw
