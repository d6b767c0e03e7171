#include "engine/TaskEvaluation.h"

#include "engine/Checkpoint.h"
#include "engine/TaskObjective.h"
#include "engine/Trainer.h"
#include "engine/ProjectModel.h"
#include "util/Errors.h"

namespace mtlw {

namespace {

constexpr std::int64_t kBatchSize = 1024;

}  // namespace

TaskEvaluation evaluateRunTask(const std::string& storePath, std::int64_t runId, const std::string& taskName,
                               const std::string& split) {
    if (split != "test" && split != "validation") {
        throw InputError("--split must be test or validation, got '" + split + "'");
    }
    const RunStore store(storePath);
    const RunRecord run = store.requireRun(runId);
    const Project project = projectOfRun(run);
    size_t taskIndex = project.tasks.size();
    std::string names;
    for (size_t t = 0; t < project.tasks.size(); ++t) {
        names += (t == 0 ? "" : ", ") + project.tasks[t].name;
        if (project.tasks[t].name == taskName) {
            taskIndex = t;
        }
    }
    if (taskIndex == project.tasks.size()) {
        throw InputError("run " + std::to_string(runId) + " has no task '" + taskName + "'; its tasks are " + names);
    }
    auto checkpoint = store.bestCheckpoint(runId);
    if (!checkpoint) {
        checkpoint = store.latestCheckpoint(runId);
    }
    if (!checkpoint) {
        throw InputError("run " + std::to_string(runId) + " has no checkpoint; train at least one epoch first");
    }

    const TaskSpec& task = project.tasks[taskIndex];
    const ProjectData projectData = loadProjectData(project);
    const Dataset& dataset = projectData.taskDataset(taskIndex);
    MultiTaskModel model = buildProjectModel(project, projectData);
    loadModelWeights(checkpoint->path, model);
    model->eval();

    const Split& data = split == "test" ? dataset.test : dataset.validation;
    if (data.size() == 0) {
        throw InputError("dataset '" + dataset.name + "' has no " + split + " samples; use --split " +
                         (split == "test" ? "validation" : "test"));
    }
    // Only the task's path runs: the nodes its head depends on, and of task-aware blocks the
    // task's own part.
    torch::NoGradGuard noGrad;
    MetricAccumulator accumulator(task);
    for (std::int64_t begin = 0; begin < data.size(); begin += kBatchSize) {
        const std::int64_t end = std::min(begin + kBatchSize, data.size());
        const torch::Tensor prediction = model->forwardTask(data.inputs.slice(0, begin, end), taskIndex);
        const torch::Tensor target = data.targets.at(task.target).slice(0, begin, end);
        accumulator.add(prediction, target, taskLoss(task, prediction, target));
    }

    TaskEvaluation result;
    result.task = task.name;
    result.split = split;
    result.epoch = checkpoint->epoch;
    result.samples = data.size();
    result.metrics = accumulator.values();
    result.activeParameters = model->activeParameterCount(taskIndex);
    result.totalParameters = model->parameterCount();
    return result;
}

}  // namespace mtlw
