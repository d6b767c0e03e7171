#include "project/Project.h"

#include "project/AtomicFile.h"
#include "project/JsonFields.h"
#include "util/Errors.h"

#include <algorithm>
#include <filesystem>
#include <set>

namespace mtlw {

namespace {

const char* const kFormatName = "mtl-workbench-project";

struct TaskTypeName {
    TaskType type;
    const char* name;
    const char* defaultLoss;
    std::vector<std::string> losses;
    /// Every metric the type allows.
    std::vector<std::string> metrics;
    /// The metrics a task without a `metrics` field gets.
    std::vector<std::string> defaultMetrics;
};

const std::vector<TaskTypeName>& taskTypeTable() {
    static const std::vector<TaskTypeName> types = {
        {TaskType::Classification, "classification", "cross_entropy", {"cross_entropy"}, {"accuracy"}, {"accuracy"}},
        {TaskType::Binary, "binary", "bce", {"bce"}, {"accuracy"}, {"accuracy"}},
        {TaskType::Regression, "regression", "mse", {"mse", "l1"}, {"mae", "rmse"}, {"mae", "rmse"}},
        {TaskType::MultiLabel, "multilabel", "bce", {"bce"}, {"f1", "subset_accuracy", "hamming_loss"}, {"f1"}},
    };
    return types;
}

const TaskTypeName& describe(TaskType type) {
    for (const auto& entry : taskTypeTable()) {
        if (entry.type == type) {
            return entry;
        }
    }
    throw std::logic_error("unhandled task type");
}

std::string joined(const std::vector<std::string>& values) {
    std::string text;
    for (const auto& value : values) {
        text += text.empty() ? value : ", " + value;
    }
    return text;
}

std::string indexed(const std::string& array, size_t index) {
    return array + "[" + std::to_string(index) + "]";
}

DatasetSpec parseDataset(const JsonFields& fields) {
    DatasetSpec dataset;
    dataset.name = fields.string("name");
    dataset.kind = fields.string("kind");
    if (fields.has("options")) {
        dataset.options = fields.object("options").json();
    }
    return dataset;
}

TaskSpec parseTask(const JsonFields& fields) {
    TaskSpec task;
    task.name = fields.string("name");
    const std::string typeName = fields.string("type");
    const TaskTypeName* type = nullptr;
    std::vector<std::string> typeNames;
    for (const auto& entry : taskTypeTable()) {
        typeNames.push_back(entry.name);
        if (typeName == entry.name) {
            type = &entry;
        }
    }
    if (type == nullptr) {
        fields.fail("type", "has unknown task type '" + typeName + "'; use " + joined(typeNames));
    }
    task.type = type->type;
    task.dataset = fields.string("dataset");
    task.target = fields.string("target", task.name);
    task.loss = fields.string("loss", type->defaultLoss);
    if (std::find(type->losses.begin(), type->losses.end(), task.loss) == type->losses.end()) {
        fields.fail("loss", "'" + task.loss + "' does not fit a " + typeName + " task; use " + joined(type->losses));
    }
    task.metrics = fields.strings("metrics");
    if (task.metrics.empty()) {
        task.metrics = type->defaultMetrics;
    }
    for (size_t i = 0; i < task.metrics.size(); ++i) {
        if (std::find(type->metrics.begin(), type->metrics.end(), task.metrics[i]) == type->metrics.end()) {
            fields.fail(indexed("metrics", i), "'" + task.metrics[i] + "' is not a metric of a " + typeName +
                                                   " task; use " + joined(type->metrics));
        }
    }
    return task;
}

NodeSpec parseNode(const JsonFields& fields) {
    NodeSpec node;
    node.id = fields.string("id");
    if (node.id.empty()) {
        fields.fail("id", "must not be empty");
    }
    node.type = fields.string("type");
    if (fields.has("params")) {
        node.params = fields.object("params").json();
    }
    if (fields.has("position")) {
        const JsonFields position = fields.object("position");
        node.position = NodePosition{position.number("x", 0.0, -1e9, 1e9), position.number("y", 0.0, -1e9, 1e9)};
    }
    return node;
}

TrainingSpec parseTraining(const JsonFields& fields) {
    TrainingSpec training;
    training.epochs = static_cast<int>(fields.integer("epochs", training.epochs, 1));
    training.batchSize = static_cast<int>(fields.integer("batch_size", training.batchSize, 1));
    training.seed = static_cast<std::uint64_t>(fields.integer("seed", static_cast<std::int64_t>(training.seed), 0));
    training.device = fields.string("device", training.device);
    if (training.device != "auto" && training.device != "cpu" && training.device.rfind("cuda", 0) != 0) {
        fields.fail("device", "must be auto, cpu, cuda or cuda:N, got '" + training.device + "'");
    }
    training.logEverySteps = static_cast<int>(fields.integer("log_every_steps", training.logEverySteps, 1));
    training.conflictEverySteps =
        static_cast<int>(fields.integer("conflict_every_steps", training.conflictEverySteps, 0));
    training.gradientMode = fields.string("gradient_mode", training.gradientMode);
    if (training.gradientMode != "parameters" && training.gradientMode != "representation") {
        fields.fail("gradient_mode", "must be parameters or representation, got '" + training.gradientMode + "'");
    }
    training.samRho = fields.number("sam_rho", training.samRho, 0.0, 10.0);
    training.taskSampling = fields.string("task_sampling", training.taskSampling);
    if (training.taskSampling != "proportional" && training.taskSampling != "uniform" &&
        training.taskSampling != "temperature") {
        fields.fail("task_sampling", "must be proportional, uniform or temperature, got '" + training.taskSampling + "'");
    }
    training.samplingTemperature = fields.number("sampling_temperature", training.samplingTemperature, 1.0, 1e6);
    training.singleTaskBatches = fields.boolean("single_task_batches", training.singleTaskBatches);

    if (fields.has("optimizer")) {
        const JsonFields optimizer = fields.object("optimizer");
        auto& spec = training.optimizer;
        spec.type = optimizer.string("type", spec.type);
        if (spec.type != "adam" && spec.type != "adamw" && spec.type != "sgd") {
            optimizer.fail("type", "must be adam, adamw or sgd, got '" + spec.type + "'");
        }
        spec.learningRate = optimizer.number("learning_rate", spec.learningRate, 0.0, 1e12);
        spec.weightDecay = optimizer.number("weight_decay", spec.weightDecay, 0.0, 1e3);
        spec.momentum = optimizer.number("momentum", spec.momentum, 0.0, 1.0);
    }
    if (fields.has("schedule")) {
        const JsonFields schedule = fields.object("schedule");
        auto& spec = training.schedule;
        spec.type = schedule.string("type", spec.type);
        if (spec.type != "constant" && spec.type != "step" && spec.type != "cosine") {
            schedule.fail("type", "must be constant, step or cosine, got '" + spec.type + "'");
        }
        spec.stepSize = static_cast<int>(schedule.integer("step_size", spec.stepSize, 1));
        spec.gamma = schedule.number("gamma", spec.gamma, 0.0, 1.0);
    }
    if (fields.has("method")) {
        const JsonFields method = fields.object("method");
        training.method.name = method.string("name");
        if (method.has("params")) {
            training.method.params = method.object("params").json();
        }
    }
    return training;
}

void checkUnique(const std::vector<std::string>& names, const std::string& source, const std::string& array,
                 const std::string& field) {
    std::set<std::string> seen;
    for (size_t i = 0; i < names.size(); ++i) {
        if (!seen.insert(names[i]).second) {
            throw InputError(source + ": " + indexed(array, i) + "." + field + " '" + names[i] +
                             "' is used twice; names must be unique");
        }
    }
}

}  // namespace

std::string toString(TaskType type) {
    return describe(type).name;
}

const TaskSpec* Project::findTask(const std::string& taskName) const {
    for (const auto& task : tasks) {
        if (task.name == taskName) {
            return &task;
        }
    }
    return nullptr;
}

const DatasetSpec* Project::findDataset(const std::string& datasetName) const {
    for (const auto& dataset : datasets) {
        if (dataset.name == datasetName) {
            return &dataset;
        }
    }
    return nullptr;
}

const NodeSpec* Project::findNode(const std::string& id) const {
    for (const auto& node : graph.nodes) {
        if (node.id == id) {
            return &node;
        }
    }
    return nullptr;
}

std::string Project::resolvePath(const std::string& path) const {
    const std::filesystem::path given(path);
    if (given.is_absolute() || filePath.empty()) {
        return given.string();
    }
    return (std::filesystem::path(filePath).parent_path() / given).lexically_normal().string();
}

Project parseProject(const nlohmann::json& json, const std::string& source) {
    const JsonFields root(json, source, "");
    Project project;

    if (root.has("format") && root.string("format") != kFormatName) {
        root.fail("format", "is '" + root.string("format") + "', expected '" + kFormatName + "'");
    }
    project.schemaVersion = static_cast<int>(root.integer("schema_version", 1));
    if (project.schemaVersion > kProjectSchemaVersion) {
        root.fail("schema_version", "is " + std::to_string(project.schemaVersion) +
                                        ", newer than this build supports (" +
                                        std::to_string(kProjectSchemaVersion) + "); upgrade MTL Workbench");
    }
    project.name = root.string("name");
    project.description = root.string("description", "");

    const auto& datasets = root.array("datasets");
    for (size_t i = 0; i < datasets.size(); ++i) {
        project.datasets.push_back(parseDataset(JsonFields(datasets[i], source, indexed("datasets", i))));
    }
    const auto& tasks = root.array("tasks");
    if (tasks.empty()) {
        root.fail("tasks", "is empty; a project needs at least one task");
    }
    for (size_t i = 0; i < tasks.size(); ++i) {
        const JsonFields fields(tasks[i], source, indexed("tasks", i));
        TaskSpec task = parseTask(fields);
        if (!std::any_of(project.datasets.begin(), project.datasets.end(),
                         [&](const DatasetSpec& dataset) { return dataset.name == task.dataset; })) {
            fields.fail("dataset", "names dataset '" + task.dataset + "', which the project does not define");
        }
        project.tasks.push_back(task);
    }

    const JsonFields graph = root.object("graph");
    const auto& nodes = graph.array("nodes");
    for (size_t i = 0; i < nodes.size(); ++i) {
        project.graph.nodes.push_back(parseNode(JsonFields(nodes[i], source, indexed("graph.nodes", i))));
    }
    const auto& edges = graph.array("edges");
    for (size_t i = 0; i < edges.size(); ++i) {
        const JsonFields fields(edges[i], source, indexed("graph.edges", i));
        EdgeSpec edge{fields.string("from"), fields.string("to")};
        for (const auto& [key, id] : {std::pair{"from", edge.from}, std::pair{"to", edge.to}}) {
            if (!std::any_of(project.graph.nodes.begin(), project.graph.nodes.end(),
                             [&](const NodeSpec& node) { return node.id == id; })) {
                fields.fail(key, "names node '" + id + "', which graph.nodes does not define");
            }
        }
        project.graph.edges.push_back(edge);
    }

    if (root.has("training")) {
        project.training = parseTraining(root.object("training"));
    }

    std::vector<std::string> names;
    for (const auto& dataset : project.datasets) {
        names.push_back(dataset.name);
    }
    checkUnique(names, source, "datasets", "name");
    names.clear();
    for (const auto& task : project.tasks) {
        names.push_back(task.name);
    }
    checkUnique(names, source, "tasks", "name");
    names.clear();
    for (const auto& node : project.graph.nodes) {
        names.push_back(node.id);
    }
    checkUnique(names, source, "graph.nodes", "id");
    return project;
}

Project loadProject(const std::string& path) {
    const std::string text = readFile(path);
    const std::string source = std::filesystem::path(path).filename().string();
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& error) {
        // Turn the byte offset into a line and column a text editor can jump to.
        size_t line = 1;
        size_t column = 1;
        for (size_t i = 0; i < std::min<size_t>(error.byte > 0 ? error.byte - 1 : 0, text.size()); ++i) {
            if (text[i] == '\n') {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
        throw InputError(source + " line " + std::to_string(line) + ", column " + std::to_string(column) +
                         ": invalid JSON: " + error.what());
    }
    Project project = parseProject(json, source);
    project.filePath = std::filesystem::absolute(path).lexically_normal().string();
    return project;
}

nlohmann::json toJson(const Project& project) {
    nlohmann::json json;
    json["format"] = kFormatName;
    json["schema_version"] = kProjectSchemaVersion;
    json["name"] = project.name;
    if (!project.description.empty()) {
        json["description"] = project.description;
    }
    json["datasets"] = nlohmann::json::array();
    for (const auto& dataset : project.datasets) {
        json["datasets"].push_back({{"name", dataset.name}, {"kind", dataset.kind}, {"options", dataset.options}});
    }
    json["tasks"] = nlohmann::json::array();
    for (const auto& task : project.tasks) {
        nlohmann::json entry{{"name", task.name},
                             {"type", toString(task.type)},
                             {"dataset", task.dataset},
                             {"target", task.target}};
        // An empty loss or metric list means the task type's defaults, which loading fills in.
        if (!task.loss.empty()) {
            entry["loss"] = task.loss;
        }
        if (!task.metrics.empty()) {
            entry["metrics"] = task.metrics;
        }
        json["tasks"].push_back(std::move(entry));
    }
    nlohmann::json nodes = nlohmann::json::array();
    for (const auto& node : project.graph.nodes) {
        nlohmann::json entry{{"id", node.id}, {"type", node.type}, {"params", node.params}};
        if (node.position) {
            entry["position"] = {{"x", node.position->x}, {"y", node.position->y}};
        }
        nodes.push_back(entry);
    }
    nlohmann::json edges = nlohmann::json::array();
    for (const auto& edge : project.graph.edges) {
        edges.push_back({{"from", edge.from}, {"to", edge.to}});
    }
    json["graph"] = {{"nodes", nodes}, {"edges", edges}};

    const auto& training = project.training;
    json["training"] = {
        {"epochs", training.epochs},
        {"batch_size", training.batchSize},
        {"optimizer",
         {{"type", training.optimizer.type},
          {"learning_rate", training.optimizer.learningRate},
          {"weight_decay", training.optimizer.weightDecay},
          {"momentum", training.optimizer.momentum}}},
        {"schedule",
         {{"type", training.schedule.type}, {"step_size", training.schedule.stepSize}, {"gamma", training.schedule.gamma}}},
        {"seed", training.seed},
        {"device", training.device},
        {"method", {{"name", training.method.name}, {"params", training.method.params}}},
        {"log_every_steps", training.logEverySteps},
        {"conflict_every_steps", training.conflictEverySteps},
        {"gradient_mode", training.gradientMode},
        {"sam_rho", training.samRho},
        {"task_sampling", training.taskSampling},
        {"sampling_temperature", training.samplingTemperature},
        {"single_task_batches", training.singleTaskBatches},
    };
    return json;
}

void saveProject(Project& project, const std::string& path) {
    writeFileAtomically(path, toJson(project).dump(2) + "\n");
    project.filePath = std::filesystem::absolute(path).lexically_normal().string();
}

}  // namespace mtlw
