// The version of this build, for `--version`, the About box and the runs it records.
#pragma once

#include <string>

namespace mtlw {

/// The release and the git commit the build was configured from, e.g. "0.1.0 (4604e15)".
std::string codeVersion();

}  // namespace mtlw
