// CGC: experts of each task plus shared experts; each task's gate mixes its own and the shared ones.
#include "model/Blocks.h"
#include "model/CgcLayer.h"

namespace mtlw {
namespace {

class CgcBlock final : public CgcLevelsBlock {
public:
    const char* name() const override { return "cgc"; }
    const char* summary() const override { return "Customized gate control: task and shared experts, one gate per task"; }

    Shape outputShape(const NodeSpec& node, const std::vector<Shape>& inputs,
                      const BuildContext& context) const override {
        readCgcOptions(context.project, node);
        return expertOutputShape(readExpertSpec(context.project, node), inputs.at(0), context);
    }

    torch::nn::AnyModule createForPorts(const NodeSpec& node, const std::vector<PortShape>& inputs,
                                        const BuildContext& context) const override {
        CgcOptions options = readCgcOptions(context.project, node);
        options.perTaskInput = inputs.at(0).taskSlots != 0;
        return torch::nn::AnyModule(
            CgcLayer(readExpertSpec(context.project, node), options, inputs.at(0).shape, context));
    }
};

}  // namespace

std::unique_ptr<BlockType> makeCgcBlock() {
    return std::make_unique<CgcBlock>();
}

}  // namespace mtlw
