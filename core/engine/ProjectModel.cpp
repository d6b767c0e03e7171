#include "engine/ProjectModel.h"

#include "engine/TaskObjective.h"
#include "model/GraphPlan.h"

namespace mtlw {

BuildContext modelBuildContext(const Project& project, const ProjectData& data) {
    BuildContext context{project, data.inputShape(), {}};
    for (std::size_t t = 0; t < project.tasks.size(); ++t) {
        const TaskSpec& task = project.tasks[t];
        const Dataset& dataset = data.taskDataset(t);
        checkTaskTarget(project, task, dataset);
        context.taskOutputSizes[task.name] = taskOutputSize(task, dataset.targets.at(task.target));
    }
    return context;
}

MultiTaskModel buildProjectModel(const Project& project, const ProjectData& data) {
    const BuildContext context = modelBuildContext(project, data);
    return MultiTaskModel(planGraph(context), context);
}

}  // namespace mtlw
