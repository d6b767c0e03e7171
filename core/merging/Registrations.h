// Registration functions of all merge methods, one per method, in listing order.
#pragma once

#include "merging/MergeMethod.h"

#include <utility>

namespace mtlw {

using MergeRegistration = std::pair<MergeMethodInfo, MergeFactory> (*)();

std::pair<MergeMethodInfo, MergeFactory> registerWeightAveraging();
std::pair<MergeMethodInfo, MergeFactory> registerTaskArithmetic();
std::pair<MergeMethodInfo, MergeFactory> registerTies();
std::pair<MergeMethodInfo, MergeFactory> registerDare();
std::pair<MergeMethodInfo, MergeFactory> registerDareTies();
std::pair<MergeMethodInfo, MergeFactory> registerSlerp();
std::pair<MergeMethodInfo, MergeFactory> registerFisherMerging();
std::pair<MergeMethodInfo, MergeFactory> registerTaskAdaMerging();
std::pair<MergeMethodInfo, MergeFactory> registerLayerAdaMerging();

inline constexpr MergeRegistration kMergeRegistrations[] = {
    registerWeightAveraging,
    registerTaskArithmetic,
    registerTies,
    registerDare,
    registerDareTies,
    registerSlerp,
    registerFisherMerging,
    registerTaskAdaMerging,
    registerLayerAdaMerging,
};

}  // namespace mtlw
