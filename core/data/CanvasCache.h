// Binary cache of composed canvases, so a dataset is composed once per set of options.
#pragma once

#include "data/CanvasComposer.h"

#include <array>
#include <optional>
#include <string>

namespace mtlw::data {

/// Composed train, validation and test splits, in that order.
using ComposedSplits = std::array<ComposedSplit, 3>;

/// Reads a cache file written by writeCanvasCache. Returns nullopt when the file is absent;
/// when it is unreadable, corrupt or stores another `key`, logs a warning and returns nullopt.
std::optional<ComposedSplits> readCanvasCache(const std::string& path, const std::string& key);

/// Writes the splits to a temporary file in the same folder, then renames it over `path`.
/// Logs a warning and leaves no file behind when writing fails.
void writeCanvasCache(const std::string& path, const std::string& key, const ComposedSplits& splits);

}  // namespace mtlw::data
