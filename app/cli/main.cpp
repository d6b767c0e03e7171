// mtlw: the command-line front end of MTL Workbench. Exit status: 0 success, 1 failure, 2 invalid input.
#include "Commands.h"

#include "util/Errors.h"
#include "util/Version.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

int main(int argc, char** argv) {
    CLI::App app{"MTL Workbench command line: train multi-task models and inspect their runs", "mtlw"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "mtlw " + mtlw::codeVersion());
    bool verbose = false;
    bool quiet = false;
    app.add_flag("-v,--verbose", verbose, "Log debug messages");
    app.add_flag("-q,--quiet", quiet, "Log warnings and errors only");

    int exitCode = 0;
    mtlw::cli::addTrainCommand(app, exitCode);
    mtlw::cli::addResumeCommand(app, exitCode);
    mtlw::cli::addBaselineCommand(app, exitCode);
    mtlw::cli::addRunsCommand(app, exitCode);
    mtlw::cli::addShowCommand(app, exitCode);
    mtlw::cli::addMethodsCommand(app, exitCode);
    mtlw::cli::addConflictsCommand(app, exitCode);
    mtlw::cli::addAggregateCommand(app, exitCode);
    mtlw::cli::addRoutingCommand(app, exitCode);
    mtlw::cli::addEvalCommand(app, exitCode);
    mtlw::cli::addCompareCommand(app, exitCode);
    mtlw::cli::addExportCommand(app, exitCode);
    mtlw::cli::addMergeCommand(app, exitCode);
    mtlw::cli::addMergesCommand(app, exitCode);
    mtlw::cli::addLaunchCommand(app, exitCode);

    auto logger = spdlog::stderr_color_mt("mtlw");
    logger->set_pattern("[%H:%M:%S] %^%l%$ %v");
    spdlog::set_default_logger(logger);
    app.parse_complete_callback([&] {
        spdlog::level::level_enum level = spdlog::level::info;
        if (verbose) {
            level = spdlog::level::debug;
        } else if (quiet) {
            level = spdlog::level::warn;
        }
        spdlog::set_level(level);
    });

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        const int status = app.exit(error);
        return status == 0 ? 0 : 2;
    } catch (const mtlw::InputError& error) {
        std::cerr << "error: " << error.what() << "\n";
        return 2;
    } catch (const std::exception& error) {
        spdlog::error("{}", error.what());
        return 1;
    }
    return exitCode;
}
