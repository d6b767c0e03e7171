// Tests for the loss-weighting methods and GradNorm: each method's formula against a hand
// computation or autograd, the direction in which the adaptive methods move their weights, state
// save/load, and a table of edge cases (one task, NaN/Inf/negative/zero losses, 25 tasks).
#include "methods/BalancingMethod.h"
#include "util/Errors.h"

#include <ATen/CPUGeneratorImpl.h>
#include <QTest>

#include <cmath>
#include <limits>
#include <sstream>

using namespace mtlw;

Q_DECLARE_METATYPE(std::string)

namespace {

const auto kDouble = torch::TensorOptions().dtype(torch::kDouble);

std::unique_ptr<BalancingMethod> makeMethod(const std::string& name, int taskCount,
                                            const nlohmann::json& params = nullptr) {
    auto method = createMethod(name, params, "test.method");
    method->reset(taskCount, torch::kCPU);
    return method;
}

double value(const torch::Tensor& tensor) {
    return tensor.item<double>();
}

// One loss-weighting step: the combined loss and its gradient with respect to the task losses.
struct Combined {
    double total = 0.0;
    torch::Tensor lossGradient;
};

Combined combine(BalancingMethod& method, const torch::Tensor& losses, int epoch = 1,
                 torch::Generator* generator = nullptr) {
    const torch::Tensor leaf = losses.detach().clone().set_requires_grad(true);
    StepContext context;
    context.epoch = epoch;
    context.taskCount = static_cast<int>(losses.size(0));
    context.generator = generator;
    const torch::Tensor total = method.combineLosses(leaf, context);
    total.backward();
    return {value(total.detach()), leaf.grad()};
}

Aggregation aggregate(BalancingMethod& method, const torch::Tensor& gradients, const torch::Tensor& losses) {
    StepContext context;
    context.taskCount = static_cast<int>(gradients.size(0));
    return method.aggregate(gradients, losses, context);
}

torch::Tensor randomMatrix(int64_t rows, int64_t columns, uint64_t seed) {
    torch::Generator generator = at::detail::createCPUGenerator(seed);
    return torch::randn({rows, columns}, generator, kDouble);
}

// Saves `method`'s state and loads it into a fresh method of the same name.
std::unique_ptr<BalancingMethod> roundTrip(const BalancingMethod& method, const nlohmann::json& params,
                                           int taskCount) {
    torch::serialize::OutputArchive output;
    method.save(output);
    std::ostringstream stream;
    output.save_to(stream);
    std::istringstream input(stream.str());
    torch::serialize::InputArchive archive;
    archive.load_from(input);
    auto restored = makeMethod(method.info().name, taskCount, params);
    restored->load(archive);
    return restored;
}

// GradNorm's objective Σ_i |w_i |g_i| - target_i| for fixed targets.
double gradNormObjective(const torch::Tensor& weights, const torch::Tensor& norms, const torch::Tensor& targets) {
    return value((weights * norms - targets).abs().sum());
}

// The entries of a tensor on one line, for failure messages.
std::string describe(const torch::Tensor& tensor) {
    const torch::Tensor values = tensor.detach().to(torch::kCPU, torch::kDouble).reshape({-1}).contiguous();
    std::ostringstream text;
    text << "[";
    for (int64_t i = 0; i < values.numel(); ++i) {
        text << (i == 0 ? "" : ", ") << values[i].item<double>();
    }
    text << "]";
    return text.str();
}

}  // namespace

class TestLossMethods : public QObject {
    Q_OBJECT

private slots:
    void registryListsMethods();

    void ewIsSum();
    void uwFormulaAndGradient();
    void imtlLossBalancesScaledLosses();
    void dwaWeightsByHand();

    void rlwWeights_data();
    void rlwWeights();
    void rlwSeedDeterminism();

    void glsGeometricMean_data();
    void glsGeometricMean();

