// The "multi-fashion" dataset kind: two Fashion-MNIST items per 36x36 canvas, composed as
// MultiMNIST is (see docs/data.md), with targets "left" and "right" (the class of each item)
// and "items" (the set of classes on the canvas, for multilabel tasks).
#pragma once

#include "data/Dataset.h"

#include <string>

namespace mtlw::data {

/// Loads a "multi-fashion" dataset from the cache, or composes and caches it. `field` names
/// the dataset in messages, e.g. "p.mtlw: datasets[0]".
Dataset loadMultiFashion(const Project& project, const DatasetSpec& spec, const std::string& field);

}  // namespace mtlw::data
