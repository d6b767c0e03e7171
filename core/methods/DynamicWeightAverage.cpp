// DWA: dynamic weight average. Liu, Johns and Davison, "End-to-End Multi-Task Learning with
// Attention", CVPR 2019. The weight of task i in epoch t is k * softmax_i(r_i / T), where
// r_i = L_i(t-1) / L_i(t-2) is the ratio of its mean training losses in the last two epochs.
// The first two epochs use weight 1. Cost per step: one backward pass.
#include "methods/LossChecks.h"
#include "methods/Registrations.h"

#include <cmath>

namespace mtlw {
namespace {

class DynamicWeightAverage final : public BalancingMethod {
public:
    explicit DynamicWeightAverage(double temperature) : mTemperature(temperature) {}

    const MethodInfo& info() const override { return describe(); }

    static const MethodInfo& describe() {
        static const MethodInfo info{
            "dwa", "DWA", MethodKind::LossWeighting,
            "Dynamic weight average: weights follow each task's loss descent rate (Liu et al., 2019)",
            {{"temperature", 2.0, 1e-3, 1e3, "Softmax temperature T; larger values give more even weights"}}};
        return info;
    }

    void reset(int taskCount, const torch::Device& device) override {
        mTaskCount = taskCount;
        mHistory.clear();
        mWeights = torch::ones({taskCount});
    }

    torch::Tensor combineLosses(const torch::Tensor& taskLosses, const StepContext& context) override {
        checkTaskLosses(taskLosses, info().name, false);
        mLastWeights = mWeights.clone();
        return (mWeights.to(taskLosses.device(), taskLosses.scalar_type()) * taskLosses).sum();
    }

    void endEpoch(const std::vector<double>& meanTaskLosses) override {
        mHistory.push_back(meanTaskLosses);
        if (mHistory.size() > 2) {
            mHistory.erase(mHistory.begin());
        }
        if (mHistory.size() < 2) {
            return;
        }
        std::vector<float> ratios(mTaskCount);
        for (int task = 0; task < mTaskCount; ++task) {
            const double previous = mHistory[0][task];
            // A zero or non-finite previous loss carries no rate information: treat it as ratio 1.
            const bool usable = previous > 0.0 && std::isfinite(previous) && std::isfinite(mHistory[1][task]);
            ratios[task] = static_cast<float>(usable ? mHistory[1][task] / previous : 1.0);
        }
        const torch::Tensor rate = torch::tensor(ratios);
        mWeights = mTaskCount * torch::softmax(rate / mTemperature, 0);
    }

    void save(torch::serialize::OutputArchive& archive) const override {
        archive.write("dwa_weights", mWeights);
        std::vector<double> flat;
        for (const auto& epoch : mHistory) {
            flat.insert(flat.end(), epoch.begin(), epoch.end());
        }
        archive.write("dwa_history", torch::tensor(flat, torch::kFloat64));
    }

    void load(torch::serialize::InputArchive& archive) override {
        archive.read("dwa_weights", mWeights);
        torch::Tensor flat;
        archive.read("dwa_history", flat);
        mHistory.clear();
        const auto values = flat.contiguous();
        for (int64_t start = 0; start + mTaskCount <= values.numel(); start += mTaskCount) {
            std::vector<double> epoch(mTaskCount);
            for (int task = 0; task < mTaskCount; ++task) {
                epoch[task] = values[start + task].item<double>();
            }
            mHistory.push_back(epoch);
        }
    }

private:
    double mTemperature;
    int mTaskCount = 0;
    std::vector<std::vector<double>> mHistory;
    torch::Tensor mWeights;
};

}  // namespace

std::pair<MethodInfo, MethodFactory> registerDynamicWeightAverage() {
    return {DynamicWeightAverage::describe(), [](const std::map<std::string, double>& params) {
                return std::make_unique<DynamicWeightAverage>(params.at("temperature"));
            }};
}

}  // namespace mtlw
