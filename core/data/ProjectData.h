// The datasets a project's tasks read: one dataset that labels every sample for every task, or
// a dataset per task (per-task batch sampling in the trainer).
#pragma once

#include "data/Dataset.h"
#include "project/Project.h"

#include <cstddef>
#include <string>
#include <vector>

namespace mtlw {

struct ProjectData {
    /// Each dataset some task reads, once, in the order the tasks first name them.
    std::vector<Dataset> datasets;
    /// Index into datasets for each task, in project task order.
    std::vector<std::size_t> datasetOfTask;

    /// True when every task reads the same dataset.
    bool shared() const { return datasets.size() == 1; }
    const Dataset& taskDataset(std::size_t task) const { return datasets.at(datasetOfTask.at(task)); }
    /// Shape of one input sample; the same for every dataset.
    const std::vector<std::int64_t>& inputShape() const { return datasets.front().inputShape; }
    /// Tasks that read dataset `index`, in project task order.
    std::vector<std::size_t> tasksOfDataset(std::size_t index) const;
};

/// Loads every dataset the project's tasks read. Throws InputError when a task names no
/// dataset of the project, or when two datasets give inputs of different shapes (the graph has
/// one input node), naming both datasets and their shapes.
ProjectData loadProjectData(const Project& project);

}  // namespace mtlw
