// In-memory datasets: inputs and per-target tensors for the train, validation and test splits.
#pragma once

#include "project/Project.h"

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mtlw {

// Kind and label names of a target: one class index per sample with label names, real numbers,
// or a set of labels per sample (multi-label).
struct TargetInfo {
    enum class Kind { Categorical, Numeric, MultiLabel };
    Kind kind = Kind::Categorical;
    /// Label names of a categorical or multi-label target; size() is the number of classes
    /// (categorical) or the label vocabulary (multi-label).
    std::vector<std::string> classNames;
};

struct Split {
    /// [N, ...] float32 inputs.
    torch::Tensor inputs;
    /// Target name -> [N] int64 class indices (categorical), [N] float32 values (numeric) or
    /// [N, C] float32 0/1 label indicators in classNames order (multi-label).
    std::map<std::string, torch::Tensor> targets;

    std::int64_t size() const { return inputs.defined() ? inputs.size(0) : 0; }
};

struct Dataset {
    std::string name;
    /// Shape of one input sample, without the batch dimension, e.g. {1, 36, 36}.
    std::vector<std::int64_t> inputShape;
    /// Name of each input feature for tabular data (CSV), in input column order; empty for images.
    std::vector<std::string> featureNames;
    std::map<std::string, TargetInfo> targets;
    Split train;
    Split validation;
    Split test;
};

/// Loads a project's dataset with the loader its kind selects. Throws InputError naming the
/// project file, the dataset and the data file on any problem.
Dataset loadDataset(const Project& project, const DatasetSpec& spec);

/// The folder where composed datasets are cached: $MTLW_CACHE_DIR, else
/// $XDG_CACHE_HOME/mtl-workbench, else ~/.cache/mtl-workbench, else (no $HOME) the system
/// temporary folder's mtl-workbench-cache. Creates the folder if missing; throws InputError
/// when that fails.
std::string cacheDirectory();

/// The dataset kinds loadDataset accepts, e.g. "multi-fashion" and "csv".
std::vector<std::string> datasetKinds();

}  // namespace mtlw
