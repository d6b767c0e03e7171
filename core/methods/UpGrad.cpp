// UPGrad: Quinton and Rey, "Jacobian Descent for Multi-Objective Optimization", arXiv 2406.16232,
// 2024 (torchjd's UPGrad). Projects each g_i / k onto the dual cone {x : G x >= 0} of the task
// gradients and sums the projections, so the update has a non-negative inner product with every
// task gradient. Projecting Gᵀu onto the cone equals Gᵀv with v = argmin vᵀMv subject to v >= u,
// a small quadratic program on the Gramian M; the weights are the sum of the k solutions v.
// As in torchjd, M is divided by its trace (when the trace is at least norm_eps) and reg_eps·I is
// added, so the inner products are non-negative up to about reg_eps relative to the trace.
// Cost per step: the Gramian (O(k²d)), k active-set QPs of size k (an estimate of O(k³) each,
// since the number of active-set changes depends on the data), one combination (O(kd)).
#include "methods/GradientMethod.h"
#include "methods/Registrations.h"

namespace mtlw {
namespace {

using gradient::Vector;

class UpGrad final : public GradientMethod {
public:
    explicit UpGrad(const std::map<std::string, double>& params)
        : mNormEps(params.at("norm_eps")), mRegEps(params.at("reg_eps")) {}

    const MethodInfo& info() const override { return describe(); }

    static const MethodInfo& describe() {
        static const MethodInfo info{
            "upgrad",
            "UPGrad",
            MethodKind::Gradient,
            "Unconflicting projection of gradients: averages each gradient's projection onto the dual cone",
            {{"norm_eps", 1e-4, 0.0, 1.0, "below this trace the Gramian is treated as zero"},
             {"reg_eps", 1e-4, 0.0, 1.0, "multiple of the identity added to the trace-normalized Gramian"}}};
        return info;
    }

protected:
    Aggregation aggregateTasks(const torch::Tensor& gradients, const torch::Tensor&, const StepContext&) override {
        const int k = static_cast<int>(gradients.size(0));
        gradient::SmallMatrix m = gradient::toSmallMatrix(gradient::gramian(gradients));
        double trace = 0.0;
        for (int i = 0; i < k; ++i) {
            trace += m(i, i);
        }
        for (double& value : m.values) {
            value = trace < mNormEps ? 0.0 : value / trace;
        }
        for (int i = 0; i < k; ++i) {
            m(i, i) += mRegEps;
        }

        Vector weights(k, 0.0);
        for (int i = 0; i < k; ++i) {
            Vector lower(k, 0.0);
            lower[i] = 1.0 / k;
            // Without regularization a zero task gradient leaves its row of M empty; v_i = u_i then.
            if (m(i, i) <= 0.0) {
                weights[i] += lower[i];
                continue;
            }
            const Vector projection = gradient::minimizeQuadraticAboveBound(m, lower);
            for (int j = 0; j < k; ++j) {
                weights[j] += projection[j];
            }
        }
        return {gradient::toTensor(weights), gradient::combine(weights, gradients)};
    }

private:
    double mNormEps;
    double mRegEps;
};

}  // namespace

std::pair<MethodInfo, MethodFactory> registerUpGrad() {
    return {UpGrad::describe(),
            [](const std::map<std::string, double>& params) { return std::make_unique<UpGrad>(params); }};
}

}  // namespace mtlw
