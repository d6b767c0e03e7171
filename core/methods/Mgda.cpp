// MGDA: Sener & Koltun, "Multi-Task Learning as Multi-Objective Optimization", NeurIPS 2018.
// The update is the minimum-norm point of the convex hull of the task gradients, a common descent
// direction for every task unless the point is Pareto-stationary.
// Cost per step: the Gramian (O(k²d)), a k x k simplex problem, one combination (O(kd)).
#include "methods/GradientMethod.h"
#include "methods/Registrations.h"

#include <algorithm>

namespace mtlw {
namespace {

using gradient::Vector;

class Mgda final : public GradientMethod {
public:
    Mgda(const MethodInfo& info, const std::map<std::string, double>& params)
        : mInfo(info), mMaxIterations(static_cast<int>(params.at("max_iterations"))) {}

    const MethodInfo& info() const override { return mInfo; }

    static const MethodInfo& describe() {
        static const MethodInfo info{
            "mgda",
            "MGDA",
            MethodKind::Gradient,
            "Multiple-gradient descent: minimum-norm point of the convex hull of the task gradients",
            {{"max_iterations", 1000, 1, 100000,
              "maximum iterations of the simplex solver for three or more tasks"}}};
        return info;
    }

    // MGDA-UB (same paper): the same solver on the gradients with respect to the shared
    // representation, an upper bound that needs k backward passes through the heads only.
    static const MethodInfo& describeUpperBound() {
        static const MethodInfo info = [] {
            MethodInfo upperBound = describe();
            upperBound.name = "mgda_ub";
            upperBound.displayName = "MGDA-UB";
            upperBound.summary = "MGDA on the gradients with respect to the shared representation (upper bound)";
            upperBound.usesRepresentation = true;
            return upperBound;
        }();
        return info;
    }

protected:
    Aggregation aggregateTasks(const torch::Tensor& gradients, const torch::Tensor&, const StepContext&) override {
        const int taskCount = static_cast<int>(gradients.size(0));
        const gradient::SmallMatrix full = gradient::toSmallMatrix(gradient::gramian(gradients));

        // A task with an exactly zero gradient would make the minimum-norm point zero and stop
        // training for all tasks, so such tasks are left out and get weight 0.
        const std::vector<int> tasks = gradient::nonzeroTasks(full);
        Vector weights(taskCount, 0.0);
        if (!tasks.empty()) {
            weights = gradient::expand(solveMinNorm(gradient::submatrix(full, tasks)), tasks, taskCount);
        }
        return {gradient::toTensor(weights), gradient::combine(weights, gradients)};
    }

private:
    Vector solveMinNorm(const gradient::SmallMatrix& m) const {
        const int n = m.size;
        if (n == 1) {
            return {1.0};
        }
        if (n == 2) {
            // Closed form on the segment: γ = (g2 - g1)·g2 / |g1 - g2|², clipped to [0, 1].
            const double denominator = m(0, 0) + m(1, 1) - 2.0 * m(0, 1);
            const double gamma =
                denominator > 0.0 ? std::clamp((m(1, 1) - m(0, 1)) / denominator, 0.0, 1.0) : 0.5;
            return {gamma, 1.0 - gamma};
        }
        // The weights do not change when M is scaled, so scale it to a unit mean diagonal.
        double meanDiagonal = 0.0;
        for (int i = 0; i < n; ++i) {
            meanDiagonal += m(i, i) / n;
        }
        gradient::SmallMatrix scaled = m;
        for (double& value : scaled.values) {
            value /= meanDiagonal;
        }
        const auto objective = [&scaled](const Vector& w, Vector* gradientOut) {
            const Vector mw = gradient::multiply(scaled, w);
            if (gradientOut != nullptr) {
                *gradientOut = mw;
            }
            return 0.5 * gradient::dot(w, mw);
        };
        return gradient::minimizeOnSimplex(objective, Vector(n, 1.0 / n), mMaxIterations, 1e-12);
    }

    const MethodInfo& mInfo;
    int mMaxIterations;
};

}  // namespace

std::pair<MethodInfo, MethodFactory> registerMgda() {
    return {Mgda::describe(), [](const std::map<std::string, double>& params) {
                return std::make_unique<Mgda>(Mgda::describe(), params);
            }};
}

std::pair<MethodInfo, MethodFactory> registerMgdaUpperBound() {
    return {Mgda::describeUpperBound(), [](const std::map<std::string, double>& params) {
                return std::make_unique<Mgda>(Mgda::describeUpperBound(), params);
            }};
}

}  // namespace mtlw