    void stchApproachesMax_data();
    void stchApproachesMax();
    void stchWarmupAndNadir();
    void stchStateRoundTrip();
    void stchRejectsFractionalWarmup();

    void famoWeightsSumToOne();
    void famoFavoursSlowerTask();
    void famoStateRoundTrip();

    void gradnormDirectionAndSum();
    void gradnormFavoursSlowerTask();
    void gradnormReducesObjective();
    void gradnormEqualizesNorms();
    void gradnormStateRoundTrip();

    void edgeCases_data();
    void edgeCases();
};

void TestLossMethods::registryListsMethods() {
    for (const char* name : {"ew", "uw", "dwa", "rlw", "gls", "stch", "famo", "imtl_l"}) {
        const MethodInfo* info = findMethod(name);
        QVERIFY2(info != nullptr, name);
        QVERIFY2(info->kind == MethodKind::LossWeighting, name);
    }
    const MethodInfo* gradNorm = findMethod("gradnorm");
    QVERIFY(gradNorm != nullptr);
    QVERIFY(gradNorm->kind == MethodKind::Gradient);
}

void TestLossMethods::ewIsSum() {
    auto method = makeMethod("ew", 3);
    const Combined result = combine(*method, torch::tensor({0.5, 1.5, 2.25}, kDouble));
    QCOMPARE(result.total, 4.25);
    QVERIFY(torch::equal(result.lossGradient, torch::ones({3}, kDouble)));
    QVERIFY(torch::allclose(method->lastWeights().to(torch::kDouble), torch::ones({3}, kDouble)));
}

void TestLossMethods::uwFormulaAndGradient() {
    const double s = 0.3;
    auto method = makeMethod("uw", 3, {{"initial_log_variance", s}});
    const torch::Tensor losses = torch::tensor({0.5, 1.5, 4.0}, torch::kFloat);
    const Combined result = combine(*method, losses);

    // Σ_i L_i / (2 e^s) + s / 2.
    const double expected = (0.5 + 1.5 + 4.0) / (2.0 * std::exp(s)) + 3 * s / 2.0;
    QVERIFY2(std::abs(result.total - expected) < 1e-5, std::to_string(result.total).c_str());

    // ∂/∂s_i = 1/2 - L_i / (2 e^s_i), compared with autograd's gradient on the method's parameter.
    const torch::Tensor logVariances = method->parameters().at(0);
    QVERIFY(logVariances.grad().defined());
    const torch::Tensor expectedGradient = 0.5 - losses / (2.0 * std::exp(s));
    QVERIFY2(torch::allclose(logVariances.grad(), expectedGradient, 1e-5, 1e-6), describe(logVariances.grad()).c_str());
    QVERIFY(torch::allclose(result.lossGradient, torch::full({3}, 0.5 / std::exp(s), torch::kFloat), 1e-5, 1e-6));
}

void TestLossMethods::imtlLossBalancesScaledLosses() {
    auto method = makeMethod("imtl_l", 3);
    const torch::Tensor losses = torch::tensor({0.2, 1.0, 5.0});
    const Combined first = combine(*method, losses);
    // All scales start at 0, so the first step is the plain sum.
    QVERIFY(std::abs(first.total - 6.2) < 1e-5);

    // Descending on the scales alone drives every scaled loss e^{s_i} L_i to 1.
    const torch::Tensor scales = method->parameters().at(0);
    torch::optim::SGD optimizer({scales}, torch::optim::SGDOptions(0.2));
    for (int step = 0; step < 300; ++step) {
        optimizer.zero_grad();
        combine(*method, losses);
        optimizer.step();
    }
    const torch::Tensor scaledLosses = torch::exp(scales.detach()) * losses;
    QVERIFY2(torch::allclose(scaledLosses, torch::ones({3}), 1e-3, 1e-3), describe(scaledLosses).c_str());
    QVERIFY(torch::allclose(method->lastWeights(), torch::exp(scales.detach()), 1e-2, 1e-3));

    auto restored = roundTrip(*method, nullptr, 3);
    QVERIFY(torch::equal(restored->parameters().at(0).detach(), scales.detach()));
}

