#include "merging/MergeSession.h"

#include "engine/Checkpoint.h"
#include "engine/TaskObjective.h"
#include "engine/Threads.h"
#include "methods/BalancingMethod.h"
#include "engine/ProjectModel.h"
#include "util/Errors.h"

#include <algorithm>
#include <set>

namespace mtlw {

namespace {

constexpr std::int64_t kChunkSize = 1024;

std::string modelName(const MergeModelSource& source) {
    return source.label.empty() ? source.checkpointPath : source.label;
}

// The checkpoint's tensor `name`, converted to the model tensor's type. Throws InputError naming
// the checkpoint, the tensor and both shapes when it is missing or shaped differently.
torch::Tensor requireTensor(const NamedTensors& weights, const std::string& name, const torch::Tensor& modelTensor,
                            const std::string& owner) {
    const auto found = weights.find(name);
    if (found == weights.end()) {
        throw InputError(owner + " has no tensor '" + name + "' (the merged model's is " + shapeText(modelTensor) +
                         "); all models must share one backbone architecture");
    }
    if (!found->second.sizes().equals(modelTensor.sizes())) {
        throw InputError(owner + ": tensor '" + name + "' has shape " + shapeText(found->second) +
                         " but the merged model's is " + shapeText(modelTensor) +
                         "; all models must share one backbone architecture");
    }
    return found->second.to(torch::kCPU, modelTensor.scalar_type());
}

// Summed entropy of a task's predictions over a batch: softmax for classification, Bernoulli for
// binary tasks, one Bernoulli per label (summed over labels) for multi-label tasks. Regression
// outputs have no predictive distribution and give an undefined tensor.
torch::Tensor predictionEntropySum(const TaskSpec& task, const torch::Tensor& output) {
    if (task.type == TaskType::Classification) {
        const torch::Tensor logProbabilities = torch::log_softmax(output, 1);
        return -(logProbabilities.exp() * logProbabilities).sum();
    }
    if (task.type == TaskType::Binary || task.type == TaskType::MultiLabel) {
        const torch::Tensor probability = torch::sigmoid(output);
        return -(probability * torch::log_sigmoid(output) + (1 - probability) * torch::log_sigmoid(-output)).sum();
    }
    return {};
}

// The merged model on unlabeled inputs. It stores the input tensor only, never the targets.
class ModelObjective : public UnlabeledObjective {
public:
    ModelObjective(MultiTaskModel& model, std::vector<torch::Tensor>& shared, const std::vector<TaskSpec>& tasks,
                   const MergeProblem& problem, torch::Tensor inputs)
        : mModel(model), mShared(shared), mTasks(tasks), mProblem(problem), mInputs(std::move(inputs)) {}

    double entropyGradient(const std::vector<torch::Tensor>& weights, std::int64_t samples,
                           std::vector<torch::Tensor>& gradients) override {
        setShared(weights);
        const std::int64_t count = std::min(samples, mInputs.size(0));
        gradients.clear();
        for (const auto& parameter : mShared) {
            gradients.push_back(torch::zeros_like(parameter));
        }
        double entropy = 0.0;
        for (std::int64_t begin = 0; begin < count; begin += kChunkSize) {
            const ModelOutput output = mModel->forward(mInputs.slice(0, begin, std::min(begin + kChunkSize, count)));
            torch::Tensor total;
            for (std::size_t t = 0; t < mTasks.size(); ++t) {
                const torch::Tensor taskEntropy = predictionEntropySum(mTasks[t], output.taskOutputs[t]);
                if (taskEntropy.defined()) {
                    total = total.defined() ? total + taskEntropy : taskEntropy;
                }
            }
            if (!total.defined()) {
                throw InputError("entropy minimization needs a classification, binary or multilabel task, but "
                                 "every merged task is a regression task; use another merge method");
            }
            total = total / static_cast<double>(count);
            addGradients(total, gradients);
            entropy += total.item<double>();
        }
        return entropy;
    }

