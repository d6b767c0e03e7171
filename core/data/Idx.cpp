#include "data/Idx.h"

#include "util/Errors.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <sstream>

namespace mtlw::data {
namespace {

constexpr std::uint8_t kUnsignedByteType = 0x08;
// Bytes requested per read call, so a corrupt header cannot trigger one huge allocation.
constexpr std::size_t kReadChunk = std::size_t(16) << 20;

std::string elementTypeName(std::uint8_t type)
{
    switch (type) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return "unknown";
    }
}

std::string hexBytes(const std::uint8_t* bytes, std::size_t count)
{
    std::ostringstream out;
    for (std::size_t i = 0; i < count; ++i) {
        char buffer[4];
        std::snprintf(buffer, sizeof buffer, "%02x", bytes[i]);
        out << (i ? " " : "") << buffer;
    }
    return out.str();
}

// Sequential reader over a raw or gzip-compressed file. Stream errors throw InputError.
class ByteSource {
public:
    explicit ByteSource(const std::string& path) : mPath(path)
    {
        std::error_code error;
        const auto status = std::filesystem::status(path, error);
        if (!std::filesystem::exists(status))
            throw InputError(path + ": file not found");
        if (std::filesystem::is_directory(status))
            throw InputError(path + ": is a directory, expected an IDX file");

        mFile = std::fopen(path.c_str(), "rb");
        if (!mFile)
            throw InputError(path + ": cannot open: " + std::strerror(errno));
        unsigned char magic[2] = {0, 0};
        const std::size_t got = std::fread(magic, 1, 2, mFile);
        if (got == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
            std::fclose(mFile);
            mFile = nullptr;
            mGzip = gzopen(path.c_str(), "rb");
            if (!mGzip)
                throw InputError(path + ": cannot open: " + std::strerror(errno));
            gzbuffer(mGzip, 1 << 20);
        } else {
            std::rewind(mFile);
        }
    }

    ~ByteSource()
    {
        if (mFile)
            std::fclose(mFile);
        if (mGzip)
            gzclose(mGzip);
    }

    ByteSource(const ByteSource&) = delete;
    ByteSource& operator=(const ByteSource&) = delete;

    bool isGzip() const { return mGzip != nullptr; }
    /// True when the gzip stream ended before its trailer (a cut-off .gz file).
    bool truncatedStream() const { return mTruncatedStream; }

    /// Reads up to `count` bytes into `target`; returns fewer only at the end of the data.
    std::size_t read(void* target, std::size_t count)
    {
        auto* bytes = static_cast<unsigned char*>(target);
        std::size_t total = 0;
        while (total < count) {
            const std::size_t request = std::min<std::size_t>(count - total, kReadChunk);
            const std::size_t got = mGzip ? readGzip(bytes + total, request)
                                          : readRaw(bytes + total, request);
            total += got;
            if (got < request)
                break;
        }
        return total;
    }

private:
    std::size_t readRaw(unsigned char* target, std::size_t count)
    {
        const std::size_t got = std::fread(target, 1, count, mFile);
        if (got < count && std::ferror(mFile))
            throw InputError(mPath + ": read failed: " + std::strerror(errno));
        return got;
    }

    std::size_t readGzip(unsigned char* target, std::size_t count)
    {
        const int got = gzread(mGzip, target, static_cast<unsigned>(count));
        int errorCode = Z_OK;
        const char* message = gzerror(mGzip, &errorCode);
        // zlib reports a stream that ends before its trailer as Z_BUF_ERROR and returns the
        // bytes it could decompress, so the caller's size check names the shortfall.
        if (errorCode == Z_BUF_ERROR)
            mTruncatedStream = true;
        else if (got < 0 || (errorCode != Z_OK && errorCode != Z_STREAM_END))
            throw InputError(mPath + ": corrupt gzip data: " + (message ? message : "unknown zlib error"));
        return got < 0 ? 0 : static_cast<std::size_t>(got);
    }

    std::string mPath;
    std::FILE* mFile = nullptr;
    gzFile mGzip = nullptr;
    bool mTruncatedStream = false;
};

std::string truncationNote(const ByteSource& source)
{
    return source.truncatedStream() ? " (the gzip stream is cut off)" : "";
}

}  // namespace

