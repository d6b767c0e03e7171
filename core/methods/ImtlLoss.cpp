// IMTL-L: the loss part of Liu et al., "Towards Impartial Multi-task Learning", ICLR 2021.
// Each task's loss is scaled to e^{s_i} L_i - s_i with a learnable s_i trained with the model,
// which pushes every scaled loss towards 1. The full method, IMTL-G on the scaled losses, is "imtl".
// Cost per step: one backward pass and k extra parameters, as UW.
#include "methods/LossChecks.h"
#include "methods/LossScales.h"
#include "methods/Registrations.h"

namespace mtlw {
namespace {

class ImtlLoss final : public BalancingMethod {
public:
    const MethodInfo& info() const override { return describe(); }

    static const MethodInfo& describe() {
        static const MethodInfo info{
            "imtl_l", "IMTL-L", MethodKind::LossWeighting,
            "Impartial MTL (loss part): learnable scales that drive every scaled loss towards 1", {}};
        return info;
    }

    void reset(int taskCount, const torch::Device& device) override { mScales.reset(taskCount, device); }

    std::vector<torch::Tensor> parameters() override { return mScales.parameters(); }

    torch::Tensor combineLosses(const torch::Tensor& taskLosses, const StepContext&) override {
        checkTaskLosses(taskLosses, info().name, false);
        mLastWeights = mScales.factors();
        return mScales.apply(taskLosses).sum();
    }

    void save(torch::serialize::OutputArchive& archive) const override { mScales.save(archive); }
    void load(torch::serialize::InputArchive& archive) override { mScales.load(archive); }

private:
    LearnableLossScales mScales;
};

}  // namespace

std::pair<MethodInfo, MethodFactory> registerImtlLoss() {
    return {ImtlLoss::describe(), [](const std::map<std::string, double>&) { return std::make_unique<ImtlLoss>(); }};
}

}  // namespace mtlw
