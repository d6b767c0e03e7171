// TIES-Merging: trim each task vector to its largest entries, elect a sign
// per entry, average the entries that agree with it, and add λ times that to the base.
#include "merging/MergeMethod.h"
#include "merging/TaskVectors.h"

namespace mtlw {

namespace {

class Ties : public MergeMethod {
public:
    Ties(const MergeMethodInfo& info, double density, double lambda)
        : mInfo(info), mDensity(density), mLambda(lambda) {}

    const MergeMethodInfo& info() const override { return mInfo; }

    MergeOutput merge(const MergeProblem& problem, UnlabeledObjective*) override {
        const TensorList merged = electAndAverage(trimToDensity(taskVectors(problem), mDensity));
        MergeOutput output;
        output.weights = addScaled(problem.base, {merged}, {mLambda});
        return output;
    }

private:
    MergeMethodInfo mInfo;
    double mDensity;
    double mLambda;
};

}  // namespace

std::pair<MergeMethodInfo, MergeFactory> registerTies() {
    MergeMethodInfo info;
    info.name = "ties";
    info.displayName = "TIES-Merging";
    info.summary = "Trim task vectors to a density, elect signs, average the agreeing entries, scale by lambda";
    info.params = {{"density", 0.2, 0.0, 1.0, "Share of each task vector's entries kept, by magnitude"},
                   {"lambda", 1.0, 0.0, 4.0, "Scale of the merged task vector"}};
    return {info, [info](const std::map<std::string, double>& params) {
                return std::make_unique<Ties>(info, params.at("density"), params.at("lambda"));
            }};
}

}  // namespace mtlw
