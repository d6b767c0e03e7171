// Weight averaging: the mean of the fine-tuned shared tensors.
#include "merging/MergeMethod.h"
#include "merging/TaskVectors.h"

namespace mtlw {

namespace {

class WeightAveraging : public MergeMethod {
public:
    explicit WeightAveraging(const MergeMethodInfo& info) : mInfo(info) {}

    const MergeMethodInfo& info() const override { return mInfo; }

    MergeOutput merge(const MergeProblem& problem, UnlabeledObjective*) override {
        MergeOutput output;
        for (std::size_t p = 0; p < problem.base.size(); ++p) {
            torch::Tensor sum = torch::zeros_like(problem.base[p]);
            for (const auto& model : problem.models) {
                sum.add_(model[p]);
            }
            output.weights.push_back(sum / static_cast<double>(problem.models.size()));
        }
        return output;
    }

private:
    MergeMethodInfo mInfo;
};

}  // namespace

std::pair<MergeMethodInfo, MergeFactory> registerWeightAveraging() {
    MergeMethodInfo info;
    info.name = "average";
    info.displayName = "Weight averaging";
    info.summary = "Mean of the fine-tuned shared weights (the base is not used)";
    return {info, [info](const std::map<std::string, double>&) { return std::make_unique<WeightAveraging>(info); }};
}

}  // namespace mtlw
