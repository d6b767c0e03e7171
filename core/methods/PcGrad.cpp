// PCGrad: Yu, Kumar, Gupta, Levine, Hausman and Finn, "Gradient Surgery for Multi-Task Learning",
// NeurIPS 2020. Each task gradient is projected onto the normal plane of every other task gradient
// it conflicts with (negative inner product), in a random order per task; the results are summed.
// Cost per step: the Gramian (O(k²d)), O(k³) work on it, one combination (O(kd)).
#include "methods/GradientMethod.h"
#include "methods/Registrations.h"

namespace mtlw {
namespace {

class PcGrad final : public GradientMethod {
public:
    explicit PcGrad(const std::map<std::string, double>&) {}

    const MethodInfo& info() const override { return describe(); }

    static const MethodInfo& describe() {
        static const MethodInfo info{"pcgrad", "PCGrad", MethodKind::Gradient,
                                     "Gradient surgery: removes conflicting components between task gradients",
                                     {}};
        return info;
    }

protected:
    Aggregation aggregateTasks(const torch::Tensor& gradients, const torch::Tensor&,
                               const StepContext& context) override {
        const int k = static_cast<int>(gradients.size(0));
        const gradient::SmallMatrix m = gradient::toSmallMatrix(gradient::gramian(gradients));

        // Every projected gradient is a combination of the original ones: row i of `coefficients`
        // holds its coefficients, so all inner products come from the Gramian.
        gradient::SmallMatrix coefficients(k);
        for (int i = 0; i < k; ++i) {
            coefficients(i, i) = 1.0;
        }
        for (int i = 0; i < k; ++i) {
            for (int j : gradient::randomPermutation(k, context.generator)) {
                if (j == i || m(j, j) <= 0.0) {
                    continue;
                }
                double projectedDotJ = 0.0;
                for (int l = 0; l < k; ++l) {
                    projectedDotJ += coefficients(i, l) * m(l, j);
                }
                if (projectedDotJ < 0.0) {
                    coefficients(i, j) -= projectedDotJ / m(j, j);
                }
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
};

}  // namespace

std::pair<MethodInfo, MethodFactory> registerPcGrad() {
    return {PcGrad::describe(),
            [](const std::map<std::string, double>& params) { return std::make_unique<PcGrad>(params); }};
}

}  // namespace mtlw
