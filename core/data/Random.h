// Seeded random helpers for the data loaders. They avoid the standard distributions, whose
// output differs between standard libraries, so a seed gives the same dataset everywhere.
#pragma once

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace mtlw::data {

/// Derives an independent seed for stream `stream` from `seed` (SplitMix64 finalizer).
inline std::uint64_t deriveSeed(std::uint64_t seed, std::uint64_t stream)
{
    std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (stream + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/// Draws an integer uniformly from [0, bound) by rejection sampling; `bound` must be > 0.
inline std::uint64_t uniformBelow(std::mt19937_64& rng, std::uint64_t bound)
{
    // The largest multiple of `bound` representable in 64 bits; draws above it would bias
    // the result towards small values.
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    std::uint64_t value = rng();
    while (value >= limit)
        value = rng();
    return value % bound;
}

/// Shuffles `values` in place (Fisher-Yates).
template <typename T>
void shuffle(std::vector<T>& values, std::mt19937_64& rng)
{
    for (std::size_t i = values.size(); i > 1; --i) {
        const std::size_t j = static_cast<std::size_t>(uniformBelow(rng, i));
        std::swap(values[i - 1], values[j]);
    }
}

}  // namespace mtlw::data
