// Precompiled header for core and its users: LibTorch dominates compile time.
#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <map>
#include <memory>
#include <string>
#include <vector>
