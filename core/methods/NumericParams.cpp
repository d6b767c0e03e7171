#include "methods/NumericParams.h"

#include "util/Errors.h"

#include <cmath>
#include <sstream>

namespace mtlw {

std::map<std::string, double> resolveNumericParams(const std::vector<NumericParam>& specs, const nlohmann::json& params,
                                                   const std::string& where, const std::string& separator,
                                                   const std::string& owner) {
    std::map<std::string, double> values;
    for (const auto& param : specs) {
        values[param.name] = param.defaultValue;
    }
    if (params.is_null()) {
        return values;
    }
    if (!params.is_object()) {
        throw InputError(where + " must be an object of numbers, got " + params.dump());
    }
    for (const auto& [key, value] : params.items()) {
        const NumericParam* spec = nullptr;
        for (const auto& param : specs) {
            if (param.name == key) {
                spec = &param;
            }
        }
        if (spec == nullptr) {
            std::string names;
            for (const auto& param : specs) {
                names += names.empty() ? param.name : ", " + param.name;
            }
            throw InputError(where + separator + key + ": unknown parameter of " + owner + "; its parameters are: " +
                             (names.empty() ? std::string("none") : names));
        }
        if (!value.is_number()) {
            throw InputError(where + separator + key + " must be a number, got " + value.dump());
        }
        const double number = value.get<double>();
        if (!std::isfinite(number) || number < spec->minValue || number > spec->maxValue) {
            std::ostringstream message;
            message << where << separator << key << " must be between " << spec->minValue << " and "
                    << spec->maxValue << ", got " << value.dump();
            throw InputError(message.str());
        }
        values[key] = number;
    }
    return values;
}

}  // namespace mtlw
