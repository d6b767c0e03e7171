#include "model/Routing.h"

namespace mtlw {

RoutingState::RoutingState(std::string layer, std::vector<std::string> rows, std::vector<std::string> experts,
                           torch::Tensor allowed, std::int64_t taskRows, std::int64_t topK, double balanceWeight,
                           double miWeight)
    : mLayer(std::move(layer)),
      mRows(std::move(rows)),
      mExperts(std::move(experts)),
      mAllowed(std::move(allowed)),
      mTaskRows(taskRows),
      mTopK(topK),
      mBalanceWeight(balanceWeight),
      mMiWeight(miWeight) {}

torch::Tensor squaredCoefficientOfVariation(const torch::Tensor& values, const torch::Tensor& allowed) {
    const torch::Tensor count = allowed.sum(-1);
    const torch::Tensor mean = (values * allowed).sum(-1) / count;
    const torch::Tensor variance = ((values - mean.unsqueeze(-1)).pow(2) * allowed).sum(-1) / count;
    return variance / (mean.pow(2) + 1e-10);
}

torch::Tensor taskExpertMutualInformation(const torch::Tensor& probabilities) {
    const auto tasks = probabilities.size(0);
    // p(t, e) with p(t) = 1 / tasks; p(e) is the column sum.
    const torch::Tensor joint = probabilities.mean(1) / static_cast<double>(tasks);
    const torch::Tensor expertMarginal = joint.sum(0, /*keepdim=*/true);
    const torch::Tensor ratio = joint / (expertMarginal / static_cast<double>(tasks) + 1e-12);
    return (joint * torch::log(ratio + 1e-12)).sum();
}

std::int64_t countParameters(const std::vector<torch::Tensor>& parameters) {
    std::int64_t count = 0;
    for (const auto& parameter : parameters) {
        count += parameter.numel();
    }
    return count;
}

torch::Tensor addLoss(const torch::Tensor& total, const torch::Tensor& loss) {
    if (!loss.defined()) {
        return total;
    }
    return total.defined() ? total + loss : loss;
}

void RoutingState::update(const torch::Tensor& probabilities, const torch::Tensor& selected, bool training) {
    const torch::Tensor allowed = mAllowed.to(probabilities.device(), probabilities.scalar_type());
    const torch::Tensor importance = probabilities.sum(1);
    // Load: the gate probability of the samples that selected each expert. Unlike a count of
    // those samples, it carries gradient.
    const torch::Tensor load = (probabilities * selected).sum(1);
    const torch::Tensor balance =
        squaredCoefficientOfVariation(importance, allowed) + squaredCoefficientOfVariation(load, allowed);

    mGateMean = probabilities.detach().mean(1);
    mTopKFraction = selected.detach().to(probabilities.scalar_type()).mean(1);
    mBalanceLoss = balance.detach();

    mAuxiliaryLoss = torch::Tensor();
    if (!training) {
        return;
    }
    if (mBalanceWeight > 0.0) {
        mAuxiliaryLoss = balance.mean() * mBalanceWeight;
    }
    if (mMiWeight > 0.0 && mTaskRows > 1) {
        const torch::Tensor information = taskExpertMutualInformation(probabilities.slice(0, 0, mTaskRows));
        mAuxiliaryLoss = addLoss(mAuxiliaryLoss, information * -mMiWeight);
    }
}

LayerRouting RoutingState::routing() const {
    LayerRouting routing;
    routing.layer = mLayer;
    routing.rows = mRows;
    routing.experts = mExperts;
    routing.topK = mTopK;
    if (mGateMean.defined()) {
        routing.gateMean = mGateMean.to(torch::kCPU, torch::kDouble);
        routing.topKFraction = mTopKFraction.to(torch::kCPU, torch::kDouble);
        routing.balanceLoss = mBalanceLoss.to(torch::kCPU, torch::kDouble);
    }
    return routing;
}

}  // namespace mtlw