void TestLossMethods::dwaWeightsByHand() {
    const double temperature = 2.0;
    auto method = makeMethod("dwa", 3, {{"temperature", temperature}});
    const torch::Tensor losses = torch::tensor({1.0, 2.0, 3.0}, kDouble);

    // Epochs 1 and 2 have no two-epoch history, so every weight is 1.
    QCOMPARE(combine(*method, losses, 1).total, 6.0);
    method->endEpoch({1.0, 2.0, 4.0});
    QCOMPARE(combine(*method, losses, 2).total, 6.0);
    QVERIFY(torch::allclose(method->lastWeights().to(torch::kDouble), torch::ones({3}, kDouble)));
    method->endEpoch({0.5, 2.0, 3.0});

    // Epoch 3: r = (0.5, 1, 0.75), w_i = 3 exp(r_i / T) / Σ_j exp(r_j / T).
    const double r[3] = {0.5, 1.0, 0.75};
    double normalizer = 0.0;
    for (double rate : r) {
        normalizer += std::exp(rate / temperature);
    }
    double expectedTotal = 0.0;
    const Combined third = combine(*method, losses, 3);
    const torch::Tensor weights = method->lastWeights().to(torch::kDouble);
    for (int i = 0; i < 3; ++i) {
        const double expected = 3.0 * std::exp(r[i] / temperature) / normalizer;
        QVERIFY2(std::abs(value(weights[i]) - expected) < 1e-6, std::to_string(i).c_str());
        expectedTotal += expected * (i + 1.0);
    }
    QVERIFY(std::abs(third.total - expectedTotal) < 1e-5);
}

void TestLossMethods::rlwWeights_data() {
    QTest::addColumn<int>("taskCount");
    QTest::newRow("one task") << 1;
    QTest::newRow("two tasks") << 2;
    QTest::newRow("five tasks") << 5;
    QTest::newRow("30 tasks") << 30;
}

void TestLossMethods::rlwWeights() {
    QFETCH(int, taskCount);
    auto method = makeMethod("rlw", taskCount);
    torch::Generator generator = at::detail::createCPUGenerator(11);
    const torch::Tensor losses = torch::linspace(0.5, 3.0, taskCount, kDouble);
    for (int step = 0; step < 5; ++step) {
        const Combined result = combine(*method, losses, 1, &generator);
        const torch::Tensor weights = method->lastWeights();
        QCOMPARE(weights.size(0), static_cast<int64_t>(taskCount));
        QVERIFY2(value(weights.min()) > 0.0, describe(weights).c_str());
        QVERIFY(std::abs(value(weights.sum()) - 1.0) < 1e-12);
        QVERIFY(std::abs(result.total - value((weights * losses).sum())) < 1e-12);
        QVERIFY(torch::allclose(result.lossGradient, weights, 1e-12, 1e-14));
    }
}

void TestLossMethods::rlwSeedDeterminism() {
    const torch::Tensor losses = torch::tensor({1.0, 2.0, 3.0, 4.0}, kDouble);
    const auto weightsFor = [&](uint64_t seed) {
        auto method = makeMethod("rlw", 4);
        torch::Generator generator = at::detail::createCPUGenerator(seed);
        std::vector<torch::Tensor> sequence;
        for (int step = 0; step < 3; ++step) {
            combine(*method, losses, 1, &generator);
            sequence.push_back(method->lastWeights().clone());
        }
        return sequence;
    };
    const auto first = weightsFor(5);
    const auto again = weightsFor(5);
    const auto other = weightsFor(6);
    for (size_t step = 0; step < first.size(); ++step) {
        QVERIFY(torch::equal(first[step], again[step]));
        QVERIFY(!torch::equal(first[step], other[step]));
    }
    // Weights are redrawn every step.
    QVERIFY(!torch::equal(first[0], first[1]));
}

