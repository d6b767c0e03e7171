// Numeric parameters with defaults and ranges, as balancing methods and merge methods declare
// them, and their checked reading from a JSON object.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace mtlw {

// One tunable parameter, with its default and valid range.
struct NumericParam {
    std::string name;
    double defaultValue = 0.0;
    double minValue = 0.0;
    double maxValue = 0.0;
    std::string description;
};

/// Reads `params` (an object of numbers, or null for all defaults) against `specs`, filling
/// defaults. Throws InputError for a non-object, an unknown name, a non-number or a value out of
/// range. Messages name the place as `where` + `separator` + key, and `owner` (e.g. "method
/// pcgrad") with its parameter names when a name is unknown.
std::map<std::string, double> resolveNumericParams(const std::vector<NumericParam>& specs, const nlohmann::json& params,
                                                   const std::string& where, const std::string& separator,
                                                   const std::string& owner);

}  // namespace mtlw
