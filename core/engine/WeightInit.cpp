#include "engine/WeightInit.h"

#include "util/Errors.h"

#include <filesystem>
#include <set>

namespace mtlw {

namespace {

// Module::save writes a module's own tensors under their names and each child module as a
// nested archive, so the dotted names of named_parameters() come from joining the keys.
void collectTensors(torch::serialize::InputArchive& archive, const std::string& prefix, NamedTensors& tensors) {
    for (const std::string& key : archive.keys()) {
        torch::Tensor tensor;
        if (archive.try_read(key, tensor)) {
            tensors[prefix + key] = tensor.detach().to(torch::kCPU);
            continue;
        }
        torch::serialize::InputArchive child;
        if (archive.try_read(key, child)) {
            collectTensors(child, prefix + key + ".", tensors);
        }
    }
}

}  // namespace

std::string shapeText(const torch::Tensor& tensor) {
    std::string text = "[";
    for (std::int64_t d = 0; d < tensor.dim(); ++d) {
        text += (d == 0 ? "" : ", ") + std::to_string(tensor.size(d));
    }
    return text + "]";
}

NamedTensors readCheckpointWeights(const std::string& path) {
    if (!std::filesystem::is_regular_file(path)) {
        throw InputError(path + ": checkpoint file not found");
    }
    NamedTensors tensors;
    try {
        torch::serialize::InputArchive archive;
        archive.load_from(path);
        torch::serialize::InputArchive modelArchive;
        if (!archive.try_read("model", modelArchive)) {
            throw InputError(path + ": not an MTL Workbench checkpoint (it has no model weights)");
        }
        collectTensors(modelArchive, "", tensors);
    } catch (const c10::Error& error) {
        throw InputError(path + ": checkpoint cannot be read: " + error.msg());
    }
    return tensors;
}

ParameterNames parameterNames(MultiTaskModelImpl& model, std::size_t taskCount) {
    // sharedParameters() and headParameters() return tensors; their names come from matching
    // them against named_parameters() by identity.
    std::map<const void*, std::string> nameOf;
    for (const auto& item : model.named_parameters()) {
        nameOf[item.value().unsafeGetTensorImpl()] = item.key();
    }
    ParameterNames names;
    for (const auto& parameter : model.sharedParameters()) {
        names.shared.push_back(nameOf.at(parameter.unsafeGetTensorImpl()));
    }
    for (size_t task = 0; task < taskCount; ++task) {
        std::vector<std::string> headNames;
        for (const auto& parameter : model.headParameters(task)) {
            headNames.push_back(nameOf.at(parameter.unsafeGetTensorImpl()));
        }
        names.heads.push_back(std::move(headNames));
    }
    return names;
}

std::size_t initializeFromCheckpoint(MultiTaskModelImpl& model, const std::string& path) {
    const NamedTensors weights = readCheckpointWeights(path);
    std::set<std::string> shared;
    for (const auto& name : parameterNames(model, 0).shared) {
        shared.insert(name);
    }

    torch::NoGradGuard noGrad;
    std::size_t copied = 0;
    const auto copyInto = [&](const std::string& name, torch::Tensor& target, bool required) {
        const auto found = weights.find(name);
        if (found == weights.end()) {
            if (required) {
                throw InputError(path + ": checkpoint has no tensor '" + name + "' (the model's is " +
                                 shapeText(target) + "); it must come from a model with the same backbone");
            }
            return;
        }
        if (!found->second.sizes().equals(target.sizes())) {
            if (required) {
                throw InputError(path + ": tensor '" + name + "' has shape " + shapeText(found->second) +
                                 " in the checkpoint but " + shapeText(target) + " in the model");
            }
            return;
        }
        target.copy_(found->second.to(target.device(), target.scalar_type()));
        ++copied;
    };
    for (auto& item : model.named_parameters()) {
        copyInto(item.key(), item.value(), shared.count(item.key()) > 0);
    }
    for (auto& item : model.named_buffers()) {
        copyInto(item.key(), item.value(), false);
    }
    return copied;
}

}  // namespace mtlw