void TestLossMethods::glsGeometricMean_data() {
    QTest::addColumn<std::vector<double>>("losses");
    QTest::newRow("two tasks") << std::vector<double>{0.5, 2.0};
    QTest::newRow("three tasks") << std::vector<double>{0.1, 1.0, 7.5};
    QTest::newRow("one task") << std::vector<double>{3.0};
    QTest::newRow("tiny and large") << std::vector<double>{1e-6, 1e4, 0.3, 2.0};
}

void TestLossMethods::glsGeometricMean() {
    QFETCH(std::vector<double>, losses);
    const torch::Tensor values = torch::tensor(losses, kDouble);
    const auto k = static_cast<double>(losses.size());
    auto method = makeMethod("gls", static_cast<int>(losses.size()));
    const Combined result = combine(*method, values);

    // Reference: (Π L_i)^(1/k) by autograd on the plain product.
    const torch::Tensor leaf = values.clone().set_requires_grad(true);
    const torch::Tensor reference = torch::pow(leaf.prod(), 1.0 / k);
    reference.backward();
    QVERIFY2(std::abs(result.total - value(reference.detach())) < 1e-12 * std::max(1.0, result.total),
             std::to_string(result.total).c_str());
    QVERIFY2(torch::allclose(result.lossGradient, leaf.grad(), 1e-10, 1e-14), describe(result.lossGradient).c_str());
    // The reported weights are the gradient factors GLS / (k L_i).
    QVERIFY(torch::allclose(method->lastWeights(), value(reference.detach()) / (k * values), 1e-10, 1e-14));
}

void TestLossMethods::stchApproachesMax_data() {
    QTest::addColumn<double>("mu");
    QTest::newRow("mu 1") << 1.0;
    QTest::newRow("mu 0.1") << 0.1;
    QTest::newRow("mu 0.01") << 0.01;
    QTest::newRow("mu 0.001") << 0.001;
}

void TestLossMethods::stchApproachesMax() {
    QFETCH(double, mu);
    // Without warmup the nadir point is 1, so the terms are log L_i.
    const torch::Tensor losses = torch::tensor({0.5, 2.0, 1.5}, kDouble);
    auto method = makeMethod("stch", 3, {{"mu", mu}, {"warmup_epochs", 0}});
    const Combined result = combine(*method, losses);

    // k·max ≤ k·mu·log Σ exp(t_i / mu) ≤ k·(max + mu·log k).
    const double maxTerm = std::log(2.0);
    QVERIFY2(result.total >= 3.0 * maxTerm - 1e-12, std::to_string(result.total).c_str());
    QVERIFY2(result.total <= 3.0 * (maxTerm + mu * std::log(3.0)) + 1e-12, std::to_string(result.total).c_str());

    // Autograd agrees with the reported gradient factors k·softmax_i / L_i.
    QVERIFY2(torch::allclose(result.lossGradient, method->lastWeights(), 1e-10, 1e-14),
             describe(method->lastWeights()).c_str());
    const torch::Tensor shares = torch::softmax(torch::log(losses) / mu, 0);
    QVERIFY(torch::allclose(method->lastWeights(), 3.0 * shares / losses, 1e-10, 1e-14));
    if (mu <= 0.01) {
        // The largest term takes (almost) all the weight.
        QVERIFY(value(shares[1]) > 0.99);
    }
}

