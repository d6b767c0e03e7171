#include "data/MultiFashion.h"

#include "data/CanvasCache.h"
#include "data/CanvasComposer.h"
#include "data/DatasetOptions.h"
#include "data/Idx.h"
#include "data/Random.h"
#include "util/Errors.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <numeric>

namespace mtlw::data {
namespace {

namespace fs = std::filesystem;

const char* const kDefaultDirectory = "/usr/share/datasets/fashion-mnist";
const char* const kInstallHint = "re-install dataset-fashion-mnist or fix the path";
constexpr std::uint64_t kDefaultValidationSize = 6000;
constexpr int kClassCount = 10;

// Seed streams derived from the composition seed, one per random decision.
enum SeedStream : std::uint64_t { kTrainPoolOrder, kTestPoolOrder, kTrainCanvases, kValidationCanvases, kTestCanvases };

const std::vector<std::string>& classNames()
{
    static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
    return names;
}

struct MultiFashionOptions {
    std::string directory;
    std::uint64_t seed = 0;
    std::uint64_t validationSize = kDefaultValidationSize;
    std::optional<std::uint64_t> trainSize;
    std::optional<std::uint64_t> testSize;
    bool cache = true;
};

struct SourceFiles {
    std::string trainImages;
    std::string trainLabels;
    std::string testImages;
    std::string testLabels;
};

// Images and labels of one Fashion-MNIST part (train or t10k).
struct SourceSet {
    IdxArray images;
    IdxArray labels;
    std::int64_t count() const { return images.dims.empty() ? 0 : images.dims[0]; }
};

MultiFashionOptions parseOptions(const Project& project, const DatasetSpec& spec, const std::string& field)
{
    const DatasetOptions options(spec.options, field + ".options");
    options.rejectUnknown({"directory", "seed", "validation_size", "train_size", "test_size", "cache"},
                          "multi-fashion");
    MultiFashionOptions parsed;
    parsed.directory = project.resolvePath(options.getString("directory", kDefaultDirectory));
    parsed.seed = options.getCount("seed", 0);
    parsed.validationSize = options.getCount("validation_size", kDefaultValidationSize);
    parsed.trainSize = options.getOptionalCount("train_size");
    parsed.testSize = options.getOptionalCount("test_size");
    parsed.cache = options.getBool("cache", true);
    if (parsed.trainSize == 0u)
        throw InputError(options.field("train_size") + ": expected a positive number of canvases, got 0");
    if (parsed.testSize == 0u)
        throw InputError(options.field("test_size") + ": expected a positive number of canvases, got 0");
    if (parsed.validationSize == 1)
        throw InputError(options.field("validation_size") + ": expected 0 or at least 2 held-out images, got 1; "
                         "each canvas needs two different images");
    return parsed;
}

// Finds `name`.gz or `name` in the folder.
std::string findSourceFile(const std::string& directory, const std::string& name, const std::string& field)
{
    const fs::path compressed = fs::path(directory) / (name + ".gz");
    const fs::path raw = fs::path(directory) / name;
    std::error_code error;
    if (fs::is_regular_file(compressed, error))
        return compressed.string();
    if (fs::is_regular_file(raw, error))
        return raw.string();
    throw InputError(field + ".options.directory: neither " + compressed.string() + " nor " + raw.string() +
                     " exists; install dataset-fashion-mnist or set the directory option to the folder with the "
                     "Fashion-MNIST files");
}

SourceFiles findSourceFiles(const std::string& directory, const std::string& field)
{
    SourceFiles files;
    files.trainImages = findSourceFile(directory, "train-images-idx3-ubyte", field);
    files.trainLabels = findSourceFile(directory, "train-labels-idx1-ubyte", field);
    files.testImages = findSourceFile(directory, "t10k-images-idx3-ubyte", field);
    files.testLabels = findSourceFile(directory, "t10k-labels-idx1-ubyte", field);
    return files;
}

std::string describeDims(const std::vector<std::int64_t>& dims)
{
    std::string text = "[";
    for (std::size_t i = 0; i < dims.size(); ++i)
        text += (i ? ", " : "") + std::to_string(dims[i]);
    return text + "]";
}

SourceSet readSourceSet(const std::string& imagesPath, const std::string& labelsPath, const std::string& field)
{
    SourceSet set;
    try {
        set.images = readIdx(imagesPath);
        set.labels = readIdx(labelsPath);
    } catch (const InputError& error) {
        throw InputError(field + ": " + error.what() + "; " + kInstallHint);
    }

    const auto& imageDims = set.images.dims;
    if (imageDims.size() != 3 || imageDims[1] != kItemSide || imageDims[2] != kItemSide)
        throw InputError(field + ": " + imagesPath + ": expected images of shape [N, 28, 28], found " +
                         describeDims(imageDims) + "; " + kInstallHint);
    if (set.labels.dims.size() != 1 || set.labels.dims[0] != imageDims[0])
        throw InputError(field + ": " + labelsPath + ": expected " + std::to_string(imageDims[0]) +
                         " labels to match " + imagesPath + ", found shape " + describeDims(set.labels.dims) + "; " +
                         kInstallHint);
    for (std::size_t i = 0; i < set.labels.data.size(); ++i) {
        if (set.labels.data[i] >= kClassCount)
            throw InputError(field + ": " + labelsPath + ": label " + std::to_string(set.labels.data[i]) +
                             " at index " + std::to_string(i) + " is outside 0..9; " + kInstallHint);
    }
    return set;
}

std::vector<std::int64_t> permutedIndices(std::int64_t count, std::uint64_t seed)
{
    std::vector<std::int64_t> indices(static_cast<std::size_t>(count));
    std::iota(indices.begin(), indices.end(), 0);
    std::mt19937_64 rng(seed);
    shuffle(indices, rng);
    return indices;
}

ComposedSplits compose(const MultiFashionOptions& options, const SourceFiles& files, const std::string& field)
{
    const auto started = std::chrono::steady_clock::now();
    const SourceSet train = readSourceSet(files.trainImages, files.trainLabels, field);
    const SourceSet test = readSourceSet(files.testImages, files.testLabels, field);

    const auto validationSize = static_cast<std::int64_t>(options.validationSize);
    if (validationSize + 2 > train.count())
        throw InputError(field + ".options.validation_size: " + std::to_string(validationSize) +
                         " held-out images leave fewer than 2 of the " + std::to_string(train.count()) +
                         " training images; lower it");
    if (test.count() < 2)
        throw InputError(field + ": " + files.testImages + ": expected at least 2 test images, found " +
                         std::to_string(test.count()) + "; " + kInstallHint);

    // The first validation_size images of the permuted training set are held out for validation.
    const std::vector<std::int64_t> trainOrder = permutedIndices(train.count(), deriveSeed(options.seed, kTrainPoolOrder));
    const std::vector<std::int64_t> validationPool(trainOrder.begin(), trainOrder.begin() + validationSize);
    const std::vector<std::int64_t> trainPool(trainOrder.begin() + validationSize, trainOrder.end());
    const std::vector<std::int64_t> testPool = permutedIndices(test.count(), deriveSeed(options.seed, kTestPoolOrder));

    auto limit = [](const std::vector<std::int64_t>& pool, std::optional<std::uint64_t> size) {
        const auto poolSize = static_cast<std::uint64_t>(pool.size());
        return static_cast<std::int64_t>(size ? std::min(*size, poolSize) : poolSize);
    };
    const std::int64_t trainCount = limit(trainPool, options.trainSize);
    const std::int64_t testCount = limit(testPool, options.testSize);
    spdlog::info("composing Multi-Fashion canvases from {} (seed {}): {} train, {} validation, {} test",
                 options.directory, options.seed, trainCount, validationSize, testCount);

    ComposedSplits splits;
    splits[0] = composeSplit(train.images.data.data(), train.labels.data.data(), trainPool, trainCount,
                             deriveSeed(options.seed, kTrainCanvases));
    splits[1] = composeSplit(train.images.data.data(), train.labels.data.data(), validationPool, validationSize,
                             deriveSeed(options.seed, kValidationCanvases));
    splits[2] = composeSplit(test.images.data.data(), test.labels.data.data(), testPool, testCount,
                             deriveSeed(options.seed, kTestCanvases));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    spdlog::info("composed Multi-Fashion canvases in {:.2f} s", seconds);
    return splits;
}

// Describes everything the canvases depend on; two loads with equal keys compose equal canvases.
std::string cacheKey(const MultiFashionOptions& options, const SourceFiles& files)
{
    std::string key = "multi-fashion canvases; composer 1; seed=" + std::to_string(options.seed) +
                      "; validation_size=" + std::to_string(options.validationSize) + "; train_size=" +
                      (options.trainSize ? std::to_string(*options.trainSize) : "all") + "; test_size=" +
                      (options.testSize ? std::to_string(*options.testSize) : "all");
    for (const std::string& path : {files.trainImages, files.trainLabels, files.testImages, files.testLabels}) {
        std::error_code error;
        const fs::path absolute = fs::absolute(path, error);
        const auto size = fs::file_size(path, error);
        const auto modified = fs::last_write_time(path, error).time_since_epoch().count();
        key += "; " + absolute.lexically_normal().string() + " size=" + std::to_string(size) +
               " mtime=" + std::to_string(modified);
    }
    return key;
}

// 64-bit FNV-1a, for a short file name; the full key inside the file settles collisions.
std::string hashHex(const std::string& text)
{
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    for (const unsigned char c : text) {
        hash ^= c;
        hash *= 0x100000001b3ULL;
    }
    char buffer[17];
    std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(hash));
    return buffer;
}

// The "items" target: row i has a 1 at the class of each item on canvas i, so one 1 when both
// items are of the same class. It is derived from the item labels, so the cache does not store it.
torch::Tensor itemSets(const torch::Tensor& left, const torch::Tensor& right)
{
    torch::Tensor indicators = torch::zeros({left.size(0), kClassCount}, torch::kFloat32);
    indicators.scatter_(1, left.unsqueeze(1), 1.0);
    indicators.scatter_(1, right.unsqueeze(1), 1.0);
    return indicators;
}

Split toSplit(const ComposedSplit& composed)
{
    Split split;
    const std::int64_t count = composed.count;
    if (count == 0) {
        split.inputs = torch::empty({0, 1, kCanvasSide, kCanvasSide}, torch::kFloat32);
        split.targets["left"] = torch::empty({0}, torch::kInt64);
        split.targets["right"] = torch::empty({0}, torch::kInt64);
        split.targets["items"] = torch::empty({0, kClassCount}, torch::kFloat32);
        return split;
    }
    auto* pixels = const_cast<std::uint8_t*>(composed.canvases.data());
    auto* left = const_cast<std::uint8_t*>(composed.leftLabels.data());
    auto* right = const_cast<std::uint8_t*>(composed.rightLabels.data());
    // from_blob does not copy; the conversions below do, so the tensors own their memory.
    split.inputs = torch::from_blob(pixels, {count, 1, kCanvasSide, kCanvasSide}, torch::kUInt8)
                       .to(torch::kFloat32)
                       .div_(255.0f);
    split.targets["left"] = torch::from_blob(left, {count}, torch::kUInt8).to(torch::kInt64);
    split.targets["right"] = torch::from_blob(right, {count}, torch::kUInt8).to(torch::kInt64);
    split.targets["items"] = itemSets(split.targets["left"], split.targets["right"]);
    return split;
}

std::optional<std::string> cachePath(const std::string& key)
{
    try {
        return (fs::path(cacheDirectory()) / ("multi-fashion-" + hashHex(key) + ".bin")).string();
    } catch (const InputError& error) {
        spdlog::warn("Multi-Fashion canvases are not cached: {}", error.what());
        return std::nullopt;
    }
}

}  // namespace

