// GradDrop: Chen, Ngiam, Huang, Luong, Kretzschmar, Chai and Anguelov, "Just Pick a Sign:
// Optimizing Deep Multitask Models with Gradient Sign Dropout", NeurIPS 2020. Per coordinate it
// computes the sign purity P = ½(1 + Σg_i / Σ|g_i|), draws U ~ Uniform[0, 1) and keeps only the
// positive parts when P > U and only the negative parts when P < U; the kept parts are summed.
// NOTE: the paper applies this to the gradient at a shared activation (the input of the task
// heads); here it is applied to the gradient on the shared parameters, as the engine provides.
// Cost per step: O(kd) element-wise work on the gradients' device and d random numbers.
#include "methods/GradientMethod.h"
#include "methods/Registrations.h"

namespace mtlw {
namespace {

class GradDrop final : public GradientMethod {
public:
    explicit GradDrop(const std::map<std::string, double>& params) : mLeak(params.at("leak")) {}

    const MethodInfo& info() const override { return describe(); }

    static const MethodInfo& describe() {
        static const MethodInfo info{
            "graddrop",
            "GradDrop",
            MethodKind::Gradient,
            "Gradient sign dropout: keeps one sign per coordinate, chosen at random by sign purity",
            {{"leak", 0.0, 0.0, 1.0, "fraction of every task gradient that passes without the sign mask"}}};
        return info;
    }

protected:
    Aggregation aggregateTasks(const torch::Tensor& gradients, const torch::Tensor&,
                               const StepContext& context) override {
        const torch::Tensor signedSum = gradients.sum(0);
        const torch::Tensor absoluteSum = gradients.abs().sum(0);
        // Coordinates where every task gradient is zero get P = ½; they contribute nothing anyway.
        const torch::Tensor hasMass = absoluteSum > 0;
        const torch::Tensor purity =
            0.5 * (1.0 + torch::where(hasMass, signedSum / torch::where(hasMass, absoluteSum, torch::ones_like(absoluteSum)),
                                      torch::zeros_like(signedSum)));

        // Draw on the generator's device (the CPU generator cannot fill a CUDA tensor), then move.
        c10::optional<torch::Generator> source;
        torch::Device drawDevice = torch::kCPU;
        if (context.generator != nullptr) {
            source = *context.generator;
            drawDevice = context.generator->device();
        }
        const torch::Tensor uniform =
            torch::rand({gradients.size(1)}, source, torch::TensorOptions().dtype(gradients.scalar_type()).device(drawDevice))
                .to(gradients.device());

        const torch::Tensor keepPositive = (purity > uniform).unsqueeze(0);
        const torch::Tensor keepNegative = (purity < uniform).unsqueeze(0);
        const torch::Tensor mask = (keepPositive & (gradients > 0)) | (keepNegative & (gradients < 0));
        const torch::Tensor masked = gradients * mask.to(gradients.scalar_type());
        torch::Tensor direction = masked.sum(0);
        if (mLeak > 0.0) {
            direction = mLeak * signedSum + (1.0 - mLeak) * direction;
        }
        // GradDrop masks coordinates, so it has no per-task weights.
        return {torch::Tensor(), direction};
    }

private:
    double mLeak;
};

}  // namespace

std::pair<MethodInfo, MethodFactory> registerGradDrop() {
    return {GradDrop::describe(),
            [](const std::map<std::string, double>& params) { return std::make_unique<GradDrop>(params); }};
}

}  // namespace mtlw
