// Validation and shape inference of a project graph, run before any module is built.
#pragma once

#include "model/Block.h"

#include <string>
#include <vector>

namespace mtlw {

struct PlannedNode {
    const NodeSpec* node = nullptr;
    const BlockType* type = nullptr;
    /// Indices into GraphPlan::nodes of the nodes feeding this one, in edge order.
    std::vector<size_t> inputs;
    std::vector<Shape> inputShapes;
    Shape outputShape;
    /// The same shapes with their task slots (0 for plain values); see PortShape.
    std::vector<PortShape> inputPorts;
    PortShape outputPort;
};

struct GraphPlan {
    /// Nodes in topological order; the input node comes first.
    std::vector<PlannedNode> nodes;
    /// For each task in project order, the index of its head in `nodes`.
    std::vector<size_t> headOfTask;
};

/// Checks the graph and infers every node's output shape. Throws InputError naming the
/// node (and, for shape mismatches, both nodes and their shapes) on the first problem:
/// an unknown block type, a missing or second input node, a cycle, a node with the wrong
/// number of inputs, a head not connected to any backbone, a task with no head or two heads.
GraphPlan planGraph(const BuildContext& context);

}  // namespace mtlw
