// Task vectors (fine-tuned shared tensors minus the base) and the steps the merge methods share:
// scaled sums, TIES trimming and sign election, DARE dropping.
#pragma once

#include "merging/MergeMethod.h"

#include <torch/torch.h>

#include <vector>

namespace mtlw {

/// One set of shared tensors, in the order of MergeProblem::names.
using TensorList = std::vector<torch::Tensor>;

/// [model][tensor] fine-tuned minus base.
std::vector<TensorList> taskVectors(const MergeProblem& problem);

/// base + sum over models of coefficient[m] * vectors[m].
TensorList addScaled(const TensorList& base, const std::vector<TensorList>& vectors,
                     const std::vector<double>& coefficients);

/// Keeps, in each task vector, the `density` share of its entries with the largest magnitude
/// over all its tensors together, and sets the rest to zero. Density 1 keeps everything.
std::vector<TensorList> trimToDensity(const std::vector<TensorList>& vectors, double density);

/// TIES sign election and disjoint mean: per entry, the sign of the summed task vectors wins,
/// and the result is the mean of the nonzero entries that have that sign (0 where none has).
TensorList electAndAverage(const std::vector<TensorList>& vectors);

/// DARE: sets each entry to zero with probability `dropRate` and scales the kept ones by
/// 1 / (1 - dropRate), so each entry keeps its expected value.
std::vector<TensorList> dropAndRescale(const std::vector<TensorList>& vectors, double dropRate,
                                       torch::Generator& generator);

/// A CPU generator seeded with `seed`; merge methods draw all their randomness from it.
torch::Generator seededMergeGenerator(double seed);

}  // namespace mtlw
