#include "model/NodeParams.h"

namespace mtlw {

std::vector<std::int64_t> readWidths(const Project& project, const NodeSpec& node, const std::string& key,
                                     bool required) {
    const JsonFields params = nodeParams(project, node);
    std::vector<std::int64_t> widths;
    if (!params.has(key)) {
        if (required) {
            params.fail(key, "is missing; give the layer widths, e.g. [128]");
        }
        return widths;
    }
    const auto& array = params.array(key);
    for (size_t i = 0; i < array.size(); ++i) {
        if (!array[i].is_number_integer() || array[i].get<std::int64_t>() < 1) {
            params.fail(key + "[" + std::to_string(i) + "]", "must be a positive integer, got " + array[i].dump());
        }
        widths.push_back(array[i].get<std::int64_t>());
    }
    if (required && widths.empty()) {
        params.fail(key, "is empty; give at least one layer width");
    }
    return widths;
}

void requireFeatureVector(const NodeSpec& node, const std::vector<Shape>& inputs, const BuildContext& context) {
    if (inputs.at(0).size() != 1) {
        failShape(context.project, node,
                 "expects a 1-D input [features], got " + toString(inputs.at(0)) +
                     "; insert a flatten node before it");
    }
}

}  // namespace mtlw
