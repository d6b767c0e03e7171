// A task head: optional hidden layers, then a linear layer to the task's output width.
#include "model/Blocks.h"
#include "model/LinearStack.h"
#include "model/NodeParams.h"

namespace mtlw {
namespace {

class HeadBlock final : public BlockType {
public:
    const char* name() const override { return "head"; }
    const char* summary() const override { return "Task head: optional hidden layers, then the task's outputs"; }
    bool isHead() const override { return true; }

    Shape outputShape(const NodeSpec& node, const std::vector<Shape>& inputs,
                      const BuildContext& context) const override {
        const std::string task = headTask(node, context.project);
        const auto found = context.taskOutputSizes.find(task);
        if (found == context.taskOutputSizes.end()) {
            failNode(context.project, node, "params.task names task '" + task + "', which the project does not define");
        }
        requireFeatureVector(node, inputs, context);
        readWidths(context.project, node, "hidden", false);
        nodeParams(context.project, node).number("dropout", 0.0, 0.0, 0.99);
        return {found->second};
    }

    // A head fed by a per-task value reads its own task's slot; MultiTaskModel selects it.
    PortShape outputPort(const NodeSpec& node, const std::vector<PortShape>& inputs,
                         const BuildContext& context) const override {
        const PortShape& input = inputs.at(0);
        if (input.taskSlots != 0) {
            const std::string task = headTask(node, context.project);
            for (size_t t = 0; t < context.project.tasks.size(); ++t) {
                if (context.project.tasks[t].name == task && static_cast<std::int64_t>(t) >= input.taskSlots) {
                    failShape(context.project, node,
                              "task '" + task + "' has no slot in its per-task input " + toString(input));
                }
            }
        }
        return {outputShape(node, {input.shape}, context), 0};
    }

    torch::nn::AnyModule create(const NodeSpec& node, const std::vector<Shape>& inputs,
                                const BuildContext& context) const override {
        std::vector<std::int64_t> widths = readWidths(context.project, node, "hidden", false);
        widths.push_back(context.taskOutputSizes.at(headTask(node, context.project)));
        const double dropout = nodeParams(context.project, node).number("dropout", 0.0, 0.0, 0.99);
        return torch::nn::AnyModule(LinearStack(inputs.at(0)[0], widths, dropout, false));
    }
};

}  // namespace

std::unique_ptr<BlockType> makeHeadBlock() {
    return std::make_unique<HeadBlock>();
}

}  // namespace mtlw
