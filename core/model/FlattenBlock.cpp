// Flattens each sample to one dimension, between CNN stages and MLPs or heads.
#include "model/Blocks.h"

namespace mtlw {
namespace {

struct FlattenImpl : torch::nn::Module {
    torch::Tensor forward(const torch::Tensor& input) { return input.flatten(1); }
};
TORCH_MODULE(Flatten);

class FlattenBlock final : public BlockType {
public:
    const char* name() const override { return "flatten"; }
    const char* summary() const override { return "Flattens each sample to a feature vector"; }

    Shape outputShape(const NodeSpec&, const std::vector<Shape>& inputs, const BuildContext&) const override {
        std::int64_t features = 1;
        for (const auto size : inputs.at(0)) {
            features *= size;
        }
        return {features};
    }

    torch::nn::AnyModule create(const NodeSpec&, const std::vector<Shape>&, const BuildContext&) const override {
        return torch::nn::AnyModule(Flatten());
    }
};

}  // namespace

std::unique_ptr<BlockType> makeFlattenBlock() {
    return std::make_unique<FlattenBlock>();
}

}  // namespace mtlw
