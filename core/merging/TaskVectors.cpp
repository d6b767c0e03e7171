#include "merging/TaskVectors.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

namespace mtlw {

std::vector<TensorList> taskVectors(const MergeProblem& problem) {
    std::vector<TensorList> vectors;
    for (const auto& model : problem.models) {
        TensorList vector;
        for (std::size_t p = 0; p < model.size(); ++p) {
            vector.push_back(model[p] - problem.base[p]);
        }
        vectors.push_back(std::move(vector));
    }
    return vectors;
}

TensorList addScaled(const TensorList& base, const std::vector<TensorList>& vectors,
                     const std::vector<double>& coefficients) {
    TensorList merged;
    for (std::size_t p = 0; p < base.size(); ++p) {
        torch::Tensor tensor = base[p].clone();
        for (std::size_t m = 0; m < vectors.size(); ++m) {
            tensor.add_(vectors[m][p], coefficients.at(m));
        }
        merged.push_back(tensor);
    }
    return merged;
}

std::vector<TensorList> trimToDensity(const std::vector<TensorList>& vectors, double density) {
    if (density >= 1.0) {
        return vectors;
    }
    std::vector<TensorList> trimmed;
    for (const auto& vector : vectors) {
        std::vector<torch::Tensor> flat;
        for (const auto& tensor : vector) {
            flat.push_back(tensor.reshape(-1).abs());
        }
        const torch::Tensor magnitudes = torch::cat(flat);
        const std::int64_t total = magnitudes.numel();
        const auto keep = static_cast<std::int64_t>(std::llround(density * static_cast<double>(total)));
        TensorList result;
        if (keep <= 0) {
            for (const auto& tensor : vector) {
                result.push_back(torch::zeros_like(tensor));
            }
        } else {
            // The keep-th largest magnitude is the (total - keep + 1)-th smallest. Entries equal
            // to it are all kept, so ties can keep a few more than `keep`.
            const torch::Tensor threshold = std::get<0>(magnitudes.kthvalue(total - keep + 1));
            for (const auto& tensor : vector) {
                result.push_back(torch::where(tensor.abs() >= threshold, tensor, torch::zeros_like(tensor)));
            }
        }
        trimmed.push_back(std::move(result));
    }
    return trimmed;
}

TensorList electAndAverage(const std::vector<TensorList>& vectors) {
    TensorList merged;
    for (std::size_t p = 0; p < vectors.front().size(); ++p) {
        std::vector<torch::Tensor> entries;
        for (const auto& vector : vectors) {
            entries.push_back(vector[p]);
        }
        const torch::Tensor stacked = torch::stack(entries);
        const torch::Tensor elected = torch::sign(stacked.sum(0));
        const torch::Tensor agrees = (torch::sign(stacked) == elected.unsqueeze(0)) & (stacked != 0);
        const torch::Tensor count = agrees.sum(0).to(stacked.scalar_type());
        const torch::Tensor sum = torch::where(agrees, stacked, torch::zeros_like(stacked)).sum(0);
        // clamp_min keeps 0 / 0 out: where no model agrees the sum is 0 and so is the result.
        merged.push_back(sum / count.clamp_min(1.0));
    }
    return merged;
}

std::vector<TensorList> dropAndRescale(const std::vector<TensorList>& vectors, double dropRate,
                                       torch::Generator& generator) {
    if (dropRate <= 0.0) {
        return vectors;
    }
    const double scale = 1.0 / (1.0 - dropRate);
    std::vector<TensorList> dropped;
    for (const auto& vector : vectors) {
        TensorList result;
        for (const auto& tensor : vector) {
            const torch::Tensor keep =
                torch::empty(tensor.sizes(), tensor.options()).bernoulli_(1.0 - dropRate, generator);
            result.push_back(tensor * keep * scale);
        }
        dropped.push_back(std::move(result));
    }
    return dropped;
}

torch::Generator seededMergeGenerator(double seed) {
    return at::make_generator<at::CPUGeneratorImpl>(static_cast<std::uint64_t>(seed));
}

}  // namespace mtlw
