// Reader for IDX files, the array format of the MNIST and Fashion-MNIST distributions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mtlw::data {

/// An IDX array of unsigned bytes.
struct IdxArray {
    /// Dimension sizes, outermost first, e.g. {60000, 28, 28}.
    std::vector<std::int64_t> dims;
    /// Elements in row-major order; size() is the product of dims.
    std::vector<std::uint8_t> data;
};

/// Reads an IDX file, gzip-compressed (detected by the 1f 8b magic) or raw. Only the
/// unsigned byte element type (0x08) is supported. Throws InputError naming the file and
/// the problem when it is missing, truncated, corrupt or of another element type.
IdxArray readIdx(const std::string& path);

}  // namespace mtlw::data