void TestLossMethods::stchWarmupAndNadir() {
    const double mu = 0.5;
    auto method = makeMethod("stch", 2, {{"mu", mu}, {"warmup_epochs", 2}});
    const torch::Tensor losses = torch::tensor({0.8, 3.0}, kDouble);

    // Warmup epochs train on Σ log L_i.
    const double logSum = std::log(0.8) + std::log(3.0);
    Combined result = combine(*method, losses, 1);
    QVERIFY(std::abs(result.total - logSum) < 1e-12);
    QVERIFY(torch::allclose(result.lossGradient, 1.0 / losses, 1e-12, 1e-14));
    method->endEpoch({1.0, 4.0});
    QVERIFY(std::abs(combine(*method, losses, 2).total - logSum) < 1e-12);
    method->endEpoch({0.4, 6.0});

    // From epoch 3 on, the nadir is the last warmup epoch's mean losses (0.4, 6).
    const double first = std::log(0.8 / 0.4) / mu;
    const double second = std::log(3.0 / 6.0) / mu;
    const double expected = 2.0 * mu * std::log(std::exp(first) + std::exp(second));
    result = combine(*method, losses, 3);
    QVERIFY2(std::abs(result.total - expected) < 1e-12, std::to_string(result.total).c_str());
    // Later epochs keep that nadir.
    method->endEpoch({0.1, 0.1});
    QVERIFY(std::abs(combine(*method, losses, 4).total - expected) < 1e-12);
    QVERIFY(torch::allclose(method->lastWeights(), result.lossGradient, 1e-12, 1e-14));
}

void TestLossMethods::stchStateRoundTrip() {
    const nlohmann::json params = {{"warmup_epochs", 1}};
    auto method = makeMethod("stch", 3, params);
    const torch::Tensor losses = torch::tensor({0.2, 1.0, 5.0}, kDouble);
    combine(*method, losses, 1);
    method->endEpoch({0.3, 0.9, 2.0});
    const double original = combine(*method, losses, 2).total;

    auto restored = roundTrip(*method, params, 3);
    QCOMPARE(combine(*restored, losses, 2).total, original);
    // A fresh method without the saved nadir gives another value.
    auto fresh = makeMethod("stch", 3, params);
    QVERIFY(combine(*fresh, losses, 2).total != original);
}

void TestLossMethods::stchRejectsFractionalWarmup() {
    QVERIFY_EXCEPTION_THROWN(makeMethod("stch", 2, {{"warmup_epochs", 1.5}}), InputError);
    QVERIFY_EXCEPTION_THROWN(makeMethod("stch", 2, {{"mu", 0.0}}), InputError);
}

void TestLossMethods::famoWeightsSumToOne() {
    auto method = makeMethod("famo", 3);
    const torch::Tensor losses = torch::tensor({0.5, 1.0, 4.0}, kDouble);
    const Combined result = combine(*method, losses);

    // The logits start at 0, so z is uniform and the factors are (1/L_i) / Σ_j (1/L_j).
    const torch::Tensor inverse = 1.0 / (losses + 1e-8);
    QVERIFY(torch::allclose(method->lastWeights(), inverse / inverse.sum(), 1e-12, 1e-14));
    QVERIFY(torch::allclose(result.lossGradient, method->lastWeights(), 1e-12, 1e-14));

    torch::Generator generator = at::detail::createCPUGenerator(3);
    for (int step = 0; step < 20; ++step) {
        const torch::Tensor next = torch::rand({3}, generator, kDouble) + 0.1;
        const Combined later = combine(*method, next);
        QVERIFY(std::abs(value(method->lastWeights().sum()) - 1.0) < 1e-12);
        QVERIFY(torch::allclose(later.lossGradient, method->lastWeights(), 1e-12, 1e-14));
    }
}

void TestLossMethods::famoFavoursSlowerTask() {
    auto method = makeMethod("famo", 2);
    const torch::Tensor equal = torch::tensor({1.0, 1.0}, kDouble);
    combine(*method, equal);
    QVERIFY(std::abs(value(method->lastWeights()[0]) - 0.5) < 1e-12);

    // Task 0 halves its loss twice, task 1 drops by 10% twice; the logit updates move weight to task 1.
    combine(*method, torch::tensor({0.5, 0.9}, kDouble));
    const torch::Tensor last = torch::tensor({0.25, 0.81}, kDouble);
    combine(*method, last);
    // Repeating the last losses adds no new decrease. z = softmax(logits) is recovered from the
    // factors z_i / (c (L_i + ε)).
    combine(*method, last);
    const torch::Tensor scaled = method->lastWeights() * (last + 1e-8);
    const torch::Tensor shares = scaled / scaled.sum();
    QVERIFY2(value(shares[1]) > 0.5, describe(shares).c_str());
    QVERIFY2(value(shares[1]) > value(shares[0]), describe(shares).c_str());
}

