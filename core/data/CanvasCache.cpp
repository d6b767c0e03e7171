// The cache is local to one machine, so integers are stored in its byte order. File layout:
//   8 bytes magic "MTLWCNV1", uint32 format version, uint32 key length, key bytes,
//   3 x uint64 canvas counts (train, validation, test),
//   per split: count*36*36 canvas bytes, count left labels, count right labels,
//   uint32 CRC-32 (zlib) of everything before it.
#include "data/CanvasCache.h"

#include <spdlog/spdlog.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <unistd.h>

namespace mtlw::data {
namespace {

constexpr char kMagic[8] = {'M', 'T', 'L', 'W', 'C', 'N', 'V', '1'};
constexpr std::uint32_t kFormatVersion = 1;
constexpr std::uint64_t kCanvasBytes = kCanvasSide * kCanvasSide;

class BufferReader {
public:
    explicit BufferReader(const std::vector<char>& buffer) : mBuffer(buffer) {}

    bool read(void* target, std::size_t count)
    {
        if (mBuffer.size() - mPosition < count)
            return false;
        std::memcpy(target, mBuffer.data() + mPosition, count);
        mPosition += count;
        return true;
    }

    std::size_t position() const { return mPosition; }
    std::size_t remaining() const { return mBuffer.size() - mPosition; }

private:
    const std::vector<char>& mBuffer;
    std::size_t mPosition = 0;
};

std::uint32_t checksum(const char* data, std::size_t size)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    // zlib's crc32 takes a 32-bit length, so feed it in slices.
    while (size > 0) {
        const std::size_t slice = std::min<std::size_t>(size, 1u << 30);
        crc = crc32(crc, reinterpret_cast<const Bytef*>(data), static_cast<uInt>(slice));
        data += slice;
        size -= slice;
    }
    return static_cast<std::uint32_t>(crc);
}

// Parses a cache buffer and returns the reason it cannot be used, or an empty string.
std::string parseCache(const std::vector<char>& buffer, const std::string& key, ComposedSplits& splits)
{
    if (buffer.size() < sizeof(std::uint32_t))
        return "file too short";
    const std::size_t payloadSize = buffer.size() - sizeof(std::uint32_t);
    std::uint32_t storedChecksum = 0;
    std::memcpy(&storedChecksum, buffer.data() + payloadSize, sizeof storedChecksum);

    BufferReader reader(buffer);
    char magic[8];
    std::uint32_t version = 0;
    std::uint32_t keyLength = 0;
    if (!reader.read(magic, sizeof magic) || std::memcmp(magic, kMagic, sizeof magic) != 0)
        return "not a canvas cache file (bad magic)";
    if (!reader.read(&version, sizeof version) || version != kFormatVersion)
        return "format version " + std::to_string(version) + ", expected " + std::to_string(kFormatVersion);
    if (!reader.read(&keyLength, sizeof keyLength) || keyLength > reader.remaining())
        return "truncated header";
    std::string storedKey(keyLength, '\0');
    reader.read(storedKey.data(), keyLength);
    if (storedKey != key)
        return "it was composed from other options or source files";

    std::uint64_t counts[3] = {0, 0, 0};
    if (!reader.read(counts, sizeof counts))
        return "truncated header";
    std::uint64_t expectedPayload = reader.position();
    for (const std::uint64_t count : counts) {
        if (count > buffer.size())
            return "invalid canvas count";
        expectedPayload += count * (kCanvasBytes + 2);
    }
    if (expectedPayload != payloadSize)
        return "size " + std::to_string(buffer.size()) + " bytes does not match the canvas counts";
    if (checksum(buffer.data(), payloadSize) != storedChecksum)
        return "checksum mismatch";

    for (std::size_t i = 0; i < splits.size(); ++i) {
        ComposedSplit& split = splits[i];
        split.count = static_cast<std::int64_t>(counts[i]);
        split.canvases.resize(counts[i] * kCanvasBytes);
        split.leftLabels.resize(counts[i]);
        split.rightLabels.resize(counts[i]);
        reader.read(split.canvases.data(), split.canvases.size());
        reader.read(split.leftLabels.data(), split.leftLabels.size());
        reader.read(split.rightLabels.data(), split.rightLabels.size());
    }
    return {};
}

}  // namespace

std::optional<ComposedSplits> readCanvasCache(const std::string& path, const std::string& key)
{
    std::error_code error;
    if (!std::filesystem::exists(path, error))
        return std::nullopt;
    std::ifstream file(path, std::ios::binary);
    const auto size = std::filesystem::file_size(path, error);
    if (!file || error) {
        spdlog::warn("ignoring canvas cache {}: cannot read it; composing again", path);
        return std::nullopt;
    }
    std::vector<char> buffer(static_cast<std::size_t>(size));
    if (!file.read(buffer.data(), static_cast<std::streamsize>(buffer.size()))) {
        spdlog::warn("ignoring canvas cache {}: read failed; composing again", path);
        return std::nullopt;
    }

    ComposedSplits splits;
    const std::string problem = parseCache(buffer, key, splits);
    if (!problem.empty()) {
        spdlog::warn("ignoring canvas cache {}: {}; composing again", path, problem);
        return std::nullopt;
    }
    return splits;
}

void writeCanvasCache(const std::string& path, const std::string& key, const ComposedSplits& splits)
{
    std::vector<char> buffer;
    auto append = [&buffer](const void* data, std::size_t size) {
        const char* bytes = static_cast<const char*>(data);
        buffer.insert(buffer.end(), bytes, bytes + size);
    };
    std::size_t total = sizeof kMagic + 8 + key.size() + 3 * 8 + 4;
    for (const auto& split : splits)
        total += split.canvases.size() + 2 * split.leftLabels.size();
    buffer.reserve(total);

    const auto keyLength = static_cast<std::uint32_t>(key.size());
    append(kMagic, sizeof kMagic);
    append(&kFormatVersion, sizeof kFormatVersion);
    append(&keyLength, sizeof keyLength);
    append(key.data(), key.size());
    for (const auto& split : splits) {
        const auto count = static_cast<std::uint64_t>(split.count);
        append(&count, sizeof count);
    }
    for (const auto& split : splits) {
        append(split.canvases.data(), split.canvases.size());
        append(split.leftLabels.data(), split.leftLabels.size());
        append(split.rightLabels.data(), split.rightLabels.size());
    }
    const std::uint32_t crc = checksum(buffer.data(), buffer.size());
    append(&crc, sizeof crc);

    const std::string temporary = path + ".tmp-" + std::to_string(::getpid());
    {
        std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
        file.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        file.flush();
        if (!file) {
            std::error_code ignored;
            std::filesystem::remove(temporary, ignored);
            spdlog::warn("cannot write canvas cache {}; the next load composes again", temporary);
            return;
        }
    }
    std::error_code error;
    std::filesystem::rename(temporary, path, error);
    if (error) {
        spdlog::warn("cannot move canvas cache into place at {}: {}; the next load composes again", path,
                     error.message());
        std::filesystem::remove(temporary, error);
        return;
    }
    spdlog::info("wrote canvas cache {} ({} bytes)", path, buffer.size());
}

}  // namespace mtlw::data
