#include "model/LinearStack.h"

namespace mtlw {

LinearStackImpl::LinearStackImpl(std::int64_t inFeatures, const std::vector<std::int64_t>& widths, double dropout,
                                 bool activateLast)
    : mDropout(dropout), mActivateLast(activateLast) {
    std::int64_t previous = inFeatures;
    for (size_t i = 0; i < widths.size(); ++i) {
        layers.push_back(register_module("linear" + std::to_string(i), torch::nn::Linear(previous, widths[i])));
        previous = widths[i];
    }
}

torch::Tensor LinearStackImpl::forward(torch::Tensor input) {
    const size_t count = layers.size();
    for (size_t i = 0; i < count; ++i) {
        input = layers[i]->forward(input);
        if (i + 1 < count || mActivateLast) {
            input = torch::relu(input);
            if (mDropout > 0.0) {
                input = torch::dropout(input, mDropout, is_training());
            }
        }
    }
    return input;
}

}  // namespace mtlw
