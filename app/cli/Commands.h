// The subcommands of `mtlw`, one file each. Every add* function registers a subcommand whose
// callback stores its exit status in `exitCode`: 0 success, 1 failure, 2 invalid input.
#pragma once

#include <CLI/CLI.hpp>

namespace mtlw::cli {

void addTrainCommand(CLI::App& app, int& exitCode);
void addResumeCommand(CLI::App& app, int& exitCode);
void addBaselineCommand(CLI::App& app, int& exitCode);
void addRunsCommand(CLI::App& app, int& exitCode);
void addShowCommand(CLI::App& app, int& exitCode);
void addMethodsCommand(CLI::App& app, int& exitCode);
void addConflictsCommand(CLI::App& app, int& exitCode);
void addAggregateCommand(CLI::App& app, int& exitCode);
void addRoutingCommand(CLI::App& app, int& exitCode);
void addEvalCommand(CLI::App& app, int& exitCode);
void addCompareCommand(CLI::App& app, int& exitCode);
void addExportCommand(CLI::App& app, int& exitCode);
void addMergeCommand(CLI::App& app, int& exitCode);
void addMergesCommand(CLI::App& app, int& exitCode);
void addLaunchCommand(CLI::App& app, int& exitCode);

}  // namespace mtlw::cli
