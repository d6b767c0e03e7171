#include "engine/Checkpoint.h"

#include "util/Errors.h"

#include <cstdio>
#include <filesystem>

namespace mtlw {

void saveCheckpoint(const std::string& path, MultiTaskModel& model, torch::optim::Optimizer& optimizer,
                    const BalancingMethod& method, const CheckpointState& state) {
    torch::serialize::OutputArchive archive;
    torch::serialize::OutputArchive modelArchive;
    model->save(modelArchive);
    archive.write("model", modelArchive);
    torch::serialize::OutputArchive optimizerArchive;
    optimizer.save(optimizerArchive);
    archive.write("optimizer", optimizerArchive);
    torch::serialize::OutputArchive methodArchive;
    method.save(methodArchive);
    archive.write("method", methodArchive);
    archive.write("epoch", torch::tensor(static_cast<std::int64_t>(state.epoch)));
    archive.write("step", torch::tensor(state.step));

    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    const std::string temporary = path + ".tmp";
    archive.save_to(temporary);
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
        throw std::runtime_error("could not move checkpoint " + temporary + " to " + path);
    }
}

void loadModelWeights(const std::string& path, MultiTaskModel& model) {
    if (!std::filesystem::exists(path)) {
        throw InputError(path + ": checkpoint file not found; it may have been moved or deleted");
    }
    try {
        torch::serialize::InputArchive archive;
        archive.load_from(path);
        torch::serialize::InputArchive modelArchive;
        archive.read("model", modelArchive);
        model->load(modelArchive);
    } catch (const c10::Error& error) {
        throw InputError(path + ": checkpoint cannot be read or does not fit the run's model: " + error.msg());
    }
}

CheckpointState loadCheckpoint(const std::string& path, MultiTaskModel& model, torch::optim::Optimizer& optimizer,
                               BalancingMethod& method) {
    if (!std::filesystem::exists(path)) {
        throw InputError(path + ": checkpoint file not found");
    }
    try {
        torch::serialize::InputArchive archive;
        archive.load_from(path);
        torch::serialize::InputArchive modelArchive;
        archive.read("model", modelArchive);
        model->load(modelArchive);
        torch::serialize::InputArchive optimizerArchive;
        archive.read("optimizer", optimizerArchive);
        optimizer.load(optimizerArchive);
        torch::serialize::InputArchive methodArchive;
        archive.read("method", methodArchive);
        method.load(methodArchive);
        torch::Tensor epoch;
        torch::Tensor step;
        archive.read("epoch", epoch);
        archive.read("step", step);
        return {static_cast<int>(epoch.item<std::int64_t>()), step.item<std::int64_t>()};
    } catch (const c10::Error& error) {
        throw InputError(path + ": checkpoint cannot be read or does not fit this model: " + error.msg());
    }
}

std::string checkpointFolder(const std::string& storePath, std::int64_t runId) {
    std::filesystem::path store(storePath);
    std::string stem = store.filename().string();
    const std::string suffix = ".sqlite";
    if (stem.size() > suffix.size() && stem.compare(stem.size() - suffix.size(), suffix.size(), suffix) == 0) {
        stem.resize(stem.size() - suffix.size());
    } else {
        stem += ".checkpoints";
    }
    return (store.parent_path() / stem / ("run-" + std::to_string(runId))).string();
}

}  // namespace mtlw
