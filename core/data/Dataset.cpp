#include "data/Dataset.h"

#include "data/CsvDataset.h"
#include "data/MultiFashion.h"
#include "data/SyntheticCorrelation.h"
#include "util/Errors.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>

namespace mtlw {
namespace {

std::string projectName(const Project& project)
{
    return project.filePath.empty() ? std::string("project") : project.filePath;
}

// Names the dataset for messages: "file.mtlw: datasets[1]".
std::string datasetField(const Project& project, const DatasetSpec& spec)
{
    for (std::size_t i = 0; i < project.datasets.size(); ++i) {
        if (project.datasets[i].name == spec.name)
            return projectName(project) + ": datasets[" + std::to_string(i) + "]";
    }
    return projectName(project) + ": dataset '" + spec.name + "'";
}

std::string joinNames(const std::vector<std::string>& names)
{
    std::string list;
    for (const auto& name : names)
        list += (list.empty() ? "" : ", ") + name;
    return list;
}

// Checks that every task reading this dataset names one of its targets, of a fitting kind.
void checkTaskTargets(const Project& project, const Dataset& dataset)
{
    std::vector<std::string> available;
    for (const auto& [name, info] : dataset.targets)
        available.push_back(name);

    for (std::size_t i = 0; i < project.tasks.size(); ++i) {
        const TaskSpec& task = project.tasks[i];
        if (task.dataset != dataset.name)
            continue;
        const std::string field = projectName(project) + ": tasks[" + std::to_string(i) + "].target";
        const auto found = dataset.targets.find(task.target);
        if (found == dataset.targets.end())
            throw InputError(field + ": '" + task.target + "' is not a target of dataset '" + dataset.name +
                             "'; available targets: " + joinNames(available));
        const TargetInfo& info = found->second;
        if (info.kind == TargetInfo::Kind::MultiLabel && task.type != TaskType::MultiLabel)
            throw InputError(field + ": task '" + task.name + "' is a " + toString(task.type) + " task but target '" +
                             task.target + "' holds a set of labels per sample; use type multilabel");
        if (task.type == TaskType::MultiLabel && info.kind != TargetInfo::Kind::MultiLabel)
            throw InputError(field + ": task '" + task.name + "' is a multilabel task but target '" + task.target +
                             "' holds " +
                             (info.kind == TargetInfo::Kind::Numeric ? "numbers; use type regression"
                                                                     : "one class label per sample; use type "
                                                                       "classification or a multi-label target"));
        if (task.type == TaskType::MultiLabel)
            continue;
        if (task.type == TaskType::Regression && info.kind != TargetInfo::Kind::Numeric)
            throw InputError(field + ": task '" + task.name + "' is a regression task but target '" + task.target +
                             "' holds class labels; use type classification or a numeric target");
        if (task.type != TaskType::Regression && info.kind != TargetInfo::Kind::Categorical)
            throw InputError(field + ": task '" + task.name + "' is a " + toString(task.type) +
                             " task but target '" + task.target + "' is numeric; use type regression");
        if (task.type == TaskType::Binary && info.classNames.size() != 2)
            throw InputError(field + ": task '" + task.name + "' is binary but target '" + task.target + "' has " +
                             std::to_string(info.classNames.size()) + " classes (" + joinNames(info.classNames) +
                             "); use type classification or a column with two distinct values");
    }
}

}  // namespace

std::vector<std::string> datasetKinds()
{
    return {"multi-fashion", "csv", "synthetic-correlation"};
}

Dataset loadDataset(const Project& project, const DatasetSpec& spec)
{
    const std::string field = datasetField(project, spec);
    Dataset dataset;
    if (spec.kind == "multi-fashion")
        dataset = data::loadMultiFashion(project, spec, field);
    else if (spec.kind == "csv")
        dataset = data::loadCsvDataset(project, spec, field);
    else if (spec.kind == "synthetic-correlation")
        dataset = data::loadSyntheticCorrelation(project, spec, field);
    else
        throw InputError(field + ".kind: unknown dataset kind '" + spec.kind + "'; known kinds: " +
                         joinNames(datasetKinds()));
    dataset.name = spec.name;
    checkTaskTargets(project, dataset);
    return dataset;
}

std::string cacheDirectory()
{
    namespace fs = std::filesystem;
    fs::path folder;
    const char* cacheDir = std::getenv("MTLW_CACHE_DIR");
    const char* xdgCache = std::getenv("XDG_CACHE_HOME");
    const char* home = std::getenv("HOME");
    if (cacheDir && *cacheDir)
        folder = cacheDir;
    else if (xdgCache && *xdgCache && fs::path(xdgCache).is_absolute())
        folder = fs::path(xdgCache) / "mtl-workbench";
    else if (home && *home)
        folder = fs::path(home) / ".cache" / "mtl-workbench";
    else
        folder = fs::temp_directory_path() / "mtl-workbench-cache";

    std::error_code error;
    fs::create_directories(folder, error);
    if (error || !fs::is_directory(folder))
        throw InputError("cannot create the cache folder " + folder.string() + ": " + error.message() +
                         "; set MTLW_CACHE_DIR to a writable folder");
    return folder.string();
}

}  // namespace mtlw
