// FairGrad: Ban and Ji, "Fair Resource Allocation in Multi-Task Learning", ICML 2024. Treats the
// tasks' improvements as resources under α-fair allocation: the weights w > 0 solve
// (G Gᵀ) w = w^(-1/alpha) and the update is Σ w_i g_i. alpha = 1 gives the Nash-MTL equation
// (without its clipping); larger alpha moves towards max-min fairness.
// The reference uses scipy's least_squares; here damped Newton steps minimize the equivalent
// convex potential on the k x k Gramian.
// Cost per step: the Gramian (O(k²d)), up to 100 k x k Cholesky solves (O(k³) each), one
// combination (O(kd)).
#include "methods/GradientMethod.h"
#include "methods/Registrations.h"

namespace mtlw {
namespace {

using gradient::Vector;

class FairGrad final : public GradientMethod {
public:
    explicit FairGrad(const std::map<std::string, double>& params) : mAlpha(params.at("alpha")) {}

    const MethodInfo& info() const override { return describe(); }

    static const MethodInfo& describe() {
        static const MethodInfo info{
            "fairgrad",
            "FairGrad",
            MethodKind::Gradient,
            "Alpha-fair allocation of the update between tasks: weights solve (G Gᵀ) w = w^(-1/alpha)",
            {{"alpha", 1.0, 0.01, 100.0, "fairness exponent; 1 is proportional fairness, larger is closer to max-min"}}};
        return info;
    }

protected:
    Aggregation aggregateTasks(const torch::Tensor& gradients, const torch::Tensor&, const StepContext&) override {
        const int k = static_cast<int>(gradients.size(0));
        const gradient::SmallMatrix full = gradient::toSmallMatrix(gradient::gramian(gradients));
        // With a zero gradient the equation has no solution (w_i → ∞), so such tasks get weight 0.
        const std::vector<int> tasks = gradient::nonzeroTasks(full);
        Vector weights(k, 0.0);
        if (!tasks.empty()) {
            const Vector solved = gradient::solvePowerBalance(gradient::submatrix(full, tasks), mAlpha, 100, {});
            weights = gradient::expand(solved, tasks, k);
        }
        return {gradient::toTensor(weights), gradient::combine(weights, gradients)};
    }

private:
    double mAlpha;
};

}  // namespace

std::pair<MethodInfo, MethodFactory> registerFairGrad() {
    return {FairGrad::describe(),
            [](const std::map<std::string, double>& params) { return std::make_unique<FairGrad>(params); }};
}

}  // namespace mtlw
