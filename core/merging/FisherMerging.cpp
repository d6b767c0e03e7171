// Fisher-weighted averaging: each entry is the average of the models'
// entries weighted by their diagonal Fisher information, estimated on unlabeled inputs.
#include "merging/MergeMethod.h"
#include "merging/TaskVectors.h"
#include "util/Errors.h"

namespace mtlw {

namespace {

class FisherMerging : public MergeMethod {
public:
    FisherMerging(const MergeMethodInfo& info, const std::map<std::string, double>& params)
        : mInfo(info), mParams(params) {}

    const MergeMethodInfo& info() const override { return mInfo; }

    MergeOutput merge(const MergeProblem& problem, UnlabeledObjective* objective) override {
        if (objective == nullptr) {
            throw InputError("merge method fisher needs unlabeled validation inputs, but none are available");
        }
        torch::Generator generator = seededMergeGenerator(mParams.at("seed"));
        const auto samples = static_cast<std::int64_t>(mParams.at("samples"));
        std::vector<TensorList> fishers;
        for (std::size_t m = 0; m < problem.models.size(); ++m) {
            fishers.push_back(objective->fisherDiagonal(m, samples, generator));
        }

        const std::vector<TensorList> vectors = taskVectors(problem);
        const double uniform = 1.0 / static_cast<double>(problem.models.size());
        MergeOutput output;
        nlohmann::json meanFisher = nlohmann::json::array();
        for (std::size_t p = 0; p < problem.base.size(); ++p) {
            torch::Tensor total = torch::zeros_like(problem.base[p]);
            for (const auto& fisher : fishers) {
                total.add_(fisher[p]);
            }
            // Entries where every Fisher is 0 take the plain mean instead of 0 / 0.
            const torch::Tensor seen = total > 0;
            torch::Tensor merged = problem.base[p].clone();
            for (std::size_t m = 0; m < vectors.size(); ++m) {
                const torch::Tensor weight =
                    torch::where(seen, fishers[m][p] / total.clamp_min(1e-30), torch::full_like(total, uniform));
                merged.add_(weight * vectors[m][p]);
            }
            output.weights.push_back(merged);
        }
        for (const auto& fisher : fishers) {
            double sum = 0.0;
            std::int64_t count = 0;
            for (const auto& tensor : fisher) {
                sum += tensor.sum().item<double>();
                count += tensor.numel();
            }
            meanFisher.push_back(count > 0 ? sum / static_cast<double>(count) : 0.0);
        }
        output.details["mean_fisher"] = meanFisher;
        return output;
    }

private:
    MergeMethodInfo mInfo;
    std::map<std::string, double> mParams;
};

}  // namespace

std::pair<MergeMethodInfo, MergeFactory> registerFisherMerging() {
    MergeMethodInfo info;
    info.name = "fisher";
    info.displayName = "Fisher-weighted averaging";
    info.summary = "Average weighted per entry by each model's diagonal Fisher on unlabeled validation inputs";
    info.params = {{"samples", 256, 1, 100000, "Validation inputs the Fisher is estimated on"},
                   {"seed", 1.0, 0.0, 4294967295.0, "Seed of the labels sampled from each model's predictions"}};
    info.usesInputs = true;
    return {info, [info](const std::map<std::string, double>& params) {
                return std::make_unique<FisherMerging>(info, params);
            }};
}

}  // namespace mtlw
