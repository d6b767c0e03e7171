// The project model: what a .mtlw file contains, as plain data.
// The JSON format is documented in docs/project-format.md.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mtlw {

inline constexpr int kProjectSchemaVersion = 1;

// A data source. `kind` selects the loader: "multi-fashion" or "csv".
struct DatasetSpec {
    std::string name;
    std::string kind;
    /// Loader options; see docs/project-format.md for each kind.
    nlohmann::json options = nlohmann::json::object();
};

/// Multi-label tasks predict a set of labels per sample: one logit per label, each decided by
/// logit > 0.
enum class TaskType { Classification, Binary, Regression, MultiLabel };

struct TaskSpec {
    std::string name;
    TaskType type = TaskType::Classification;
    /// Name of the dataset this task reads.
    std::string dataset;
    /// Target column (CSV) or target name ("left", "right", "items" for Multi-Fashion).
    std::string target;
    /// "cross_entropy", "bce", "mse" or "l1"; empty means the default for the type.
    std::string loss;
    /// Metric names; empty means the defaults for the type. Multi-label tasks have "f1",
    /// "subset_accuracy" and "hamming_loss".
    std::vector<std::string> metrics;
};

struct NodePosition {
    double x = 0.0;
    double y = 0.0;
};

struct NodeSpec {
    std::string id;
    /// Block type: "input", "conv", "flatten", "mlp", "head", ...
    std::string type;
    /// Block options, validated by the block type.
    nlohmann::json params = nlohmann::json::object();
    std::optional<NodePosition> position;
};

struct EdgeSpec {
    std::string from;
    std::string to;
};

struct GraphSpec {
    std::vector<NodeSpec> nodes;
    std::vector<EdgeSpec> edges;
};

struct OptimizerSpec {
    /// "adam", "adamw" or "sgd".
    std::string type = "adam";
    double learningRate = 1e-3;
    double weightDecay = 0.0;
    /// SGD only.
    double momentum = 0.9;
};

struct ScheduleSpec {
    /// "constant", "step" or "cosine".
    std::string type = "constant";
    /// Step schedule: epochs between decays.
    int stepSize = 10;
    /// Step schedule: factor applied at each decay.
    double gamma = 0.1;
};

struct MethodSpec {
    /// Balancing method name, as `mtlw methods` lists it.
    std::string name = "ew";
    nlohmann::json params = nlohmann::json::object();
};

struct TrainingSpec {
    int epochs = 10;
    int batchSize = 256;
    OptimizerSpec optimizer;
    ScheduleSpec schedule;
    std::uint64_t seed = 1;
    /// "auto", "cpu", "cuda" or "cuda:N".
    std::string device = "auto";
    MethodSpec method;
    /// Training loss is recorded every this many steps.
    int logEverySteps = 50;
    /// Task-gradient diagnostics (cosines, norms, conflicts) every this many steps; 0 turns them off.
    int conflictEverySteps = 25;
    /// Source of the task gradients for gradient methods: "parameters" (the shared parameters) or
    /// "representation" (the shared representation the heads read, which is cheaper, as in MGDA-UB).
    std::string gradientMode = "parameters";
    /// Sharpness-aware training per task (F-MTL style): each task's gradient is taken at the
    /// shared parameters moved by rho along that task's normalized gradient. 0 turns it off.
    double samRho = 0.0;
    /// When tasks read different datasets: each task's share of a batch, "proportional" to its
    /// dataset's training samples, "uniform", or "temperature" (proportional to size^(1/T)).
    std::string taskSampling = "proportional";
    /// T of temperature sampling: 1 is proportional, large values approach uniform.
    double samplingTemperature = 2.0;
    /// When tasks read different datasets: every batch contains one task's samples, the task
    /// drawn with the sampling probabilities, instead of every task's share.
    bool singleTaskBatches = false;
};

struct Project {
    int schemaVersion = kProjectSchemaVersion;
    std::string name;
    std::string description;
    std::vector<DatasetSpec> datasets;
    std::vector<TaskSpec> tasks;
    GraphSpec graph;
    TrainingSpec training;

    /// Absolute path of the file this project was loaded from or saved to; not stored in the file.
    std::string filePath;

    const TaskSpec* findTask(const std::string& name) const;
    const DatasetSpec* findDataset(const std::string& name) const;
    const NodeSpec* findNode(const std::string& id) const;
    /// Resolves a path from the project file's folder.
    std::string resolvePath(const std::string& path) const;
};

/// The name of a task type in project files: "classification", "binary", "regression" or "multilabel".
std::string toString(TaskType type);

/// Loads a project file. Throws InputError naming the file and field on any problem.
Project loadProject(const std::string& path);
/// Parses project JSON; `source` names the file in messages.
Project parseProject(const nlohmann::json& json, const std::string& source);
nlohmann::json toJson(const Project& project);
/// Writes the project atomically (temporary file, fsync, rename) and sets filePath.
void saveProject(Project& project, const std::string& path);

}  // namespace mtlw
