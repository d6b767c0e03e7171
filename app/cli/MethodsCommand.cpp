// mtlw methods: lists the balancing methods with their parameters.
#include "Commands.h"

#include "methods/BalancingMethod.h"

#include <cstdio>
#include <iostream>

namespace mtlw::cli {

void addMethodsCommand(CLI::App& app, int& exitCode) {
    auto json = std::make_shared<bool>(false);
    CLI::App* command = app.add_subcommand("methods", "List the balancing methods");
    command->add_flag("--json", *json, "Print JSON");
    command->callback([json, &exitCode] {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& [info, factory] : methodRegistry()) {
            const char* kind = info.kind == MethodKind::LossWeighting ? "loss weighting" : "gradient";
            if (!*json) {
                std::printf("%-12s %-15s %s\n", info.name.c_str(), kind, info.summary.c_str());
                for (const auto& param : info.params) {
                    std::printf("%-12s   %s = %g  %s\n", "", param.name.c_str(), param.defaultValue,
                                param.description.c_str());
                }
                continue;
            }
            nlohmann::json params = nlohmann::json::array();
            for (const auto& param : info.params) {
                params.push_back({{"name", param.name},
                                  {"default", param.defaultValue},
                                  {"min", param.minValue},
                                  {"max", param.maxValue},
                                  {"description", param.description}});
            }
            list.push_back({{"name", info.name},
                            {"display_name", info.displayName},
                            {"kind", kind},
                            {"summary", info.summary},
                            {"params", params}});
        }
        if (*json) {
            std::cout << list.dump(2) << "\n";
        }
        exitCode = 0;
    });
}

}  // namespace mtlw::cli
