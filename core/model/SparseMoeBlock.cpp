// Task-conditioned sparse mixture of experts: each sample goes to the top k experts of its
// task's router (one router per task, or one shared router that also reads a task embedding).
#include "model/Blocks.h"
#include "model/Experts.h"
#include "model/NodeParams.h"
#include "model/Routing.h"

namespace mtlw {
namespace {

struct SparseMoeOptions {
    std::int64_t experts = 4;
    std::int64_t topK = 1;
    bool sharedRouter = false;
    std::int64_t embedding = 8;
    double balanceWeight = 0.01;
    double miWeight = 0.0;
};

SparseMoeOptions readOptions(const Project& project, const NodeSpec& node) {
    const JsonFields params = nodeParams(project, node);
    SparseMoeOptions options;
    if (!params.has("experts")) {
        params.fail("experts", "is missing; give the number of experts, e.g. 4");
    }
    options.experts = readExpertCount(project, node, "experts", 0, 1);
    options.topK = params.integer("top_k", 1, 1);
    if (options.topK > options.experts) {
        params.fail("top_k", "is " + std::to_string(options.topK) + " but the layer has only " +
                                 std::to_string(options.experts) + " experts; use a top_k of at most " +
                                 std::to_string(options.experts));
    }
    const std::string router = params.string("router", "per_task");
    if (router != "per_task" && router != "shared") {
        params.fail("router", "must be per_task or shared, got '" + router + "'");
    }
    options.sharedRouter = router == "shared";
    options.embedding = params.integer("task_embedding", 8, 1);
    options.balanceWeight = readLossWeight(project, node, "balance_weight", 0.01);
    options.miWeight = readLossWeight(project, node, "mi_weight", 0.0);
    return options;
}

struct SparseMoeImpl : torch::nn::Module, RoutingSource, TaskPath {
    SparseMoeImpl(const NodeSpec& node, const PortShape& input, const BuildContext& context)
        : mOptions(readOptions(context.project, node)),
          mState(node.id, {}, {}, torch::ones({1, 1}), 0, 1, 0.0, 0.0) {
        const Project& project = context.project;
        mTasks = static_cast<std::int64_t>(project.tasks.size());
        mPerTaskInput = input.taskSlots != 0;
        experts = register_module("experts",
                                  ExpertSet(readExpertSpec(project, node), mOptions.experts, input.shape, context));
        const std::int64_t features = flatFeatures(input.shape);
        if (mOptions.sharedRouter) {
            taskEmbedding = register_parameter("task_embedding", torch::randn({mTasks, mOptions.embedding}) * 0.1);
            routers.push_back(
                register_module("router", torch::nn::Linear(features + mOptions.embedding, mOptions.experts)));
        } else {
            for (std::int64_t t = 0; t < mTasks; ++t) {
                routers.push_back(
                    register_module("router" + std::to_string(t), torch::nn::Linear(features, mOptions.experts)));
            }
        }
        std::vector<std::string> rows;
        for (const auto& task : project.tasks) {
            rows.push_back(task.name);
        }
        std::vector<std::string> labels;
        for (std::int64_t e = 0; e < mOptions.experts; ++e) {
            labels.push_back(std::to_string(e));
        }
        mState = RoutingState(node.id, rows, labels, torch::ones({mTasks, mOptions.experts}), mTasks, mOptions.topK,
                              mOptions.balanceWeight, mOptions.miWeight);
    }

    /// Router logits [B, experts] of task t.
    torch::Tensor routerLogits(const torch::Tensor& features, std::int64_t t) {
        if (!mOptions.sharedRouter) {
            return routers[static_cast<size_t>(t)]->forward(features);
        }
        const torch::Tensor embedding = taskEmbedding[t].unsqueeze(0).expand({features.size(0), mOptions.embedding});
        return routers.front()->forward(torch::cat({features, embedding}, 1));
    }

    // The router of one task: softmax probabilities, the top-k selection mask and the gates
    // (the probabilities of the selected experts, renormalised), each [B, experts].
    struct TaskRoute {
        torch::Tensor probabilities;
        torch::Tensor selected;
        torch::Tensor gates;
    };

