// mtlw aggregate: runs one balancing method on task gradients read from a JSON file, with the
// same method code as training, and prints the weights and the combined direction.
#include "Commands.h"

#include "methods/BalancingMethod.h"
#include "project/AtomicFile.h"
#include "util/Errors.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <iostream>

namespace mtlw::cli {

namespace {

/// Parses "key=value" pairs into a JSON object of numbers.
nlohmann::json parseParams(const std::vector<std::string>& pairs) {
    nlohmann::json params = nlohmann::json::object();
    for (const auto& pair : pairs) {
        const auto equals = pair.find('=');
        if (equals == std::string::npos || equals == 0) {
            throw InputError("--param '" + pair + "' must have the form key=value");
        }
        const std::string key = pair.substr(0, equals);
        const std::string text = pair.substr(equals + 1);
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value)) {
            throw InputError("--param " + key + ": '" + text + "' is not a finite number");
        }
        params[key] = value;
    }
    return params;
}

/// Reads {"gradients": [[...], ...], "losses": [...]} into a [k, d] and a [k] tensor.
std::pair<torch::Tensor, torch::Tensor> readGradients(const std::string& path) {
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(readFile(path));
    } catch (const nlohmann::json::parse_error& error) {
        throw InputError(path + ": invalid JSON: " + error.what());
    }
    if (!json.is_object() || !json.contains("gradients") || !json["gradients"].is_array()) {
        throw InputError(path + ": gradients is missing; expected {\"gradients\": [[...], ...], \"losses\": [...]}");
    }
    const auto& rows = json["gradients"];
    if (rows.empty()) {
        throw InputError(path + ": gradients is empty; give one row per task");
    }
    std::vector<double> values;
    size_t width = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
        if (!rows[i].is_array() || rows[i].empty()) {
            throw InputError(path + ": gradients[" + std::to_string(i) + "] must be a non-empty array of numbers");
        }
        if (i == 0) {
            width = rows[i].size();
        } else if (rows[i].size() != width) {
            throw InputError(path + ": gradients[" + std::to_string(i) + "] has " + std::to_string(rows[i].size()) +
                             " entries but gradients[0] has " + std::to_string(width) + "; rows must have equal length");
        }
        for (size_t j = 0; j < rows[i].size(); ++j) {
            if (!rows[i][j].is_number()) {
                throw InputError(path + ": gradients[" + std::to_string(i) + "][" + std::to_string(j) +
                                 "] must be a number, got " + rows[i][j].dump());
            }
            values.push_back(rows[i][j].get<double>());
        }
    }
    const auto taskCount = static_cast<std::int64_t>(rows.size());
    torch::Tensor gradients = torch::tensor(values, torch::kFloat64).view({taskCount, static_cast<std::int64_t>(width)});

    torch::Tensor losses = torch::ones({taskCount}, torch::kFloat64);
    if (json.contains("losses")) {
        const auto& list = json["losses"];
        if (!list.is_array() || static_cast<std::int64_t>(list.size()) != taskCount) {
            throw InputError(path + ": losses must be an array with one number per task (" + std::to_string(taskCount) + ")");
        }
        std::vector<double> lossValues;
        for (size_t i = 0; i < list.size(); ++i) {
            if (!list[i].is_number()) {
                throw InputError(path + ": losses[" + std::to_string(i) + "] must be a number, got " + list[i].dump());
            }
            lossValues.push_back(list[i].get<double>());
        }
        losses = torch::tensor(lossValues, torch::kFloat64);
    }
    return {gradients, losses};
}

std::vector<double> toVector(const torch::Tensor& tensor) {
    const torch::Tensor values = tensor.to(torch::kCPU, torch::kDouble).contiguous();
    return {values.data_ptr<double>(), values.data_ptr<double>() + values.numel()};
}

}  // namespace

void addAggregateCommand(CLI::App& app, int& exitCode) {
    auto method = std::make_shared<std::string>();
    auto params = std::make_shared<std::vector<std::string>>();
    auto gradsPath = std::make_shared<std::string>();
    auto seed = std::make_shared<std::uint64_t>(0);
    CLI::App* command =
        app.add_subcommand("aggregate", "Combine task gradients from a JSON file with one balancing method");
    command->add_option("--method", *method, "Balancing method, as `mtlw methods` lists it")->required();
    command->add_option("--param", *params, "Method parameter as key=value; repeat for several");
    command->add_option("--grads", *gradsPath, "JSON file {\"gradients\": [[...], ...], \"losses\": [...]}")->required();
    command->add_option("--seed", *seed, "Seed for methods that draw random numbers");
    command->callback([=, &exitCode] {
        auto balancing = createMethod(*method, parseParams(*params), "--method", "--param");
        const auto [gradients, losses] = readGradients(*gradsPath);
        const int taskCount = static_cast<int>(gradients.size(0));
        balancing->reset(taskCount, torch::kCPU);
        torch::Generator generator = at::make_generator<at::CPUGeneratorImpl>(*seed);
        const StepContext context{1, 1, taskCount, &generator};

        nlohmann::json output{{"method", *method}};
        if (balancing->info().kind == MethodKind::Gradient) {
            Aggregation aggregation;
            try {
                aggregation = balancing->aggregate(gradients, losses, context);
            } catch (const std::invalid_argument& error) {
                throw InputError(*gradsPath + ": " + error.what());
            }
            output["weights"] = aggregation.weights.defined() ? nlohmann::json(toVector(aggregation.weights)) : nullptr;
            output["direction"] = toVector(aggregation.direction);
        } else {
            // A loss-weighting method defines weights; the direction is their combination.
            const torch::Tensor lossTensor = losses.to(torch::kFloat32);
            torch::Tensor weights;
            try {
                balancing->combineLosses(lossTensor, context);
                weights = balancing->lastWeights().to(torch::kFloat64);
            } catch (const std::invalid_argument& error) {
                throw InputError(*gradsPath + ": " + error.what());
            }
            output["weights"] = toVector(weights);
            output["direction"] = toVector(torch::matmul(weights, gradients));
        }
        std::cout << output.dump() << "\n";
        exitCode = 0;
    });
}

}  // namespace mtlw::cli
