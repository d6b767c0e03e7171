// Typed access to JSON fields with messages that name the file and the field path,
// e.g. "multi-fashion.mtlw: training.epochs must be a positive integer, got -1".
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace mtlw {

class JsonFields {
public:
    /// `source` names the file; `path` is the dotted path of `object` inside it ("" for the root).
    JsonFields(const nlohmann::json& object, std::string source, std::string path);

    bool has(const std::string& key) const;
    const nlohmann::json& required(const std::string& key) const;
    std::string fieldPath(const std::string& key) const;

    std::string string(const std::string& key) const;
    std::string string(const std::string& key, const std::string& fallback) const;
    std::int64_t integer(const std::string& key, std::int64_t minimum) const;
    std::int64_t integer(const std::string& key, std::int64_t fallback, std::int64_t minimum) const;
    double number(const std::string& key, double fallback, double minimum, double maximum) const;
    bool boolean(const std::string& key, bool fallback) const;
    std::vector<std::string> strings(const std::string& key) const;
    /// An object or array child, checked for type; for nesting.
    JsonFields object(const std::string& key) const;
    const nlohmann::json& array(const std::string& key) const;

    /// Throws InputError "<source>: <path.key> <problem>".
    [[noreturn]] void fail(const std::string& key, const std::string& problem) const;

    const std::string& source() const { return mSource; }
    const std::string& path() const { return mPath; }
    const nlohmann::json& json() const { return mObject; }

private:
    const nlohmann::json& mObject;
    std::string mSource;
    std::string mPath;
};

}  // namespace mtlw