void TestLossMethods::famoStateRoundTrip() {
    const nlohmann::json params = {{"w_lr", 0.1}, {"gamma", 0.01}};
    auto method = makeMethod("famo", 3, params);
    torch::Generator generator = at::detail::createCPUGenerator(8);
    for (int step = 0; step < 5; ++step) {
        combine(*method, torch::rand({3}, generator, kDouble) + 0.1);
    }
    auto restored = roundTrip(*method, params, 3);
    auto fresh = makeMethod("famo", 3, params);
    for (int step = 0; step < 3; ++step) {
        const torch::Tensor losses = torch::rand({3}, generator, kDouble) + 0.1;
        const double original = combine(*method, losses).total;
        QCOMPARE(combine(*restored, losses).total, original);
        QVERIFY(torch::equal(restored->lastWeights(), method->lastWeights()));
        combine(*fresh, losses);
    }
    QVERIFY(!torch::allclose(fresh->lastWeights(), method->lastWeights(), 1e-9, 1e-12));
}

void TestLossMethods::gradnormDirectionAndSum() {
    auto method = makeMethod("gradnorm", 4);
    torch::Generator generator = at::detail::createCPUGenerator(21);
    for (int step = 0; step < 10; ++step) {
        const torch::Tensor gradients = randomMatrix(4, 16, 100 + step);
        const torch::Tensor losses = torch::rand({4}, generator, kDouble) + 0.2;
        const Aggregation result = aggregate(*method, gradients, losses);
        QVERIFY(std::abs(value(result.weights.sum()) - 4.0) < 1e-9);
        QVERIFY(value(result.weights.min()) > 0.0);
        QVERIFY(torch::allclose(result.direction, torch::mv(gradients.t(), result.weights), 1e-10, 1e-12));
        QVERIFY(torch::equal(method->lastWeights(), result.weights));
    }
    // The loss-weighting entry point is the plain sum.
    QCOMPARE(combine(*method, torch::tensor({1.0, 2.0, 3.0, 4.0}, kDouble)).total, 10.0);
}

void TestLossMethods::gradnormFavoursSlowerTask() {
    // Equal gradient norms. Task 0's loss halves and task 1's stays, so task 1 trains slower
    // (larger inverse training rate) and gains weight while task 0 loses it.
    auto method = makeMethod("gradnorm", 2);
    const torch::Tensor gradients = torch::tensor({{1.0, 0.0}, {0.0, 1.0}}, kDouble);
    const Aggregation first = aggregate(*method, gradients, torch::tensor({1.0, 1.0}, kDouble));
    QVERIFY(torch::allclose(first.weights, torch::ones({2}, kDouble)));
    aggregate(*method, gradients, torch::tensor({0.5, 1.0}, kDouble));
    const Aggregation third = aggregate(*method, gradients, torch::tensor({0.5, 1.0}, kDouble));
    QVERIFY2(value(third.weights[1]) > 1.0, describe(third.weights).c_str());
    QVERIFY2(value(third.weights[0]) < 1.0, describe(third.weights).c_str());
}

