// Registration functions of all balancing methods, one per method file, in listing order.
#pragma once

#include "methods/BalancingMethod.h"

#include <utility>

namespace mtlw {

using MethodRegistration = std::pair<MethodInfo, MethodFactory> (*)();

std::pair<MethodInfo, MethodFactory> registerEqualWeighting();
std::pair<MethodInfo, MethodFactory> registerUncertaintyWeighting();
std::pair<MethodInfo, MethodFactory> registerDynamicWeightAverage();
std::pair<MethodInfo, MethodFactory> registerMgda();
std::pair<MethodInfo, MethodFactory> registerMgdaUpperBound();
std::pair<MethodInfo, MethodFactory> registerPcGrad();
std::pair<MethodInfo, MethodFactory> registerGradVac();
std::pair<MethodInfo, MethodFactory> registerGradDrop();
std::pair<MethodInfo, MethodFactory> registerCaGrad();
std::pair<MethodInfo, MethodFactory> registerImtl();
std::pair<MethodInfo, MethodFactory> registerImtlLoss();
std::pair<MethodInfo, MethodFactory> registerNashMtl();
std::pair<MethodInfo, MethodFactory> registerAlignedMtl();
std::pair<MethodInfo, MethodFactory> registerUpGrad();
std::pair<MethodInfo, MethodFactory> registerDbMtl();
std::pair<MethodInfo, MethodFactory> registerFairGrad();
std::pair<MethodInfo, MethodFactory> registerRandomLossWeighting();
std::pair<MethodInfo, MethodFactory> registerGeometricLossStrategy();
std::pair<MethodInfo, MethodFactory> registerSmoothTchebycheff();
std::pair<MethodInfo, MethodFactory> registerFamo();
std::pair<MethodInfo, MethodFactory> registerGradNorm();

inline constexpr MethodRegistration kMethodRegistrations[] = {
    registerEqualWeighting,
    registerUncertaintyWeighting,
    registerDynamicWeightAverage,
    registerMgda,
    registerMgdaUpperBound,
    registerPcGrad,
    registerGradVac,
    registerGradDrop,
    registerCaGrad,
    registerImtl,
    registerNashMtl,
    registerAlignedMtl,
    registerUpGrad,
    registerDbMtl,
    registerFairGrad,
    registerRandomLossWeighting,
    registerGeometricLossStrategy,
    registerSmoothTchebycheff,
    registerFamo,
    registerImtlLoss,
    registerGradNorm,
};

}  // namespace mtlw
