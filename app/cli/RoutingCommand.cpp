// mtlw routing RUN_ID: the task × expert utilisation of each routing layer, averaged over the
// logged steps of a run.
#include "Commands.h"
#include "TrainingSession.h"

#include "store/RunStore.h"
#include "util/Errors.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>

namespace mtlw::cli {

namespace {

// Means over the logged steps of one layer, row by row (tasks, then "shared").
struct LayerTable {
    std::string layer;
    std::int64_t topK = 1;
    std::vector<std::string> rows;
    std::vector<std::string> experts;
    std::map<std::string, std::vector<double>> gateSums;
    std::map<std::string, std::vector<double>> topKSums;
    std::map<std::string, double> balanceSums;
    std::map<std::string, std::int64_t> steps;
};

std::vector<LayerTable> buildTables(const std::vector<RoutingStatsRecord>& records) {
    std::vector<LayerTable> tables;
    for (const auto& record : records) {
        auto table = std::find_if(tables.begin(), tables.end(),
                                  [&](const LayerTable& candidate) { return candidate.layer == record.layer; });
        if (table == tables.end()) {
            tables.push_back({});
            table = tables.end() - 1;
            table->layer = record.layer;
            table->topK = record.topK;
            table->experts = record.experts;
        }
        if (!table->steps.count(record.task)) {
            table->rows.push_back(record.task);
            table->gateSums[record.task].assign(table->experts.size(), 0.0);
            table->topKSums[record.task].assign(table->experts.size(), 0.0);
        }
        ++table->steps[record.task];
        table->balanceSums[record.task] += record.balanceLoss;
        for (size_t e = 0; e < table->experts.size() && e < record.gateMean.size(); ++e) {
            table->gateSums[record.task][e] += record.gateMean[e];
            table->topKSums[record.task][e] += record.topKFraction[e];
        }
    }
    return tables;
}

void printMatrix(const LayerTable& table, const std::map<std::string, std::vector<double>>& sums) {
    std::printf("  %-14s", "task");
    for (const auto& expert : table.experts) {
        std::printf(" %9s", expert.c_str());
    }
    std::printf("\n");
    for (const auto& row : table.rows) {
        std::printf("  %-14s", row.c_str());
        const double steps = static_cast<double>(table.steps.at(row));
        for (const double sum : sums.at(row)) {
            std::printf(" %9.3f", sum / steps);
        }
        std::printf("\n");
    }
}

nlohmann::json tablesJson(std::int64_t runId, const std::vector<LayerTable>& tables) {
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& table : tables) {
        nlohmann::json rows = nlohmann::json::array();
        for (const auto& row : table.rows) {
            const double steps = static_cast<double>(table.steps.at(row));
            std::vector<double> gate;
            std::vector<double> topK;
            for (size_t e = 0; e < table.experts.size(); ++e) {
                gate.push_back(table.gateSums.at(row)[e] / steps);
                topK.push_back(table.topKSums.at(row)[e] / steps);
            }
            rows.push_back({{"task", row},
                            {"mean_gate", gate},
                            {"top_k_fraction", topK},
                            {"balance_loss", table.balanceSums.at(row) / steps},
                            {"steps", table.steps.at(row)}});
        }
        layers.push_back({{"layer", table.layer}, {"top_k", table.topK}, {"experts", table.experts}, {"rows", rows}});
    }
    return {{"run_id", runId}, {"layers", layers}};
}

}  // namespace

void addRoutingCommand(CLI::App& app, int& exitCode) {
    auto runId = std::make_shared<std::int64_t>(0);
    auto runsDb = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    CLI::App* command =
        app.add_subcommand("routing", "Print the task x expert utilisation of each routing layer of a run");
    command->add_option("RUN_ID", *runId, "Run id, as `mtlw runs` lists it")->required();
    command->add_option("--runs-db", *runsDb, "Run store file (default: the only *.runs.sqlite in this folder)");
    command->add_flag("--json", *json, "Print JSON");
    command->callback([=, &exitCode] {
        const std::string storePath = locateRunsDb(*runsDb);
        const RunStore store(storePath);
        store.requireRun(*runId);
        const std::vector<LayerTable> tables = buildTables(store.routingStats(*runId));
        exitCode = 0;
        if (*json) {
            std::cout << tablesJson(*runId, tables).dump(2) << "\n";
            return;
        }
        if (tables.empty()) {
            std::cout << "run " << *runId
                      << " has no routing records (its graph has no mmoe, cgc, ple or moe node, or no step was logged)\n";
            return;
        }
        for (const auto& table : tables) {
            const std::int64_t steps = table.steps.begin()->second;
            std::printf("layer %s: %zu experts, top %lld, mean over %lld logged steps\n", table.layer.c_str(),
                        table.experts.size(), static_cast<long long>(table.topK), static_cast<long long>(steps));
            std::printf(" mean gate probability (each row sums to 1):\n");
            printMatrix(table, table.gateSums);
            std::printf(" share of samples with the expert in their top %lld (each row sums to %lld):\n",
                        static_cast<long long>(table.topK), static_cast<long long>(table.topK));
            printMatrix(table, table.topKSums);
            std::printf(" load-balancing loss cv²(importance) + cv²(load):");
            for (const auto& row : table.rows) {
                std::printf(" %s %.4f", row.c_str(), table.balanceSums.at(row) / static_cast<double>(table.steps.at(row)));
            }
            std::printf("\n\n");
        }
    });
}

}  // namespace mtlw::cli
