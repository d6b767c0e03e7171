// IMTL-L's learnable loss scales, shared by the IMTL-L loss weighting and the full IMTL method.
// Task i has a scale parameter s_i and the scaled loss e^{s_i} L_i - s_i. Minimising that over s_i
// drives every scaled loss e^{s_i} L_i towards 1, so no task's loss dominates by its magnitude.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace mtlw {

class LearnableLossScales {
public:
    /// Creates k scales, all 0 (every task starts at its raw loss).
    void reset(int taskCount, const torch::Device& device);

    /// Returns e^s ⊙ L - s for [k] task losses, differentiable in both the losses and the scales.
    torch::Tensor apply(const torch::Tensor& taskLosses) const;

    /// Returns the factors e^s, detached, as [k] on the CPU.
    torch::Tensor factors() const;

    std::vector<torch::Tensor> parameters() const { return {mScales}; }

    void save(torch::serialize::OutputArchive& archive) const;
    void load(torch::serialize::InputArchive& archive);

private:
    torch::Tensor mScales;
};

}  // namespace mtlw