IdxArray readIdx(const std::string& path)
{
    ByteSource source(path);
    const std::string contentLabel = source.isGzip() ? " decompressed" : "";

    std::uint8_t header[4] = {0, 0, 0, 0};
    const std::size_t headerBytes = source.read(header, 4);
    if (headerBytes < 4)
        throw InputError(path + ": truncated: expected a 4-byte IDX header, found " + std::to_string(headerBytes) +
                         contentLabel + " bytes" + truncationNote(source));
    if (header[0] != 0 || header[1] != 0)
        throw InputError(path + ": bad magic: the file starts with " + hexBytes(header, 4) +
                         ", an IDX file starts with 00 00 <type> <dimension count>");
    if (header[2] != kUnsignedByteType) {
        char type[8];
        std::snprintf(type, sizeof type, "0x%02X", header[2]);
        throw InputError(path + ": IDX element type " + type + " (" + elementTypeName(header[2]) +
                         ") is not supported; only unsigned byte (0x08) is");
    }
    const int dimensionCount = header[3];
    if (dimensionCount == 0)
        throw InputError(path + ": bad header: the IDX array has 0 dimensions, expected at least 1");

    std::vector<std::uint8_t> dimensionBytes(4 * static_cast<std::size_t>(dimensionCount));
    const std::size_t gotDimensionBytes = source.read(dimensionBytes.data(), dimensionBytes.size());
    if (gotDimensionBytes < dimensionBytes.size())
        throw InputError(path + ": truncated: expected " + std::to_string(dimensionBytes.size()) +
                         " bytes of dimension sizes, found " + std::to_string(gotDimensionBytes) +
                         truncationNote(source));

    IdxArray array;
    std::uint64_t expectedBytes = 1;
    for (int i = 0; i < dimensionCount; ++i) {
        const std::uint8_t* b = &dimensionBytes[4 * static_cast<std::size_t>(i)];
        const std::uint64_t size = (std::uint64_t(b[0]) << 24) | (std::uint64_t(b[1]) << 16) |
                                   (std::uint64_t(b[2]) << 8) | std::uint64_t(b[3]);
        array.dims.push_back(static_cast<std::int64_t>(size));
        // Dimension sizes are below 2^32, so the product stays below 2^63 while this holds.
        if (expectedBytes > (std::uint64_t(1) << 31))
            expectedBytes = std::numeric_limits<std::uint64_t>::max();
        else
            expectedBytes *= size;
    }
    if (expectedBytes > std::uint64_t(std::numeric_limits<std::int64_t>::max()))
        throw InputError(path + ": bad header: the dimension sizes describe more elements than fit in memory");

    // Grow the buffer as data arrives: a corrupt header must not allocate gigabytes up front.
    array.data.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(expectedBytes, std::uint64_t(256) << 20)));
    std::uint64_t dataBytes = 0;
    while (dataBytes < expectedBytes) {
        const std::size_t request = static_cast<std::size_t>(std::min<std::uint64_t>(expectedBytes - dataBytes, kReadChunk));
        array.data.resize(static_cast<std::size_t>(dataBytes) + request);
        const std::size_t got = source.read(array.data.data() + dataBytes, request);
        dataBytes += got;
        if (got < request)
            break;
    }
    array.data.resize(static_cast<std::size_t>(dataBytes));
    if (dataBytes < expectedBytes)
        throw InputError(path + ": truncated: expected " + std::to_string(expectedBytes) + " data bytes, found " +
                         std::to_string(dataBytes) + truncationNote(source));

    // Reading past the data makes zlib check the gzip CRC and length trailer.
    std::uint8_t extra = 0;
    if (source.read(&extra, 1) != 0)
        throw InputError(path + ": unexpected bytes after the " + std::to_string(expectedBytes) +
                         " data bytes that the header describes; the header or the file is damaged");
    if (source.truncatedStream())
        throw InputError(path + ": truncated: the gzip stream is cut off before its trailer");
    return array;
}

}  // namespace mtlw::data
