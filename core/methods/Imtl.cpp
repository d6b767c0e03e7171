// IMTL: Liu, Li, Kuang, Xue, Chen, Yang, Liao and Zhang, "Towards Impartial Multi-task Learning",
// ICLR 2021. The hybrid method of the paper: IMTL-L scales each task's loss to e^{s_i} L_i - s_i
// with learnable s_i, and IMTL-G combines the gradients g_i of the scaled losses with closed-form
// weights α (Σα = 1) such that the update d = Σ α_i g_i has the same projection onto every unit
// task gradient u_i: d·u_1 = d·u_i for all i. loss_scaling = 0 gives IMTL-G alone.
// Cost per step: the Gramian (O(k²d)), a (k-1) x (k-1) pseudo-inverse, one combination (O(kd)).
#include "methods/GradientMethod.h"
#include "methods/LossScales.h"
#include "methods/Registrations.h"
#include "util/Errors.h"

#include <cmath>

namespace mtlw {
namespace {

using gradient::Vector;

class Imtl final : public GradientMethod {
public:
    explicit Imtl(const std::map<std::string, double>& params) {
        const double scaling = params.at("loss_scaling");
        if (scaling != 0.0 && scaling != 1.0) {
            throw InputError("imtl parameter loss_scaling must be 0 (IMTL-G only) or 1 (IMTL-G with IMTL-L), got " +
                             std::to_string(scaling));
        }
        mScaleLosses = scaling == 1.0;
    }

    const MethodInfo& info() const override { return describe(); }

    static const MethodInfo& describe() {
        static const MethodInfo info{
            "imtl", "IMTL", MethodKind::Gradient,
            "Impartial MTL: learnable loss scales, and equal projection of the update onto every unit task gradient",
            {{"loss_scaling", 1.0, 0.0, 1.0, "1 learns IMTL-L loss scales; 0 runs IMTL-G on the raw losses"}}};
        return info;
    }

    void reset(int taskCount, const torch::Device& device) override { mScales.reset(taskCount, device); }

    std::vector<torch::Tensor> parameters() override {
        return mScaleLosses ? mScales.parameters() : std::vector<torch::Tensor>{};
    }

    torch::Tensor scaleLosses(const torch::Tensor& taskLosses) override {
        return mScaleLosses ? mScales.apply(taskLosses) : taskLosses;
    }

    void save(torch::serialize::OutputArchive& archive) const override { mScales.save(archive); }
    void load(torch::serialize::InputArchive& archive) override { mScales.load(archive); }

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
    bool mScaleLosses = true;
    LearnableLossScales mScales;

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
