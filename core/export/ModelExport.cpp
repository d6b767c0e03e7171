#include "export/ModelExport.h"

#include "engine/Checkpoint.h"
#include "engine/TaskObjective.h"
#include "engine/Trainer.h"
#include "engine/ProjectModel.h"
#include "util/Errors.h"

#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/frontend/tracer.h>

#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

namespace mtlw {

namespace {

std::string identifierPart(const std::string& part) {
    std::string name = part;
    for (char& c : name) {
        const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        if (!allowed) {
            c = '_';
        }
    }
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) {
        name = "_" + name;
    }
    return name;
}

std::string exportName(const std::string& libtorchName) {
    std::string name;
    size_t begin = 0;
    while (true) {
        const size_t dot = libtorchName.find('.', begin);
        name += identifierPart(libtorchName.substr(begin, dot == std::string::npos ? std::string::npos : dot - begin));
        if (dot == std::string::npos) {
            return name;
        }
        name += '.';
        begin = dot + 1;
    }
}

// Writes through a temporary file and renames it, so a failed export leaves no partial file.
void renameInto(const std::string& temporary, const std::string& path) {
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
        const std::string reason = std::strerror(errno);
        std::filesystem::remove(temporary);
        throw InputError(path + ": cannot write the export: " + reason);
    }
}

const char* safetensorsDtype(torch::ScalarType type) {
    switch (type) {
    case torch::kFloat:
        return "F32";
    case torch::kDouble:
        return "F64";
    case torch::kHalf:
        return "F16";
    case torch::kBFloat16:
        return "BF16";
    case torch::kLong:
        return "I64";
    case torch::kInt:
        return "I32";
    case torch::kShort:
        return "I16";
    case torch::kChar:
        return "I8";
    case torch::kByte:
        return "U8";
    case torch::kBool:
        return "BOOL";
    default:
        throw std::runtime_error(std::string("safetensors has no dtype for ") + c10::toString(type));
    }
}

bool hostIsLittleEndian() {
    const std::uint16_t probe = 1;
    unsigned char first = 0;
    std::memcpy(&first, &probe, 1);
    return first == 1;
}

}  // namespace

CheckpointChoice parseCheckpointChoice(const std::string& text) {
    if (text == "best") {
        return CheckpointChoice::Best;
    }
    if (text == "latest") {
        return CheckpointChoice::Latest;
    }
    throw InputError("invalid checkpoint '" + text + "'; use best or latest");
}

ExportFormat parseExportFormat(const std::string& text) {
    if (text == "torchscript") {
        return ExportFormat::TorchScript;
    }
    if (text == "safetensors") {
        return ExportFormat::Safetensors;
    }
    throw InputError("invalid export format '" + text + "'; use torchscript or safetensors");
}

RunModel loadRunModel(const RunStore& store, std::int64_t runId, CheckpointChoice choice) {
    RunRecord run = store.requireRun(runId);
    const auto checkpoint = choice == CheckpointChoice::Best ? store.bestCheckpoint(runId) : store.latestCheckpoint(runId);
    if (!checkpoint) {
        throw InputError(store.path() + ": run " + std::to_string(runId) +
                         " has no checkpoint yet; a run writes one after each completed epoch");
    }

    RunModel result;
    result.project = projectOfRun(run);
    const Project& project = result.project;

    // The same steps as Trainer::prepare, so the module layout matches the checkpoint.
    const ProjectData data = loadProjectData(project);
    for (size_t t = 0; t < project.tasks.size(); ++t) {
        const TaskSpec& task = project.tasks[t];
        const TargetInfo& target = data.taskDataset(t).targets.at(task.target);
        // Class names of a classification or binary task, label names of a multilabel task (one
        // per output column); empty for regression.
        result.labels[task.name] =
            target.kind == TargetInfo::Kind::Numeric ? std::vector<std::string>{} : target.classNames;
    }
    result.model = buildProjectModel(project, data);
    loadModelWeights(checkpoint->path, result.model);
    result.model->to(torch::kCPU);
    result.model->eval();

    result.inputShape = data.inputShape();
    result.featureNames = data.datasets.front().featureNames;
    result.checkpoint = *checkpoint;
    result.run = std::move(run);
    return result;
}

