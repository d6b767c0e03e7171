// Choice of the compute device for a run.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace mtlw {

/// Resolves "auto" (CUDA when LibTorch has it, else CPU), "cpu", "cuda" or "cuda:N".
/// Throws InputError when CUDA is requested but this LibTorch build or machine has none.
torch::Device resolveDevice(const std::string& name);

/// Devices a user can pick: "cpu" and one "cuda:N" per visible GPU.
std::vector<std::string> availableDevices();

}  // namespace mtlw
