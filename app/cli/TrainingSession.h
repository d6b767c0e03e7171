// Runs training on the engine's worker thread while drawing progress in the terminal,
// shared by `mtlw train` and `mtlw resume`.
#pragma once

#include "engine/Trainer.h"

namespace mtlw::cli {

/// Trains, prints the summary (or one JSON line with `json`), and returns the exit status.
int runTrainingSession(TrainRequest request, bool json);

/// The store file for commands that take RUN_ID: `runsDb` if given, else the only
/// *.runs.sqlite file in the current folder. Throws InputError when there is none or several.
std::string locateRunsDb(const std::string& runsDb);

}  // namespace mtlw::cli
