// Rendezvous flags shared by `mtlw train` and `mtlw resume`, and the process group they join.
#pragma once

#include "distributed/DistributedContext.h"

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

namespace mtlw::cli {

/// Adds --master-addr, --master-port, --rank, --world-size and --local-rank to `command`.
void addDistributedFlags(CLI::App* command, DistributedOptions& flags);

/// Joins the process group when flags or environment give a world size above 1; null otherwise.
/// `device` is training.device (auto, cpu, cuda, cuda:N) and picks the backend.
std::shared_ptr<DistributedContext> joinProcessGroup(const DistributedOptions& flags, const std::string& device);

}  // namespace mtlw::cli
