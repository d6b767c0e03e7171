// A stack of linear layers with ReLU and dropout, shared by the MLP backbone block and task heads.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace mtlw {

struct LinearStackImpl : torch::nn::Module {
    /// Linear layers of the given widths after `inFeatures`. ReLU (then dropout, if > 0) follows
    /// every layer except the last when `activateLast` is false.
    LinearStackImpl(std::int64_t inFeatures, const std::vector<std::int64_t>& widths, double dropout, bool activateLast);

    torch::Tensor forward(torch::Tensor input);

    std::vector<torch::nn::Linear> layers;
    double mDropout;
    bool mActivateLast;
};
TORCH_MODULE(LinearStack);

}  // namespace mtlw
