#include "engine/GradientDiagnostics.h"

#include <cmath>

namespace mtlw {

GradientStatsRecord gradientStats(const torch::Tensor& gradients, const std::vector<std::string>& tasks,
                                  const torch::Tensor& weights) {
    const torch::Tensor gramian =
        torch::matmul(gradients, gradients.t()).to(torch::kCPU, torch::kDouble).contiguous();
    const auto k = static_cast<size_t>(gramian.size(0));
    const double* values = gramian.data_ptr<double>();

    GradientStatsRecord record;
    record.tasks = tasks;
    for (size_t i = 0; i < k; ++i) {
        record.norms.push_back(std::sqrt(std::max(0.0, values[i * k + i])));
    }
    if (weights.defined() && static_cast<size_t>(weights.numel()) == k) {
        const torch::Tensor cpuWeights = weights.to(torch::kCPU, torch::kDouble).contiguous();
        record.weights.assign(cpuWeights.data_ptr<double>(), cpuWeights.data_ptr<double>() + k);
    }
    record.cosine.assign(k, std::vector<double>(k, 1.0));
    record.magnitudeSimilarity.assign(k, std::vector<double>(k, 1.0));
    size_t conflicts = 0;
    for (size_t i = 0; i < k; ++i) {
        for (size_t j = i + 1; j < k; ++j) {
            const double normProduct = record.norms[i] * record.norms[j];
            const double cosine = normProduct > 0.0 ? std::clamp(values[i * k + j] / normProduct, -1.0, 1.0) : 0.0;
            const double squares = values[i * k + i] + values[j * k + j];
            const double magnitude = squares > 0.0 ? 2.0 * normProduct / squares : 1.0;
            record.cosine[i][j] = record.cosine[j][i] = cosine;
            record.magnitudeSimilarity[i][j] = record.magnitudeSimilarity[j][i] = magnitude;
            if (cosine < 0.0) {
                ++conflicts;
            }
        }
    }
    const size_t pairs = k * (k - 1) / 2;
    record.conflictFraction = pairs > 0 ? static_cast<double>(conflicts) / pairs : 0.0;
    return record;
}

}  // namespace mtlw
