#include "data/DatasetOptions.h"

#include "util/Errors.h"

#include <algorithm>
#include <cmath>

namespace mtlw::data {

DatasetOptions::DatasetOptions(const nlohmann::json& options, std::string field)
    : mOptions(options), mField(std::move(field))
{
    if (!mOptions.is_object())
        throw InputError(mField + ": expected an object of loader options, got " + mOptions.dump());
}

void DatasetOptions::rejectUnknown(const std::vector<std::string>& known, const std::string& kind) const
{
    for (const auto& item : mOptions.items()) {
        if (std::find(known.begin(), known.end(), item.key()) != known.end())
            continue;
        std::string list;
        for (const auto& name : known)
            list += (list.empty() ? "" : ", ") + name;
        throw InputError(field(item.key()) + ": unknown option for kind '" + kind + "'; known options: " + list);
    }
}

bool DatasetOptions::has(const std::string& key) const
{
    return mOptions.contains(key) && !mOptions.at(key).is_null();
}

std::string DatasetOptions::field(const std::string& key) const
{
    return mField + "." + key;
}

std::string DatasetOptions::getString(const std::string& key, const std::string& fallback) const
{
    if (!has(key))
        return fallback;
    const auto& value = mOptions.at(key);
    if (!value.is_string())
        throw InputError(field(key) + ": expected a string, got " + value.dump());
    return value.get<std::string>();
}

bool DatasetOptions::getBool(const std::string& key, bool fallback) const
{
    if (!has(key))
        return fallback;
    const auto& value = mOptions.at(key);
    if (!value.is_boolean())
        throw InputError(field(key) + ": expected true or false, got " + value.dump());
    return value.get<bool>();
}

std::uint64_t DatasetOptions::getCount(const std::string& key, std::uint64_t fallback) const
{
    return getOptionalCount(key).value_or(fallback);
}

std::optional<std::uint64_t> DatasetOptions::getOptionalCount(const std::string& key) const
{
    if (!has(key))
        return std::nullopt;
    const auto& value = mOptions.at(key);
    if (value.is_number_unsigned())
        return value.get<std::uint64_t>();
    if (value.is_number_integer() && value.get<std::int64_t>() >= 0)
        return static_cast<std::uint64_t>(value.get<std::int64_t>());
    throw InputError(field(key) + ": expected a non-negative integer, got " + value.dump());
}

double DatasetOptions::getNumber(const std::string& key, double fallback) const
{
    if (!has(key))
        return fallback;
    const auto& value = mOptions.at(key);
    if (!value.is_number() || !std::isfinite(value.get<double>()))
        throw InputError(field(key) + ": expected a number, got " + value.dump());
    return value.get<double>();
}

std::optional<std::vector<std::string>> DatasetOptions::getStringList(const std::string& key) const
{
    if (!has(key))
        return std::nullopt;
    const auto& value = mOptions.at(key);
    if (!value.is_array())
        throw InputError(field(key) + ": expected a list of column names, got " + value.dump());
    std::vector<std::string> result;
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (!value[i].is_string())
            throw InputError(field(key) + "[" + std::to_string(i) + "]: expected a string, got " + value[i].dump());
        result.push_back(value[i].get<std::string>());
    }
    return result;
}

}  // namespace mtlw::data
