// One task of a recorded run, evaluated on its own: `mtlw eval RUN_ID --task NAME`.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace mtlw {

struct TaskEvaluation {
    std::string task;
    /// "test" or "validation".
    std::string split;
    /// Epoch of the checkpoint evaluated: the best one, else the latest.
    int epoch = 0;
    std::int64_t samples = 0;
    /// Metric name -> value, "loss" included.
    std::map<std::string, double> metrics;
    /// Parameters the task's output uses per sample (MultiTaskModelImpl::activeParameterCount).
    std::int64_t activeParameters = 0;
    std::int64_t totalParameters = 0;
};

/// Rebuilds a run's model from its project snapshot, loads its best checkpoint (else its
/// latest) and evaluates one task on `split`, on the CPU. Throws InputError when the run, the
/// task, the split or a checkpoint is missing.
TaskEvaluation evaluateRunTask(const std::string& storePath, std::int64_t runId, const std::string& task,
                               const std::string& split);

}  // namespace mtlw
