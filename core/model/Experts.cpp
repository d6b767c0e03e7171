#include "model/Experts.h"

#include "model/NodeParams.h"

#include <torch/csrc/jit/frontend/tracer.h>

namespace mtlw {

ExpertSpec readExpertSpec(const Project& project, const NodeSpec& node) {
    const JsonFields params = nodeParams(project, node);
    ExpertSpec expert;
    expert.node.id = node.id + ".expert";
    expert.node.type = "mlp";
    expert.node.params = {{"hidden", {64}}};
    if (params.has("expert")) {
        const JsonFields spec = params.object("expert");
        expert.node.type = spec.string("type");
        if (spec.has("params")) {
            expert.node.params = spec.object("params").json();
        } else {
            expert.node.params = nlohmann::json::object();
        }
    }
    expert.type = findBlockType(expert.node.type);
    if (expert.type == nullptr || expert.type->inputCount() != 1 || expert.type->isHead() ||
        expert.type->readsPerTask()) {
        params.fail("expert.type", "'" + expert.node.type +
                                       "' cannot be an expert; use a backbone block type such as mlp, conv, "
                                       "residual or transformer");
    }
    return expert;
}

Shape expertOutputShape(const ExpertSpec& expert, const Shape& input, const BuildContext& context) {
    return expert.type->outputShape(expert.node, {input}, context);
}

std::int64_t readExpertCount(const Project& project, const NodeSpec& node, const std::string& key,
                             std::int64_t fallback, std::int64_t minimum) {
    const JsonFields params = nodeParams(project, node);
    if (!params.has(key)) {
        return fallback;
    }
    const auto& value = params.json().at(key);
    if (!value.is_number_integer() || value.get<std::int64_t>() < minimum) {
        params.fail(key, "must be an integer of at least " + std::to_string(minimum) + ", got " + value.dump() +
                             (minimum > 0 ? "; an expert group needs at least one expert" : ""));
    }
    return value.get<std::int64_t>();
}

void requirePlainInput(const NodeSpec& node, const std::vector<PortShape>& inputs, const BuildContext& context) {
    if (inputs.at(0).taskSlots != 0) {
        failShape(context.project, node,
                  "its input is a per-task value (" + toString(inputs.at(0)) +
                      ") but this block reads one value shared by all tasks; feed it from a backbone node");
    }
}

double readLossWeight(const Project& project, const NodeSpec& node, const std::string& key, double fallback) {
    return nodeParams(project, node).number(key, fallback, 0.0, 100.0);
}

ExpertSetImpl::ExpertSetImpl(const ExpertSpec& expert, std::int64_t count, const Shape& input,
                             const BuildContext& context)
    : mOutputShape(expert.type->outputShape(expert.node, {input}, context)) {
    for (std::int64_t e = 0; e < count; ++e) {
        torch::nn::AnyModule module = expert.type->create(expert.node, {input}, context);
        register_module("expert" + std::to_string(e), module.ptr());
        mExperts.push_back(std::move(module));
    }
}

torch::Tensor ExpertSetImpl::forwardRange(const torch::Tensor& input, std::int64_t begin, std::int64_t end) {
    std::vector<torch::Tensor> outputs;
    for (std::int64_t e = begin; e < end; ++e) {
        outputs.push_back(mExperts[static_cast<size_t>(e)].forward(input));
    }
    return torch::stack(outputs);
}

torch::Tensor ExpertSetImpl::forward(const torch::Tensor& input) {
    return forwardRange(input, 0, size());
}

torch::Tensor ExpertSetImpl::forwardRouted(const torch::Tensor& input, const torch::Tensor& routed) {
    if (torch::jit::tracer::isTracing()) {
        // A trace records one input's routing; the dense outputs give the same mixture for any
        // input, since the gates of unrouted experts are zero.
        return forward(input);
    }
    const std::int64_t batch = input.size(0);
    std::vector<std::int64_t> rowShape{batch};
    rowShape.insert(rowShape.end(), mOutputShape.begin(), mOutputShape.end());
    std::vector<torch::Tensor> outputs;
    for (std::int64_t e = 0; e < size(); ++e) {
        const torch::Tensor samples = routed.select(1, e).nonzero().squeeze(1);
        torch::Tensor row = torch::zeros(rowShape, input.options());
        if (samples.numel() > 0) {
            const torch::Tensor output = mExperts[static_cast<size_t>(e)].forward(input.index_select(0, samples));
            row = row.index_copy(0, samples, output);
        }
        outputs.push_back(row);
    }
    return torch::stack(outputs);
}

std::int64_t flatFeatures(const Shape& input) {
    std::int64_t features = 1;
    for (const auto size : input) {
        features *= size;
    }
    return features;
}

torch::Tensor mixExperts(const torch::Tensor& expertOutputs, const torch::Tensor& gates) {
    // gates [B, E] -> [E, B, 1, ...] to broadcast over each expert's output.
    torch::Tensor weights = gates.transpose(0, 1);
    while (weights.dim() < expertOutputs.dim()) {
        weights = weights.unsqueeze(-1);
    }
    return (expertOutputs * weights).sum(0);
}

}  // namespace mtlw
