// FAMO: fast adaptive multitask optimization. Liu, Feng, Stone and Liu, "FAMO: Fast Adaptive
// Multitask Optimization", NeurIPS 2023. Learnable logits ξ give z = softmax(ξ), and the loss is
// Σ_i (z_i / c) log(L_i + ε) with c = Σ_j z_j / (L_j + ε) held constant, so the gradient factors
// z_i / (c (L_i + ε)) sum to 1; lastWeights() reports them. Before each step the logits take one
// Adam step (learning rate w_lr, L2 weight decay gamma, like the reference's torch.optim.Adam) along
// Jᵀδ, where J is the softmax Jacobian and δ_i = log L_i(before) - log L_i(after) is the decrease of
// task i's log loss. That moves weight towards tasks whose loss decreases slower.
// NOTE: the reference re-evaluates the same batch after the optimizer step to get L(after). The
// engine does not, so here L(before) is the previous step's losses and L(after) the current step's,
// from different batches. The first step has no previous losses and leaves the logits at 0.
// The reference also clips the shared gradient norm to 1 by default; this method does not clip.
// Cost per step: one backward pass and O(k) scalar work.
#include "methods/LossChecks.h"
#include "methods/Registrations.h"

#include <cmath>

namespace mtlw {
namespace {

// Added to every loss before the logarithm, as in the reference, so a loss of 0 stays finite.
constexpr double kLossOffset = 1e-8;
// Adam's defaults in PyTorch, which the reference uses.
constexpr double kBeta1 = 0.9;
constexpr double kBeta2 = 0.999;
constexpr double kAdamEpsilon = 1e-8;

class Famo final : public BalancingMethod {
public:
    Famo(double gamma, double logitLearningRate) : mGamma(gamma), mLogitLearningRate(logitLearningRate) {}

    const MethodInfo& info() const override { return describe(); }

    static const MethodInfo& describe() {
        static const MethodInfo info{
            "famo", "FAMO", MethodKind::LossWeighting,
            "Fast adaptive multitask optimization: learned softmax weights on log losses (Liu et al., 2023)",
            {{"gamma", 0.001, 0.0, 1.0, "L2 weight decay of the task logits in their Adam update"},
             {"w_lr", 0.025, 0.0, 10.0, "Adam learning rate of the task logits"}}};
        return info;
    }

    void reset(int taskCount, const torch::Device& device) override { initialize(taskCount); }

    torch::Tensor combineLosses(const torch::Tensor& taskLosses, const StepContext& context) override {
        checkTaskLosses(taskLosses, info().name, true);
        const int64_t k = taskLosses.size(0);
        if (!mLogits.defined()) {
            initialize(k);
        }
        if (mLogits.size(0) != k) {
            throw std::invalid_argument("famo: expected " + std::to_string(mLogits.size(0)) +
                                        " task losses, the task count of its logits, got " + std::to_string(k) +
                                        "; call reset() with the new task count");
        }

        const torch::Tensor shifted = taskLosses.detach().to(torch::kCPU, torch::kDouble) + kLossOffset;
        if (mPreviousLosses.defined()) {
            updateLogits(torch::log(mPreviousLosses) - torch::log(shifted));
        }
        mPreviousLosses = shifted;

        const torch::Tensor shares = torch::softmax(mLogits, 0);
        const torch::Tensor factors = shares / (shares / shifted).sum();
        mLastWeights = factors / shifted;
        const torch::Tensor scale = factors.to(taskLosses.device(), taskLosses.scalar_type());
        return (scale * torch::log(taskLosses + kLossOffset)).sum();
    }

    void save(torch::serialize::OutputArchive& archive) const override {
        const auto orEmpty = [](const torch::Tensor& tensor) {
            return tensor.defined() ? tensor : torch::empty({0}, torch::kDouble);
        };
        archive.write("famo_logits", orEmpty(mLogits));
        archive.write("famo_adam_first_moment", orEmpty(mFirstMoment));
        archive.write("famo_adam_second_moment", orEmpty(mSecondMoment));
        archive.write("famo_adam_steps", torch::tensor(mAdamSteps, torch::kLong));
        archive.write("famo_previous_losses", orEmpty(mPreviousLosses));
    }

    void load(torch::serialize::InputArchive& archive) override {
        const auto orUndefined = [](const torch::Tensor& tensor) {
            return tensor.numel() > 0 ? tensor.to(torch::kDouble) : torch::Tensor();
        };
        torch::Tensor logits, first, second, steps, previous;
        archive.read("famo_logits", logits);
        archive.read("famo_adam_first_moment", first);
        archive.read("famo_adam_second_moment", second);
        archive.read("famo_adam_steps", steps);
        archive.read("famo_previous_losses", previous);
        mLogits = orUndefined(logits);
        mFirstMoment = orUndefined(first);
        mSecondMoment = orUndefined(second);
        mAdamSteps = steps.item<int64_t>();
        mPreviousLosses = orUndefined(previous);
    }

private:
    void initialize(int64_t taskCount) {
        mLogits = torch::zeros({taskCount}, torch::kDouble);
        mFirstMoment = torch::zeros({taskCount}, torch::kDouble);
        mSecondMoment = torch::zeros({taskCount}, torch::kDouble);
        mAdamSteps = 0;
        mPreviousLosses = torch::Tensor();
    }

    // One Adam step on the logits with gradient Jᵀδ = z ⊙ (δ - z·δ), the vector-Jacobian product of
    // the softmax, plus the L2 term gamma·ξ.
    void updateLogits(const torch::Tensor& decrease) {
        const torch::Tensor shares = torch::softmax(mLogits, 0);
        const torch::Tensor gradient = shares * (decrease - (shares * decrease).sum()) + mGamma * mLogits;
        ++mAdamSteps;
        mFirstMoment = kBeta1 * mFirstMoment + (1.0 - kBeta1) * gradient;
        mSecondMoment = kBeta2 * mSecondMoment + (1.0 - kBeta2) * gradient * gradient;
        const double firstCorrection = 1.0 - std::pow(kBeta1, static_cast<double>(mAdamSteps));
        const double secondCorrection = 1.0 - std::pow(kBeta2, static_cast<double>(mAdamSteps));
        const torch::Tensor denominator = mSecondMoment.sqrt() / std::sqrt(secondCorrection) + kAdamEpsilon;
        mLogits = mLogits - (mLogitLearningRate / firstCorrection) * mFirstMoment / denominator;
    }

    double mGamma;
    double mLogitLearningRate;
    /// Task logits ξ and Adam's moment estimates, [k] CPU doubles.
    torch::Tensor mLogits;
    torch::Tensor mFirstMoment;
    torch::Tensor mSecondMoment;
    int64_t mAdamSteps = 0;
    /// The previous step's losses plus kLossOffset, or undefined before the first step.
    torch::Tensor mPreviousLosses;
};

}  // namespace

std::pair<MethodInfo, MethodFactory> registerFamo() {
    return {Famo::describe(), [](const std::map<std::string, double>& params) {
                return std::make_unique<Famo>(params.at("gamma"), params.at("w_lr"));
            }};
}

}  // namespace mtlw
