// The interface every balancing method implements: loss weighting or gradient aggregation.
// One method per file; MethodRegistry.cpp lists them. docs/methods.md describes each one.
#pragma once

#include "methods/NumericParams.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace mtlw {

enum class MethodKind {
    /// Combines the task losses into one scalar; one backward pass per step.
    LossWeighting,
    /// Combines the task gradients on the shared parameters into one update direction.
    Gradient,
};

// One tunable parameter of a method, with its default and valid range.
using MethodParam = NumericParam;

struct MethodInfo {
    /// Lower-case name used in project files and on the command line, e.g. "pcgrad".
    std::string name;
    /// Display name, e.g. "PCGrad".
    std::string displayName;
    MethodKind kind = MethodKind::LossWeighting;
    /// One line for `mtlw methods`.
    std::string summary;
    std::vector<MethodParam> params;
    /// Gradient methods: take task gradients on the shared representation (the heads' input)
    /// whatever training.gradient_mode is set to, as MGDA-UB does.
    bool usesRepresentation = false;
};

// The engine's information about the current step, passed to every method call.
struct StepContext {
    std::int64_t step = 0;
    int epoch = 0;
    int taskCount = 0;
    /// Seeded from the run's seed; the only source of randomness a method may use.
    torch::Generator* generator = nullptr;
};

// The output of a gradient method.
struct Aggregation {
    /// [k] weights per task, or undefined when the method defines none.
    torch::Tensor weights;
    /// [d] update direction on the shared parameters.
    torch::Tensor direction;
};

class BalancingMethod {
public:
    virtual ~BalancingMethod() = default;

    virtual const MethodInfo& info() const = 0;

    /// Called once before training with the number of tasks and the device.
    virtual void reset(int taskCount, const torch::Device& device) {}

    /// Learnable parameters of the method itself (UW's log variances), trained with the model.
    virtual std::vector<torch::Tensor> parameters() { return {}; }

    /// Loss weighting: returns the scalar loss to backpropagate from [k] task losses.
    /// Gradient methods return the plain sum, used only when the engine needs one scalar.
    virtual torch::Tensor combineLosses(const torch::Tensor& taskLosses, const StepContext& context) = 0;

    /// Gradient methods: the losses whose task gradients the method combines, from the raw [k]
    /// task losses. The identity except for IMTL, which applies its learnable loss scales.
    virtual torch::Tensor scaleLosses(const torch::Tensor& taskLosses) { return taskLosses; }

    /// Gradient methods: combines [k, d] task gradients into one direction.
    virtual Aggregation aggregate(const torch::Tensor& gradients, const torch::Tensor& taskLosses,
                                  const StepContext& context);

    /// Called after each epoch with the mean training loss per task.
    virtual void endEpoch(const std::vector<double>& meanTaskLosses) {}

    /// The task weights the method used at its last step, [k] on the CPU.
    virtual torch::Tensor lastWeights() const { return mLastWeights; }

    /// Checkpointing of the method's own state, such as DWA's loss history.
    virtual void save(torch::serialize::OutputArchive& archive) const {}
    virtual void load(torch::serialize::InputArchive& archive) {}

protected:
    torch::Tensor mLastWeights;
};

/// Reads a method's parameters from JSON, filling defaults and checking names and ranges.
/// Throws InputError naming `where` (e.g. "training.method.params") for an unknown name,
/// a non-number or a value out of range.
std::map<std::string, double> resolveMethodParams(const MethodInfo& info, const nlohmann::json& params,
                                                  const std::string& where);

using MethodFactory = std::function<std::unique_ptr<BalancingMethod>(const std::map<std::string, double>&)>;

/// All registered methods, in the order `mtlw methods` prints them.
const std::vector<std::pair<MethodInfo, MethodFactory>>& methodRegistry();
const MethodInfo* findMethod(const std::string& name);

/// Creates a method by name with validated parameters. Throws InputError for an unknown
/// name or bad parameters, naming `where`.
std::unique_ptr<BalancingMethod> createMethod(const std::string& name, const nlohmann::json& params,
                                              const std::string& where);
/// The same, naming the method's and the parameters' places separately ("--method", "--param").
std::unique_ptr<BalancingMethod> createMethod(const std::string& name, const nlohmann::json& params,
                                              const std::string& nameWhere, const std::string& paramsWhere);

}  // namespace mtlw
