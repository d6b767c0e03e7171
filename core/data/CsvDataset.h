// The "csv" dataset kind: tabular features and targets from one CSV file.
#pragma once

#include "data/Dataset.h"

#include <string>

namespace mtlw::data {

/// Loads a "csv" dataset. `field` names the dataset in messages, e.g. "p.mtlw: datasets[1]".
Dataset loadCsvDataset(const Project& project, const DatasetSpec& spec, const std::string& field);

}  // namespace mtlw::data
