#include "project/JsonFields.h"

#include "util/Errors.h"

#include <cmath>
#include <sstream>

namespace mtlw {

namespace {

std::string typeName(const nlohmann::json& value) {
    if (value.is_number_integer()) {
        return "an integer";
    }
    if (value.is_number()) {
        return "a number";
    }
    if (value.is_string()) {
        return "a string";
    }
    if (value.is_boolean()) {
        return "a boolean";
    }
    if (value.is_array()) {
        return "an array";
    }
    if (value.is_object()) {
        return "an object";
    }
    return "null";
}

}  // namespace

JsonFields::JsonFields(const nlohmann::json& object, std::string source, std::string path)
    : mObject(object), mSource(std::move(source)), mPath(std::move(path)) {
    if (!mObject.is_object()) {
        throw InputError(mSource + ": " + (mPath.empty() ? std::string("the file") : mPath) +
                         " must be a JSON object, got " + typeName(mObject));
    }
}

bool JsonFields::has(const std::string& key) const {
    return mObject.contains(key) && !mObject.at(key).is_null();
}

std::string JsonFields::fieldPath(const std::string& key) const {
    if (mPath.empty()) {
        return key;
    }
    return key.empty() ? mPath : mPath + "." + key;
}

void JsonFields::fail(const std::string& key, const std::string& problem) const {
    throw InputError(mSource + ": " + fieldPath(key) + " " + problem);
}

const nlohmann::json& JsonFields::required(const std::string& key) const {
    if (!has(key)) {
        fail(key, "is missing; add it to the file");
    }
    return mObject.at(key);
}

std::string JsonFields::string(const std::string& key) const {
    const auto& value = required(key);
    if (!value.is_string()) {
        fail(key, "must be a string, got " + typeName(value) + " " + value.dump());
    }
    return value.get<std::string>();
}

std::string JsonFields::string(const std::string& key, const std::string& fallback) const {
    return has(key) ? string(key) : fallback;
}

std::int64_t JsonFields::integer(const std::string& key, std::int64_t minimum) const {
    const auto& value = required(key);
    if (!value.is_number_integer() || value.get<std::int64_t>() < minimum) {
        std::ostringstream problem;
        problem << "must be an integer of at least " << minimum << ", got " << value.dump();
        fail(key, problem.str());
    }
    return value.get<std::int64_t>();
}

std::int64_t JsonFields::integer(const std::string& key, std::int64_t fallback, std::int64_t minimum) const {
    return has(key) ? integer(key, minimum) : fallback;
}

double JsonFields::number(const std::string& key, double fallback, double minimum, double maximum) const {
    if (!has(key)) {
        return fallback;
    }
    const auto& value = mObject.at(key);
    if (!value.is_number() || !std::isfinite(value.get<double>()) || value.get<double>() < minimum ||
        value.get<double>() > maximum) {
        std::ostringstream problem;
        problem << "must be a number between " << minimum << " and " << maximum << ", got " << value.dump();
        fail(key, problem.str());
    }
    return value.get<double>();
}

bool JsonFields::boolean(const std::string& key, bool fallback) const {
    if (!has(key)) {
        return fallback;
    }
    const auto& value = mObject.at(key);
    if (!value.is_boolean()) {
        fail(key, "must be true or false, got " + value.dump());
    }
    return value.get<bool>();
}

std::vector<std::string> JsonFields::strings(const std::string& key) const {
    std::vector<std::string> result;
    if (!has(key)) {
        return result;
    }
    const auto& value = array(key);
    for (size_t i = 0; i < value.size(); ++i) {
        if (!value[i].is_string()) {
            fail(key + "[" + std::to_string(i) + "]", "must be a string, got " + value[i].dump());
        }
        result.push_back(value[i].get<std::string>());
    }
    return result;
}

JsonFields JsonFields::object(const std::string& key) const {
    const auto& value = required(key);
    if (!value.is_object()) {
        fail(key, "must be an object, got " + typeName(value));
    }
    return JsonFields(value, mSource, fieldPath(key));
}

const nlohmann::json& JsonFields::array(const std::string& key) const {
    const auto& value = required(key);
    if (!value.is_array()) {
        fail(key, "must be an array, got " + typeName(value));
    }
    return value;
}

}  // namespace mtlw
