#include "data/ProjectData.h"

#include "util/Errors.h"

#include <algorithm>

namespace mtlw {
namespace {

std::string shapeText(const std::vector<std::int64_t>& shape) {
    std::string text = "[";
    for (std::size_t d = 0; d < shape.size(); ++d) {
        text += (d == 0 ? "" : ", ") + std::to_string(shape[d]);
    }
    return text + "]";
}

}  // namespace

std::vector<std::size_t> ProjectData::tasksOfDataset(std::size_t index) const {
    std::vector<std::size_t> tasks;
    for (std::size_t t = 0; t < datasetOfTask.size(); ++t) {
        if (datasetOfTask[t] == index) {
            tasks.push_back(t);
        }
    }
    return tasks;
}

ProjectData loadProjectData(const Project& project) {
    const std::string source = project.filePath.empty() ? project.name : project.filePath;
    if (project.tasks.empty()) {
        throw InputError(source + ": the project has no tasks; add a task in tasks[]");
    }
    ProjectData data;
    std::vector<std::string> names;
    for (std::size_t t = 0; t < project.tasks.size(); ++t) {
        const TaskSpec& task = project.tasks[t];
        const auto known = std::find(names.begin(), names.end(), task.dataset);
        if (known != names.end()) {
            data.datasetOfTask.push_back(static_cast<std::size_t>(known - names.begin()));
            continue;
        }
        const DatasetSpec* spec = project.findDataset(task.dataset);
        if (spec == nullptr) {
            throw InputError(source + ": tasks[" + std::to_string(t) + "].dataset: task '" + task.name +
                             "' reads dataset '" + task.dataset + "', which datasets[] does not define");
        }
        Dataset dataset = loadDataset(project, *spec);
        if (dataset.train.size() == 0) {
            throw InputError(source + ": dataset '" + dataset.name + "' has no training samples");
        }
        if (!data.datasets.empty() && dataset.inputShape != data.datasets.front().inputShape) {
            const Dataset& first = data.datasets.front();
            throw InputError(source + ": dataset '" + dataset.name + "' (task '" + task.name + "') gives inputs of shape " +
                             shapeText(dataset.inputShape) + " but dataset '" + first.name + "' gives " +
                             shapeText(first.inputShape) +
                             "; the graph has one input node, so every dataset must give inputs of one shape");
        }
        names.push_back(task.dataset);
        data.datasetOfTask.push_back(data.datasets.size());
        data.datasets.push_back(std::move(dataset));
    }
    return data;
}

}  // namespace mtlw
