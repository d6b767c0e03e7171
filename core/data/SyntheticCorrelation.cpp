#include "data/SyntheticCorrelation.h"

#include "data/DatasetOptions.h"
#include "data/Random.h"
#include "util/Errors.h"

#include <spdlog/spdlog.h>

#include <cmath>

namespace mtlw::data {
namespace {

// Streams of deriveSeed: each part of the data has its own generator, so changing one split's
// size leaves the other splits and the task weights unchanged.
constexpr std::uint64_t kWeightStream = 0;
constexpr std::uint64_t kSinusoidStream = 1;
constexpr std::uint64_t kTrainStream = 2;
constexpr std::uint64_t kValidationStream = 3;
constexpr std::uint64_t kTestStream = 4;

struct GeneratorOptions {
    double correlation = 0.5;
    std::int64_t dim = 100;
    std::int64_t sinusoids = 10;
    double scale = 1.0;
    double noise = 0.1;
    std::uint64_t seed = 0;
    std::int64_t trainSize = 10000;
    std::int64_t validationSize = 1000;
    std::int64_t testSize = 1000;
};

// Standard normal draws by the Box-Muller transform on 53-bit uniforms in (0, 1).
class NormalSource {
public:
    explicit NormalSource(std::uint64_t seed) : mRng(seed) {}

    double next() {
        const double u1 = uniform();
        const double u2 = uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
    }

private:
    double uniform() { return (static_cast<double>(mRng() >> 11) + 0.5) * 0x1.0p-53; }

    std::mt19937_64 mRng;
};

std::vector<double> normalVector(NormalSource& source, std::int64_t size) {
    std::vector<double> values(static_cast<size_t>(size));
    for (auto& value : values) {
        value = source.next();
    }
    return values;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
    double sum = 0.0;
    for (size_t i = 0; i < a.size(); ++i) {
        sum += a[i] * b[i];
    }
    return sum;
}

void normalize(std::vector<double>& values) {
    const double norm = std::sqrt(dot(values, values));
    for (auto& value : values) {
        value /= norm;
    }
}

GeneratorOptions readOptions(const DatasetSpec& spec, const std::string& field) {
    const DatasetOptions options(spec.options, field + ".options");
    options.rejectUnknown({"p", "dim", "sinusoids", "scale", "noise", "seed", "train_size", "validation_size",
                           "test_size"},
                          "synthetic-correlation");
    GeneratorOptions parsed;
    parsed.correlation = options.getNumber("p", parsed.correlation);
    if (!(parsed.correlation >= -1.0 && parsed.correlation <= 1.0)) {
        throw InputError(options.field("p") + ": expected a task correlation in [-1, 1], got " +
                         std::to_string(parsed.correlation));
    }
    parsed.dim = static_cast<std::int64_t>(options.getCount("dim", 100));
    if (parsed.dim < 2) {
        throw InputError(options.field("dim") + ": expected at least 2 input features (u1 and u2 must be orthogonal), got " +
                         std::to_string(parsed.dim));
    }
    parsed.sinusoids = static_cast<std::int64_t>(options.getCount("sinusoids", 10));
    parsed.scale = options.getNumber("scale", parsed.scale);
    parsed.noise = options.getNumber("noise", parsed.noise);
    if (!(parsed.noise >= 0.0) || !std::isfinite(parsed.noise) || !std::isfinite(parsed.scale)) {
        throw InputError(options.field("noise") + ": expected finite scale and a noise standard deviation of at least 0");
    }
    parsed.seed = options.getCount("seed", 0);
    parsed.trainSize = static_cast<std::int64_t>(options.getCount("train_size", 10000));
    parsed.validationSize = static_cast<std::int64_t>(options.getCount("validation_size", 1000));
    parsed.testSize = static_cast<std::int64_t>(options.getCount("test_size", 1000));
    if (parsed.trainSize < 1) {
        throw InputError(options.field("train_size") + ": expected at least 1 training sample, got 0");
    }
    return parsed;
}

// Task weights, sinusoid shapes, then the samples of each split.
struct Generator {
    const GeneratorOptions& options;
    std::vector<double> w1;
    std::vector<double> w2;
    std::vector<double> alpha;
    std::vector<double> beta;