std::vector<std::pair<std::string, torch::Tensor>> exportedTensors(const MultiTaskModel& model) {
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    std::set<std::string> names;
    const auto add = [&](const std::string& libtorchName, const torch::Tensor& tensor) {
        const std::string name = exportName(libtorchName);
        if (!names.insert(name).second) {
            throw std::runtime_error("two model tensors get the export name '" + name + "'; rename the node '" +
                                     libtorchName + "' belongs to");
        }
        tensors.emplace_back(name, tensor);
    };
    for (const auto& item : model->named_parameters(/*recurse=*/true)) {
        add(item.key(), item.value());
    }
    for (const auto& item : model->named_buffers(/*recurse=*/true)) {
        add(item.key(), item.value());
    }
    return tensors;
}

c10::Dict<std::string, torch::Tensor> taskOutputDict(const RunModel& runModel, const torch::Tensor& input) {
    MultiTaskModel model = runModel.model;  // The holder's copy shares the module, non-const.
    const ModelOutput output = model->forward(input);
    c10::Dict<std::string, torch::Tensor> dict;
    for (size_t t = 0; t < runModel.project.tasks.size(); ++t) {
        dict.insert(runModel.project.tasks[t].name, output.taskOutputs.at(t));
    }
    return dict;
}

std::map<std::string, std::string> exportExtraFiles(const RunModel& runModel) {
    nlohmann::json labels = nlohmann::json::object();
    nlohmann::json tasks = nlohmann::json::array();
    for (const auto& task : runModel.project.tasks) {
        labels[task.name] = runModel.labels.at(task.name);
        tasks.push_back({{"name", task.name}, {"type", toString(task.type)}});
    }
    const nlohmann::json model = {{"run_id", runModel.run.id},
                                  {"project", runModel.run.projectName},
                                  {"method", runModel.run.method},
                                  {"checkpoint_epoch", runModel.checkpoint.epoch},
                                  {"checkpoint_step", runModel.checkpoint.step},
                                  {"input_shape", runModel.inputShape},
                                  {"feature_names", runModel.featureNames},
                                  {"tasks", tasks},
                                  {"code_version", runModel.run.codeVersion}};
    return {{"project.json", runModel.run.projectJson}, {"labels.json", labels.dump()}, {"model.json", model.dump()}};
}

void exportTorchScript(RunModel& runModel, const std::string& path) {
    namespace jit = torch::jit;
    auto unit = std::make_shared<jit::CompilationUnit>();
    jit::Module root(c10::QualifiedName("__torch__.mtlw.MultiTaskModel"), unit);
    root.register_attribute("training", c10::BoolType::get(), false);

    // One TorchScript submodule per dotted name prefix, holding the very tensors of the LibTorch
    // model, so the tracer records parameter reads as attribute reads instead of constants.
    std::map<std::string, jit::Module> modules;
    int classCount = 0;
    const auto moduleFor = [&](const std::string& prefix) -> jit::Module {
        jit::Module parent = root;
        std::string path;
        size_t begin = 0;
        while (begin < prefix.size()) {
            const size_t dot = prefix.find('.', begin);
            const size_t end = dot == std::string::npos ? prefix.size() : dot;
            const std::string part = prefix.substr(begin, end - begin);
            path += (path.empty() ? "" : ".") + part;
            auto found = modules.find(path);
            if (found == modules.end()) {
                jit::Module child(c10::QualifiedName("__torch__.mtlw.Module" + std::to_string(++classCount)), unit);
                child.register_attribute("training", c10::BoolType::get(), false);
                parent.register_module(part, child);
                found = modules.emplace(path, child).first;
            }
            parent = found->second;
            begin = end + 1;
        }
        return parent;
    };

    std::set<const void*> parameterImpls;
    for (const auto& parameter : runModel.model->parameters()) {
        parameterImpls.insert(parameter.unsafeGetTensorImpl());
    }
    for (const auto& [name, tensor] : exportedTensors(runModel.model)) {
        const size_t dot = name.rfind('.');
        jit::Module owner = dot == std::string::npos ? root : moduleFor(name.substr(0, dot));
        const std::string leaf = dot == std::string::npos ? name : name.substr(dot + 1);
        const bool isBuffer = parameterImpls.count(tensor.unsafeGetTensorImpl()) == 0;
        owner.register_parameter(leaf, tensor, isBuffer);
    }

    runModel.model->eval();
    std::vector<std::int64_t> exampleShape = {2};
    exampleShape.insert(exampleShape.end(), runModel.inputShape.begin(), runModel.inputShape.end());
    const torch::Tensor example = torch::rand(exampleShape);
    const auto traced = [&runModel](jit::Stack inputs) -> jit::Stack {
        return {c10::IValue(taskOutputDict(runModel, inputs.at(0).toTensor()))};
    };
    // Not strict, because the tracer takes a dict output only then.
    auto [state, outputs] = jit::tracer::trace({c10::IValue(example)}, traced,
                                               [](const torch::autograd::Variable&) { return std::string(); },
                                               /*strict=*/false, /*force_outplace=*/false, &root, {"input"});
    const c10::QualifiedName methodName(*root.type()->name(), "forward");
    jit::Function* forward = root._ivalue()->compilation_unit()->create_function(methodName, state->graph);
    root.type()->addMethod(forward);

    std::filesystem::path target(path);
    if (target.has_parent_path()) {
        std::filesystem::create_directories(target.parent_path());
    }
    const std::string temporary = path + ".tmp";
    try {
        const auto extraFiles = exportExtraFiles(runModel);
        root.save(temporary, jit::ExtraFilesMap(extraFiles.begin(), extraFiles.end()));
    } catch (const c10::Error& error) {
        std::filesystem::remove(temporary);
        throw InputError(path + ": cannot write the TorchScript export: " + error.msg());
    }
    renameInto(temporary, path);
    spdlog::info("run {}: exported the checkpoint of epoch {} as TorchScript to {}", runModel.run.id,
                 runModel.checkpoint.epoch, path);
}

