// Gradient-conflict statistics from a [k, d] matrix of task gradients.
#pragma once

#include "store/RunStore.h"

#include <torch/torch.h>

#include <string>
#include <vector>

namespace mtlw {

/// Computes norms, pairwise cosines, magnitude similarities and the conflicting-pair share from
/// the Gramian G Gᵀ. A zero-norm gradient has cosine 0 with every other task; two zero-norm
/// gradients have magnitude similarity 1. `weights` may be undefined.
GradientStatsRecord gradientStats(const torch::Tensor& gradients, const std::vector<std::string>& tasks,
                                  const torch::Tensor& weights);

}  // namespace mtlw
