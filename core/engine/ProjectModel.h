// Builds a project's model from its graph and the datasets its tasks read: the shared steps of
// training, evaluation, export and merging, so that every module layout matches the checkpoints.
#pragma once

#include "data/ProjectData.h"
#include "model/Block.h"
#include "model/MultiTaskModel.h"
#include "project/Project.h"

namespace mtlw {

/// The input shape and each task's output width, after checking every task's target against
/// its own dataset. Throws InputError naming the project file and the task.
BuildContext modelBuildContext(const Project& project, const ProjectData& data);

/// Validates the graph, infers shapes and builds the model with weights drawn from the current
/// torch seed.
MultiTaskModel buildProjectModel(const Project& project, const ProjectData& data);

}  // namespace mtlw