Dataset loadMultiFashion(const Project& project, const DatasetSpec& spec, const std::string& field)
{
    const MultiFashionOptions options = parseOptions(project, spec, field);
    const SourceFiles files = findSourceFiles(options.directory, field);
    const std::string key = cacheKey(options, files);
    const std::optional<std::string> path = options.cache ? cachePath(key) : std::nullopt;

    std::optional<ComposedSplits> splits;
    if (path) {
        splits = readCanvasCache(*path, key);
        if (splits)
            spdlog::info("loaded Multi-Fashion canvases from cache {}: {} train, {} validation, {} test", *path,
                         (*splits)[0].count, (*splits)[1].count, (*splits)[2].count);
    }
    if (!splits) {
        splits = compose(options, files, field);
        if (path)
            writeCanvasCache(*path, key, *splits);
    }

    Dataset dataset;
    dataset.name = spec.name;
    dataset.inputShape = {1, kCanvasSide, kCanvasSide};
    for (const char* target : {"left", "right"}) {
        TargetInfo info;
        info.kind = TargetInfo::Kind::Categorical;
        info.classNames = classNames();
        dataset.targets[target] = info;
    }
    TargetInfo items;
    items.kind = TargetInfo::Kind::MultiLabel;
    items.classNames = classNames();
    dataset.targets["items"] = items;
    dataset.train = toSplit((*splits)[0]);
    dataset.validation = toSplit((*splits)[1]);
    dataset.test = toSplit((*splits)[2]);
    return dataset;
}

}  // namespace mtlw::data