    std::vector<torch::Tensor> fisherDiagonal(std::size_t model, std::int64_t samples,
                                              torch::Generator& generator) override {
        setShared(mProblem.models.at(model));
        const TaskSpec& task = mTasks.at(model);
        const std::int64_t count = std::min(samples, mInputs.size(0));
        std::vector<torch::Tensor> fisher;
        for (const auto& parameter : mShared) {
            fisher.push_back(torch::zeros_like(parameter));
        }
        // One sample at a time: the diagonal Fisher is the mean of squared per-sample gradients.
        for (std::int64_t i = 0; i < count; ++i) {
            const torch::Tensor output = mModel->forward(mInputs.slice(0, i, i + 1)).taskOutputs.at(model);
            torch::Tensor negativeLogLikelihood;
            if (task.type == TaskType::Classification) {
                const torch::Tensor logProbabilities = torch::log_softmax(output, 1);
                const torch::Tensor label =
                    torch::multinomial(logProbabilities.detach().exp(), 1, false, generator);
                negativeLogLikelihood = -logProbabilities.gather(1, label).sum();
            } else if (task.type == TaskType::Binary || task.type == TaskType::MultiLabel) {
                // One Bernoulli draw per output; the sample's log-likelihood sums over its labels.
                const torch::Tensor label = torch::bernoulli(torch::sigmoid(output.detach()), generator);
                negativeLogLikelihood = torch::binary_cross_entropy_with_logits(output, label, {}, {},
                                                                                torch::Reduction::Sum);
            } else {
                // A unit-variance Gaussian around the prediction.
                const torch::Tensor label = output.detach() + torch::randn(output.sizes(), generator, output.options());
                negativeLogLikelihood = 0.5 * (output - label).pow(2).sum();
            }
            std::vector<torch::Tensor> squared;
            for (auto& entry : fisher) {
                squared.push_back(torch::zeros_like(entry));
            }
            addGradients(negativeLogLikelihood, squared);
            for (std::size_t p = 0; p < fisher.size(); ++p) {
                fisher[p].add_(squared[p] * squared[p]);
            }
        }
        for (auto& entry : fisher) {
            entry.div_(static_cast<double>(std::max<std::int64_t>(count, 1)));
        }
        return fisher;
    }

private:
    void setShared(const std::vector<torch::Tensor>& weights) {
        torch::NoGradGuard noGrad;
        for (std::size_t p = 0; p < mShared.size(); ++p) {
            mShared[p].copy_(weights[p]);
        }
    }

    void addGradients(const torch::Tensor& value, std::vector<torch::Tensor>& gradients) {
        const auto computed = torch::autograd::grad({value}, mShared, {}, /*retain_graph=*/false,
                                                    /*create_graph=*/false, /*allow_unused=*/true);
        for (std::size_t p = 0; p < computed.size(); ++p) {
            if (computed[p].defined()) {
                gradients[p].add_(computed[p]);
            }
        }
    }