    explicit Generator(const GeneratorOptions& generatorOptions) : options(generatorOptions) {
        // u1 and u2: orthogonal unit vectors (Gram-Schmidt on two normal vectors).
        NormalSource weights(deriveSeed(options.seed, kWeightStream));
        std::vector<double> u1 = normalVector(weights, options.dim);
        normalize(u1);
        std::vector<double> u2 = normalVector(weights, options.dim);
        const double along = dot(u1, u2);
        for (size_t i = 0; i < u2.size(); ++i) {
            u2[i] -= along * u1[i];
        }
        normalize(u2);
        const double p = options.correlation;
        const double rest = std::sqrt(std::max(0.0, 1.0 - p * p));
        for (size_t i = 0; i < u1.size(); ++i) {
            w1.push_back(options.scale * u1[i]);
            w2.push_back(options.scale * (p * u1[i] + rest * u2[i]));
        }
        NormalSource shapes(deriveSeed(options.seed, kSinusoidStream));
        alpha = normalVector(shapes, options.sinusoids);
        beta = normalVector(shapes, options.sinusoids);
    }

    double label(const std::vector<double>& w, const std::vector<double>& x, NormalSource& source) const {
        const double projection = dot(w, x);
        double value = projection;
        for (size_t i = 0; i < alpha.size(); ++i) {
            value += std::sin(alpha[i] * projection + beta[i]);
        }
        return value + options.noise * source.next();
    }

    Split split(std::int64_t count, std::uint64_t stream) const {
        NormalSource source(deriveSeed(options.seed, stream));
        torch::Tensor inputs = torch::empty({count, options.dim}, torch::kFloat32);
        torch::Tensor y1 = torch::empty({count}, torch::kFloat32);
        torch::Tensor y2 = torch::empty({count}, torch::kFloat32);
        auto inputValues = inputs.accessor<float, 2>();
        auto y1Values = y1.accessor<float, 1>();
        auto y2Values = y2.accessor<float, 1>();
        for (std::int64_t n = 0; n < count; ++n) {
            const std::vector<double> x = normalVector(source, options.dim);
            for (std::int64_t i = 0; i < options.dim; ++i) {
                inputValues[n][i] = static_cast<float>(x[static_cast<size_t>(i)]);
            }
            y1Values[n] = static_cast<float>(label(w1, x, source));
            y2Values[n] = static_cast<float>(label(w2, x, source));
        }
        Split result;
        result.inputs = inputs;
        result.targets["y1"] = y1;
        result.targets["y2"] = y2;
        return result;
    }
};

}  // namespace

Dataset loadSyntheticCorrelation(const Project& project, const DatasetSpec& spec, const std::string& field) {
    const GeneratorOptions options = readOptions(spec, field);
    const Generator generator(options);
    Dataset dataset;
    dataset.inputShape = {options.dim};
    for (std::int64_t i = 0; i < options.dim; ++i) {
        dataset.featureNames.push_back("x" + std::to_string(i));
    }
    dataset.targets["y1"] = TargetInfo{TargetInfo::Kind::Numeric, {}};
    dataset.targets["y2"] = TargetInfo{TargetInfo::Kind::Numeric, {}};
    dataset.train = generator.split(options.trainSize, kTrainStream);
    dataset.validation = generator.split(options.validationSize, kValidationStream);
    dataset.test = generator.split(options.testSize, kTestStream);
    spdlog::info("synthetic-correlation: p {}, {} features, {} / {} / {} samples, seed {}", options.correlation,
                 options.dim, options.trainSize, options.validationSize, options.testSize, options.seed);
    return dataset;
}

}  // namespace mtlw::data
