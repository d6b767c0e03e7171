// DB-MTL: Lin, Jiang, Ye, Zhang, Chen, Chen, Liu and Kwok, "Dual-Balancing for Multi-Task
// Learning", arXiv, 2023. Balances loss scales by differentiating log L_i instead of L_i (gradient
// g_i / L_i), keeps an exponential moving average b_i of those gradients with factor
// beta / t^beta_sigma at step t, and rescales every b_i to the largest norm:
// d = Σ (max_j |b_j| / |b_i|) · b_i.
// Cost per step: O(kd) on the gradients' device for the average and the norms; k x d state.
#include "methods/GradientMethod.h"
#include "methods/Registrations.h"

#include <cmath>
#include <stdexcept>

namespace mtlw {
namespace {

using gradient::Vector;

class DbMtl final : public GradientMethod {
public:
    explicit DbMtl(const std::map<std::string, double>& params)
        : mBeta(params.at("beta")), mBetaSigma(params.at("beta_sigma")) {}

    const MethodInfo& info() const override { return describe(); }

    static const MethodInfo& describe() {
        static const MethodInfo info{
            "dbmtl",
            "DB-MTL",
            MethodKind::Gradient,
            "Dual balancing: log-loss gradients, moving-averaged and scaled to the largest norm",
            {{"beta", 0.9, 0.0, 1.0, "moving-average factor of the log-loss gradients at step 1"},
             {"beta_sigma", 0.5, 0.0, 10.0, "the factor at step t is beta / t^beta_sigma"}}};
        return info;
    }

    void reset(int, const torch::Device&) override {
        mBuffer = torch::Tensor();
        mStep = 0;
    }

    void save(torch::serialize::OutputArchive& archive) const override {
        archive.write("dbmtl_buffer", mBuffer.defined() ? mBuffer : torch::zeros({0, 0}));
        archive.write("dbmtl_step", torch::tensor(mStep, torch::kLong));
    }

    void load(torch::serialize::InputArchive& archive) override {
        torch::Tensor buffer;
        torch::Tensor step;
        archive.read("dbmtl_buffer", buffer);
        archive.read("dbmtl_step", step);
        mBuffer = buffer.numel() == 0 ? torch::Tensor() : buffer;
        mStep = step.item<std::int64_t>();
    }

protected:
    Aggregation aggregateTasks(const torch::Tensor& gradients, const torch::Tensor& taskLosses,
                               const StepContext&) override {
        const int64_t k = gradients.size(0);
        const torch::Tensor losses = checkedLosses(taskLosses, k);

        // d log(L + 1e-8) = g / (L + 1e-8); the offset matches LibMTL and keeps L = 0 finite.
        const torch::Tensor logGradients =
            gradients / (losses.to(gradients.device(), gradients.scalar_type()) + 1e-8).unsqueeze(1);
        if (!mBuffer.defined() || mBuffer.sizes() != gradients.sizes()) {
            mBuffer = torch::zeros_like(gradients);
            mStep = 0;
        } else if (mBuffer.device() != gradients.device() || mBuffer.scalar_type() != gradients.scalar_type()) {
            mBuffer = mBuffer.to(gradients.device(), gradients.scalar_type());
        }
        ++mStep;
        const double factor = mBeta / std::pow(static_cast<double>(mStep), mBetaSigma);
        mBuffer = logGradients + factor * (mBuffer - logGradients);

        const torch::Tensor norms = mBuffer.norm(2, {1}).to(torch::kCPU, torch::kDouble).contiguous();
        const double* normValues = norms.data_ptr<double>();
        double largest = 0.0;
        for (int64_t i = 0; i < k; ++i) {
            largest = std::max(largest, normValues[i]);
        }
        // A zero buffer row has nothing to scale up, so it gets weight 0.
        Vector weights(k, 0.0);
        for (int64_t i = 0; i < k; ++i) {
            weights[i] = normValues[i] > 0.0 ? largest / normValues[i] : 0.0;
        }
        return {gradient::toTensor(weights), gradient::combine(weights, mBuffer)};
    }

private:
    torch::Tensor checkedLosses(const torch::Tensor& taskLosses, int64_t k) const {
        if (!taskLosses.defined() || taskLosses.numel() != k) {
            throw std::invalid_argument("dbmtl: needs one loss value per task (" + std::to_string(k) + "), got " +
                                        (taskLosses.defined() ? std::to_string(taskLosses.numel()) : "none"));
        }
        const torch::Tensor losses = taskLosses.detach().reshape({-1}).to(torch::kCPU, torch::kDouble).contiguous();
        const double* values = losses.data_ptr<double>();
        for (int64_t i = 0; i < k; ++i) {
            if (!std::isfinite(values[i]) || values[i] < 0.0) {
                throw std::invalid_argument("dbmtl: the loss of task " + std::to_string(i) + " is " +
                                            std::to_string(values[i]) +
                                            "; DB-MTL takes the logarithm of each loss, so losses must be finite and "
                                            "non-negative");
            }
        }
        return losses;
    }

    double mBeta;
    double mBetaSigma;
    torch::Tensor mBuffer;
    std::int64_t mStep = 0;
};

}  // namespace

std::pair<MethodInfo, MethodFactory> registerDbMtl() {
    return {DbMtl::describe(), [](const std::map<std::string, double>& params) { return std::make_unique<DbMtl>(params); }};
}

}  // namespace mtlw
