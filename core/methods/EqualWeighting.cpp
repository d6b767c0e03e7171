// EW: the plain sum of task losses, every task weighted 1. The baseline every method is compared to.
// Cost per step: one backward pass.
#include "methods/LossChecks.h"
#include "methods/Registrations.h"

namespace mtlw {
namespace {

class EqualWeighting final : public BalancingMethod {
public:
    const MethodInfo& info() const override { return describe(); }

    static const MethodInfo& describe() {
        static const MethodInfo info{"ew", "EW", MethodKind::LossWeighting,
                                     "Equal weighting: sum of the task losses", {}};
        return info;
    }

    torch::Tensor combineLosses(const torch::Tensor& taskLosses, const StepContext& context) override {
        checkTaskLosses(taskLosses, info().name, false);
        mLastWeights = torch::ones({taskLosses.size(0)});
        return taskLosses.sum();
    }
};

}  // namespace

std::pair<MethodInfo, MethodFactory> registerEqualWeighting() {
    return {EqualWeighting::describe(),
            [](const std::map<std::string, double>&) { return std::make_unique<EqualWeighting>(); }};
}

}  // namespace mtlw
