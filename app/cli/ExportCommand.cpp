// mtlw export RUN_ID: writes a run's trained model as TorchScript or safetensors.
#include "Commands.h"
#include "TrainingSession.h"

#include "export/ModelExport.h"
#include "store/RunStore.h"

#include <iostream>

namespace mtlw::cli {

void addExportCommand(CLI::App& app, int& exitCode) {
    auto runId = std::make_shared<std::int64_t>(0);
    auto format = std::make_shared<std::string>();
    auto out = std::make_shared<std::string>();
    auto checkpoint = std::make_shared<std::string>("best");
    auto runsDb = std::make_shared<std::string>();
    CLI::App* command = app.add_subcommand("export", "Write a run's trained model as TorchScript or safetensors");
    command->add_option("RUN_ID", *runId, "Run id, as `mtlw runs` lists it")->required();
    command->add_option("--format", *format, "torchscript (a module Python and C++ can run) or safetensors (weights)")
        ->required();
    command->add_option("--out", *out, "Output file")->required();
    command->add_option("--checkpoint", *checkpoint,
                        "best (the best validation epoch) or latest (the last saved epoch); default best");
    command->add_option("--runs-db", *runsDb, "Run store file (default: the only *.runs.sqlite in this folder)");
    command->callback([=, &exitCode] {
        const ExportFormat exportFormat = parseExportFormat(*format);
        const CheckpointChoice choice = parseCheckpointChoice(*checkpoint);
        const RunStore store(locateRunsDb(*runsDb));
        exportRun(store, *runId, exportFormat, choice, *out);
        std::cout << "exported run " << *runId << " (" << *checkpoint << " checkpoint) to " << *out << "\n";
        exitCode = 0;
    });
}

}  // namespace mtlw::cli
