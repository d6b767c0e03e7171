// STCH: smooth Tchebycheff scalarization. Lin, Zhang, Yang, Liu, Wang and Zhang, "Smooth Tchebycheff
// Scalarization for Multi-Objective Optimization", ICML 2024. A log-sum-exp smoothing of
// max_i (f_i - z_i): total = k · mu · log Σ_i exp((f_i - z_i) / mu), which tends to k · max_i (f_i - z_i)
// as mu -> 0. As in the authors' multi-task code, f_i = log L_i and z_i = log of a nadir loss:
// the first `warmup_epochs` epochs train on Σ_i log L_i, and the mean training loss of each task in
// the last warmup epoch becomes its nadir value. The reported weights are the gradient factors
// ∂total/∂L_i = k · softmax_i((f - z) / mu) / L_i (1 / L_i during the warmup).
// Cost per step: one backward pass.
#include "methods/LossChecks.h"
#include "methods/Registrations.h"
#include "util/Errors.h"

#include <cmath>

namespace mtlw {
namespace {

// Losses below this value are raised to it before the logarithm, so a loss of 0 stays finite.
// A raised loss gets no gradient and weight 0.
constexpr double kMinLoss = 1e-8;

class SmoothTchebycheff final : public BalancingMethod {
public:
    SmoothTchebycheff(double mu, int warmupEpochs) : mMu(mu), mWarmupEpochs(warmupEpochs) {}

    const MethodInfo& info() const override { return describe(); }

    static const MethodInfo& describe() {
        static const MethodInfo info{
            "stch", "STCH", MethodKind::LossWeighting,
            "Smooth Tchebycheff scalarization: smoothed maximum of the log losses over a nadir point (Lin et al., 2024)",
            {{"mu", 1.0, 1e-4, 100.0, "Smoothing parameter; smaller values approach the maximum of the task terms"},
             {"warmup_epochs", 5.0, 0.0, 10000.0,
              "Epochs trained on the sum of log losses before STCH starts; the last one sets the nadir point. "
              "With 0, STCH starts at once with nadir losses of 1"}}};
        return info;
    }

    void reset(int taskCount, const torch::Device& device) override {
        mNadir = torch::Tensor();
        mLastEpochMeans = torch::Tensor();
    }

    torch::Tensor combineLosses(const torch::Tensor& taskLosses, const StepContext& context) override {
        checkTaskLosses(taskLosses, info().name, true);
        const int64_t k = taskLosses.size(0);
        const torch::Tensor clamped = taskLosses.clamp_min(kMinLoss);
        const torch::Tensor losses = taskLosses.detach().to(torch::kCPU, torch::kDouble);
        const torch::Tensor passesGradient = losses >= kMinLoss;

        if (mWarmupEpochs > 0 && context.epoch <= mWarmupEpochs) {
            mLastWeights = torch::where(passesGradient, 1.0 / losses.clamp_min(kMinLoss), torch::zeros_like(losses));
            return torch::log(clamped).sum();
        }

        if (!mNadir.defined()) {
            mNadir = nadirFrom(mLastEpochMeans, k);
        }
        if (mNadir.size(0) != k) {
            throw std::invalid_argument("stch: expected " + std::to_string(mNadir.size(0)) +
                                        " task losses, the task count of its nadir point, got " + std::to_string(k) +
                                        "; call reset() with the new task count");
        }
        const torch::Tensor logNadir = torch::log(mNadir).to(taskLosses.device(), taskLosses.scalar_type());
        const torch::Tensor terms = (torch::log(clamped) - logNadir) / mMu;
        const torch::Tensor total = static_cast<double>(k) * mMu * torch::logsumexp(terms, 0);

        const torch::Tensor shares = torch::softmax(terms.detach().to(torch::kCPU, torch::kDouble), 0);
        mLastWeights = torch::where(passesGradient, static_cast<double>(k) * shares / losses.clamp_min(kMinLoss),
                                    torch::zeros_like(losses));
        return total;
    }

    void endEpoch(const std::vector<double>& meanTaskLosses) override {
        mLastEpochMeans = torch::tensor(meanTaskLosses, torch::kDouble);
    }

    void save(torch::serialize::OutputArchive& archive) const override {
        archive.write("stch_nadir", mNadir.defined() ? mNadir : torch::empty({0}, torch::kDouble));
        archive.write("stch_last_epoch_means",
                      mLastEpochMeans.defined() ? mLastEpochMeans : torch::empty({0}, torch::kDouble));
    }

    void load(torch::serialize::InputArchive& archive) override {
        torch::Tensor nadir;
        torch::Tensor means;
        archive.read("stch_nadir", nadir);
        archive.read("stch_last_epoch_means", means);
        mNadir = nadir.numel() > 0 ? nadir.to(torch::kDouble) : torch::Tensor();
        mLastEpochMeans = means.numel() > 0 ? means.to(torch::kDouble) : torch::Tensor();
    }

private:
    // A task without a usable mean loss (no warmup, or a mean that is 0 or not finite) gets nadir 1,
    // which leaves its log loss unshifted.
    static torch::Tensor nadirFrom(const torch::Tensor& means, int64_t k) {
        torch::Tensor nadir = torch::ones({k}, torch::kDouble);
        if (!means.defined() || means.size(0) != k) {
            return nadir;
        }
        for (int64_t task = 0; task < k; ++task) {
            const double mean = means[task].item<double>();
            if (std::isfinite(mean) && mean > 0.0) {
                nadir[task] = mean;
            }
        }
        return nadir;
    }

    double mMu;
    int mWarmupEpochs;
    torch::Tensor mNadir;
    torch::Tensor mLastEpochMeans;
};

}  // namespace

std::pair<MethodInfo, MethodFactory> registerSmoothTchebycheff() {
    return {SmoothTchebycheff::describe(), [](const std::map<std::string, double>& params) {
                const double warmupEpochs = params.at("warmup_epochs");
                if (warmupEpochs != std::floor(warmupEpochs)) {
                    throw InputError("stch parameter warmup_epochs must be a whole number of epochs, got " +
                                     std::to_string(warmupEpochs));
                }
                return std::make_unique<SmoothTchebycheff>(params.at("mu"), static_cast<int>(warmupEpochs));
            }};
}

}  // namespace mtlw
