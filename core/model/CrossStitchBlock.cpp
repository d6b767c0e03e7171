// Cross-stitch network: one column of linear layers per task, with a cross-stitch unit after
// every layer that mixes the columns' activations with a learned [tasks, tasks] matrix.
#include "model/Blocks.h"
#include "model/NodeParams.h"

namespace mtlw {
namespace {

struct CrossStitchImpl : torch::nn::Module {
    CrossStitchImpl(std::int64_t tasks, std::int64_t inFeatures, const std::vector<std::int64_t>& widths, double dropout,
                    bool perTaskInput)
        : mTasks(tasks), mDropout(dropout), mPerTaskInput(perTaskInput) {
        // Each unit starts close to separate columns: 0.9 on the diagonal, the rest split evenly.
        const double offDiagonal = tasks > 1 ? 0.1 / static_cast<double>(tasks - 1) : 0.0;
        const torch::Tensor start =
            torch::full({tasks, tasks}, offDiagonal) + torch::eye(tasks) * ((tasks > 1 ? 0.9 : 1.0) - offDiagonal);
        std::int64_t previous = inFeatures;
        for (size_t l = 0; l < widths.size(); ++l) {
            std::vector<torch::nn::Linear> column;
            for (std::int64_t t = 0; t < tasks; ++t) {
                column.push_back(register_module("layer" + std::to_string(l) + "_task" + std::to_string(t),
                                                 torch::nn::Linear(previous, widths[l])));
            }
            layers.push_back(std::move(column));
            units.push_back(register_parameter("stitch" + std::to_string(l), start.clone()));
            previous = widths[l];
        }
    }

    /// Input [B, features] or [tasks, B, features]; output [tasks, B, width].
    torch::Tensor forward(const torch::Tensor& input) {
        torch::Tensor columns = mPerTaskInput ? input : input.unsqueeze(0).expand({mTasks, input.size(0), input.size(1)});
        for (size_t l = 0; l < layers.size(); ++l) {
            std::vector<torch::Tensor> activations;
            for (std::int64_t t = 0; t < mTasks; ++t) {
                torch::Tensor value = torch::relu(layers[l][static_cast<size_t>(t)]->forward(columns[t]));
                if (mDropout > 0.0) {
                    value = torch::dropout(value, mDropout, is_training());
                }
                activations.push_back(value);
            }
            const torch::Tensor stacked = torch::stack(activations);
            // Unit: column t becomes sum_s alpha[t, s] * column s.
            columns = torch::matmul(units[l], stacked.flatten(1)).view_as(stacked);
        }
        return columns;
    }

    std::vector<std::vector<torch::nn::Linear>> layers;
    std::vector<torch::Tensor> units;
    std::int64_t mTasks;
    double mDropout;
    bool mPerTaskInput;
};
TORCH_MODULE(CrossStitch);

class CrossStitchBlock final : public TaskSlotsBlock {
public:
    const char* name() const override { return "cross_stitch"; }
    const char* summary() const override { return "One MLP column per task, mixed by cross-stitch units"; }

    Shape outputShape(const NodeSpec& node, const std::vector<Shape>& inputs,
                      const BuildContext& context) const override {
        requireFeatureVector(node, inputs, context);
        nodeParams(context.project, node).number("dropout", 0.0, 0.0, 0.99);
        return {readWidths(context.project, node, "hidden", true).back()};
    }

    torch::nn::AnyModule createForPorts(const NodeSpec& node, const std::vector<PortShape>& inputs,
                                        const BuildContext& context) const override {
        const double dropout = nodeParams(context.project, node).number("dropout", 0.0, 0.0, 0.99);
        return torch::nn::AnyModule(CrossStitch(static_cast<std::int64_t>(context.project.tasks.size()),
                                                inputs.at(0).shape.at(0),
                                                readWidths(context.project, node, "hidden", true), dropout,
                                                inputs.at(0).taskSlots != 0));
    }
};

}  // namespace

std::unique_ptr<BlockType> makeCrossStitchBlock() {
    return std::make_unique<CrossStitchBlock>();
}

}  // namespace mtlw
