#include "model/Block.h"

#include "model/Blocks.h"
#include "util/Errors.h"

#include <filesystem>

namespace mtlw {

std::string toString(const Shape& shape) {
    std::string text = "[";
    for (size_t i = 0; i < shape.size(); ++i) {
        text += (i == 0 ? "" : ", ") + std::to_string(shape[i]);
    }
    return text + "]";
}

std::string toString(const PortShape& port) {
    if (port.taskSlots == 0) {
        return toString(port.shape);
    }
    return std::to_string(port.taskSlots) + " task slots of " + toString(port.shape);
}

PortShape BlockType::outputPort(const NodeSpec& node, const std::vector<PortShape>& inputs,
                                const BuildContext& context) const {
    std::vector<Shape> shapes;
    std::int64_t slots = 0;
    for (const auto& input : inputs) {
        shapes.push_back(input.shape);
        slots = std::max(slots, input.taskSlots);
    }
    return {outputShape(node, shapes, context), slots};
}

torch::nn::AnyModule BlockType::createForPorts(const NodeSpec& node, const std::vector<PortShape>& inputs,
                                               const BuildContext& context) const {
    std::vector<Shape> shapes;
    for (const auto& input : inputs) {
        shapes.push_back(input.shape);
    }
    return create(node, shapes, context);
}

PortShape TaskSlotsBlock::outputPort(const NodeSpec& node, const std::vector<PortShape>& inputs,
                                     const BuildContext& context) const {
    checkInputSlots(node, inputs.at(0), context);
    return {outputShape(node, {inputs.at(0).shape}, context), outputSlots(node, context)};
}

void TaskSlotsBlock::checkInputSlots(const NodeSpec& node, const PortShape& input, const BuildContext& context) const {
    const auto tasks = static_cast<std::int64_t>(context.project.tasks.size());
    if (input.taskSlots != 0 && input.taskSlots != tasks) {
        failShape(context.project, node,
                  "its input has " + std::to_string(input.taskSlots) + " task slots; a " + name() +
                      " node reads a plain value or one slot per task (" + std::to_string(tasks) + ")");
    }
}

std::int64_t TaskSlotsBlock::outputSlots(const NodeSpec& node, const BuildContext& context) const {
    return static_cast<std::int64_t>(context.project.tasks.size());
}

torch::nn::AnyModule TaskSlotsBlock::create(const NodeSpec& node, const std::vector<Shape>& inputs,
                                            const BuildContext& context) const {
    return createForPorts(node, {PortShape{inputs.at(0), 0}}, context);
}

const std::vector<std::unique_ptr<BlockType>>& blockTypes() {
    static const std::vector<std::unique_ptr<BlockType>> types = [] {
        std::vector<std::unique_ptr<BlockType>> list;
        list.push_back(makeInputBlock());
        list.push_back(makeConvBlock());
        list.push_back(makeFlattenBlock());
        list.push_back(makeMlpBlock());
        list.push_back(makeHeadBlock());
        list.push_back(makeResidualBlock());
        list.push_back(makeTransformerBlock());
        list.push_back(makeMmoeBlock());
        list.push_back(makeCgcBlock());
        list.push_back(makePleBlock());
        list.push_back(makeSparseMoeBlock());
        list.push_back(makeCrossStitchBlock());
        list.push_back(makeLoraBlock());
        return list;
    }();
    return types;
}

const BlockType* findBlockType(const std::string& name) {
    for (const auto& type : blockTypes()) {
        if (name == type->name()) {
            return type.get();
        }
    }
    return nullptr;
}

namespace {

std::string nodeMessage(const Project& project, const NodeSpec& node, const std::string& problem) {
    const std::string source =
        project.filePath.empty() ? project.name : std::filesystem::path(project.filePath).filename().string();
    return source + ": node '" + node.id + "' (" + node.type + "): " + problem;
}

}  // namespace

void failNode(const Project& project, const NodeSpec& node, const std::string& problem) {
    throw InputError(nodeMessage(project, node, problem));
}

void failShape(const Project& project, const NodeSpec& node, const std::string& problem) {
    throw ShapeError(nodeMessage(project, node, problem));
}

std::string headTask(const NodeSpec& node, const Project& project) {
    if (!node.params.contains("task") || !node.params.at("task").is_string()) {
        failNode(project, node, "params.task is missing; name the task this head predicts");
    }
    return node.params.at("task").get<std::string>();
}

}  // namespace mtlw
