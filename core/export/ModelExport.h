// Exports a trained run's model for use outside MTL Workbench: as a TorchScript module that
// Python (torch.jit.load) and C++ (torch::jit::load) can run, or as safetensors weights.
#pragma once

#include "data/Dataset.h"
#include "model/Block.h"
#include "model/MultiTaskModel.h"
#include "project/Project.h"
#include "store/RunStore.h"

#include <nlohmann/json.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mtlw {

enum class CheckpointChoice { Best, Latest };
enum class ExportFormat { TorchScript, Safetensors };

/// Parses "best" or "latest"; throws InputError naming the value otherwise.
CheckpointChoice parseCheckpointChoice(const std::string& text);
/// Parses "torchscript" or "safetensors"; throws InputError naming the value otherwise.
ExportFormat parseExportFormat(const std::string& text);

// A run's model rebuilt from its project snapshot, with a checkpoint's weights, on the CPU
// and in evaluation mode.
struct RunModel {
    RunRecord run;
    Project project;
    CheckpointRecord checkpoint;
    /// One input sample's shape, without the batch dimension.
    Shape inputShape;
    /// Input feature names for tabular data, in column order; empty for images.
    std::vector<std::string> featureNames;
    /// Task name -> label names of its classes (classification, binary) or of its output columns
    /// (multilabel); empty for regression tasks.
    std::map<std::string, std::vector<std::string>> labels;
    MultiTaskModel model{nullptr};
};

/// Rebuilds the model of a run and loads the weights of its best or latest checkpoint. Loads the
/// run's dataset for the input shape and the label names. Throws InputError when the run does not
/// exist, has no checkpoint, or its checkpoint or data cannot be read.
RunModel loadRunModel(const RunStore& store, std::int64_t runId, CheckpointChoice choice);

/// The model's parameters and buffers with export names: the LibTorch names with every
/// character outside [A-Za-z0-9_] of each dotted part replaced by '_', so each part is an
/// identifier. Both export formats use these names. Throws std::runtime_error when two names collide.
std::vector<std::pair<std::string, torch::Tensor>> exportedTensors(const MultiTaskModel& model);

/// Task outputs as a dict from task name to tensor, in project task order.
c10::Dict<std::string, torch::Tensor> taskOutputDict(const RunModel& runModel, const torch::Tensor& input);

/// Extra files embedded in a TorchScript export: "project.json" (the run's project snapshot),
/// "labels.json" (task -> label names) and "model.json" (run id, checkpoint, input shape,
/// feature names, tasks).
std::map<std::string, std::string> exportExtraFiles(const RunModel& runModel);

/// Traces the model into a TorchScript module whose forward(input) returns Dict[str, Tensor] and
/// saves it with the extra files. The module's state_dict names are exportedTensors' names.
/// NOTE: tracing records the operations of one forward pass, so a block whose control flow
/// depends on the input values would be frozen to the traced path.
void exportTorchScript(RunModel& runModel, const std::string& path);

/// Writes the weights as safetensors: an 8-byte little-endian header length, a JSON header with
/// dtype, shape and data_offsets per tensor and a "__metadata__" object of strings, then the
/// raw little-endian bytes. The metadata contains the extra files' contents under their names.
void exportSafetensors(const RunModel& runModel, const std::string& path);

/// Loads the run's model and writes it to `path` in `format`.
void exportRun(const RunStore& store, std::int64_t runId, ExportFormat format, CheckpointChoice choice,
               const std::string& path);

}  // namespace mtlw
