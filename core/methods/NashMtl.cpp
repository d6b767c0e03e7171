// Nash-MTL: Navon, Shamsian, Achituve, Maron, Kawaguchi, Chechik and Fetaya, "Multi-Task Learning
// as a Bargaining Game", ICML 2022. The weights are the Nash bargaining solution α > 0 of
// (G Gᵀ) α = 1/α; the update is Σ α_i g_i, clipped to norm max_norm.
// The reference solves the equation with a sequence of convex programs (cvxpy); here damped Newton
// steps minimize the equivalent convex potential ½ αᵀGGᵀα - Σ log α_i on the k x k Gramian.
// Cost per step: the Gramian (O(k²d)), up to optim_niter k x k Cholesky solves (O(k³) each),
// one combination (O(kd)).
#include "methods/GradientMethod.h"
#include "methods/Registrations.h"

#include <cmath>

namespace mtlw {
namespace {

using gradient::Vector;

class NashMtl final : public GradientMethod {
public:
    explicit NashMtl(const std::map<std::string, double>& params)
        : mUpdateEvery(static_cast<std::int64_t>(params.at("update_weights_every"))),
          mIterations(static_cast<int>(params.at("optim_niter"))),
          mMaxNorm(params.at("max_norm")) {}

    const MethodInfo& info() const override { return describe(); }

    static const MethodInfo& describe() {
        static const MethodInfo info{
            "nashmtl",
            "Nash-MTL",
            MethodKind::Gradient,
            "Nash bargaining between tasks: weights solve (G Gᵀ) α = 1/α",
            {{"update_weights_every", 1, 1, 1000000, "recompute the weights every this many steps"},
             {"optim_niter", 20, 1, 1000, "maximum Newton steps of the weight solver"},
             {"max_norm", 1.0, 0.0, 1e6, "clip the update to this norm; 0 disables clipping"}}};
        return info;
    }

    void reset(int, const torch::Device&) override {
        mCalls = 0;
        mWeights.clear();
    }

    void save(torch::serialize::OutputArchive& archive) const override {
        archive.write("nashmtl_weights", gradient::toTensor(mWeights));
        archive.write("nashmtl_calls", torch::tensor(mCalls, torch::kLong));
    }

    void load(torch::serialize::InputArchive& archive) override {
        torch::Tensor weights;
        torch::Tensor calls;
        archive.read("nashmtl_weights", weights);
        archive.read("nashmtl_calls", calls);
        weights = weights.to(torch::kCPU, torch::kDouble).contiguous();
        mWeights.assign(weights.data_ptr<double>(), weights.data_ptr<double>() + weights.numel());
        mCalls = calls.item<std::int64_t>();
    }

protected:
    Aggregation aggregateTasks(const torch::Tensor& gradients, const torch::Tensor&, const StepContext&) override {
        const int k = static_cast<int>(gradients.size(0));
        const bool due = mCalls % mUpdateEvery == 0 || static_cast<int>(mWeights.size()) != k;
        ++mCalls;
        if (due) {
            mWeights = solveWeights(gradients, k);
        }

        torch::Tensor direction = gradient::combine(mWeights, gradients);
        if (mMaxNorm > 0.0) {
            const double norm = direction.norm().item<double>();
            if (norm > mMaxNorm) {
                direction = direction * (mMaxNorm / norm);
            }
        }
        return {gradient::toTensor(mWeights), direction};
    }

private:
    Vector solveWeights(const torch::Tensor& gradients, int k) const {
        const gradient::SmallMatrix full = gradient::toSmallMatrix(gradient::gramian(gradients));
        // With a zero gradient the equation has no solution (α_i → ∞), so such tasks get weight 0.
        const std::vector<int> tasks = gradient::nonzeroTasks(full);
        if (tasks.empty()) {
            return Vector(k, 0.0);
        }
        // Warm start from the previous weights, as the reference does.
        Vector start;
        if (static_cast<int>(mWeights.size()) == k) {
            for (int task : tasks) {
                start.push_back(mWeights[task]);
            }
        }
        const Vector solved =
            gradient::solvePowerBalance(gradient::submatrix(full, tasks), 1.0, mIterations, start);
        return gradient::expand(solved, tasks, k);
    }

    std::int64_t mUpdateEvery;
    int mIterations;
    double mMaxNorm;
    std::int64_t mCalls = 0;
    Vector mWeights;
};

}  // namespace

std::pair<MethodInfo, MethodFactory> registerNashMtl() {
    return {NashMtl::describe(),
            [](const std::map<std::string, double>& params) { return std::make_unique<NashMtl>(params); }};
}

}  // namespace mtlw