void exportSafetensors(const RunModel& runModel, const std::string& path) {
    if (!hostIsLittleEndian()) {
        throw std::runtime_error("safetensors export writes the host's byte order and needs a little-endian host");
    }
    // nlohmann::json orders object keys alphabetically, so the data goes in that order too.
    std::map<std::string, torch::Tensor> tensors;
    for (const auto& [name, tensor] : exportedTensors(runModel.model)) {
        tensors.emplace(name, tensor.detach().to(torch::kCPU).contiguous());
    }

    nlohmann::json header = nlohmann::json::object();
    std::uint64_t offset = 0;
    for (const auto& [name, tensor] : tensors) {
        const std::uint64_t bytes = tensor.numel() * tensor.element_size();
        header[name] = {{"dtype", safetensorsDtype(tensor.scalar_type())},
                        {"shape", tensor.sizes().vec()},
                        {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    nlohmann::json metadata = {{"format", "pt"}};
    for (const auto& [name, contents] : exportExtraFiles(runModel)) {
        metadata[name] = contents;
    }
    header["__metadata__"] = metadata;

    std::string headerText = header.dump();
    // Pads with spaces so the data starts 8-byte aligned, as the reference implementation does.
    headerText.append((8 - headerText.size() % 8) % 8, ' ');

    std::filesystem::path target(path);
    if (target.has_parent_path()) {
        std::filesystem::create_directories(target.parent_path());
    }
    const std::string temporary = path + ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out) {
            throw InputError(path + ": cannot write the safetensors export: " + std::strerror(errno));
        }
        const std::uint64_t headerSize = headerText.size();
        unsigned char sizeBytes[8];
        for (int i = 0; i < 8; ++i) {
            sizeBytes[i] = static_cast<unsigned char>((headerSize >> (8 * i)) & 0xff);
        }
        out.write(reinterpret_cast<const char*>(sizeBytes), 8);
        out.write(headerText.data(), static_cast<std::streamsize>(headerText.size()));
        for (const auto& [name, tensor] : tensors) {
            out.write(static_cast<const char*>(tensor.data_ptr()),
                      static_cast<std::streamsize>(tensor.numel() * tensor.element_size()));
        }
        out.flush();
        if (!out) {
            out.close();
            std::filesystem::remove(temporary);
            throw InputError(path + ": writing the safetensors export failed: " + std::strerror(errno));
        }
    }
    renameInto(temporary, path);
    spdlog::info("run {}: exported the checkpoint of epoch {} as safetensors to {}", runModel.run.id,
                 runModel.checkpoint.epoch, path);
}

void exportRun(const RunStore& store, std::int64_t runId, ExportFormat format, CheckpointChoice choice,
               const std::string& path) {
    RunModel runModel = loadRunModel(store, runId, choice);
    if (format == ExportFormat::TorchScript) {
        exportTorchScript(runModel, path);
    } else {
        exportSafetensors(runModel, path);
    }
}

}  // namespace mtlw
