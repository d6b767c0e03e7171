// GLS: geometric loss strategy. Chennupati, Sistu, Yogamani and Rawashdeh, "MultiNet++: Multi-Stream
// Feature Aggregation and Geometric Loss Strategy for Multi-Task Learning", CVPR Workshops 2019.
// The loss is the geometric mean of the task losses, (Π L_i)^(1/k), computed as exp(mean log L_i)
// so that 20+ small or large losses do not underflow or overflow the product. Its gradient factor
// for task i is GLS / (k L_i), which is what lastWeights() reports. Cost per step: one backward pass.
#include "methods/LossChecks.h"
#include "methods/Registrations.h"

namespace mtlw {
namespace {

// Losses below this value are raised to it, so a task with loss 0 gives a finite total and weight.
constexpr double kMinLoss = 1e-8;

class GeometricLossStrategy final : public BalancingMethod {
public:
    const MethodInfo& info() const override { return describe(); }

    static const MethodInfo& describe() {
        static const MethodInfo info{
            "gls", "GLS", MethodKind::LossWeighting,
            "Geometric loss strategy: geometric mean of the task losses (Chennupati et al., 2019)", {}};
        return info;
    }

    torch::Tensor combineLosses(const torch::Tensor& taskLosses, const StepContext& context) override {
        checkTaskLosses(taskLosses, info().name, true);
        const double k = static_cast<double>(taskLosses.size(0));
        // clamp_min passes no gradient to a clamped loss, and the reported weight is 0 to match.
        const torch::Tensor clamped = taskLosses.clamp_min(kMinLoss);
        const torch::Tensor total = torch::exp(torch::log(clamped).mean());

        const torch::Tensor losses = taskLosses.detach().to(torch::kCPU, torch::kDouble);
        const torch::Tensor mean = total.detach().to(torch::kCPU, torch::kDouble);
        mLastWeights = torch::where(losses >= kMinLoss, mean / (k * losses.clamp_min(kMinLoss)),
                                    torch::zeros_like(losses));
        return total;
    }
};

}  // namespace

std::pair<MethodInfo, MethodFactory> registerGeometricLossStrategy() {
    return {GeometricLossStrategy::describe(),
            [](const std::map<std::string, double>&) { return std::make_unique<GeometricLossStrategy>(); }};
}

}  // namespace mtlw
