// The interface of a graph block type (conv, mlp, head, ...), and the registry of all of them.
// A block type validates its node's params, infers its output shape and creates its module.
#pragma once

#include "data/Dataset.h"
#include "project/Project.h"
#include "util/Errors.h"

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mtlw {

/// Shape of one sample, without the batch dimension.
using Shape = std::vector<std::int64_t>;

std::string toString(const Shape& shape);

// What flows along an edge. A plain value is one [B, ...] tensor that every task reads. A
// per-task value is a [slots, B, ...] tensor from a task-aware block (mmoe, cgc, moe, ...):
// slot t serves task t in project order, and a slot after the last task carries a shared
// representation (cgc with shared_output). A head reads its own task's slot.
struct PortShape {
    /// Shape of one sample of one slot.
    Shape shape;
    /// 0 for a plain value, else the number of slots.
    std::int64_t taskSlots = 0;
};

std::string toString(const PortShape& port);

// Build inputs available to every block type besides its node: the project, the dataset's input
// shape and each task's output width.
struct BuildContext {
    const Project& project;
    Shape inputShape;
    /// Output width of each task's head, by task name (classes, 1 for binary and regression).
    std::map<std::string, std::int64_t> taskOutputSizes;
};

class BlockType {
public:
    virtual ~BlockType() = default;

    virtual const char* name() const = 0;
    virtual const char* summary() const = 0;
    /// Number of incoming edges the block needs (0 for the input node).
    virtual int inputCount() const { return 1; }
    /// Whether the block is a task head; its parameters belong to that task alone.
    virtual bool isHead() const { return false; }

    /// Checks the node's params against its input shapes and returns its output shape.
    /// Throws InputError naming the project file, the node and the problem.
    virtual Shape outputShape(const NodeSpec& node, const std::vector<Shape>& inputs,
                              const BuildContext& context) const = 0;

    /// Creates the module; called only after outputShape accepted the node.
    virtual torch::nn::AnyModule create(const NodeSpec& node, const std::vector<Shape>& inputs,
                                        const BuildContext& context) const = 0;

    /// Whether the module itself takes per-task values [slots, B, ...]. For other blocks the
    /// model applies the one module to every slot of a per-task input, with shared weights.
    virtual bool readsPerTask() const { return false; }
    /// Checks the node against its input ports and returns its output port. The default calls
    /// outputShape on the slot shapes and keeps the input's slots, matching the model's per-slot
    /// application.
    virtual PortShape outputPort(const NodeSpec& node, const std::vector<PortShape>& inputs,
                                 const BuildContext& context) const;
    /// Creates the module for the given input ports; the default calls create with their shapes.
    virtual torch::nn::AnyModule createForPorts(const NodeSpec& node, const std::vector<PortShape>& inputs,
                                                const BuildContext& context) const;
};

// A task-aware block whose module takes its input's task slots itself (moe, cross_stitch, lora,
// cgc, ple). Subtypes give outputShape for one slot and createForPorts, and may change which
// input slots they accept and how many they output.
class TaskSlotsBlock : public BlockType {
public:
    bool readsPerTask() const override { return true; }
    /// Checks the input with checkInputSlots; the output has outputSlots slots of outputShape.
    PortShape outputPort(const NodeSpec& node, const std::vector<PortShape>& inputs,
                         const BuildContext& context) const override;
    /// Creates the module for a plain input.
    torch::nn::AnyModule create(const NodeSpec& node, const std::vector<Shape>& inputs,
                                const BuildContext& context) const override;

protected:
    /// Throws ShapeError unless the input is plain or has one slot per task.
    virtual void checkInputSlots(const NodeSpec& node, const PortShape& input, const BuildContext& context) const;
    /// One slot per task.
    virtual std::int64_t outputSlots(const NodeSpec& node, const BuildContext& context) const;
};

/// All block types, in palette order.
const std::vector<std::unique_ptr<BlockType>>& blockTypes();
const BlockType* findBlockType(const std::string& name);

/// The task a head node serves, from its "task" param. Throws InputError if missing.
std::string headTask(const NodeSpec& node, const Project& project);

/// Throws InputError "<project file>: node '<id>' (<type>): <problem>".
[[noreturn]] void failNode(const Project& project, const NodeSpec& node, const std::string& problem);

// A node got an input of the wrong shape. Graph planning adds the feeding node and its shape.
class ShapeError : public InputError {
public:
    using InputError::InputError;
};

/// Throws ShapeError with the same message form as failNode.
[[noreturn]] void failShape(const Project& project, const NodeSpec& node, const std::string& problem);

}  // namespace mtlw
