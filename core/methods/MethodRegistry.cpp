// The list of balancing methods and the shared parameter handling.
#include "methods/BalancingMethod.h"
#include "methods/Registrations.h"
#include "util/Errors.h"

#include <cmath>
#include <sstream>

namespace mtlw {

Aggregation BalancingMethod::aggregate(const torch::Tensor& gradients, const torch::Tensor& taskLosses,
                                       const StepContext& context) {
    throw std::logic_error(info().name + " is a loss-weighting method and does not aggregate gradients");
}

const std::vector<std::pair<MethodInfo, MethodFactory>>& methodRegistry() {
    static const std::vector<std::pair<MethodInfo, MethodFactory>> registry = [] {
        std::vector<std::pair<MethodInfo, MethodFactory>> methods;
        for (auto registration : kMethodRegistrations) {
            methods.push_back(registration());
        }
        return methods;
    }();
    return registry;
}

const MethodInfo* findMethod(const std::string& name) {
    for (const auto& [info, factory] : methodRegistry()) {
        if (info.name == name) {
            return &info;
        }
    }
    return nullptr;
}

namespace {

std::string knownMethodNames() {
    std::string names;
    for (const auto& entry : methodRegistry()) {
        names += names.empty() ? entry.first.name : ", " + entry.first.name;
    }
    return names;
}


}  // namespace

std::map<std::string, double> resolveMethodParams(const MethodInfo& info, const nlohmann::json& params,
                                                  const std::string& where) {
    return resolveNumericParams(info.params, params, where, ".", "method " + info.name);
}

std::unique_ptr<BalancingMethod> createMethod(const std::string& name, const nlohmann::json& params,
                                              const std::string& nameWhere, const std::string& paramsWhere) {
    for (const auto& [info, factory] : methodRegistry()) {
        if (info.name == name) {
            return factory(resolveMethodParams(info, params, paramsWhere));
        }
    }
    throw InputError(nameWhere + ": unknown balancing method '" + name + "'; known methods: " + knownMethodNames() +
                     " (run `mtlw methods` for descriptions)");
}

std::unique_ptr<BalancingMethod> createMethod(const std::string& name, const nlohmann::json& params,
                                              const std::string& where) {
    return createMethod(name, params, where + ".name", where + ".params");
}

}  // namespace mtlw
