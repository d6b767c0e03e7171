#include "engine/RoutingRecords.h"

namespace mtlw {

std::vector<RoutingStatsRecord> routingRecords(const std::vector<LayerRouting>& layers, std::int64_t runId,
                                               std::int64_t step, int epoch) {
    std::vector<RoutingStatsRecord> records;
    for (const auto& layer : layers) {
        if (!layer.gateMean.defined()) {
            continue;
        }
        for (size_t r = 0; r < layer.rows.size(); ++r) {
            const auto row = static_cast<std::int64_t>(r);
            RoutingStatsRecord record;
            record.runId = runId;
            record.step = step;
            record.epoch = epoch;
            record.layer = layer.layer;
            record.task = layer.rows[r];
            record.topK = layer.topK;
            record.balanceLoss = layer.balanceLoss[row].item<double>();
            record.experts = layer.experts;
            for (size_t e = 0; e < layer.experts.size(); ++e) {
                const auto expert = static_cast<std::int64_t>(e);
                record.gateMean.push_back(layer.gateMean[row][expert].item<double>());
                record.topKFraction.push_back(layer.topKFraction[row][expert].item<double>());
            }
            records.push_back(std::move(record));
        }
    }
    return records;
}

void accumulateGradients(const std::vector<torch::Tensor>& parameters, const std::vector<torch::Tensor>& gradients) {
    for (size_t p = 0; p < parameters.size() && p < gradients.size(); ++p) {
        if (!gradients[p].defined()) {
            continue;
        }
        torch::Tensor& gradient = parameters[p].mutable_grad();
        if (gradient.defined()) {
            gradient.add_(gradients[p]);
        } else {
            gradient = gradients[p].clone();
        }
    }
}

}  // namespace mtlw
