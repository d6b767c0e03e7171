#include "model/GraphPlan.h"

#include "util/Errors.h"

#include <filesystem>
#include <map>
#include <queue>

namespace mtlw {

namespace {

std::string sourceName(const Project& project) {
    return project.filePath.empty() ? project.name : std::filesystem::path(project.filePath).filename().string();
}

}  // namespace

GraphPlan planGraph(const BuildContext& context) {
    const Project& project = context.project;
    const auto& nodes = project.graph.nodes;
    const std::string source = sourceName(project);

    // Validate: block types, one input node, incoming edge counts.
    std::map<std::string, size_t> indexOf;
    std::vector<const BlockType*> types(nodes.size());
    const NodeSpec* inputNode = nullptr;
    for (size_t i = 0; i < nodes.size(); ++i) {
        indexOf[nodes[i].id] = i;
        types[i] = findBlockType(nodes[i].type);
        if (types[i] == nullptr) {
            std::string known;
            for (const auto& type : blockTypes()) {
                known += known.empty() ? type->name() : std::string(", ") + type->name();
            }
            failNode(project, nodes[i], "unknown block type '" + nodes[i].type + "'; known types: " + known);
        }
        if (types[i]->inputCount() == 0) {
            if (inputNode != nullptr) {
                failNode(project, nodes[i], "the graph already has an input node '" + inputNode->id +
                                                "'; a graph takes one input node");
            }
            inputNode = &nodes[i];
        }
    }
    if (inputNode == nullptr) {
        throw InputError(source + ": the graph has no input node; add a node of type 'input'");
    }

    std::vector<std::vector<size_t>> predecessors(nodes.size());
    std::vector<std::vector<size_t>> successors(nodes.size());
    for (const auto& edge : project.graph.edges) {
        const size_t from = indexOf.at(edge.from);
        const size_t to = indexOf.at(edge.to);
        predecessors[to].push_back(from);
        successors[from].push_back(to);
    }
    for (size_t i = 0; i < nodes.size(); ++i) {
        const int expected = types[i]->inputCount();
        const int actual = static_cast<int>(predecessors[i].size());
        if (actual == expected) {
            continue;
        }
        if (types[i]->isHead() && actual == 0) {
            failNode(project, nodes[i], "the head is not connected to any backbone; add an edge from a backbone node to '" +
                                            nodes[i].id + "'");
        }
        failNode(project, nodes[i], "takes " + std::to_string(expected) + " input(s) but " + std::to_string(actual) +
                                        " edge(s) lead into it");
    }

    // Order: Kahn's algorithm; nodes left over sit on a cycle.
    std::vector<size_t> remaining(nodes.size());
    std::queue<size_t> ready;
    for (size_t i = 0; i < nodes.size(); ++i) {
        remaining[i] = predecessors[i].size();
        if (remaining[i] == 0) {
            ready.push(i);
        }
    }
    std::vector<size_t> order;
    while (!ready.empty()) {
        const size_t current = ready.front();
        ready.pop();
        order.push_back(current);
        for (const size_t next : successors[current]) {
            if (--remaining[next] == 0) {
                ready.push(next);
            }
        }
    }
    if (order.size() != nodes.size()) {
        std::string cycle;
        for (size_t i = 0; i < nodes.size(); ++i) {
            if (remaining[i] > 0) {
                cycle += (cycle.empty() ? "'" : ", '") + nodes[i].id + "'";
            }
        }
        throw InputError(source + ": the graph has a cycle through nodes " + cycle +
                         "; remove an edge so that data flows from the input to the heads");
    }

    // Infer shapes in order; each block type checks its own params and inputs.
    GraphPlan plan;
    std::vector<size_t> planIndex(nodes.size());
    for (const size_t i : order) {
        PlannedNode planned;
        planned.node = &nodes[i];
        planned.type = types[i];
        for (const size_t from : predecessors[i]) {
            planned.inputs.push_back(planIndex[from]);
            planned.inputShapes.push_back(plan.nodes[planIndex[from]].outputShape);
            planned.inputPorts.push_back(plan.nodes[planIndex[from]].outputPort);
        }
        try {
            planned.outputPort = types[i]->outputPort(nodes[i], planned.inputPorts, context);
            planned.outputShape = planned.outputPort.shape;
        } catch (const ShapeError& error) {
            std::string feeding;
            for (size_t k = 0; k < predecessors[i].size(); ++k) {
                feeding += (k == 0 ? "node '" : ", node '") + nodes[predecessors[i][k]].id + "' outputs " +
                           toString(planned.inputPorts[k]);
            }
            throw ShapeError(std::string(error.what()) + " (" + feeding + ")");
        }
        planIndex[i] = plan.nodes.size();
        plan.nodes.push_back(std::move(planned));
    }

    // Every task needs exactly one head, reachable from the input.
    plan.headOfTask.assign(project.tasks.size(), SIZE_MAX);
    for (size_t p = 0; p < plan.nodes.size(); ++p) {
        if (!plan.nodes[p].type->isHead()) {
            continue;
        }
        const std::string task = headTask(*plan.nodes[p].node, project);
        for (size_t t = 0; t < project.tasks.size(); ++t) {
            if (project.tasks[t].name != task) {
                continue;
            }
            if (plan.headOfTask[t] != SIZE_MAX) {
                failNode(project, *plan.nodes[p].node,
                         "task '" + task + "' already has head '" + plan.nodes[plan.headOfTask[t]].node->id +
                             "'; give each task one head");
            }
            plan.headOfTask[t] = p;
        }
    }
    for (size_t t = 0; t < project.tasks.size(); ++t) {
        if (plan.headOfTask[t] == SIZE_MAX) {
            throw InputError(source + ": task '" + project.tasks[t].name +
                             "' has no head; add a node of type 'head' with params.task = \"" +
                             project.tasks[t].name + "\"");
        }
    }
    return plan;
}

}  // namespace mtlw
