// The list of merge methods, parameter handling and the problem check shared by all methods.
#include "merging/MergeMethod.h"
#include "merging/Registrations.h"

#include "engine/WeightInit.h"
#include "util/Errors.h"

#include <cmath>
#include <sstream>

namespace mtlw {

namespace {

std::string modelLabel(const MergeProblem& problem, std::size_t model) {
    if (model < problem.labels.size() && !problem.labels[model].empty()) {
        return problem.labels[model];
    }
    return "model " + std::to_string(model + 1);
}

std::string knownMergeMethodNames() {
    std::string names;
    for (const auto& entry : mergeMethodRegistry()) {
        names += names.empty() ? entry.first.name : ", " + entry.first.name;
    }
    return names;
}


}  // namespace

void checkMergeProblem(const MergeProblem& problem) {
    if (problem.names.size() != problem.base.size()) {
        throw std::logic_error("merge problem: " + std::to_string(problem.names.size()) + " names for " +
                               std::to_string(problem.base.size()) + " base tensors");
    }
    if (problem.models.empty()) {
        throw InputError("no fine-tuned models to merge; pass at least one run to --models");
    }
    for (std::size_t m = 0; m < problem.models.size(); ++m) {
        const auto& model = problem.models[m];
        if (model.size() != problem.base.size()) {
            throw InputError(modelLabel(problem, m) + " has " + std::to_string(model.size()) +
                             " shared tensors but the base has " + std::to_string(problem.base.size()) +
                             "; all models must share one backbone architecture");
        }
        for (std::size_t p = 0; p < model.size(); ++p) {
            if (!model[p].sizes().equals(problem.base[p].sizes())) {
                throw InputError(modelLabel(problem, m) + ": tensor '" + problem.names[p] + "' has shape " +
                                 shapeText(model[p]) + " but the base has " + shapeText(problem.base[p]) +
                                 "; all models must share one backbone architecture");
            }
        }
    }
}

const std::vector<std::pair<MergeMethodInfo, MergeFactory>>& mergeMethodRegistry() {
    static const std::vector<std::pair<MergeMethodInfo, MergeFactory>> registry = [] {
        std::vector<std::pair<MergeMethodInfo, MergeFactory>> methods;
        for (auto registration : kMergeRegistrations) {
            methods.push_back(registration());
        }
        return methods;
    }();
    return registry;
}

const MergeMethodInfo* findMergeMethod(const std::string& name) {
    for (const auto& [info, factory] : mergeMethodRegistry()) {
        if (info.name == name) {
            return &info;
        }
    }
    return nullptr;
}

std::map<std::string, double> resolveMergeParams(const MergeMethodInfo& info, const nlohmann::json& params,
                                                 const std::string& where) {
    return resolveNumericParams(info.params, params, where, " ", "merge method " + info.name);
}

std::unique_ptr<MergeMethod> createMergeMethod(const std::string& name, const nlohmann::json& params) {
    for (const auto& [info, factory] : mergeMethodRegistry()) {
        if (info.name == name) {
            return factory(resolveMergeParams(info, params, "--param"));
        }
    }
    throw InputError("--method: unknown merge method '" + name + "'; known methods: " + knownMergeMethodNames());
}

}  // namespace mtlw
