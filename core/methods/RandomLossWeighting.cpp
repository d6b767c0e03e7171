// RLW: random loss weighting. Lin, Ye, Zhang and Tsang, "Reasonable Effectiveness of Random
// Weighting: A Litmus Test for Multi-Task Learning", TMLR 2022. Every step draws k standard normal
// numbers from the run's generator and weights the task losses by their softmax, so the weights
// are positive and sum to 1 (as in LibMTL's default "Normal" variant). Cost per step: one backward
// pass and k random numbers.
#include "methods/LossChecks.h"
#include "methods/Registrations.h"

namespace mtlw {
namespace {

class RandomLossWeighting final : public BalancingMethod {
public:
    const MethodInfo& info() const override { return describe(); }

    static const MethodInfo& describe() {
        static const MethodInfo info{
            "rlw", "RLW", MethodKind::LossWeighting,
            "Random loss weighting: softmax of standard normal samples, redrawn every step (Lin et al., 2022)", {}};
        return info;
    }

    torch::Tensor combineLosses(const torch::Tensor& taskLosses, const StepContext& context) override {
        checkTaskLosses(taskLosses, info().name, false);
        // Drawn on the CPU in double precision so a seed gives the same weights on every device.
        c10::optional<torch::Generator> generator;
        if (context.generator != nullptr) {
            generator = *context.generator;
        }
        const torch::Tensor samples =
            torch::randn({taskLosses.size(0)}, generator, torch::TensorOptions().dtype(torch::kDouble));
        mLastWeights = torch::softmax(samples, 0);
        return (mLastWeights.to(taskLosses.device(), taskLosses.scalar_type()) * taskLosses).sum();
    }
};

}  // namespace

std::pair<MethodInfo, MethodFactory> registerRandomLossWeighting() {
    return {RandomLossWeighting::describe(),
            [](const std::map<std::string, double>&) { return std::make_unique<RandomLossWeighting>(); }};
}

}  // namespace mtlw
