// IMTL-G: Liu, Li, Kuang, Xue, Chen, Yang, Liao and Zhang, "Towards Impartial Multi-task Learning",
// ICLR 2021. Closed-form weights α (Σα = 1) such that the update d = Σ α_i g_i has the same
// projection onto every unit task gradient u_i: d·u_1 = d·u_i for all i.
// Only the gradient part, IMTL-G, is implemented. NOTE: IMTL-L (learnable loss scales e^s·L - s)
// is not part of this method; combineLosses returns the plain sum.
// Cost per step: the Gramian (O(k²d)), a (k-1) x (k-1) pseudo-inverse, one combination (O(kd)).
#include "methods/GradientMethod.h"
#include "methods/Registrations.h"

#include <cmath>

namespace mtlw {
namespace {

using gradient::Vector;

class Imtl final : public GradientMethod {
public:
    explicit Imtl(const std::map<std::string, double>&) {}

    const MethodInfo& info() const override { return describe(); }

    static const MethodInfo& describe() {
        static const MethodInfo info{
            "imtl", "IMTL-G", MethodKind::Gradient,
            "Impartial MTL (gradient part): equal projection of the update onto every unit task gradient", {}};
        return info;
    }

protected:
    Aggregation aggregateTasks(const torch::Tensor& gradients, const torch::Tensor&, const StepContext&) override {
        const int k = static_cast<int>(gradients.size(0));
        const gradient::SmallMatrix full = gradient::toSmallMatrix(gradient::gramian(gradients));
        // A zero gradient has no direction to be impartial to, so such tasks get weight 0.
        const std::vector<int> tasks = gradient::nonzeroTasks(full);
        Vector weights(k, 0.0);
        if (!tasks.empty()) {
            weights = gradient::expand(solveWeights(gradient::submatrix(full, tasks)), tasks, k);
        }
        return {gradient::toTensor(weights), gradient::combine(weights, gradients)};
    }

private:
    // With D = [g_1 - g_i] and U = [u_1 - u_i] (i = 2..n), α_{2..n} = g_1 Uᵀ (D Uᵀ)⁻¹ and
    // α_1 = 1 - Σ α_{2..n}. Every product comes from the Gramian M.
    static Vector solveWeights(const gradient::SmallMatrix& m) {
        const int n = m.size;
        if (n == 1) {
            return {1.0};
        }
        Vector norms(n);
        for (int i = 0; i < n; ++i) {
            norms[i] = std::sqrt(m(i, i));
        }
        const int rest = n - 1;
        torch::Tensor firstTimesU = torch::zeros({1, rest}, torch::kDouble);
        torch::Tensor dTimesU = torch::zeros({rest, rest}, torch::kDouble);
        auto a = firstTimesU.accessor<double, 2>();
        auto b = dTimesU.accessor<double, 2>();
        for (int j = 1; j < n; ++j) {
            a[0][j - 1] = m(0, 0) / norms[0] - m(0, j) / norms[j];
            for (int i = 1; i < n; ++i) {
                b[i - 1][j - 1] = m(0, 0) / norms[0] - m(0, j) / norms[j] - m(i, 0) / norms[0] + m(i, j) / norms[j];
            }
        }
        // The pseudo-inverse handles linearly dependent gradients (D Uᵀ singular), e.g. identical ones.
        const torch::Tensor restWeights =
            torch::mm(firstTimesU, torch::linalg::pinv(dTimesU, 1e-10, false)).reshape({-1}).contiguous();
        Vector weights(n);
        double restSum = 0.0;
        for (int i = 1; i < n; ++i) {
            weights[i] = restWeights[i - 1].item<double>();
            restSum += weights[i];
        }
        weights[0] = 1.0 - restSum;
        return weights;
    }
};

}  // namespace

std::pair<MethodInfo, MethodFactory> registerImtl() {
    return {Imtl::describe(), [](const std::map<std::string, double>& params) { return std::make_unique<Imtl>(params); }};
}

}  // namespace mtlw