void TestLossMethods::gradnormReducesObjective() {
    const double alpha = 1.5;
    auto method = makeMethod("gradnorm", 4, {{"alpha", alpha}, {"w_lr", 0.01}});
    const torch::Tensor gradients = randomMatrix(4, 12, 31) * torch::tensor({1.0, 3.0, 0.5, 2.0}, kDouble).unsqueeze(1);
    const torch::Tensor initial = torch::tensor({1.0, 2.0, 0.5, 1.5}, kDouble);
    const torch::Tensor current = torch::tensor({0.6, 1.9, 0.2, 1.4}, kDouble);
    aggregate(*method, gradients, initial);

    const torch::Tensor norms = gradients.norm(2, {1});
    const torch::Tensor ratios = current / initial;
    const torch::Tensor rates = ratios / ratios.mean();
    // Each call reports the weights it used and then updates them, so consecutive calls give w_t, w_t+1.
    torch::Tensor before = aggregate(*method, gradients, current).weights;
    for (int step = 0; step < 5; ++step) {
        const torch::Tensor after = aggregate(*method, gradients, current).weights;
        // GradNorm's objective Σ|w_i |g_i| - target_i|, with the targets held at their value for `before`.
        const torch::Tensor targets = (before * norms).mean() * rates.pow(alpha);
        const double objectiveBefore = gradNormObjective(before, norms, targets);
        const double objectiveAfter = gradNormObjective(after, norms, targets);
        QVERIFY2(objectiveAfter < objectiveBefore,
                 (std::to_string(objectiveBefore) + " -> " + std::to_string(objectiveAfter)).c_str());
        before = after;
    }
}

void TestLossMethods::gradnormEqualizesNorms() {
    // With alpha = 0 every target is the mean weighted norm, so the weighted norms move together.
    auto method = makeMethod("gradnorm", 3, {{"alpha", 0.0}, {"w_lr", 0.01}});
    const torch::Tensor gradients = torch::tensor({{2.0, 0.0, 0.0}, {0.0, 1.0, 0.0}, {0.0, 0.5, 1.0}}, kDouble);
    const torch::Tensor norms = gradients.norm(2, {1});
    const torch::Tensor losses = torch::ones({3}, kDouble);
    const double spreadBefore = value((norms.max() - norms.min()) / norms.mean());
    Aggregation result;
    for (int step = 0; step < 300; ++step) {
        result = aggregate(*method, gradients, losses);
    }
    const torch::Tensor weighted = result.weights * norms;
    const double spreadAfter = value((weighted.max() - weighted.min()) / weighted.mean());
    QVERIFY2(spreadAfter < 0.1 * spreadBefore, (std::to_string(spreadBefore) + " -> " + std::to_string(spreadAfter)).c_str());
}

void TestLossMethods::gradnormStateRoundTrip() {
    const nlohmann::json params = {{"w_lr", 0.05}};
    auto method = makeMethod("gradnorm", 3, params);
    const torch::Tensor gradients = randomMatrix(3, 8, 41);
    aggregate(*method, gradients, torch::tensor({1.0, 1.0, 1.0}, kDouble));
    aggregate(*method, gradients, torch::tensor({0.5, 0.9, 0.7}, kDouble));

    auto restored = roundTrip(*method, params, 3);
    const torch::Tensor losses = torch::tensor({0.4, 0.9, 0.6}, kDouble);
    const Aggregation original = aggregate(*method, gradients, losses);
    const Aggregation reloaded = aggregate(*restored, gradients, losses);
    QVERIFY(torch::equal(original.weights, reloaded.weights));
    QVERIFY(!torch::allclose(original.weights, torch::ones({3}, kDouble)));
    // The initial losses were restored too, so the next update matches.
    QVERIFY(torch::equal(aggregate(*method, gradients, losses).weights, aggregate(*restored, gradients, losses).weights));
}

void TestLossMethods::edgeCases_data() {
    QTest::addColumn<std::string>("method");
    QTest::addColumn<QString>("params");
    QTest::addColumn<QString>("edgeCase");
    const std::vector<std::pair<std::string, QString>> methods = {
        {"ew", "null"},   {"uw", "null"},   {"dwa", "null"},
        {"rlw", "null"},  {"gls", "null"},  {"stch", "null"},
        {"stch", R"({"warmup_epochs": 0})"}, {"famo", "null"}, {"imtl_l", "null"}, {"gradnorm", "null"}};
    for (const auto& [name, params] : methods) {
        for (const char* edgeCase : {"single task", "nan loss", "inf loss", "negative loss", "zero losses",
                                      "one zero loss", "25 tasks"}) {
            const std::string row = name + (params == "null" ? "" : " no warmup") + " " + edgeCase;
            QTest::newRow(row.c_str()) << name << params << QString(edgeCase);
        }
    }
}

