// UW: homoscedastic uncertainty weighting. Kendall, Gal and Cipolla, "Multi-Task Learning Using
// Uncertainty to Weigh Losses for Scene Geometry and Semantics", CVPR 2018.
// Each task i has a learnable log variance s_i; the loss is sum_i L_i / (2 exp(s_i)) + s_i / 2,
// the form LibMTL uses for every task type. Cost per step: one backward pass, k extra parameters.
#include "methods/LossChecks.h"
#include "methods/Registrations.h"

namespace mtlw {
namespace {

class UncertaintyWeighting final : public BalancingMethod {
public:
    explicit UncertaintyWeighting(double initialLogVariance) : mInitialLogVariance(initialLogVariance) {}

    const MethodInfo& info() const override { return describe(); }

    static const MethodInfo& describe() {
        static const MethodInfo info{
            "uw", "UW", MethodKind::LossWeighting,
            "Uncertainty weighting: learns one log variance per task (Kendall et al., 2018)",
            {{"initial_log_variance", 0.0, -10.0, 10.0, "Starting value of every task's log variance s_i"}}};
        return info;
    }

    void reset(int taskCount, const torch::Device& device) override {
        mLogVariances = torch::full({taskCount}, mInitialLogVariance,
                                    torch::TensorOptions().dtype(torch::kFloat32).device(device))
                            .set_requires_grad(true);
    }

    std::vector<torch::Tensor> parameters() override { return {mLogVariances}; }

    torch::Tensor combineLosses(const torch::Tensor& taskLosses, const StepContext& context) override {
        checkTaskLosses(taskLosses, info().name, false);
        const torch::Tensor precision = torch::exp(-mLogVariances);
        mLastWeights = (0.5 * precision).detach().to(torch::kCPU);
        return (0.5 * precision * taskLosses + 0.5 * mLogVariances).sum();
    }

    void save(torch::serialize::OutputArchive& archive) const override {
        archive.write("uw_log_variances", mLogVariances.detach());
    }

    void load(torch::serialize::InputArchive& archive) override {
        torch::Tensor stored;
        archive.read("uw_log_variances", stored);
        torch::NoGradGuard noGrad;
        mLogVariances.copy_(stored);
    }

private:
    double mInitialLogVariance;
    torch::Tensor mLogVariances;
};

}  // namespace

std::pair<MethodInfo, MethodFactory> registerUncertaintyWeighting() {
    return {UncertaintyWeighting::describe(), [](const std::map<std::string, double>& params) {
                return std::make_unique<UncertaintyWeighting>(params.at("initial_log_variance"));
            }};
}

}  // namespace mtlw
