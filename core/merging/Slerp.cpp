// SLERP of two models: spherical interpolation between their task vectors, tensor by tensor.
#include "merging/MergeMethod.h"
#include "merging/TaskVectors.h"

#include <cmath>

namespace mtlw {

namespace {

// Cosines closer to ±1 than this fall back to linear interpolation, where sin θ is too small
// to divide by.
constexpr double kParallelCosine = 0.9995;

torch::Tensor slerp(const torch::Tensor& a, const torch::Tensor& b, double t) {
    const double normA = a.norm().item<double>();
    const double normB = b.norm().item<double>();
    if (normA == 0.0 || normB == 0.0) {
        return a * (1.0 - t) + b * t;
    }
    const double cosine = std::clamp((a * b).sum().item<double>() / (normA * normB), -1.0, 1.0);
    if (std::abs(cosine) > kParallelCosine) {
        return a * (1.0 - t) + b * t;
    }
    const double angle = std::acos(cosine);
    const double sine = std::sin(angle);
    return a * (std::sin((1.0 - t) * angle) / sine) + b * (std::sin(t * angle) / sine);
}

class Slerp : public MergeMethod {
public:
    Slerp(const MergeMethodInfo& info, double t) : mInfo(info), mT(t) {}

    const MergeMethodInfo& info() const override { return mInfo; }

    MergeOutput merge(const MergeProblem& problem, UnlabeledObjective*) override {
        const std::vector<TensorList> vectors = taskVectors(problem);
        MergeOutput output;
        for (std::size_t p = 0; p < problem.base.size(); ++p) {
            output.weights.push_back(problem.base[p] + slerp(vectors[0][p], vectors[1][p], mT));
        }
        return output;
    }

private:
    MergeMethodInfo mInfo;
    double mT;
};

}  // namespace

std::pair<MergeMethodInfo, MergeFactory> registerSlerp() {
    MergeMethodInfo info;
    info.name = "slerp";
    info.displayName = "SLERP";
    info.summary = "Spherical interpolation between the task vectors of two models, per tensor";
    info.params = {{"t", 0.5, 0.0, 1.0, "Position between the first model (0) and the second (1)"}};
    info.minModels = 2;
    info.maxModels = 2;
    return {info, [info](const std::map<std::string, double>& params) {
                return std::make_unique<Slerp>(info, params.at("t"));
            }};
}

}  // namespace mtlw
