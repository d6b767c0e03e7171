// AdaMerging: task arithmetic whose coefficients, one per task (task-wise) or
// one per task and shared tensor (layer-wise), are learned with Adam by minimizing the entropy of
// the merged model's predictions on unlabeled validation inputs. No label is read.
#include "merging/MergeMethod.h"
#include "merging/TaskVectors.h"
#include "util/Errors.h"

namespace mtlw {

namespace {

class AdaMerging : public MergeMethod {
public:
    AdaMerging(const MergeMethodInfo& info, const std::map<std::string, double>& params, bool layerWise)
        : mInfo(info), mParams(params), mLayerWise(layerWise) {}

    const MergeMethodInfo& info() const override { return mInfo; }

    MergeOutput merge(const MergeProblem& problem, UnlabeledObjective* objective) override {
        if (objective == nullptr) {
            throw InputError("merge method " + mInfo.name + " needs unlabeled validation inputs, but none are available");
        }
        const std::vector<TensorList> vectors = taskVectors(problem);
        const auto models = static_cast<std::int64_t>(vectors.size());
        const auto tensors = static_cast<std::int64_t>(problem.base.size());
        const std::int64_t columns = mLayerWise ? tensors : 1;
        const auto samples = static_cast<std::int64_t>(mParams.at("samples"));
        const int steps = static_cast<int>(mParams.at("steps"));

        torch::Tensor coefficients =
            torch::full({models, columns}, mParams.at("init"), torch::kDouble).set_requires_grad(true);
        torch::optim::Adam optimizer({coefficients}, torch::optim::AdamOptions(mParams.at("learning_rate")));
        std::vector<double> entropies;
        for (int step = 0; step <= steps; ++step) {
            const TensorList weights = mergedWeights(problem.base, vectors, coefficients);
            TensorList gradients;
            entropies.push_back(objective->entropyGradient(weights, samples, gradients));
            if (step == steps) {
                break;
            }
            // The merged tensor p is base_p + Σ_m c_mp τ_mp, so ∂H/∂c_mp = <∂H/∂W_p, τ_mp>.
            torch::Tensor gradient = torch::zeros({models, columns}, torch::kDouble);
            auto entries = gradient.accessor<double, 2>();
            for (std::int64_t m = 0; m < models; ++m) {
                for (std::int64_t p = 0; p < tensors; ++p) {
                    const double dot = (gradients[p] * vectors[m][p]).sum().item<double>();
                    entries[m][mLayerWise ? p : 0] += dot;
                }
            }
            coefficients.mutable_grad() = gradient;
            optimizer.step();
            torch::NoGradGuard noGrad;
            coefficients.clamp_(0.0, 1.0);
        }

        MergeOutput output;
        output.weights = mergedWeights(problem.base, vectors, coefficients);
        const torch::Tensor learned = coefficients.detach();
        nlohmann::json rows = nlohmann::json::array();
        for (std::int64_t m = 0; m < models; ++m) {
            std::vector<double> row;
            for (std::int64_t c = 0; c < columns; ++c) {
                row.push_back(learned[m][c].item<double>());
            }
            rows.push_back(mLayerWise ? nlohmann::json(row) : nlohmann::json(row.front()));
        }
        output.details["coefficients"] = rows;
        output.details["entropy_start"] = entropies.front();
        output.details["entropy_end"] = entropies.back();
        return output;
    }

private:
    TensorList mergedWeights(const TensorList& base, const std::vector<TensorList>& vectors,
                             const torch::Tensor& coefficients) const {
        torch::NoGradGuard noGrad;
        TensorList merged;
        for (std::size_t p = 0; p < base.size(); ++p) {
            torch::Tensor tensor = base[p].clone();
            for (std::size_t m = 0; m < vectors.size(); ++m) {
                const double scale =
                    coefficients[static_cast<std::int64_t>(m)][mLayerWise ? static_cast<std::int64_t>(p) : 0]
                        .item<double>();
                tensor.add_(vectors[m][p], scale);
            }
            merged.push_back(tensor);
        }
        return merged;
    }

    MergeMethodInfo mInfo;
    std::map<std::string, double> mParams;
    bool mLayerWise;
};

std::vector<MergeParam> adaMergingParams() {
    return {{"init", 0.3, 0.0, 1.0, "Starting value of every coefficient"},
            {"steps", 50, 0, 10000, "Adam steps on the prediction entropy"},
            {"learning_rate", 0.01, 1e-6, 1.0, "Adam learning rate of the coefficients"},
            {"samples", 256, 1, 100000, "Unlabeled validation inputs the entropy is measured on"}};
}

}  // namespace

std::pair<MergeMethodInfo, MergeFactory> registerTaskAdaMerging() {
    MergeMethodInfo info;
    info.name = "adamerging";
    info.displayName = "AdaMerging (task-wise)";
    info.summary = "Task arithmetic with one coefficient per task, learned by entropy minimization on unlabeled inputs";
    info.params = adaMergingParams();
    info.usesInputs = true;
    return {info, [info](const std::map<std::string, double>& params) {
                return std::make_unique<AdaMerging>(info, params, false);
            }};
}

std::pair<MergeMethodInfo, MergeFactory> registerLayerAdaMerging() {
    MergeMethodInfo info;
    info.name = "adamerging_layer";
    info.displayName = "AdaMerging (layer-wise)";
    info.summary = "Task arithmetic with one coefficient per task and shared tensor, learned like adamerging";
    info.params = adaMergingParams();
    info.usesInputs = true;
    return {info, [info](const std::map<std::string, double>& params) {
                return std::make_unique<AdaMerging>(info, params, true);
            }};
}

}  // namespace mtlw
