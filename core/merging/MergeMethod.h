// The interface every model-merging method implements, and the problem it solves: a base model
// and K fine-tuned models with the same shared (backbone) tensors, merged into one set of shared
// tensors. One method per file; MergeRegistry.cpp lists them, docs/merging.md describes each.
#pragma once

#include "methods/NumericParams.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace mtlw {

// One numeric parameter of a merge method, with its default and valid range.
using MergeParam = NumericParam;

struct MergeMethodInfo {
    /// Name on the command line, e.g. "ties".
    std::string name;
    /// Display name, e.g. "TIES-Merging".
    std::string displayName;
    /// One line for listings.
    std::string summary;
    std::vector<MergeParam> params;
    /// Minimum and maximum number of fine-tuned models the method accepts. A maxModels of 0 means
    /// no limit.
    std::size_t minModels = 1;
    std::size_t maxModels = 0;
    /// The method runs the models on unlabeled validation inputs (Fisher, AdaMerging).
    bool usesInputs = false;
};

struct MergeProblem {
    /// Names of the shared tensors, e.g. "node_conv1.conv.weight", in model order.
    std::vector<std::string> names;
    /// The base model's shared tensors, one per name.
    std::vector<torch::Tensor> base;
    /// [model][tensor]: each fine-tuned model's shared tensors, in the order of `names`.
    std::vector<std::vector<torch::Tensor>> models;
    /// Name of each model in messages, e.g. "run 4 (task left)". May be empty.
    std::vector<std::string> labels;
};

/// Throws InputError when a model has another number of tensors than the base or a tensor whose
/// shape differs, naming the model, the tensor and both shapes.
void checkMergeProblem(const MergeProblem& problem);

struct MergeOutput {
    /// The merged shared tensors, one per name of the problem.
    std::vector<torch::Tensor> weights;
    /// Method-specific results, e.g. AdaMerging's learned coefficients.
    nlohmann::json details = nlohmann::json::object();
};

// The models run on unlabeled validation inputs, for the methods that need data. It is built
// from input tensors only, never from targets, so no method can read a label through it.
class UnlabeledObjective {
public:
    virtual ~UnlabeledObjective() = default;

    /// Sum over the classification tasks of the mean entropy of the predictions, on the first
    /// `samples` inputs, of the model with these shared tensors and each task's own head.
    /// Fills `gradients` (one per shared tensor) with the gradient of that sum.
    virtual double entropyGradient(const std::vector<torch::Tensor>& weights, std::int64_t samples,
                                   std::vector<torch::Tensor>& gradients) = 0;

    /// Diagonal Fisher information on the shared tensors of fine-tuned model `model` with its own
    /// head, averaged over the first `samples` inputs, with each sample's label drawn from the
    /// model's own prediction.
    virtual std::vector<torch::Tensor> fisherDiagonal(std::size_t model, std::int64_t samples,
                                                      torch::Generator& generator) = 0;
};

class MergeMethod {
public:
    virtual ~MergeMethod() = default;

    virtual const MergeMethodInfo& info() const = 0;

    /// Merges the problem's models. `objective` is null when no inputs are available; methods
    /// with usesInputs then throw InputError.
    virtual MergeOutput merge(const MergeProblem& problem, UnlabeledObjective* objective) = 0;
};

using MergeFactory = std::function<std::unique_ptr<MergeMethod>(const std::map<std::string, double>&)>;

/// All registered merge methods, in listing order.
const std::vector<std::pair<MergeMethodInfo, MergeFactory>>& mergeMethodRegistry();
const MergeMethodInfo* findMergeMethod(const std::string& name);

/// Reads a merge method's parameters from a JSON object of numbers, filling defaults. Throws
/// InputError naming `where` for an unknown name, a non-number or a value out of range.
std::map<std::string, double> resolveMergeParams(const MergeMethodInfo& info, const nlohmann::json& params,
                                                 const std::string& where);

/// Creates a merge method by name. Throws InputError for an unknown name (listing the known
/// ones) or invalid parameters.
std::unique_ptr<MergeMethod> createMergeMethod(const std::string& name, const nlohmann::json& params);

}  // namespace mtlw
