// Checkpoint files: model, optimizer and method state after an epoch, enough to resume a run.
#pragma once

#include "methods/BalancingMethod.h"
#include "model/MultiTaskModel.h"

#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace mtlw {

struct CheckpointState {
    int epoch = 0;
    std::int64_t step = 0;
};

/// Writes a checkpoint to a temporary file and renames it to `path`.
void saveCheckpoint(const std::string& path, MultiTaskModel& model, torch::optim::Optimizer& optimizer,
                    const BalancingMethod& method, const CheckpointState& state);

/// Restores model, optimizer and method state; returns the epoch and step it was taken at.
/// Throws InputError naming the file if it is missing or does not fit the model.
CheckpointState loadCheckpoint(const std::string& path, MultiTaskModel& model, torch::optim::Optimizer& optimizer,
                               BalancingMethod& method);

/// The folder that holds a run's checkpoints: beside the store, "<store stem>/run-<id>".
/// Loads only the model weights of a checkpoint, for evaluation and export. Throws InputError
/// naming the file when it is missing, unreadable or does not fit the model.
void loadModelWeights(const std::string& path, MultiTaskModel& model);

std::string checkpointFolder(const std::string& storePath, std::int64_t runId);

}  // namespace mtlw
