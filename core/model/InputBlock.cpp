// The input node: passes a batch of dataset samples into the graph.
#include "model/Blocks.h"

namespace mtlw {
namespace {

struct IdentityImpl : torch::nn::Module {
    torch::Tensor forward(const torch::Tensor& input) { return input; }
};
TORCH_MODULE(Identity);

class InputBlock final : public BlockType {
public:
    const char* name() const override { return "input"; }
    const char* summary() const override { return "Dataset samples; the shape comes from the dataset"; }
    int inputCount() const override { return 0; }

    Shape outputShape(const NodeSpec&, const std::vector<Shape>&, const BuildContext& context) const override {
        return context.inputShape;
    }

    torch::nn::AnyModule create(const NodeSpec&, const std::vector<Shape>&, const BuildContext&) const override {
        return torch::nn::AnyModule(Identity());
    }
};

}  // namespace

std::unique_ptr<BlockType> makeInputBlock() {
    return std::make_unique<InputBlock>();
}

}  // namespace mtlw
