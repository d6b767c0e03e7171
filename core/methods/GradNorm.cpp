// GradNorm: Chen, Badrinarayanan, Lee and Rabinovich, "GradNorm: Gradient Normalization for Adaptive
// Loss Balancing in Deep Multitask Networks", ICML 2018. Learnable task weights w (Σw = k) are
// moved so that each weighted gradient norm |w_i g_i| approaches the target Ḡ · r_i^alpha, where Ḡ
// is the mean weighted norm and r_i = (L_i / L_i(0)) / mean_j (L_j / L_j(0)) is task i's inverse
// training rate. A task whose loss falls slower than the others (r_i > 1) gains weight.
// The direction is Σ w_i g_i with the weights before the update. The update then changes w for
// the next step, as in the paper. L_i(0) is the loss at the first aggregated step.
// Differences from the paper: the norms come from the gradients on all shared parameters (the rows
// of G, which the engine already computes), where the paper uses the last shared layer's weights.
// The weights take an analytic gradient step on Σ_i |w_i |g_i| - target_i| with the targets held
// constant, projected onto the plane Σw = k and divided by the mean gradient norm, so that w_lr
// does not depend on the loss scale. The paper trains w with the model's optimizer. Each weight is
// raised to at least 1e-3 before the renormalization to sum k.
// Cost per step: k gradient norms (O(kd)) and one combination (O(kd)).
#include "methods/GradientMethod.h"
#include "methods/LossChecks.h"
#include "methods/Registrations.h"

#include <cmath>

namespace mtlw {
namespace {

// Lower bound on a task weight before renormalization, so no task is switched off for good.
constexpr double kMinWeight = 1e-3;

class GradNorm final : public GradientMethod {
public:
    GradNorm(double alpha, double weightLearningRate) : mAlpha(alpha), mWeightLearningRate(weightLearningRate) {}

    const MethodInfo& info() const override { return describe(); }

    static const MethodInfo& describe() {
        static const MethodInfo info{
            "gradnorm", "GradNorm", MethodKind::Gradient,
            "Gradient normalization: learns task weights that equalize weighted gradient norms (Chen et al., 2018)",
            {{"alpha", 1.5, 0.0, 10.0, "Strength of the pull towards a common training rate; 0 equalizes the norms"},
             {"w_lr", 0.025, 0.0, 10.0, "Step size of the task weights, relative to the mean gradient norm"}}};
        return info;
    }

    void reset(int taskCount, const torch::Device& device) override {
        mWeights = torch::ones({taskCount}, torch::kDouble);
        mInitialLosses = torch::Tensor();
    }

    void save(torch::serialize::OutputArchive& archive) const override {
        archive.write("gradnorm_weights", mWeights.defined() ? mWeights : torch::empty({0}, torch::kDouble));
        archive.write("gradnorm_initial_losses",
                      mInitialLosses.defined() ? mInitialLosses : torch::empty({0}, torch::kDouble));
    }

    void load(torch::serialize::InputArchive& archive) override {
        torch::Tensor weights;
        torch::Tensor initial;
        archive.read("gradnorm_weights", weights);
        archive.read("gradnorm_initial_losses", initial);
        mWeights = weights.numel() > 0 ? weights.to(torch::kDouble) : torch::Tensor();
        mInitialLosses = initial.numel() > 0 ? initial.to(torch::kDouble) : torch::Tensor();
    }

protected:
    Aggregation aggregateTasks(const torch::Tensor& gradients, const torch::Tensor& taskLosses,
                               const StepContext& context) override {
        const int64_t k = gradients.size(0);
        checkTaskLosses(taskLosses, info().name, true);
        if (taskLosses.size(0) != k) {
            throw std::invalid_argument("gradnorm: " + std::to_string(taskLosses.size(0)) + " task losses for " +
                                        std::to_string(k) + " gradient rows; pass one loss per task");
        }
        if (!mWeights.defined()) {
            mWeights = torch::ones({k}, torch::kDouble);
        }
        if (mWeights.size(0) != k) {
            throw std::invalid_argument("gradnorm: expected " + std::to_string(mWeights.size(0)) +
                                        " gradient rows, the task count of its weights, got " + std::to_string(k) +
                                        "; call reset() with the new task count");
        }
        const torch::Tensor losses = taskLosses.detach().to(torch::kCPU, torch::kDouble);
        if (!mInitialLosses.defined()) {
            mInitialLosses = losses.clone();
        }

        Aggregation result;
        result.weights = mWeights.clone();
        result.direction = gradient::combine(result.weights, gradients);

        const torch::Tensor norms = gradients.norm(2, {1}).to(torch::kCPU, torch::kDouble);
        mWeights = updatedWeights(mWeights, norms, inverseTrainingRates(losses));
        return result;
    }

private:
    // r_i = (L_i / L_i(0)) / mean_j (L_j / L_j(0)). A task whose initial loss is 0 has no rate and
    // counts as 1. When every current loss is 0, all rates are 1.
    torch::Tensor inverseTrainingRates(const torch::Tensor& losses) const {
        const torch::Tensor usable = mInitialLosses > 0.0;
        const torch::Tensor ratios =
            torch::where(usable, losses / mInitialLosses.clamp_min(1e-300), torch::ones_like(losses));
        const double mean = ratios.mean().item<double>();
        return mean > 0.0 ? ratios / mean : torch::ones_like(losses);
    }

    torch::Tensor updatedWeights(const torch::Tensor& weights, const torch::Tensor& norms,
                                 const torch::Tensor& rates) const {
        const double meanNorm = norms.mean().item<double>();
        if (!(meanNorm > 0.0)) {
            return weights;
        }
        const double k = static_cast<double>(weights.size(0));
        const torch::Tensor weightedNorms = weights * norms;
        const torch::Tensor targets = weightedNorms.mean() * rates.pow(mAlpha);
        // ∂/∂w_i Σ_j |w_j |g_j| - target_j| with the targets held constant.
        const torch::Tensor gradient = torch::sign(weightedNorms - targets) * norms;
        const torch::Tensor projected = gradient - gradient.mean();
        const torch::Tensor stepped = (weights - mWeightLearningRate * projected / meanNorm).clamp_min(kMinWeight);
        return stepped * (k / stepped.sum());
    }

    double mAlpha;
    double mWeightLearningRate;
    /// Task weights w, [k] CPU doubles that sum to k.
    torch::Tensor mWeights;
    /// Task losses at the first aggregated step, or undefined before it.
    torch::Tensor mInitialLosses;
};

}  // namespace

std::pair<MethodInfo, MethodFactory> registerGradNorm() {
    return {GradNorm::describe(), [](const std::map<std::string, double>& params) {
                return std::make_unique<GradNorm>(params.at("alpha"), params.at("w_lr"));
            }};
}

}  // namespace mtlw
