#include "model/MultiTaskModel.h"

namespace mtlw {

namespace {

/// Module names may not contain dots; node ids may.
std::string moduleName(const std::string& nodeId) {
    std::string name = "node_" + nodeId;
    for (char& c : name) {
        if (c == '.') {
            c = '_';
        }
    }
    return name;
}

}  // namespace

MultiTaskModelImpl::MultiTaskModelImpl(const GraphPlan& plan, const BuildContext& context)
    : mHeadOfTask(plan.headOfTask) {
    for (const auto& planned : plan.nodes) {
        torch::nn::AnyModule block = planned.type->create(*planned.node, planned.inputShapes, context);
        register_module(moduleName(planned.node->id), block.ptr());
        mBlocks.push_back(std::move(block));
        mNodeIds.push_back(planned.node->id);
        mInputs.push_back(planned.inputs);
        mIsHead.push_back(planned.type->isHead());
    }
    bool shared = !mHeadOfTask.empty();
    for (const size_t head : mHeadOfTask) {
        shared = shared && mInputs[head].at(0) == mInputs[mHeadOfTask.front()].at(0);
    }
    if (shared) {
        mRepresentation = mInputs[mHeadOfTask.front()].at(0);
    }
}

torch::Tensor MultiTaskModelImpl::forwardRepresentation(const torch::Tensor& input) {
    if (!hasSharedRepresentation()) {
        throw std::logic_error("the heads read different nodes, so there is no shared representation");
    }
    std::vector<torch::Tensor> values(mBlocks.size());
    for (size_t i = 0; i <= mRepresentation; ++i) {
        if (!mIsHead[i]) {
            values[i] = mBlocks[i].forward(mInputs[i].empty() ? input : values[mInputs[i][0]]);
        }
    }
    return values[mRepresentation];
}

ModelOutput MultiTaskModelImpl::forwardHeads(const torch::Tensor& representation) {
    ModelOutput output;
    for (const size_t head : mHeadOfTask) {
        output.taskOutputs.push_back(mBlocks[head].forward(representation));
    }
    return output;
}

ModelOutput MultiTaskModelImpl::forward(const torch::Tensor& input) {
    std::vector<torch::Tensor> values(mBlocks.size());
    for (size_t i = 0; i < mBlocks.size(); ++i) {
        const torch::Tensor& blockInput = mInputs[i].empty() ? input : values[mInputs[i][0]];
        values[i] = mBlocks[i].forward(blockInput);
    }
    ModelOutput output;
    for (const size_t head : mHeadOfTask) {
        output.taskOutputs.push_back(values[head]);
    }
    return output;
}

std::vector<torch::Tensor> MultiTaskModelImpl::sharedParameters() const {
    std::vector<torch::Tensor> parameters;
    for (size_t i = 0; i < mBlocks.size(); ++i) {
        if (!mIsHead[i]) {
            for (const auto& parameter : mBlocks[i].ptr()->parameters()) {
                parameters.push_back(parameter);
            }
        }
    }
    return parameters;
}

std::vector<torch::Tensor> MultiTaskModelImpl::headParameters(size_t task) const {
    return mBlocks.at(mHeadOfTask.at(task)).ptr()->parameters();
}

std::int64_t MultiTaskModelImpl::parameterCount() const {
    std::int64_t count = 0;
    for (const auto& parameter : parameters()) {
        count += parameter.numel();
    }
    return count;
}

}  // namespace mtlw
