// Model weights read from checkpoint files by tensor name, and training that starts from them
// (`mtlw train --init CHECKPOINT`, the fine-tuning step of model merging).
#pragma once

#include "model/MultiTaskModel.h"

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

namespace mtlw {

/// Tensor name (as named_parameters() and named_buffers() spell it, e.g. "node_conv1.conv.weight")
/// -> tensor on the CPU.
using NamedTensors = std::map<std::string, torch::Tensor>;

/// Reads the model weights (parameters and buffers) of a checkpoint file written by
/// saveCheckpoint. Throws InputError naming the file when it is missing or unreadable.
NamedTensors readCheckpointWeights(const std::string& path);

// Names of a model's parameters, split into the shared part and each task's head.
struct ParameterNames {
    std::vector<std::string> shared;
    /// One list per task, in project task order.
    std::vector<std::vector<std::string>> heads;
};

/// The names of the shared parameters and of the heads of the first `taskCount` tasks.
ParameterNames parameterNames(MultiTaskModelImpl& model, std::size_t taskCount);

/// Copies the weights of a checkpoint into `model` before training. Every shared parameter must
/// be in the checkpoint with the same shape. Head parameters and buffers are copied where name
/// and shape match and keep their initialization otherwise. Throws InputError naming the file,
/// the tensor and both shapes on a mismatch. Returns the number of tensors copied.
std::size_t initializeFromCheckpoint(MultiTaskModelImpl& model, const std::string& path);

/// "[10, 1, 5, 5]".
std::string shapeText(const torch::Tensor& tensor);

}  // namespace mtlw
