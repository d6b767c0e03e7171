// Typed access to a dataset's `options` object, with messages that name the field.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mtlw::data {

class DatasetOptions {
public:
    /// `field` names the options object in messages, e.g. "project.mtlw: datasets[0].options".
    DatasetOptions(const nlohmann::json& options, std::string field);

    /// Throws InputError for a key not in `known`, listing the known keys.
    void rejectUnknown(const std::vector<std::string>& known, const std::string& kind) const;

    bool has(const std::string& key) const;
    std::string getString(const std::string& key, const std::string& fallback) const;
    bool getBool(const std::string& key, bool fallback) const;
    /// A non-negative integer.
    std::uint64_t getCount(const std::string& key, std::uint64_t fallback) const;
    std::optional<std::uint64_t> getOptionalCount(const std::string& key) const;
    double getNumber(const std::string& key, double fallback) const;
    /// A list of strings; nullopt when the key is absent.
    std::optional<std::vector<std::string>> getStringList(const std::string& key) const;

    /// The field name of `key` for messages, e.g. "project.mtlw: datasets[0].options.seed".
    std::string field(const std::string& key) const;

private:
    const nlohmann::json& mOptions;
    std::string mField;
};

}  // namespace mtlw::data
