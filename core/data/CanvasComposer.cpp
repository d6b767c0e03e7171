#include "data/CanvasComposer.h"

#include "data/Random.h"

#include <algorithm>
#include <stdexcept>

namespace mtlw::data {
namespace {

constexpr std::int64_t kItemPixels = kItemSide * kItemSide;
constexpr std::int64_t kCanvasPixels = kCanvasSide * kCanvasSide;

// Draws `item` onto `canvas` with its top-left corner at (top, left), keeping the brighter pixel.
void placeItem(std::uint8_t* canvas, const std::uint8_t* item, int top, int left)
{
    for (int row = 0; row < kItemSide; ++row) {
        std::uint8_t* target = canvas + (top + row) * kCanvasSide + left;
        const std::uint8_t* source = item + row * kItemSide;
        for (int column = 0; column < kItemSide; ++column)
            target[column] = std::max(target[column], source[column]);
    }
}

}  // namespace

ComposedSplit composeSplit(const std::uint8_t* images, const std::uint8_t* labels,
                           const std::vector<std::int64_t>& pool, std::int64_t count, std::uint64_t seed)
{
    const auto poolSize = static_cast<std::int64_t>(pool.size());
    if (count < 0 || count > poolSize || (count > 0 && poolSize < 2))
        throw std::invalid_argument("composeSplit: count must be in [0, pool size] and the pool needs 2 images");

    ComposedSplit split;
    split.count = count;
    split.canvases.assign(static_cast<std::size_t>(count * kCanvasPixels), 0);
    split.leftLabels.resize(static_cast<std::size_t>(count));
    split.rightLabels.resize(static_cast<std::size_t>(count));

    constexpr std::uint64_t kShiftChoices = kMaxShift + 1;
    constexpr int kRightCorner = kCanvasSide - kItemSide;
    std::mt19937_64 rng(seed);
    for (std::int64_t i = 0; i < count; ++i) {
        // Draw from the pool without position i, so the right item is never the left one.
        auto other = static_cast<std::int64_t>(uniformBelow(rng, static_cast<std::uint64_t>(poolSize - 1)));
        if (other >= i)
            ++other;
        const int leftY = static_cast<int>(uniformBelow(rng, kShiftChoices));
        const int leftX = static_cast<int>(uniformBelow(rng, kShiftChoices));
        const int rightY = kRightCorner - static_cast<int>(uniformBelow(rng, kShiftChoices));
        const int rightX = kRightCorner - static_cast<int>(uniformBelow(rng, kShiftChoices));

        const std::int64_t leftImage = pool[static_cast<std::size_t>(i)];
        const std::int64_t rightImage = pool[static_cast<std::size_t>(other)];
        std::uint8_t* canvas = split.canvases.data() + i * kCanvasPixels;
        placeItem(canvas, images + leftImage * kItemPixels, leftY, leftX);
        placeItem(canvas, images + rightImage * kItemPixels, rightY, rightX);
        split.leftLabels[static_cast<std::size_t>(i)] = labels[leftImage];
        split.rightLabels[static_cast<std::size_t>(i)] = labels[rightImage];
    }
    return split;
}

}  // namespace mtlw::data
