// Aligned-MTL: Senushkin, Patakin, Kuznetsov and Konushin, "Independent Component Alignment for
// Multi-Task Learning", CVPR 2023. Aligns the task gradients so that the linear system they form
// has condition number 1: with the Gramian M = V Λ Vᵀ (rank r), B = √λ_min · V Λ^(-1/2) Vᵀ and the
// weights are α = B·1, so the aligned gradients BG are orthogonal with equal norm √λ_min, where
// λ_min is the smallest non-zero eigenvalue.
// Cost per step: the Gramian (O(k²d)), a k x k eigendecomposition (O(k³)), one combination (O(kd)).
#include "methods/GradientMethod.h"
#include "methods/Registrations.h"

#include <cmath>
#include <limits>

namespace mtlw {
namespace {

class AlignedMtl final : public GradientMethod {
public:
    explicit AlignedMtl(const std::map<std::string, double>&) {}

    const MethodInfo& info() const override { return describe(); }

    static const MethodInfo& describe() {
        static const MethodInfo info{
            "alignedmtl", "Aligned-MTL", MethodKind::Gradient,
            "Aligns the task gradients to an orthogonal, equal-norm system scaled by the smallest eigenvalue", {}};
        return info;
    }

protected:
    Aggregation aggregateTasks(const torch::Tensor& gradients, const torch::Tensor&, const StepContext&) override {
        const int64_t k = gradients.size(0);
        const torch::Tensor m = gradient::gramian(gradients);
        auto [eigenvalues, eigenvectors] = torch::linalg::eigh(m, "L");

        // Eigenvalues below the round-off level of the Gramian's dtype count as zero (rank cut).
        const double epsilon = gradients.scalar_type() == torch::kDouble ? std::numeric_limits<double>::epsilon()
                                                                         : std::numeric_limits<float>::epsilon();
        const double largest = eigenvalues.max().item<double>();
        const torch::Tensor kept = eigenvalues > largest * static_cast<double>(k) * epsilon;
        if (largest <= 0.0 || kept.sum().item<int64_t>() == 0) {
            const torch::Tensor weights = torch::zeros({k}, torch::kDouble);
            return {weights, gradient::combine(weights, gradients)};
        }
        const torch::Tensor values = eigenvalues.index({kept});
        const torch::Tensor vectors = eigenvectors.index({torch::indexing::Slice(), kept});
        const double smallest = values.min().item<double>();

        const torch::Tensor b = std::sqrt(smallest) * torch::mm(vectors * values.rsqrt().unsqueeze(0), vectors.t());
        const torch::Tensor weights = b.sum(1).contiguous();
        return {weights, gradient::combine(weights, gradients)};
    }
};

}  // namespace

std::pair<MethodInfo, MethodFactory> registerAlignedMtl() {
    return {AlignedMtl::describe(),
            [](const std::map<std::string, double>& params) { return std::make_unique<AlignedMtl>(params); }};
}

}  // namespace mtlw
