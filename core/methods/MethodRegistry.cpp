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

std::string paramNames(const MethodInfo& info) {
    if (info.params.empty()) {
        return "none";
    }
    std::string names;
    for (const auto& param : info.params) {
        names += names.empty() ? param.name : ", " + param.name;
    }
    return names;
}

}  // namespace

std::map<std::string, double> resolveMethodParams(const MethodInfo& info, const nlohmann::json& params,
                                                  const std::string& where) {
    std::map<std::string, double> values;
    for (const auto& param : info.params) {
        values[param.name] = param.defaultValue;
    }
    if (params.is_null()) {
        return values;
    }
    if (!params.is_object()) {
        throw InputError(where + " must be an object of numbers, got " + params.dump());
    }
    for (const auto& [key, value] : params.items()) {
        const MethodParam* spec = nullptr;
        for (const auto& param : info.params) {
            if (param.name == key) {
                spec = &param;
            }
        }
        if (spec == nullptr) {
            throw InputError(where + "." + key + ": unknown parameter of method " + info.name +
                             "; its parameters are: " + paramNames(info));
        }
        if (!value.is_number()) {
            throw InputError(where + "." + key + " must be a number, got " + value.dump());
        }
        const double number = value.get<double>();
        if (!std::isfinite(number) || number < spec->minValue || number > spec->maxValue) {
            std::ostringstream message;
            message << where << "." << key << " must be between " << spec->minValue << " and " << spec->maxValue
                    << ", got " << value.dump();
            throw InputError(message.str());
        }
        values[key] = number;
    }
    return values;
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
