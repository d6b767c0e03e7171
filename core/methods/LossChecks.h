// Input checks shared by the loss-weighting methods (EW, UW, DWA, RLW, GLS, STCH, FAMO) and
// GradNorm. The engine stops on non-finite losses before it calls a method, so a failed check
// here means a caller outside the engine passed bad losses.
#pragma once

#include <torch/torch.h>

#include <string>

namespace mtlw {

/// Throws std::invalid_argument naming `method` when `taskLosses` is not a [k] floating-point
/// tensor with k >= 1, or when an entry is NaN or Inf. With `requireNonNegative`, a negative
/// entry is rejected as well, for methods that take logarithms or ratios of the losses.
void checkTaskLosses(const torch::Tensor& taskLosses, const std::string& method, bool requireNonNegative);

}  // namespace mtlw
