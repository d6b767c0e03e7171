// Error types shared by every part of core.
#pragma once

#include <stdexcept>
#include <string>

namespace mtlw {

// An error in input the user controls: a project file, a dataset, a command-line value.
// The message names the file, field, line or node and what to do. The command line
// exits with status 2 for it and 1 for any other error.
class InputError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace mtlw
