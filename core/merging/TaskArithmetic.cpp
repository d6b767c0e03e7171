// Task arithmetic: base + λ · Σ task vectors.
#include "merging/MergeMethod.h"
#include "merging/TaskVectors.h"

namespace mtlw {

namespace {

class TaskArithmetic : public MergeMethod {
public:
    TaskArithmetic(const MergeMethodInfo& info, double lambda) : mInfo(info), mLambda(lambda) {}

    const MergeMethodInfo& info() const override { return mInfo; }

    MergeOutput merge(const MergeProblem& problem, UnlabeledObjective*) override {
        MergeOutput output;
        output.weights = addScaled(problem.base, taskVectors(problem),
                                   std::vector<double>(problem.models.size(), mLambda));
        return output;
    }

private:
    MergeMethodInfo mInfo;
    double mLambda;
};

}  // namespace

std::pair<MergeMethodInfo, MergeFactory> registerTaskArithmetic() {
    MergeMethodInfo info;
    info.name = "task_arithmetic";
    info.displayName = "Task arithmetic";
    info.summary = "Base plus lambda times the sum of the task vectors";
    info.params = {{"lambda", 0.5, 0.0, 4.0, "Scale of the summed task vectors; 0 returns the base"}};
    return {info, [info](const std::map<std::string, double>& params) {
                return std::make_unique<TaskArithmetic>(info, params.at("lambda"));
            }};
}

}  // namespace mtlw
