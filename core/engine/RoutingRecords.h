// Converts a model's expert routing of one step into run store records, one per layer and gate.
#pragma once

#include "model/Routing.h"
#include "store/RunStore.h"

#include <vector>

namespace mtlw {

std::vector<RoutingStatsRecord> routingRecords(const std::vector<LayerRouting>& layers, std::int64_t runId,
                                               std::int64_t step, int epoch);

/// Adds `gradients` (entries may be undefined) to the gradients of `parameters`.
void accumulateGradients(const std::vector<torch::Tensor>& parameters, const std::vector<torch::Tensor>& gradients);

}  // namespace mtlw