    MultiTaskModel& mModel;
    std::vector<torch::Tensor>& mShared;
    const std::vector<TaskSpec>& mTasks;
    const MergeProblem& mProblem;
    torch::Tensor mInputs;
};

}  // namespace

Project projectWithTasks(const Project& project, const std::vector<std::string>& tasks) {
    Project reduced = project;
    reduced.tasks.clear();
    for (const auto& name : tasks) {
        const TaskSpec* task = project.findTask(name);
        if (task == nullptr) {
            throw InputError("task '" + name + "' is not a task of project " + project.name);
        }
        reduced.tasks.push_back(*task);
    }
    std::vector<std::string> removed;
    auto& nodes = reduced.graph.nodes;
    nodes.erase(std::remove_if(nodes.begin(), nodes.end(),
                               [&](const NodeSpec& node) {
                                   const bool otherHead =
                                       node.type == "head" && node.params.contains("task") &&
                                       std::find(tasks.begin(), tasks.end(), node.params["task"]) == tasks.end();
                                   if (otherHead) {
                                       removed.push_back(node.id);
                                   }
                                   return otherHead;
                               }),
                nodes.end());
    auto& edges = reduced.graph.edges;
    edges.erase(std::remove_if(edges.begin(), edges.end(),
                               [&](const EdgeSpec& edge) {
                                   return std::find(removed.begin(), removed.end(), edge.to) != removed.end() ||
                                          std::find(removed.begin(), removed.end(), edge.from) != removed.end();
                               }),
                edges.end());
    return reduced;
}

MergeSession::MergeSession(const MergeSetup& setup) {
    if (setup.models.empty()) {
        throw InputError("no fine-tuned models to merge; pass at least one single-task run");
    }
    std::vector<std::string> tasks;
    for (const auto& source : setup.models) {
        if (std::find(tasks.begin(), tasks.end(), source.task) != tasks.end()) {
            throw InputError(modelName(source) + ": task '" + source.task +
                             "' has two fine-tuned models; pass one model per task");
        }
        tasks.push_back(source.task);
    }
    mProject = projectWithTasks(setup.project, tasks);

    const std::string& datasetName = mProject.tasks.front().dataset;
    for (const auto& task : mProject.tasks) {
        if (task.dataset != datasetName) {
            throw InputError("task '" + task.name + "' reads dataset '" + task.dataset + "' but task '" +
                             mProject.tasks.front().name + "' reads '" + datasetName +
                             "'; merging needs tasks on one dataset");
        }
    }
    mDataset = loadDataset(mProject, *mProject.findDataset(datasetName));
    configureTrainingThreads();

    mModel = buildModel();
    mNames = parameterNames(*mModel, mProject.tasks.size());
    const auto parameters = mModel->named_parameters();
    for (const auto& name : mNames.shared) {
        mSharedParameters.push_back(parameters[name]);
    }

    const NamedTensors base = readCheckpointWeights(setup.baseCheckpoint);
    mProblem.names = mNames.shared;
    for (std::size_t p = 0; p < mNames.shared.size(); ++p) {
        mProblem.base.push_back(
            requireTensor(base, mNames.shared[p], mSharedParameters[p], "base checkpoint " + setup.baseCheckpoint));
    }

    // Tensors a fine-tuned checkpoint may hold besides the merged ones: the heads of the
    // project's other tasks.
    std::vector<std::string> headPrefixes;
    for (const auto& node : setup.project.graph.nodes) {
        if (node.type == "head") {
            std::string prefix = "node_" + node.id + ".";
            std::replace(prefix.begin(), prefix.end() - 1, '.', '_');
            headPrefixes.push_back(prefix);
        }
    }
    std::set<std::string> known(mNames.shared.begin(), mNames.shared.end());
    for (const auto& head : mNames.heads) {
        known.insert(head.begin(), head.end());
    }
    auto buffers = mModel->named_buffers();
    for (const auto& item : buffers) {
        known.insert(item.key());
    }

    std::map<std::string, torch::Tensor> bufferSums;
    torch::NoGradGuard noGrad;
    for (std::size_t m = 0; m < setup.models.size(); ++m) {
        const MergeModelSource& source = setup.models[m];
        const std::string owner = modelName(source) + " (task " + source.task + ", " + source.checkpointPath + ")";
        const NamedTensors weights = readCheckpointWeights(source.checkpointPath);
        for (const auto& [name, tensor] : weights) {
            const bool otherHead = std::any_of(headPrefixes.begin(), headPrefixes.end(), [&](const std::string& prefix) {
                return name.compare(0, prefix.size(), prefix) == 0;
            });
            if (known.count(name) == 0 && !otherHead) {
                throw InputError(owner + " has tensor '" + name + "' of shape " + shapeText(tensor) +
                                 " that the merged model lacks; all models must share one backbone architecture");
            }
        }
        std::vector<torch::Tensor> shared;
        for (std::size_t p = 0; p < mNames.shared.size(); ++p) {
            shared.push_back(requireTensor(weights, mNames.shared[p], mSharedParameters[p], owner));
        }
        mProblem.models.push_back(std::move(shared));
        mProblem.labels.push_back(owner);
        for (const auto& name : mNames.heads[m]) {
            parameters[name].copy_(requireTensor(weights, name, parameters[name], owner));
        }
        // Floating-point buffers (batch-norm statistics) are averaged over the models.
        for (const auto& item : buffers) {
            if (!item.value().is_floating_point()) {
                continue;
            }
            const torch::Tensor value = requireTensor(weights, item.key(), item.value(), owner);
            auto& sum = bufferSums[item.key()];
            sum = sum.defined() ? sum + value : value.clone();
        }
    }
    for (auto& item : buffers) {
        if (bufferSums.count(item.key()) > 0) {
            item.value().copy_(bufferSums[item.key()] / static_cast<double>(setup.models.size()));
        }
    }
    checkMergeProblem(mProblem);
    spdlog::info("merge: loaded base {} and {} fine-tuned models ({} shared tensors)", setup.baseCheckpoint,
                 setup.models.size(), mProblem.names.size());
}

MultiTaskModel MergeSession::buildModel() const {
    // Merging reads every task from one dataset (checked when the session opens).
    ProjectData data;
    data.datasets.push_back(mDataset);
    data.datasetOfTask.assign(mProject.tasks.size(), 0);
    torch::manual_seed(mProject.training.seed);
    MultiTaskModel model = buildProjectModel(mProject, data);
    model->eval();
    return model;
}

void MergeSession::loadShared(const TensorList& sharedWeights) {
    if (sharedWeights.size() != mSharedParameters.size()) {
        throw std::invalid_argument("merge: " + std::to_string(sharedWeights.size()) + " shared tensors given, the model has " +
                                    std::to_string(mSharedParameters.size()));
    }
    torch::NoGradGuard noGrad;
    for (std::size_t p = 0; p < mSharedParameters.size(); ++p) {
        mSharedParameters[p].copy_(sharedWeights[p]);
    }
}

MergeOutput MergeSession::merge(const std::string& method, const nlohmann::json& params) {
    std::unique_ptr<MergeMethod> merger = createMergeMethod(method, params);
    const MergeMethodInfo& info = merger->info();
    const std::size_t count = mProblem.models.size();
    if (count < info.minModels || (info.maxModels > 0 && count > info.maxModels)) {
        std::string range = std::to_string(info.minModels);
        if (info.maxModels != info.minModels) {
            range += info.maxModels == 0 ? " or more" : " to " + std::to_string(info.maxModels);
        }
        throw InputError("merge method " + info.name + " takes " + range + " models, got " + std::to_string(count));
    }

    std::unique_ptr<ModelObjective> objective;
    if (info.usesInputs) {
        // The objective gets the input tensor alone, so no method can read a target.
        objective = std::make_unique<ModelObjective>(mModel, mSharedParameters, mProject.tasks, mProblem,
                                                     validationSplit().inputs);
    }
    MergeOutput output = merger->merge(mProblem, objective.get());
    if (output.weights.size() != mProblem.names.size()) {
        throw std::logic_error("merge method " + info.name + " returned " + std::to_string(output.weights.size()) +
                               " tensors for " + std::to_string(mProblem.names.size()));
    }
    for (std::size_t p = 0; p < output.weights.size(); ++p) {
        if (!torch::isfinite(output.weights[p]).all().item<bool>()) {
            throw std::runtime_error("merge method " + info.name + " produced a non-finite value in tensor '" +
                                     mProblem.names[p] + "'");
        }
    }
    return output;
}

TaskMetrics MergeSession::evaluateModel(MultiTaskModel& model, const Split& split, std::int64_t samples,
                                        std::optional<std::size_t> onlyTask) {
    TaskMetrics results;
    const std::int64_t count = samples > 0 ? std::min(samples, split.size()) : split.size();
    if (count == 0) {
        return results;
    }
    torch::NoGradGuard noGrad;
    model->eval();
    const auto& tasks = mProject.tasks;
    std::vector<MetricAccumulator> accumulators;
    for (const auto& task : tasks) {
        accumulators.emplace_back(task);
    }
    for (std::int64_t begin = 0; begin < count; begin += kChunkSize) {
        const std::int64_t end = std::min(begin + kChunkSize, count);
        const ModelOutput output = model->forward(split.inputs.slice(0, begin, end));
        for (std::size_t t = 0; t < tasks.size(); ++t) {
            if (onlyTask && *onlyTask != t) {
                continue;
            }
            const torch::Tensor target = split.targets.at(tasks[t].target).slice(0, begin, end);
            accumulators[t].add(output.taskOutputs[t], target, taskLoss(tasks[t], output.taskOutputs[t], target));
        }
    }
    for (std::size_t t = 0; t < tasks.size(); ++t) {
        if (!onlyTask || *onlyTask == t) {
            results[tasks[t].name] = accumulators[t].values();
        }
    }
    return results;
}

TaskMetrics MergeSession::evaluate(const TensorList& sharedWeights, const Split& split, std::int64_t samples) {
    loadShared(sharedWeights);
    return evaluateModel(mModel, split, samples);
}

TaskMetrics MergeSession::evaluateCoefficients(const std::vector<double>& coefficients, std::int64_t samples) {
    if (coefficients.size() != mProblem.models.size()) {
        throw std::invalid_argument("merge: " + std::to_string(coefficients.size()) + " coefficients for " +
                                    std::to_string(mProblem.models.size()) + " tasks");
    }
    return evaluate(addScaled(mProblem.base, taskVectors(mProblem), coefficients), validationSplit(), samples);
}

TaskMetrics MergeSession::evaluateMethod(const std::string& method, const nlohmann::json& params,
                                         std::int64_t samples) {
    return evaluate(merge(method, params).weights, validationSplit(), samples);
}

const Split& MergeSession::validationSplit() const {
    return mDataset.validation.size() > 0 ? mDataset.validation : mDataset.train;
}

TaskMetrics MergeSession::evaluateIndividual(const Split& split, std::int64_t samples) {
    TaskMetrics results;
    for (std::size_t m = 0; m < mProblem.models.size(); ++m) {
        loadShared(mProblem.models[m]);
        const TaskMetrics metrics = evaluateModel(mModel, split, samples, m);
        for (const auto& [task, values] : metrics) {
            results[task] = values;
        }
    }
    return results;
}

TaskMetrics MergeSession::evaluateCheckpoint(const std::string& path, const Split& split, std::int64_t samples) {
    const NamedTensors weights = readCheckpointWeights(path);
    MultiTaskModel model = buildModel();
    torch::NoGradGuard noGrad;
    for (auto& item : model->named_parameters()) {
        item.value().copy_(requireTensor(weights, item.key(), item.value(), "checkpoint " + path));
    }
    for (auto& item : model->named_buffers()) {
        item.value().copy_(requireTensor(weights, item.key(), item.value(), "checkpoint " + path));
    }
    return evaluateModel(model, split, samples);
}

void MergeSession::saveMergedCheckpoint(const TensorList& sharedWeights, const std::string& path) {
    loadShared(sharedWeights);
    // A checkpoint also contains optimizer and method state. A fresh Adam and equal weighting
    // keep the file loadable by every checkpoint reader.
    torch::optim::Adam optimizer(mModel->parameters(), torch::optim::AdamOptions(1e-3));
    const std::unique_ptr<BalancingMethod> method = createMethod("ew", nlohmann::json::object(), "merge");
    method->reset(static_cast<int>(mProject.tasks.size()), torch::kCPU);
    saveCheckpoint(path, mModel, optimizer, *method, {0, 0});
}

}  // namespace mtlw
