// Reads a node's params with messages naming the project file and the node.
#pragma once

#include "model/Block.h"
#include "project/JsonFields.h"
#include "project/Project.h"

#include <filesystem>

namespace mtlw {

inline JsonFields nodeParams(const Project& project, const NodeSpec& node) {
    const std::string source =
        project.filePath.empty() ? project.name : std::filesystem::path(project.filePath).filename().string();
    return JsonFields(node.params, source, "node '" + node.id + "' params");
}

/// Reads a list of layer widths from params[key]; each must be a positive integer.
std::vector<std::int64_t> readWidths(const Project& project, const NodeSpec& node, const std::string& key,
                                     bool required);

/// Throws InputError unless the node's only input is a feature vector.
void requireFeatureVector(const NodeSpec& node, const std::vector<Shape>& inputs, const BuildContext& context);

}  // namespace mtlw
