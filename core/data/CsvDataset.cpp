#include "data/CsvDataset.h"

#include "data/Csv.h"
#include "data/DatasetOptions.h"
#include "data/Random.h"
#include "util/Errors.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

namespace mtlw::data {
namespace {

struct TargetColumn {
    std::string name;
    int column = -1;
    TargetInfo info;
};

// A feature column as it enters the input matrix: one numeric column, or one 0/1 column per
// category of a non-numeric column.
struct FeatureColumn {
    std::string name;
    int column = -1;
    bool numeric = true;
    std::vector<std::string> categories;
};

enum class NumberParse { Ok, NotANumber, NotFinite };

// Parses a decimal number independently of the C locale; surrounding spaces and a leading
// '+' are allowed.
NumberParse parseNumber(const std::string& text, double& value)
{
    std::size_t begin = text.find_first_not_of(" \t");
    std::size_t end = text.find_last_not_of(" \t");
    if (begin == std::string::npos)
        return NumberParse::NotANumber;
    if (text[begin] == '+')
        ++begin;
    const char* first = text.data() + begin;
    const char* last = text.data() + end + 1;
    if (first >= last)
        return NumberParse::NotANumber;
    const auto result = std::from_chars(first, last, value);
    if (result.ec != std::errc() || result.ptr != last)
        return NumberParse::NotANumber;
    return std::isfinite(value) ? NumberParse::Ok : NumberParse::NotFinite;
}

std::string joinNames(const std::vector<std::string>& names)
{
    std::string list;
    for (const auto& name : names)
        list += (list.empty() ? "" : ", ") + name;
    return list;
}

std::string cellField(const CsvTable& table, std::size_t row, const std::string& column)
{
    return table.source + " line " + std::to_string(table.lineNumbers[row]) + ", column '" + column + "'";
}

const std::string& requireValue(const CsvTable& table, std::size_t row, int column)
{
    const std::string& value = table.rows[row][static_cast<std::size_t>(column)];
    if (value.empty())
        throw InputError(cellField(table, row, table.header[static_cast<std::size_t>(column)]) +
                         ": missing value (empty field); fill it in or remove the row");
    return value;
}

int requireColumn(const CsvTable& table, const std::string& name, const std::string& field)
{
    const int column = table.columnIndex(name);
    if (column < 0)
        throw InputError(field + ": column '" + name + "' is not in " + table.source + "; available columns: " +
                         joinNames(table.header));
    return column;
}

TargetInfo::Kind targetKindOf(TaskType type)
{
    switch (type) {
    case TaskType::Regression:
        return TargetInfo::Kind::Numeric;
    case TaskType::MultiLabel:
        return TargetInfo::Kind::MultiLabel;
    case TaskType::Classification:
    case TaskType::Binary:
        break;
    }
    return TargetInfo::Kind::Categorical;
}

std::string describeKind(TargetInfo::Kind kind)
{
    switch (kind) {
    case TargetInfo::Kind::Numeric:
        return "numeric (regression)";
    case TargetInfo::Kind::MultiLabel:
        return "a label set (multilabel)";
    case TargetInfo::Kind::Categorical:
        break;
    }
    return "categorical (classification or binary)";
}

// Collects the target columns of the tasks that read this dataset. The first task that reads a
// column decides how it is parsed: numbers for regression, a label set per cell for
// multilabel, one class label per cell otherwise.
std::vector<TargetColumn> findTargets(const Project& project, const DatasetSpec& spec, const CsvTable& table)
{
    std::vector<TargetColumn> targets;
    std::map<std::string, TargetInfo::Kind> kindByTarget;
    for (std::size_t i = 0; i < project.tasks.size(); ++i) {
        const TaskSpec& task = project.tasks[i];
        if (task.dataset != spec.name)
            continue;
        const std::string field = (project.filePath.empty() ? std::string("project") : project.filePath) +
                                  ": tasks[" + std::to_string(i) + "].target";
        if (task.target.empty())
            throw InputError(field + ": missing; name the CSV column that task '" + task.name + "' predicts");
        const int column = requireColumn(table, task.target, field);
        const TargetInfo::Kind kind = targetKindOf(task.type);

        const auto known = kindByTarget.find(task.target);
        if (known != kindByTarget.end()) {
            if (known->second != kind)
                throw InputError(field + ": task '" + task.name + "' (type " + toString(task.type) +
                                 ") reads column '" + task.target + "' as " + describeKind(kind) +
                                 ", but an earlier task reads it as " + describeKind(known->second) +
                                 "; a column has one kind, so give these tasks fitting types or separate columns");
            continue;
        }
        kindByTarget[task.target] = kind;
        TargetColumn target;
        target.name = task.target;
        target.column = column;
        target.info.kind = kind;
        targets.push_back(target);
    }
    return targets;
}

std::vector<FeatureColumn> findFeatures(const DatasetOptions& options, const CsvTable& table,
                                        const std::vector<TargetColumn>& targets)
{
    std::set<std::string> targetNames;
    for (const auto& target : targets)
        targetNames.insert(target.name);

    std::vector<std::string> names;
    if (auto listed = options.getStringList("features")) {
        names = *listed;
        std::set<std::string> seen;
        for (const auto& name : names) {
            requireColumn(table, name, options.field("features"));
            if (!seen.insert(name).second)
                throw InputError(options.field("features") + ": column '" + name + "' is listed twice");
            if (targetNames.count(name))
                throw InputError(options.field("features") + ": column '" + name +
                                 "' is a task target and cannot also be a feature");
        }
    } else {
        for (const auto& name : table.header) {
            if (!targetNames.count(name))
                names.push_back(name);
        }
    }
    if (names.empty())
        throw InputError(options.field("features") + ": no feature columns; " + table.source +
                         " has only target columns (" + joinNames(table.header) + ")");

    std::vector<FeatureColumn> features;
    for (const auto& name : names) {
        FeatureColumn feature;
        feature.name = name;
        feature.column = table.columnIndex(name);
        features.push_back(feature);
    }
    return features;
}

// Decides whether each feature column is numeric; a column with any non-numeric value is
// one-hot encoded over its sorted distinct values.
void classifyFeatures(const CsvTable& table, std::vector<FeatureColumn>& features)
{
    for (auto& feature : features) {
        std::size_t numericCount = 0;
        std::int64_t firstTextLine = -1;
        std::string firstText;
        std::set<std::string> categories;
        for (std::size_t row = 0; row < table.rows.size(); ++row) {
            const std::string& text = requireValue(table, row, feature.column);
            double value = 0.0;
            const NumberParse parse = parseNumber(text, value);
            if (parse == NumberParse::NotFinite)
                throw InputError(cellField(table, row, feature.name) + ": '" + text +
                                 "' is not a finite number; replace it with a finite value");
            if (parse == NumberParse::Ok) {
                ++numericCount;
            } else if (firstTextLine < 0) {
                firstTextLine = table.lineNumbers[row];
                firstText = text;
            }
            categories.insert(text);
        }
        feature.numeric = numericCount == table.rows.size();
        if (feature.numeric)
            continue;
        feature.categories.assign(categories.begin(), categories.end());
        if (numericCount > 0)
            spdlog::warn("{} column '{}': {} of {} values are numbers but line {} has '{}', so the column is "
                         "one-hot encoded as text over {} distinct values",
                         table.source, feature.name, numericCount, table.rows.size(), firstTextLine, firstText,
                         feature.categories.size());
        else
            spdlog::info("{} column '{}' is text; one-hot encoding its {} distinct values", table.source,
                         feature.name, feature.categories.size());
    }
}

torch::Tensor buildInputs(const CsvTable& table, const std::vector<FeatureColumn>& features,
                          std::vector<std::string>& featureNames, std::vector<bool>& numericMask)
{
    for (const auto& feature : features) {
        if (feature.numeric) {
            featureNames.push_back(feature.name);
            numericMask.push_back(true);
            continue;
        }
        for (const auto& category : feature.categories) {
            featureNames.push_back(feature.name + "=" + category);
            numericMask.push_back(false);
        }
    }

    const auto rowCount = static_cast<std::int64_t>(table.rows.size());
    const auto width = static_cast<std::int64_t>(featureNames.size());
    torch::Tensor inputs = torch::zeros({rowCount, width}, torch::kFloat32);
    float* out = inputs.data_ptr<float>();
    for (std::size_t row = 0; row < table.rows.size(); ++row) {
        float* rowOut = out + static_cast<std::int64_t>(row) * width;
        std::int64_t offset = 0;
        for (const auto& feature : features) {
            const std::string& text = table.rows[row][static_cast<std::size_t>(feature.column)];
            if (feature.numeric) {
                double value = 0.0;
                parseNumber(text, value);
                rowOut[offset++] = static_cast<float>(value);
                continue;
            }
            const auto found = std::lower_bound(feature.categories.begin(), feature.categories.end(), text);
            rowOut[offset + (found - feature.categories.begin())] = 1.0f;
            offset += static_cast<std::int64_t>(feature.categories.size());
        }
    }
    return inputs;
}

std::string trimmed(const std::string& text)
{
    const std::size_t begin = text.find_first_not_of(" \t");
    if (begin == std::string::npos)
        return {};
    const std::size_t end = text.find_last_not_of(" \t");
    return text.substr(begin, end - begin + 1);
}

// Splits a multi-label cell into its labels, with spaces around each label removed. An empty
// (or blank) cell has no labels. Throws InputError naming the file and line for an empty label
// between separators or a label listed twice.
std::vector<std::string> splitLabels(const CsvTable& table, std::size_t row, const std::string& column,
                                     const std::string& text, const std::string& separator)
{
    std::vector<std::string> labels;
    if (trimmed(text).empty())
        return labels;
    std::size_t begin = 0;
    while (true) {
        const std::size_t end = text.find(separator, begin);
        const std::string label = trimmed(text.substr(begin, end == std::string::npos ? end : end - begin));
        if (label.empty())
            throw InputError(cellField(table, row, column) + ": '" + text + "' has an empty label; separate labels " +
                             "with a single '" + separator + "' and leave none at the start or end");
        if (std::find(labels.begin(), labels.end(), label) != labels.end())
            throw InputError(cellField(table, row, column) + ": '" + text + "' lists label '" + label +
                             "' twice; list each label once");
        labels.push_back(label);
        if (end == std::string::npos)
            break;
        begin = end + separator.size();
    }
    return labels;
}

// Builds the [rows, labels] 0/1 matrix of a multi-label column; the vocabulary is the sorted set
// of labels in the whole file.
torch::Tensor buildMultiLabelTarget(const CsvTable& table, TargetColumn& target, const std::string& separator)
{
    std::vector<std::vector<std::string>> rowLabels;
    std::set<std::string> vocabulary;
    for (std::size_t row = 0; row < table.rows.size(); ++row) {
        const std::string& text = table.rows[row][static_cast<std::size_t>(target.column)];
        rowLabels.push_back(splitLabels(table, row, target.name, text, separator));
        vocabulary.insert(rowLabels.back().begin(), rowLabels.back().end());
    }
    if (vocabulary.empty())
        throw InputError(table.source + ": column '" + target.name + "' is the target of a multilabel task but " +
                         "has no labels in any row; fill in labels separated by '" + separator + "'");
    target.info.classNames.assign(vocabulary.begin(), vocabulary.end());
    const auto& names = target.info.classNames;

    const auto rowCount = static_cast<std::int64_t>(table.rows.size());
    const auto labelCount = static_cast<std::int64_t>(names.size());
    torch::Tensor indicators = torch::zeros({rowCount, labelCount}, torch::kFloat32);
    float* out = indicators.data_ptr<float>();
    for (std::size_t row = 0; row < rowLabels.size(); ++row) {
        for (const auto& label : rowLabels[row]) {
            const auto index = std::lower_bound(names.begin(), names.end(), label) - names.begin();
            out[static_cast<std::int64_t>(row) * labelCount + index] = 1.0f;
        }
    }
    return indicators;
}

torch::Tensor buildTarget(const CsvTable& table, TargetColumn& target, const std::string& separator)
{
    if (target.info.kind == TargetInfo::Kind::MultiLabel)
        return buildMultiLabelTarget(table, target, separator);

    const auto rowCount = static_cast<std::int64_t>(table.rows.size());
    if (target.info.kind == TargetInfo::Kind::Numeric) {
        torch::Tensor values = torch::empty({rowCount}, torch::kFloat32);
        float* out = values.data_ptr<float>();
        for (std::size_t row = 0; row < table.rows.size(); ++row) {
            const std::string& text = requireValue(table, row, target.column);
            double value = 0.0;
            if (parseNumber(text, value) != NumberParse::Ok)
                throw InputError(cellField(table, row, target.name) + ": '" + text + "' is not a number");
            out[row] = static_cast<float>(value);
        }
        return values;
    }

    std::set<std::string> labels;
    for (std::size_t row = 0; row < table.rows.size(); ++row)
        labels.insert(requireValue(table, row, target.column));
    target.info.classNames.assign(labels.begin(), labels.end());
    const auto& names = target.info.classNames;

    torch::Tensor indices = torch::empty({rowCount}, torch::kInt64);
    std::int64_t* out = indices.data_ptr<std::int64_t>();
    for (std::size_t row = 0; row < table.rows.size(); ++row) {
        const std::string& text = table.rows[row][static_cast<std::size_t>(target.column)];
        out[row] = std::lower_bound(names.begin(), names.end(), text) - names.begin();
    }
    return indices;
}

// Standardizes the numeric input columns in place with the mean and standard deviation of
// the training rows; a constant column is only centered.
void standardize(torch::Tensor& inputs, const torch::Tensor& trainRows, const std::vector<bool>& numericMask)
{
    torch::Tensor train = inputs.index_select(0, trainRows);
    torch::Tensor mean = train.mean(0);
    torch::Tensor deviation = train.std(0, /*unbiased=*/false);
    deviation = torch::where(deviation > 1e-12, deviation, torch::ones_like(deviation));
    for (std::size_t i = 0; i < numericMask.size(); ++i) {
        if (!numericMask[i]) {
            mean[static_cast<std::int64_t>(i)] = 0.0f;
            deviation[static_cast<std::int64_t>(i)] = 1.0f;
        }
    }
    inputs = (inputs - mean) / deviation;
}

Split makeSplit(const torch::Tensor& inputs, const std::map<std::string, torch::Tensor>& targets,
                const torch::Tensor& rows)
{
    Split split;
    split.inputs = inputs.index_select(0, rows).contiguous();
    for (const auto& [name, values] : targets)
        split.targets[name] = values.index_select(0, rows).contiguous();
    return split;
}

}  // namespace

Dataset loadCsvDataset(const Project& project, const DatasetSpec& spec, const std::string& field)
{
    const DatasetOptions options(spec.options, field + ".options");
    options.rejectUnknown(
        {"path", "features", "validation_fraction", "test_fraction", "split_seed", "normalize", "label_separator"},
        "csv");
    if (!options.has("path"))
        throw InputError(options.field("path") + ": missing; set it to the CSV file, relative to the project file");
    const std::string path = project.resolvePath(options.getString("path", ""));
    const double validationFraction = options.getNumber("validation_fraction", 0.1);
    const double testFraction = options.getNumber("test_fraction", 0.1);
    const std::uint64_t splitSeed = options.getCount("split_seed", 0);
    const bool normalize = options.getBool("normalize", true);
    const std::string labelSeparator = options.getString("label_separator", "|");
    if (trimmed(labelSeparator).empty())
        throw InputError(options.field("label_separator") + ": expected a non-blank string that separates the " +
                         "labels of a multi-label cell, got '" + labelSeparator + "'; use the default \"|\"");
    if (validationFraction < 0.0 || validationFraction >= 1.0)
        throw InputError(options.field("validation_fraction") + ": expected a number in [0, 1), got " +
                         std::to_string(validationFraction));
    if (testFraction < 0.0 || testFraction >= 1.0)
        throw InputError(options.field("test_fraction") + ": expected a number in [0, 1), got " +
                         std::to_string(testFraction));
    if (validationFraction + testFraction >= 1.0)
        throw InputError(options.field("test_fraction") + ": validation_fraction + test_fraction must be below 1 "
                         "so that rows remain for training");

    const CsvTable table = readCsv(path);
    std::vector<TargetColumn> targets = findTargets(project, spec, table);
    std::vector<FeatureColumn> features = findFeatures(options, table, targets);

    const auto rowCount = static_cast<std::int64_t>(table.rows.size());
    const auto validationCount = static_cast<std::int64_t>(std::llround(double(rowCount) * validationFraction));
    const auto testCount = static_cast<std::int64_t>(std::llround(double(rowCount) * testFraction));
    const std::int64_t trainCount = rowCount - validationCount - testCount;
    if (trainCount < 1)
        throw InputError(path + ": " + std::to_string(rowCount) + " data rows leave none for training after the " +
                         std::to_string(validationCount) + " validation and " + std::to_string(testCount) +
                         " test rows; add rows or lower the fractions");

    classifyFeatures(table, features);
    Dataset dataset;
    std::vector<bool> numericMask;
    torch::Tensor inputs = buildInputs(table, features, dataset.featureNames, numericMask);
    std::map<std::string, torch::Tensor> targetValues;
    for (auto& target : targets) {
        targetValues[target.name] = buildTarget(table, target, labelSeparator);
        dataset.targets[target.name] = target.info;
    }

    std::vector<std::int64_t> order(static_cast<std::size_t>(rowCount));
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 rng(splitSeed);
    shuffle(order, rng);
    const torch::Tensor orderTensor = torch::tensor(order, torch::kInt64);
    const torch::Tensor trainRows = orderTensor.slice(0, 0, trainCount);
    const torch::Tensor validationRows = orderTensor.slice(0, trainCount, trainCount + validationCount);
    const torch::Tensor testRows = orderTensor.slice(0, trainCount + validationCount, rowCount);

    if (normalize)
        standardize(inputs, trainRows, numericMask);

    dataset.name = spec.name;
    dataset.inputShape = {static_cast<std::int64_t>(dataset.featureNames.size())};
    dataset.train = makeSplit(inputs, targetValues, trainRows);
    dataset.validation = makeSplit(inputs, targetValues, validationRows);
    dataset.test = makeSplit(inputs, targetValues, testRows);
    spdlog::info("loaded CSV dataset '{}' from {}: {} train, {} validation, {} test rows, {} input features",
                 spec.name, path, trainCount, validationCount, testCount, dataset.featureNames.size());
    return dataset;
}

}  // namespace mtlw::data
