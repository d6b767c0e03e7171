// DARE: drop each task-vector entry with probability p and rescale the rest by
// 1 / (1 - p), then combine the task vectors linearly (dare) or with TIES (dare_ties).
#include "merging/MergeMethod.h"
#include "merging/TaskVectors.h"

namespace mtlw {

namespace {

class Dare : public MergeMethod {
public:
    Dare(const MergeMethodInfo& info, const std::map<std::string, double>& params, bool ties)
        : mInfo(info), mParams(params), mTies(ties) {}

    const MergeMethodInfo& info() const override { return mInfo; }

    MergeOutput merge(const MergeProblem& problem, UnlabeledObjective*) override {
        torch::Generator generator = seededMergeGenerator(mParams.at("seed"));
        const std::vector<TensorList> dropped = dropAndRescale(taskVectors(problem), mParams.at("drop_rate"), generator);
        const double lambda = mParams.at("lambda");
        MergeOutput output;
        if (mTies) {
            const TensorList merged = electAndAverage(trimToDensity(dropped, mParams.at("density")));
            output.weights = addScaled(problem.base, {merged}, {lambda});
        } else {
            output.weights = addScaled(problem.base, dropped, std::vector<double>(dropped.size(), lambda));
        }
        return output;
    }

private:
    MergeMethodInfo mInfo;
    std::map<std::string, double> mParams;
    bool mTies;
};

const MergeParam kDropRate{"drop_rate", 0.5, 0.0, 0.99, "Probability of dropping each task-vector entry"};
const MergeParam kSeed{"seed", 1.0, 0.0, 4294967295.0, "Seed of the random drop masks"};

}  // namespace

std::pair<MergeMethodInfo, MergeFactory> registerDare() {
    MergeMethodInfo info;
    info.name = "dare";
    info.displayName = "DARE (linear)";
    info.summary = "Drop and rescale task-vector entries, then base plus lambda times their sum";
    info.params = {kDropRate, {"lambda", 0.5, 0.0, 4.0, "Scale of the summed task vectors"}, kSeed};
    return {info, [info](const std::map<std::string, double>& params) {
                return std::make_unique<Dare>(info, params, false);
            }};
}

std::pair<MergeMethodInfo, MergeFactory> registerDareTies() {
    MergeMethodInfo info;
    info.name = "dare_ties";
    info.displayName = "DARE + TIES";
    info.summary = "Drop and rescale task-vector entries, then merge them with TIES";
    info.params = {kDropRate,
                   {"density", 1.0, 0.0, 1.0, "Share of each dropped task vector's entries TIES keeps, by magnitude"},
                   {"lambda", 1.0, 0.0, 4.0, "Scale of the merged task vector"},
                   kSeed};
    return {info, [info](const std::map<std::string, double>& params) {
                return std::make_unique<Dare>(info, params, true);
            }};
}

}  // namespace mtlw
