// CAGrad: Liu, Liu, Jin, Stone and Liu, "Conflict-Averse Gradient Descent for Multi-task Learning",
// NeurIPS 2021. Within a ball of radius c·|g0| around the mean gradient g0 it picks the direction
// that maximizes the worst task's improvement, d = g0 + c·|g0|·g_w / |g_w|, where w solves
// min over the simplex of g_wᵀg0 + c·|g0|·|g_w| (g_w = Σ w_i g_i).
// Cost per step: the Gramian (O(k²d)), a k x k simplex problem, one combination (O(kd)).
#include "methods/GradientMethod.h"
#include "methods/Registrations.h"
#include "util/Errors.h"

#include <cmath>

namespace mtlw {
namespace {

using gradient::Vector;

class CaGrad final : public GradientMethod {
public:
    explicit CaGrad(const std::map<std::string, double>& params) : mC(params.at("c")) {
        const double rescale = params.at("rescale");
        if (rescale != 0.0 && rescale != 1.0 && rescale != 2.0) {
            throw InputError("cagrad parameter rescale must be 0, 1 or 2, got " + std::to_string(rescale));
        }
        mRescale = static_cast<int>(rescale);
    }

    const MethodInfo& info() const override { return describe(); }

    static const MethodInfo& describe() {
        static const MethodInfo info{
            "cagrad",
            "CAGrad",
            MethodKind::Gradient,
            "Conflict-averse gradient descent: improves the worst task within a ball around the mean gradient",
            {{"c", 0.4, 0.0, 10.0, "radius of the ball around the mean gradient, relative to its norm"},
             {"rescale", 1, 0, 2,
              "divides the direction by 1 (0), 1 + c² (1) or 1 + c (2); every choice gives the mean "
              "gradient for c = 0"}}};
        return info;
    }

protected:
    Aggregation aggregateTasks(const torch::Tensor& gradients, const torch::Tensor&, const StepContext&) override {
        const int k = static_cast<int>(gradients.size(0));
        const gradient::SmallMatrix m = gradient::toSmallMatrix(gradient::gramian(gradients));
        const Vector mean(k, 1.0 / k);
        const double meanNorm = std::sqrt(std::max(gradient::quadraticForm(m, mean), 0.0));

        // lambda scales g_w so that its part of the direction has norm c·|g0|.
        double lambda = 0.0;
        Vector w(k, 0.0);
        if (mC > 0.0 && meanNorm > 0.0) {
            w = solveInnerProblem(m);
            const double combinedNorm = std::sqrt(std::max(gradient::quadraticForm(m, w), 0.0));
            // g_w = 0 means the zero vector is in the convex hull; then the mean gradient is kept.
            if (combinedNorm > 1e-10 * meanNorm) {
                lambda = mC * meanNorm / combinedNorm;
            }
        }

        double divisor = 1.0;
        if (mRescale == 1) {
            divisor = 1.0 + mC * mC;
        } else if (mRescale == 2) {
            divisor = 1.0 + mC;
        }
        Vector weights(k);
        for (int i = 0; i < k; ++i) {
            weights[i] = (1.0 / k + lambda * w[i]) / divisor;
        }
        return {gradient::toTensor(weights), gradient::combine(weights, gradients)};
    }

private:
    // Minimizes g_wᵀg0 + c·|g0|·|g_w| over the simplex. The objective scales linearly with M, so M
    // is scaled to a unit mean diagonal first.
    Vector solveInnerProblem(const gradient::SmallMatrix& m) const {
        const int k = m.size;
        double meanDiagonal = 0.0;
        for (int i = 0; i < k; ++i) {
            meanDiagonal += m(i, i) / k;
        }
        gradient::SmallMatrix scaled = m;
        for (double& value : scaled.values) {
            value /= meanDiagonal;
        }
        const Vector mean(k, 1.0 / k);
        const Vector scaledTimesMean = gradient::multiply(scaled, mean);
        const double radius = mC * std::sqrt(std::max(gradient::dot(mean, scaledTimesMean), 0.0));

        const auto objective = [&](const Vector& w, Vector* gradientOut) {
            const Vector mw = gradient::multiply(scaled, w);
            const double squaredNorm = std::max(gradient::dot(w, mw), 0.0);
            const double norm = std::sqrt(squaredNorm);
            if (gradientOut != nullptr) {
                gradientOut->assign(scaledTimesMean.begin(), scaledTimesMean.end());
                if (norm > 1e-12) {
                    for (int i = 0; i < k; ++i) {
                        (*gradientOut)[i] += radius * mw[i] / norm;
                    }
                }
            }
            return gradient::dot(w, scaledTimesMean) + radius * norm;
        };
        return gradient::minimizeOnSimplex(objective, mean, 2000, 1e-12);
    }

    double mC;
    int mRescale = 1;
};

}  // namespace

std::pair<MethodInfo, MethodFactory> registerCaGrad() {
    return {CaGrad::describe(),
            [](const std::map<std::string, double>& params) { return std::make_unique<CaGrad>(params); }};
}

}  // namespace mtlw