void TestLossMethods::edgeCases() {
    QFETCH(std::string, method);
    QFETCH(QString, params);
    QFETCH(QString, edgeCase);
    const bool takesLogarithms = method == "gls" || method == "stch" || method == "famo" || method == "gradnorm";

    torch::Tensor losses;
    if (edgeCase == "single task") {
        losses = torch::tensor({0.7}, kDouble);
    } else if (edgeCase == "25 tasks") {
        losses = torch::linspace(0.01, 50.0, 25, kDouble);
    } else if (edgeCase == "zero losses") {
        losses = torch::zeros({3}, kDouble);
    } else {
        losses = torch::tensor({0.5, 1.0, 2.0}, kDouble);
    }
    if (edgeCase == "nan loss") {
        losses[1] = std::numeric_limits<double>::quiet_NaN();
    } else if (edgeCase == "inf loss") {
        losses[1] = std::numeric_limits<double>::infinity();
    } else if (edgeCase == "negative loss") {
        losses[1] = -0.25;
    } else if (edgeCase == "one zero loss") {
        losses[1] = 0.0;
    }
    const int k = static_cast<int>(losses.size(0));
    auto balancer = makeMethod(method, k, nlohmann::json::parse(params.toStdString()));
    const bool gradientMethod = balancer->info().kind == MethodKind::Gradient;
    const torch::Tensor gradients = randomMatrix(k, 10, 77);
    torch::Generator generator = at::detail::createCPUGenerator(9);

    const bool rejects = edgeCase == "nan loss" || edgeCase == "inf loss" ||
                         (edgeCase == "negative loss" && takesLogarithms);
    if (rejects) {
        try {
            if (gradientMethod) {
                aggregate(*balancer, gradients, losses);
            } else {
                combine(*balancer, losses, 1, &generator);
            }
            QFAIL("expected std::invalid_argument");
        } catch (const std::invalid_argument& error) {
            const std::string message = error.what();
            QVERIFY2(message.rfind(method + ":", 0) == 0, message.c_str());
            QVERIFY2(message.find("task 1") != std::string::npos, message.c_str());
        }
        return;
    }

    // Two steps, so stateful methods also run their update.
    for (int step = 1; step <= 2; ++step) {
        if (gradientMethod) {
            const Aggregation result = aggregate(*balancer, gradients, losses);
            QVERIFY(torch::isfinite(result.direction).all().item<bool>());
            QVERIFY(torch::isfinite(result.weights).all().item<bool>());
            QVERIFY(std::abs(value(result.weights.sum()) - k) < 1e-9);
        } else {
            const Combined result = combine(*balancer, losses, step, &generator);
            QVERIFY2(std::isfinite(result.total), std::to_string(result.total).c_str());
            QVERIFY2(torch::isfinite(result.lossGradient).all().item<bool>(), describe(result.lossGradient).c_str());
        }
        const torch::Tensor weights = balancer->lastWeights();
        QCOMPARE(weights.size(0), static_cast<int64_t>(k));
        QVERIFY2(torch::isfinite(weights).all().item<bool>(), describe(weights).c_str());
        QVERIFY2(value(weights.min()) >= 0.0, describe(weights).c_str());
        if (method == "rlw" || method == "famo") {
            QVERIFY(std::abs(value(weights.sum()) - 1.0) < 1e-9);
        }
    }
}

QTEST_GUILESS_MAIN(TestLossMethods)
#include "test_loss_methods.moc"
