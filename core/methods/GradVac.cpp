// GradVac: Wang, Tsvetkov, Firat and Cao, "Gradient Vaccine: Investigating and Improving Multi-task
// Optimization in Massively Multilingual Models", ICLR 2021. Keeps an exponential moving average
// of the cosine similarity of every task pair as a target and, when a pair's similarity falls
// below its target, adds enough of the other gradient to reach it; the results are summed.
// Cost per step: the Gramian (O(k²d)), O(k⁴) scalar work on it, one combination (O(kd));
// k x k state.
#include "methods/GradientMethod.h"
#include "methods/Registrations.h"

#include <algorithm>
#include <cmath>

namespace mtlw {
namespace {

class GradVac final : public GradientMethod {
public:
    explicit GradVac(const std::map<std::string, double>& params) : mBeta(params.at("beta")) {}

    const MethodInfo& info() const override { return describe(); }

    static const MethodInfo& describe() {
        static const MethodInfo info{
            "gradvac",
            "GradVac",
            MethodKind::Gradient,
            "Gradient vaccine: aligns task gradient pairs to a moving-average cosine similarity target",
            {{"beta", 0.5, 0.0, 1.0, "weight of the newest cosine similarity in the moving-average target"}}};
        return info;
    }

    void reset(int taskCount, const torch::Device&) override {
        mTargets = torch::zeros({taskCount, taskCount}, torch::kDouble);
    }

    void save(torch::serialize::OutputArchive& archive) const override {
        archive.write("gradvac_targets", mTargets.defined() ? mTargets : torch::zeros({0, 0}, torch::kDouble));
    }

    void load(torch::serialize::InputArchive& archive) override {
        torch::Tensor targets;
        archive.read("gradvac_targets", targets);
        mTargets = targets.numel() == 0 ? torch::Tensor() : targets.to(torch::kCPU, torch::kDouble).contiguous();
    }

protected:
    Aggregation aggregateTasks(const torch::Tensor& gradients, const torch::Tensor&,
                               const StepContext& context) override {
        const int k = static_cast<int>(gradients.size(0));
        if (!mTargets.defined() || mTargets.size(0) != k) {
            reset(k, gradients.device());
        }
        const gradient::SmallMatrix m = gradient::toSmallMatrix(gradient::gramian(gradients));
        auto targets = mTargets.accessor<double, 2>();

        // Row i of `coefficients` expresses the adjusted gradient i in the original gradients.
        gradient::SmallMatrix coefficients(k);
        for (int i = 0; i < k; ++i) {
            coefficients(i, i) = 1.0;
        }
        for (int i = 0; i < k; ++i) {
            for (int j : gradient::randomPermutation(k, context.generator)) {
                if (j == i || m(j, j) <= 0.0) {
                    continue;
                }
                double adjustedDotJ = 0.0;
                double adjustedSquared = 0.0;
                for (int l = 0; l < k; ++l) {
                    adjustedDotJ += coefficients(i, l) * m(l, j);
                    for (int r = 0; r < k; ++r) {
                        adjustedSquared += coefficients(i, l) * m(l, r) * coefficients(i, r);
                    }
                }
                if (adjustedSquared <= 0.0) {
                    continue;
                }
                const double adjustedNorm = std::sqrt(adjustedSquared);
                const double normJ = std::sqrt(m(j, j));
                const double cosine = std::clamp(adjustedDotJ / (adjustedNorm * normJ), -1.0, 1.0);
                // A target of exactly ±1 would need an infinite correction, so it is kept inside.
                const double target = std::clamp(targets[i][j], -1.0 + 1e-8, 1.0 - 1e-8);
                if (cosine < target) {
                    const double targetSine = std::sqrt(1.0 - target * target);
                    const double scale = adjustedNorm *
                                         (target * std::sqrt(1.0 - cosine * cosine) - cosine * targetSine) /
                                         (normJ * targetSine);
                    coefficients(i, j) += scale;
                }
                // The target follows every pair at every step. NOTE: LibMTL (GradVac.py) updates
                // it only when the correction is applied.
                targets[i][j] = (1.0 - mBeta) * targets[i][j] + mBeta * cosine;
            }
        }

        gradient::Vector weights(k, 0.0);
        for (int i = 0; i < k; ++i) {
            for (int j = 0; j < k; ++j) {
                weights[j] += coefficients(i, j);
            }
        }
        return {gradient::toTensor(weights), gradient::combine(weights, gradients)};
    }

private:
    double mBeta;
    torch::Tensor mTargets;
};

}  // namespace

std::pair<MethodInfo, MethodFactory> registerGradVac() {
    return {GradVac::describe(),
            [](const std::map<std::string, double>& params) { return std::make_unique<GradVac>(params); }};
}

}  // namespace mtlw
