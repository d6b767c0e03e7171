#include "methods/LossScales.h"

namespace mtlw {
namespace {

constexpr const char* kArchiveKey = "imtl_loss_scales";

}  // namespace

void LearnableLossScales::reset(int taskCount, const torch::Device& device) {
    mScales = torch::zeros({taskCount}, torch::TensorOptions().dtype(torch::kFloat32).device(device))
                  .set_requires_grad(true);
}

torch::Tensor LearnableLossScales::apply(const torch::Tensor& taskLosses) const {
    const torch::Tensor scales = mScales.to(taskLosses.scalar_type());
    return torch::exp(scales) * taskLosses - scales;
}

torch::Tensor LearnableLossScales::factors() const {
    return torch::exp(mScales.detach()).to(torch::kCPU);
}

void LearnableLossScales::save(torch::serialize::OutputArchive& archive) const {
    archive.write(kArchiveKey, mScales.detach());
}

void LearnableLossScales::load(torch::serialize::InputArchive& archive) {
    torch::Tensor stored;
    // A checkpoint written before IMTL learned loss scales has none; the scales then stay at 0.
    if (archive.try_read(kArchiveKey, stored)) {
        torch::NoGradGuard noGrad;
        mScales.copy_(stored);
    }
}

}  // namespace mtlw