    TaskRoute route(const torch::Tensor& taskInput, std::int64_t t) {
        TaskRoute result;
        result.probabilities = torch::softmax(routerLogits(taskInput.flatten(1), t), -1);
        const torch::Tensor chosen = std::get<1>(result.probabilities.topk(mOptions.topK, -1));
        result.selected = torch::zeros_like(result.probabilities).scatter(1, chosen, 1.0);
        const torch::Tensor selectedWeights = result.probabilities * result.selected;
        result.gates = selectedWeights / selectedWeights.sum(-1, /*keepdim=*/true);
        return result;
    }

    // Each expert runs only on the samples routed to it. With a plain input every task reads
    // the same samples, so an expert runs once on the samples that any task sends it.
    torch::Tensor forward(const torch::Tensor& input) {
        std::vector<TaskRoute> routes;
        for (std::int64_t t = 0; t < mTasks; ++t) {
            routes.push_back(route(mPerTaskInput ? input[t] : input, t));
        }
        torch::Tensor sharedOutputs;
        if (!mPerTaskInput) {
            torch::Tensor anyTask = routes.front().selected;
            for (const auto& taskRoute : routes) {
                anyTask = torch::maximum(anyTask, taskRoute.selected);
            }
            sharedOutputs = experts->forwardRouted(input, anyTask);
        }
        std::vector<torch::Tensor> outputs;
        std::vector<torch::Tensor> probabilities;
        std::vector<torch::Tensor> selections;
        for (std::int64_t t = 0; t < mTasks; ++t) {
            const TaskRoute& taskRoute = routes[static_cast<size_t>(t)];
            const torch::Tensor expertOutputs =
                mPerTaskInput ? experts->forwardRouted(input[t], taskRoute.selected) : sharedOutputs;
            outputs.push_back(mixExperts(expertOutputs, taskRoute.gates));
            probabilities.push_back(taskRoute.probabilities);
            selections.push_back(taskRoute.selected);
        }
        mState.update(torch::stack(probabilities), torch::stack(selections), is_training());
        return torch::stack(outputs);
    }

    torch::Tensor forwardTask(const torch::Tensor& input, std::int64_t task) override {
        const torch::Tensor taskInput = mPerTaskInput ? input[task] : input;
        const TaskRoute taskRoute = route(taskInput, task);
        return mixExperts(experts->forwardRouted(taskInput, taskRoute.selected), taskRoute.gates);
    }

    void appendRouting(std::vector<LayerRouting>& layers) const override { layers.push_back(mState.routing()); }
    torch::Tensor auxiliaryLoss() const override { return mState.auxiliaryLoss(); }

    // The task's router (or the shared router and the task's embedding) and top_k experts.
    std::int64_t activeParameters(std::int64_t task) const override {
        const std::int64_t expert = countParameters(experts->parameters()) / mOptions.experts;
        const std::int64_t router = mOptions.sharedRouter
                                        ? countParameters(routers.front()->parameters()) + mOptions.embedding
                                        : countParameters(routers.at(static_cast<size_t>(task))->parameters());
        return router + mOptions.topK * expert;
    }

    SparseMoeOptions mOptions;
    ExpertSet experts{nullptr};
    std::vector<torch::nn::Linear> routers;
    torch::Tensor taskEmbedding;
    std::int64_t mTasks = 0;
    bool mPerTaskInput = false;
    RoutingState mState;
};
TORCH_MODULE(SparseMoe);

class SparseMoeBlock final : public TaskSlotsBlock {
public:
    const char* name() const override { return "moe"; }
    const char* summary() const override { return "Sparse mixture of experts with top-k routing per task"; }

    Shape outputShape(const NodeSpec& node, const std::vector<Shape>& inputs,
                      const BuildContext& context) const override {
        readOptions(context.project, node);
        return expertOutputShape(readExpertSpec(context.project, node), inputs.at(0), context);
    }

    torch::nn::AnyModule createForPorts(const NodeSpec& node, const std::vector<PortShape>& inputs,
                                        const BuildContext& context) const override {
        return torch::nn::AnyModule(SparseMoe(node, inputs.at(0), context));
    }
};

}  // namespace

std::unique_ptr<BlockType> makeSparseMoeBlock() {
    return std::make_unique<SparseMoeBlock>();
}

}  // namespace mtlw
