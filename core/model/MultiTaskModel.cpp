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
        torch::nn::AnyModule block = planned.type->createForPorts(*planned.node, planned.inputPorts, context);
        register_module(moduleName(planned.node->id), block.ptr());
        if (const auto* source = dynamic_cast<const RoutingSource*>(block.ptr().get())) {
            mRoutingSources.push_back(source);
        }
        mBlocks.push_back(std::move(block));
        mNodeIds.push_back(planned.node->id);
        mInputs.push_back(planned.inputs);
        mIsHead.push_back(planned.type->isHead());
        mInputSlots.push_back(planned.inputPorts.empty() ? 0 : planned.inputPorts.front().taskSlots);
        mReadsPerTask.push_back(planned.type->readsPerTask());
    }
    mTaskOfNode.assign(mBlocks.size(), -1);
    for (size_t t = 0; t < mHeadOfTask.size(); ++t) {
        mTaskOfNode[mHeadOfTask[t]] = static_cast<std::int64_t>(t);
    }
    bool shared = !mHeadOfTask.empty();
    for (const size_t head : mHeadOfTask) {
        shared = shared && mInputs[head].at(0) == mInputs[mHeadOfTask.front()].at(0) && mInputSlots[head] == 0;
    }
    if (shared) {
        mRepresentation = mInputs[mHeadOfTask.front()].at(0);
    }
}

torch::Tensor MultiTaskModelImpl::nodeInput(size_t i, const torch::Tensor& input,
                                            const std::vector<torch::Tensor>& values) const {
    if (mInputs[i].empty()) {
        return input;
    }
    const torch::Tensor& value = values[mInputs[i][0]];
    if (mInputSlots[i] != 0 && mIsHead[i]) {
        return value.select(0, mTaskOfNode[i]);
    }
    return value;
}

torch::Tensor MultiTaskModelImpl::runNode(size_t i, const torch::Tensor& blockInput) {
    if (mInputSlots[i] == 0 || mIsHead[i] || mReadsPerTask[i]) {
        return mBlocks[i].forward(blockInput);
    }
    // Fold the slots into the batch, run the one module, and unfold: shared weights per slot.
    const torch::Tensor output = mBlocks[i].forward(blockInput.flatten(0, 1));
    std::vector<std::int64_t> sizes{blockInput.size(0), blockInput.size(1)};
    for (std::int64_t d = 1; d < output.dim(); ++d) {
        sizes.push_back(output.size(d));
    }
    return output.reshape(sizes);
}

torch::Tensor MultiTaskModelImpl::forwardRepresentation(const torch::Tensor& input) {
    if (!hasSharedRepresentation()) {
        throw std::logic_error("the heads do not read one plain node, so there is no shared representation");
    }
    std::vector<torch::Tensor> values(mBlocks.size());
    for (size_t i = 0; i <= mRepresentation; ++i) {
        if (!mIsHead[i]) {
            values[i] = runNode(i, nodeInput(i, input, values));
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
        values[i] = runNode(i, nodeInput(i, input, values));
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
                if (parameter.requires_grad()) {
                    parameters.push_back(parameter);
                }
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

std::int64_t MultiTaskModelImpl::trainableParameterCount() const {
    std::int64_t count = 0;
    for (const auto& parameter : parameters()) {
        if (parameter.requires_grad()) {
            count += parameter.numel();
        }
    }
    return count;
}

std::vector<int> MultiTaskModelImpl::taskPathUse(size_t task) const {
    // Walk from the head towards the input; nodes are in topological order. A task-aware block
    // that feeds another task-aware block serves every slot of it, so it is used whole.
    std::vector<int> use(mBlocks.size(), kUnused);
    use[mHeadOfTask.at(task)] = kTaskSlot;
    for (size_t i = mBlocks.size(); i-- > 0;) {
        if (use[i] == kUnused) {
            continue;
        }
        const int upstream = use[i] == kWhole || (mReadsPerTask[i] && !mIsHead[i]) ? kWhole : kTaskSlot;
        for (const size_t source : mInputs[i]) {
            use[source] = std::max(use[source], upstream);
        }
    }
    return use;
}

std::int64_t MultiTaskModelImpl::activeParameterCount(size_t task) const {
    const std::vector<int> use = taskPathUse(task);
    std::int64_t count = 0;
    for (size_t i = 0; i < mBlocks.size(); ++i) {
        const auto* path = dynamic_cast<const TaskPath*>(mBlocks[i].ptr().get());
        if (use[i] == kTaskSlot && path != nullptr) {
            count += path->activeParameters(static_cast<std::int64_t>(task));
        } else if (use[i] != kUnused) {
            count += countParameters(mBlocks[i].ptr()->parameters());
        }
    }
    return count;
}

torch::Tensor MultiTaskModelImpl::forwardTask(const torch::Tensor& input, size_t task) {
    const std::vector<int> use = taskPathUse(task);
    std::vector<torch::Tensor> values(mBlocks.size());
    // Whether a node's value is already the task's slot [B, ...] rather than all slots.
    std::vector<bool> slotOnly(mBlocks.size(), false);
    for (size_t i = 0; i < mBlocks.size(); ++i) {
        if (use[i] == kUnused) {
            continue;
        }
        if (!mInputs[i].empty() && slotOnly[mInputs[i][0]]) {
            // Per-slot blocks and the head apply to the task's slot as to a plain value.
            values[i] = mBlocks[i].forward(values[mInputs[i][0]]);
            slotOnly[i] = true;
            continue;
        }
        auto* path = dynamic_cast<TaskPath*>(mBlocks[i].ptr().get());
        const torch::Tensor blockInput = mInputs[i].empty() ? input : values[mInputs[i][0]];
        if (use[i] == kTaskSlot && path != nullptr) {
            values[i] = path->forwardTask(blockInput, static_cast<std::int64_t>(task));
            slotOnly[i] = true;
        } else {
            values[i] = runNode(i, nodeInput(i, input, values));
        }
    }
    return values[mHeadOfTask.at(task)];
}

std::vector<LayerRouting> MultiTaskModelImpl::routing() const {
    std::vector<LayerRouting> layers;
    for (const RoutingSource* source : mRoutingSources) {
        source->appendRouting(layers);
    }
    return layers;
}

torch::Tensor MultiTaskModelImpl::auxiliaryLoss() const {
    torch::Tensor total;
    for (const RoutingSource* source : mRoutingSources) {
        total = addLoss(total, source->auxiliaryLoss());
    }
    return total;
}

}  // namespace mtlw
