// MultiMNIST-style composition: two 28x28 items on one 36x36 canvas.
#pragma once

#include <cstdint>
#include <vector>

namespace mtlw::data {

inline constexpr int kItemSide = 28;
inline constexpr int kCanvasSide = 36;
/// Largest shift of an item from its corner, in pixels, along each axis.
inline constexpr int kMaxShift = 4;

/// Canvases of one split with the class labels of their two items.
struct ComposedSplit {
    std::int64_t count = 0;
    /// count * 36 * 36 pixels, canvas after canvas, row-major.
    std::vector<std::uint8_t> canvases;
    std::vector<std::uint8_t> leftLabels;
    std::vector<std::uint8_t> rightLabels;
};

/// Composes `count` canvases from the images listed in `pool` (indices into `images`, which
/// contains 28x28 uint8 images back to back). Canvas i puts pool[i] at the top left, shifted by
/// (dy, dx), and a random other pool image at the bottom right, at (8 - dy', 8 - dx'), with
/// each shift uniform in [0, 4]. Overlapping pixels take the maximum. Requires
/// count <= pool.size() and, when count > 0, pool.size() >= 2.
ComposedSplit composeSplit(const std::uint8_t* images, const std::uint8_t* labels,
                           const std::vector<std::int64_t>& pool, std::int64_t count, std::uint64_t seed);

}  // namespace mtlw::data
