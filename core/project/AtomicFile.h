// Crash-safe file replacement: a reader sees the old file or the new one, never a mix.
#pragma once

#include <string>

namespace mtlw {

/// Writes `contents` to a temporary file beside `path`, fsyncs it, renames it over `path`
/// and fsyncs the folder. Throws InputError naming the path if any step fails; the old
/// file is then left untouched.
void writeFileAtomically(const std::string& path, const std::string& contents);

/// Reads a whole file. Throws InputError naming the path if it is missing or unreadable.
std::string readFile(const std::string& path);

}  // namespace mtlw
