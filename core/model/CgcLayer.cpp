#include "model/CgcLayer.h"

#include "model/NodeParams.h"

namespace mtlw {

namespace {

// The gates' layout: experts of task 0, of task 1, ..., then the shared experts.
torch::Tensor allowedExperts(std::int64_t tasks, std::int64_t perTask, std::int64_t shared, bool sharedRow) {
    const std::int64_t total = tasks * perTask + shared;
    torch::Tensor allowed = torch::zeros({tasks + (sharedRow ? 1 : 0), total});
    for (std::int64_t t = 0; t < tasks; ++t) {
        allowed[t].slice(0, t * perTask, (t + 1) * perTask).fill_(1.0);
        allowed[t].slice(0, tasks * perTask, total).fill_(1.0);
    }
    if (sharedRow) {
        allowed[tasks].fill_(1.0);
    }
    return allowed;
}

}  // namespace

CgcOptions readCgcOptions(const Project& project, const NodeSpec& node) {
    CgcOptions options;
    options.layer = node.id;
    options.taskExperts = readExpertCount(project, node, "task_experts", 1, 0);
    options.sharedExperts = readExpertCount(project, node, "shared_experts", 1, 0);
    if (options.taskExperts + options.sharedExperts == 0) {
        failNode(project, node,
                 "task_experts and shared_experts are both 0, so the gates have no experts; give at least one");
    }
    options.sharedOutput = nodeParams(project, node).boolean("shared_output", false);
    options.balanceWeight = readLossWeight(project, node, "balance_weight", 0.0);
    options.miWeight = readLossWeight(project, node, "mi_weight", 0.0);
    return options;
}

void checkCgcInput(const NodeSpec& node, const PortShape& input, const BuildContext& context) {
    const auto tasks = static_cast<std::int64_t>(context.project.tasks.size());
    if (input.taskSlots != 0 && input.taskSlots != tasks + 1) {
        failShape(context.project, node,
                  "its input has " + std::to_string(input.taskSlots) + " task slots but a CGC level reads a plain " +
                      "value or " + std::to_string(tasks + 1) +
                      " slots (one per task and a shared one); set shared_output to true on the level before it");
    }
}

void CgcLevelsBlock::checkInputSlots(const NodeSpec& node, const PortShape& input, const BuildContext& context) const {
    checkCgcInput(node, input, context);
}

std::int64_t CgcLevelsBlock::outputSlots(const NodeSpec& node, const BuildContext& context) const {
    const auto tasks = static_cast<std::int64_t>(context.project.tasks.size());
    return tasks + (readCgcOptions(context.project, node).sharedOutput ? 1 : 0);
}

CgcLayerImpl::CgcLayerImpl(const ExpertSpec& expert, const CgcOptions& options, const Shape& input,
                           const BuildContext& context)
    : mOptions(options), mState(options.layer, {}, {}, torch::ones({1, 1}), 0, 1, 0.0, 0.0) {
    const Project& project = context.project;
    mTasks = static_cast<std::int64_t>(project.tasks.size());
    const std::int64_t features = flatFeatures(input);
    std::vector<std::string> rows;
    std::vector<std::string> labels;
    for (std::int64_t t = 0; t < mTasks; ++t) {
        const std::string& task = project.tasks[static_cast<size_t>(t)].name;
        rows.push_back(task);
        taskExperts.push_back(register_module("task_experts" + std::to_string(t),
                                              ExpertSet(expert, options.taskExperts, input, context)));
        gates.push_back(register_module("gate" + std::to_string(t),
                                        torch::nn::Linear(features, options.taskExperts + options.sharedExperts)));
        for (std::int64_t e = 0; e < options.taskExperts; ++e) {
            labels.push_back(task + "." + std::to_string(e));
        }
    }
    sharedExperts = register_module("shared_experts", ExpertSet(expert, options.sharedExperts, input, context));
    for (std::int64_t e = 0; e < options.sharedExperts; ++e) {
        labels.push_back("shared." + std::to_string(e));
    }
    if (options.sharedOutput) {
        rows.push_back("shared");
        sharedGate = register_module(
            "shared_gate", torch::nn::Linear(features, mTasks * options.taskExperts + options.sharedExperts));
    }
    mState = RoutingState(options.layer, rows, labels,
                          allowedExperts(mTasks, options.taskExperts, options.sharedExperts, options.sharedOutput),
                          mTasks, 1, options.balanceWeight, options.miWeight);
}

torch::Tensor CgcLayerImpl::forward(const torch::Tensor& input) {
    const auto slotInput = [&](std::int64_t slot) { return mOptions.perTaskInput ? input[slot] : input; };
    const torch::Tensor sharedInput = slotInput(mTasks);
    const std::int64_t perTask = mOptions.taskExperts;
    const std::int64_t total = mTasks * perTask + mOptions.sharedExperts;
    const std::int64_t batch = sharedInput.size(0);

    torch::Tensor sharedOutputs;
    if (mOptions.sharedExperts > 0) {
        sharedOutputs = sharedExperts->forward(sharedInput);
    }
    std::vector<torch::Tensor> ownOutputs;
    std::vector<torch::Tensor> outputs;
    std::vector<torch::Tensor> rows;
    for (std::int64_t t = 0; t < mTasks; ++t) {
        const torch::Tensor taskInput = slotInput(t);
        std::vector<torch::Tensor> candidates;
        if (perTask > 0) {
            ownOutputs.push_back(taskExperts[static_cast<size_t>(t)]->forward(taskInput));
            candidates.push_back(ownOutputs.back());
        }
        if (sharedOutputs.defined()) {
            candidates.push_back(sharedOutputs);
        }
        const torch::Tensor weights = torch::softmax(gates[static_cast<size_t>(t)]->forward(taskInput.flatten(1)), -1);
        outputs.push_back(mixExperts(torch::cat(candidates), weights));

        // Spread the gate over all experts of the level for the statistics.
        const auto options = weights.options();
        rows.push_back(torch::cat({torch::zeros({batch, t * perTask}, options), weights.slice(1, 0, perTask),
                                   torch::zeros({batch, (mTasks - 1 - t) * perTask}, options),
                                   weights.slice(1, perTask, perTask + mOptions.sharedExperts)},
                                  1));
    }
    if (mOptions.sharedOutput) {
        std::vector<torch::Tensor> all = ownOutputs;
        if (sharedOutputs.defined()) {
            all.push_back(sharedOutputs);
        }
        const torch::Tensor weights = torch::softmax(sharedGate->forward(sharedInput.flatten(1)), -1);
        outputs.push_back(mixExperts(torch::cat(all), weights));
        rows.push_back(weights);
    }
    const torch::Tensor probabilities = torch::stack(rows);
    const torch::Tensor selected =
        torch::one_hot(probabilities.argmax(-1), total).to(probabilities.scalar_type());
    mState.update(probabilities, selected, is_training());
    return torch::stack(outputs);
}

torch::Tensor CgcLayerImpl::forwardTask(const torch::Tensor& input, std::int64_t task) {
    const torch::Tensor taskInput = mOptions.perTaskInput ? input[task] : input;
    const torch::Tensor sharedInput = mOptions.perTaskInput ? input[mTasks] : input;
    std::vector<torch::Tensor> candidates;
    if (mOptions.taskExperts > 0) {
        candidates.push_back(taskExperts.at(static_cast<size_t>(task))->forward(taskInput));
    }
    if (mOptions.sharedExperts > 0) {
        candidates.push_back(sharedExperts->forward(sharedInput));
    }
    const torch::Tensor weights = torch::softmax(gates.at(static_cast<size_t>(task))->forward(taskInput.flatten(1)), -1);
    return mixExperts(torch::cat(candidates), weights);
}

std::int64_t CgcLayerImpl::activeParameters(std::int64_t task) const {
    const auto t = static_cast<size_t>(task);
    return countParameters(taskExperts.at(t)->parameters()) + countParameters(sharedExperts->parameters()) +
           countParameters(gates.at(t)->parameters());
}

}  // namespace mtlw
