// The "synthetic-correlation" dataset kind: the two-task regression benchmark introduced with
// MMoE, in which the cosine p of the tasks' weight vectors sets their correlation.
#pragma once

#include "data/Dataset.h"

#include <string>

namespace mtlw::data {

/// Generates a "synthetic-correlation" dataset; the same options give the same data on every
/// platform. `field` names the dataset in messages, e.g. "p.mtlw: datasets[0]".
Dataset loadSyntheticCorrelation(const Project& project, const DatasetSpec& spec, const std::string& field);

}  // namespace mtlw::data
