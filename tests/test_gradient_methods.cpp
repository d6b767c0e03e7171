// Tests for the gradient-aggregation methods: each method's defining property on small
// hand-built or seeded random gradient matrices, state save/load, and a table of edge cases
// (zero gradient, identical gradients, one task, NaN/Inf, 25 tasks) run against every method.
#include "methods/BalancingMethod.h"
#include "util/Errors.h"

#include <ATen/CPUGeneratorImpl.h>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

using namespace mtlw;

Q_DECLARE_METATYPE(std::string)

namespace {

const std::vector<std::string> kGradientMethods = {"mgda",   "pcgrad",     "gradvac", "graddrop",
                                                   "cagrad", "imtl",       "nashmtl", "alignedmtl",
                                                   "upgrad", "dbmtl",      "fairgrad", "gradnorm",
                                                   "mgda_ub"};

std::unique_ptr<BalancingMethod> makeMethod(const std::string& name, const nlohmann::json& params = nullptr) {
    return createMethod(name, params, "test.method");
}

torch::Tensor matrix(const std::vector<std::vector<double>>& rows) {
    std::vector<torch::Tensor> tensors;
    for (const auto& row : rows) {
        tensors.push_back(torch::tensor(row, torch::kDouble));
    }
    return torch::stack(tensors);
}

torch::Tensor randomGradients(int64_t k, int64_t d, uint64_t seed, torch::ScalarType dtype = torch::kDouble) {
    torch::Generator generator = at::detail::createCPUGenerator(seed);
    return torch::randn({k, d}, generator, torch::TensorOptions().dtype(dtype));
}

Aggregation aggregateWith(BalancingMethod& method, const torch::Tensor& gradients, uint64_t seed = 7,
                          torch::Tensor losses = {}) {
    torch::Generator generator = at::detail::createCPUGenerator(seed);
    StepContext context;
    context.taskCount = static_cast<int>(gradients.size(0));
    context.generator = &generator;
    if (!losses.defined()) {
        losses = torch::ones({gradients.size(0)}, torch::kDouble);
    }
    return method.aggregate(gradients, losses, context);
}

double value(const torch::Tensor& tensor) {
    return tensor.item<double>();
}

double cosine(const torch::Tensor& a, const torch::Tensor& b) {
    return value(torch::dot(a, b) / (a.norm() * b.norm()));
}

std::string shapeText(const torch::Tensor& tensor) {
    std::ostringstream text;
    text << tensor.sizes();
    return text.str();
}

}  // namespace

class TestGradientMethods : public QObject {
    Q_OBJECT

private slots:
    void registryListsMethods();
    void lossCombinationIsSum();

    void mgdaMinNorm_data();
    void mgdaMinNorm();
    void mgdaCommonDescent();

    void pcgradTwoConflicting();
    void pcgradNoConflictIsSum();
    void pcgradSeedDeterminism();

    void gradvacFirstStepIsPcgrad();
    void gradvacReachesTarget();
    void gradvacStateRoundTrip();

    void graddropSignConsistency();
    void graddropSeedDeterminism();

    void cagradZeroRadiusIsMean_data();
    void cagradZeroRadiusIsMean();
    void cagradBallOptimality();
    void cagradRejectsBadRescale();

    void imtlEqualProjections();
    void imtlScalesLosses();
    void imtlWithoutLossScaling();

    void nashmtlEquation();
    void nashmtlClipsNorm();

    void alignedmtlAlignedSystem();

    void upgradNonNegativeProducts_data();
    void upgradNonNegativeProducts();
    void upgradNoConflictIsMean();

    void dbmtlLossScaleInvariance();
    void dbmtlNormBalance();
    void dbmtlRejectsBadLosses();
    void dbmtlStateRoundTrip();

    void fairgradEquation_data();
    void fairgradEquation();

    void edgeCases_data();
    void edgeCases();
};

void TestGradientMethods::registryListsMethods() {
    for (const std::string& name : kGradientMethods) {
        const MethodInfo* info = findMethod(name);
        QVERIFY2(info != nullptr, name.c_str());
        QVERIFY2(info->kind == MethodKind::Gradient, name.c_str());
    }
}

void TestGradientMethods::lossCombinationIsSum() {
    const torch::Tensor losses = torch::tensor({0.5, 1.5, 2.0}, torch::kDouble);
    StepContext context;
    for (const std::string& name : kGradientMethods) {
        auto method = makeMethod(name);
        QCOMPARE(value(method->combineLosses(losses, context)), 4.0);
        QVERIFY2(torch::equal(method->lastWeights(), torch::ones({3}, torch::kDouble)), name.c_str());
    }
}

void TestGradientMethods::mgdaMinNorm_data() {
    QTest::addColumn<int>("taskCount");
    QTest::addColumn<int>("seed");
    QTest::newRow("two tasks") << 2 << 1;
    QTest::newRow("two tasks obtuse") << 2 << 5;
    QTest::newRow("three tasks") << 3 << 2;
    QTest::newRow("three tasks other") << 3 << 11;
}

void TestGradientMethods::mgdaMinNorm() {
    QFETCH(int, taskCount);
    QFETCH(int, seed);
    const torch::Tensor gradients = randomGradients(taskCount, 4, seed);
    auto method = makeMethod("mgda");
    const Aggregation result = aggregateWith(*method, gradients);

    QVERIFY(std::abs(value(result.weights.sum()) - 1.0) < 1e-9);
    QVERIFY(value(result.weights.min()) >= 0.0);
    QVERIFY(torch::allclose(result.direction, torch::mv(gradients.t(), result.weights), 1e-9, 1e-12));

    // Brute force over a simplex grid with step 1/steps.
    const torch::Tensor m = torch::mm(gradients, gradients.t());
    const int steps = taskCount == 2 ? 20000 : 400;
    double gridMinimum = std::numeric_limits<double>::infinity();
    for (int a = 0; a <= steps; ++a) {
        for (int b = 0; b <= (taskCount == 2 ? 0 : steps - a); ++b) {
            torch::Tensor w = taskCount == 2
                                  ? torch::tensor({a / double(steps), 1.0 - a / double(steps)}, torch::kDouble)
                                  : torch::tensor({a / double(steps), b / double(steps), (steps - a - b) / double(steps)},
                                                  torch::kDouble);
            gridMinimum = std::min(gridMinimum, value(torch::dot(w, torch::mv(m, w))));
        }
    }
    const double solverSquaredNorm = value(result.direction.pow(2).sum());
    QVERIFY2(solverSquaredNorm <= gridMinimum + 1e-9,
             ("solver " + std::to_string(solverSquaredNorm) + " grid " + std::to_string(gridMinimum)).c_str());
    QVERIFY2(gridMinimum - solverSquaredNorm < 1e-3 * value(m.diagonal().max()),
             ("solver " + std::to_string(solverSquaredNorm) + " grid " + std::to_string(gridMinimum)).c_str());
}

void TestGradientMethods::mgdaCommonDescent() {
    // Min-norm optimality: g_i·d >= |d|² for every task, so d decreases every loss.
    const torch::Tensor gradients = matrix({{1.0, 0.2, 0.0}, {-0.4, 1.0, 0.3}, {0.1, 0.3, 1.0}});
    auto method = makeMethod("mgda");
    const Aggregation result = aggregateWith(*method, gradients);
    const double squaredNorm = value(result.direction.pow(2).sum());
    QVERIFY(squaredNorm > 0.0);
    const torch::Tensor products = torch::mv(gradients, result.direction);
    for (int64_t i = 0; i < 3; ++i) {
        QVERIFY2(value(products[i]) >= squaredNorm - 1e-8, std::to_string(i).c_str());
    }
}

void TestGradientMethods::pcgradTwoConflicting() {
    // g1' = g1 - (g1·g2/|g2|²) g2 = (0.5, 0.5) and g2' = g2 - (g2·g1/|g1|²) g1 = (0, 1).
    const torch::Tensor gradients = matrix({{1.0, 0.0}, {-1.0, 1.0}});
    auto method = makeMethod("pcgrad");
    const Aggregation result = aggregateWith(*method, gradients);
    QVERIFY(torch::allclose(result.direction, torch::tensor({0.5, 1.5}, torch::kDouble), 1e-12, 1e-12));
    QVERIFY(torch::allclose(result.weights, torch::tensor({2.0, 1.5}, torch::kDouble), 1e-12, 1e-12));

    // Each projected gradient has no conflict left with the other task.
    const torch::Tensor projectedFirst = gradients[0] + 0.5 * gradients[1];
    const torch::Tensor projectedSecond = gradients[1] + 1.0 * gradients[0];
    QVERIFY(value(torch::dot(projectedFirst, gradients[1])) >= -1e-12);
    QVERIFY(value(torch::dot(projectedSecond, gradients[0])) >= -1e-12);
}

void TestGradientMethods::pcgradNoConflictIsSum() {
    const torch::Tensor gradients = matrix({{1.0, 0.5, 0.0}, {0.2, 1.0, 0.1}, {0.0, 0.3, 2.0}});
    auto method = makeMethod("pcgrad");
    const Aggregation result = aggregateWith(*method, gradients);
    QVERIFY(torch::allclose(result.direction, gradients.sum(0), 1e-12, 1e-12));
}

void TestGradientMethods::pcgradSeedDeterminism() {
    const torch::Tensor gradients = randomGradients(5, 8, 3);
    auto first = makeMethod("pcgrad");
    auto second = makeMethod("pcgrad");
    const Aggregation a = aggregateWith(*first, gradients, 42);
    const Aggregation b = aggregateWith(*second, gradients, 42);
    QVERIFY(torch::equal(a.direction, b.direction));
    QVERIFY(torch::equal(a.weights, b.weights));
}

void TestGradientMethods::gradvacFirstStepIsPcgrad() {
    // All targets start at 0, so the first correction only removes the conflict, like PCGrad.
    const torch::Tensor gradients = matrix({{1.0, 0.0}, {-1.0, 1.0}});
    auto gradvac = makeMethod("gradvac");
    auto pcgrad = makeMethod("pcgrad");
    const Aggregation vaccinated = aggregateWith(*gradvac, gradients);
    const Aggregation projected = aggregateWith(*pcgrad, gradients);
    QVERIFY(torch::allclose(vaccinated.direction, projected.direction, 1e-12, 1e-12));
}

void TestGradientMethods::gradvacReachesTarget() {
    const torch::Tensor gradients = matrix({{1.0, 0.0}, {-1.0, 1.0}});
    const double originalCosine = cosine(gradients[0], gradients[1]);
    auto method = makeMethod("gradvac", {{"beta", 0.5}});
    aggregateWith(*method, gradients);
    // After one step every target is 0.5·cos; the second step lifts each pair to that target.
    const Aggregation second = aggregateWith(*method, gradients);
    const double target = 0.5 * originalCosine;
    // With two tasks, g1' = g1 + (w2 - 1)·g2 and g2' = g2 + (w1 - 1)·g1.
    const double w1 = value(second.weights[0]);
    const double w2 = value(second.weights[1]);
    const torch::Tensor adjustedFirst = gradients[0] + (w2 - 1.0) * gradients[1];
    const torch::Tensor adjustedSecond = gradients[1] + (w1 - 1.0) * gradients[0];
    QVERIFY(std::abs(cosine(adjustedFirst, gradients[1]) - target) < 1e-9);
    QVERIFY(std::abs(cosine(adjustedSecond, gradients[0]) - target) < 1e-9);
}

void TestGradientMethods::gradvacStateRoundTrip() {
    const torch::Tensor gradients = randomGradients(3, 6, 9);
    auto original = makeMethod("gradvac");
    aggregateWith(*original, gradients, 1);

    torch::serialize::OutputArchive output;
    original->save(output);
    std::ostringstream stream;
    output.save_to(stream);
    std::istringstream input(stream.str());
    torch::serialize::InputArchive archive;
    archive.load_from(input);
    auto restored = makeMethod("gradvac");
    restored->load(archive);

    torch::Tensor targets;
    archive.read("gradvac_targets", targets);
    QVERIFY(value(targets.abs().sum()) > 0.0);

    const torch::Tensor next = randomGradients(3, 6, 10);
    const Aggregation fromOriginal = aggregateWith(*original, next, 2);
    const Aggregation fromRestored = aggregateWith(*restored, next, 2);
    QVERIFY(torch::allclose(fromOriginal.direction, fromRestored.direction, 1e-12, 1e-12));
}

void TestGradientMethods::graddropSignConsistency() {
    const torch::Tensor gradients = randomGradients(4, 200, 4);
    auto method = makeMethod("graddrop");
    const Aggregation result = aggregateWith(*method, gradients);
    QVERIFY(!result.weights.defined());

    const torch::Tensor positiveSum = gradients.clamp_min(0).sum(0);
    const torch::Tensor negativeSum = gradients.clamp_max(0).sum(0);
    int keptPositive = 0;
    int keptNegative = 0;
    for (int64_t j = 0; j < gradients.size(1); ++j) {
        const double d = value(result.direction[j]);
        const bool isPositive = std::abs(d - value(positiveSum[j])) < 1e-12;
        const bool isNegative = std::abs(d - value(negativeSum[j])) < 1e-12;
        QVERIFY2(isPositive || isNegative, ("coordinate " + std::to_string(j)).c_str());
        keptPositive += isPositive ? 1 : 0;
        keptNegative += isNegative ? 1 : 0;
    }
    // Both signs are drawn somewhere among 200 coordinates of mixed-sign gradients.
    QVERIFY(keptPositive > 0);
    QVERIFY(keptNegative > 0);

    // Coordinates where every task agrees in sign are kept whole.
    const torch::Tensor agreeing = matrix({{1.0, -2.0}, {0.5, -1.0}});
    const Aggregation whole = aggregateWith(*method, agreeing);
    QVERIFY(torch::allclose(whole.direction, agreeing.sum(0), 1e-12, 1e-12));
}

void TestGradientMethods::graddropSeedDeterminism() {
    const torch::Tensor gradients = randomGradients(3, 100, 6);
    auto method = makeMethod("graddrop");
    const Aggregation a = aggregateWith(*method, gradients, 123);
    const Aggregation b = aggregateWith(*method, gradients, 123);
    const Aggregation c = aggregateWith(*method, gradients, 124);
    QVERIFY(torch::equal(a.direction, b.direction));
    QVERIFY(!torch::equal(a.direction, c.direction));
}

void TestGradientMethods::cagradZeroRadiusIsMean_data() {
    QTest::addColumn<double>("rescale");
    QTest::newRow("rescale 0") << 0.0;
    QTest::newRow("rescale 1") << 1.0;
    QTest::newRow("rescale 2") << 2.0;
}

void TestGradientMethods::cagradZeroRadiusIsMean() {
    QFETCH(double, rescale);
    const torch::Tensor gradients = randomGradients(4, 10, 12);
    auto method = makeMethod("cagrad", {{"c", 0.0}, {"rescale", rescale}});
    const Aggregation result = aggregateWith(*method, gradients);
    QVERIFY(torch::allclose(result.direction, gradients.mean(0), 1e-12, 1e-14));
    QVERIFY(torch::allclose(result.weights, torch::full({4}, 0.25, torch::kDouble), 1e-12, 1e-14));
}

void TestGradientMethods::cagradBallOptimality() {
    // Unscaled (rescale 0), d maximizes min_i g_i·x over the ball |x - g0| <= c|g0|.
    const double c = 0.4;
    const torch::Tensor gradients = matrix({{1.0, 0.1, 0.0}, {-0.6, 1.0, 0.2}, {0.2, -0.5, 0.8}});
    auto method = makeMethod("cagrad", {{"c", c}, {"rescale", 0}});
    const Aggregation result = aggregateWith(*method, gradients);
    const torch::Tensor mean = gradients.mean(0);
    const double radius = c * value(mean.norm());

    QVERIFY(std::abs(value((result.direction - mean).norm()) - radius) < 1e-8);
    const double worst = value(torch::mv(gradients, result.direction).min());
    QVERIFY(worst > value(torch::mv(gradients, mean).min()));

    torch::Generator generator = at::detail::createCPUGenerator(5);
    for (int trial = 0; trial < 500; ++trial) {
        torch::Tensor offset = torch::randn({3}, generator, torch::TensorOptions().dtype(torch::kDouble));
        offset = offset / offset.norm() * radius * std::sqrt(value(torch::rand({1}, generator, torch::kDouble)));
        const double candidate = value(torch::mv(gradients, mean + offset).min());
        QVERIFY2(candidate <= worst + 1e-7, ("trial " + std::to_string(trial)).c_str());
    }

    // The default rescale divides by 1 + c².
    auto scaled = makeMethod("cagrad", {{"c", c}});
    const Aggregation scaledResult = aggregateWith(*scaled, gradients);
    QVERIFY(torch::allclose(scaledResult.direction * (1.0 + c * c), result.direction, 1e-9, 1e-12));
}

void TestGradientMethods::cagradRejectsBadRescale() {
    QVERIFY_EXCEPTION_THROWN(makeMethod("cagrad", {{"rescale", 1.5}}), InputError);
}

void TestGradientMethods::imtlEqualProjections() {
    const torch::Tensor gradients = matrix({{2.0, 0.0, 0.5, 0.1}, {-0.5, 1.0, 0.0, 0.3}, {0.3, 0.2, 4.0, -1.0}});
    auto method = makeMethod("imtl");
    const Aggregation result = aggregateWith(*method, gradients);
    QVERIFY(std::abs(value(result.weights.sum()) - 1.0) < 1e-10);
    const torch::Tensor units = gradients / gradients.norm(2, {1}, true);
    const torch::Tensor projections = torch::mv(units, result.direction);
    for (int64_t i = 1; i < 3; ++i) {
        QVERIFY2(std::abs(value(projections[i] - projections[0])) < 1e-9, std::to_string(i).c_str());
    }
    QVERIFY(value(projections[0]) > 0.0);
}

void TestGradientMethods::imtlScalesLosses() {
    auto method = makeMethod("imtl");
    method->reset(3, torch::kCPU);
    const std::vector<torch::Tensor> parameters = method->parameters();
    QCOMPARE(parameters.size(), std::size_t(1));
    {
        torch::NoGradGuard noGrad;
        parameters[0].copy_(torch::tensor({0.0, 0.5, -1.0}));
    }
    const torch::Tensor losses = torch::tensor({2.0, 0.5, 3.0});
    const torch::Tensor scaled = method->scaleLosses(losses);
    // e^s L - s per task.
    const torch::Tensor expected = torch::tensor({2.0, std::exp(0.5) * 0.5 - 0.5, std::exp(-1.0) * 3.0 + 1.0});
    QVERIFY2(torch::allclose(scaled.detach(), expected, 1e-5, 1e-6), shapeText(scaled).c_str());
    // The scales descend on the scaled losses: ∂/∂s_i = e^{s_i} L_i - 1, zero where e^{s_i} L_i = 1.
    scaled.sum().backward();
    const torch::Tensor expectedGradient = torch::exp(torch::tensor({0.0, 0.5, -1.0})) * losses - 1.0;
    QVERIFY(torch::allclose(parameters[0].grad(), expectedGradient, 1e-5, 1e-6));
}

void TestGradientMethods::imtlWithoutLossScaling() {
    auto method = makeMethod("imtl", {{"loss_scaling", 0}});
    method->reset(2, torch::kCPU);
    QVERIFY(method->parameters().empty());
    const torch::Tensor losses = torch::tensor({2.0, 0.5});
    QVERIFY(torch::equal(method->scaleLosses(losses), losses));
    QVERIFY_EXCEPTION_THROWN(makeMethod("imtl", {{"loss_scaling", 0.5}}), InputError);
}

void TestGradientMethods::nashmtlEquation() {
    for (const torch::Tensor& gradients :
         {matrix({{1.0, 0.0}, {-0.5, 2.0}}), randomGradients(4, 12, 21), matrix({{3.0, 0.0, 0.0}, {0.0, 0.01, 0.0}, {1.0, 1.0, 0.0}})}) {
        auto method = makeMethod("nashmtl", {{"max_norm", 0}});
        const Aggregation result = aggregateWith(*method, gradients);
        const torch::Tensor alpha = result.weights;
        QVERIFY(value(alpha.min()) > 0.0);
        const torch::Tensor m = torch::mm(gradients, gradients.t());
        const torch::Tensor residual = torch::mv(m, alpha) - 1.0 / alpha;
        QVERIFY2(value((residual * alpha).abs().max()) < 1e-4, shapeText(gradients).c_str());
        QVERIFY(torch::allclose(result.direction, torch::mv(gradients.t(), alpha), 1e-9, 1e-12));
    }
}

void TestGradientMethods::nashmtlClipsNorm() {
    const torch::Tensor gradients = 0.01 * randomGradients(3, 5, 22);
    auto method = makeMethod("nashmtl");
    const Aggregation result = aggregateWith(*method, gradients);
    QVERIFY(value(result.direction.norm()) <= 1.0 + 1e-9);
    QVERIFY(value(torch::mv(gradients.t(), result.weights).norm()) > 1.0);
}

void TestGradientMethods::alignedmtlAlignedSystem() {
    // For a full-rank Gramian, α = √λ_min M^(-1/2) 1, so M^(1/2) α = √λ_min · 1: the aligned
    // gradients are orthonormal up to the scale √λ_min.
    const torch::Tensor gradients = matrix({{1.0, 0.2, 0.0, 0.3}, {-0.4, 2.0, 0.1, 0.0}, {0.2, 0.1, 0.5, 0.9}});
    auto method = makeMethod("alignedmtl");
    const Aggregation result = aggregateWith(*method, gradients);
    const torch::Tensor m = torch::mm(gradients, gradients.t());
    auto [values, vectors] = torch::linalg::eigh(m, "L");
    const torch::Tensor root = torch::mm(vectors * values.sqrt().unsqueeze(0), vectors.t());
    const double smallest = value(values.min());
    QVERIFY(torch::allclose(torch::mv(root, result.weights), torch::full({3}, std::sqrt(smallest), torch::kDouble),
                            1e-8, 1e-10));
    QVERIFY(std::abs(value(result.direction.pow(2).sum()) - 3.0 * smallest) < 1e-8);
}

void TestGradientMethods::upgradNonNegativeProducts_data() {
    QTest::addColumn<double>("regEps");
    QTest::addColumn<double>("tolerance");
    QTest::newRow("exact") << 0.0 << 1e-9;
    QTest::newRow("default regularization") << 1e-4 << 1e-3;
}

void TestGradientMethods::upgradNonNegativeProducts() {
    QFETCH(double, regEps);
    QFETCH(double, tolerance);
    for (const torch::Tensor& gradients : {matrix({{1.0, 0.0}, {-0.9, 0.3}}), randomGradients(5, 8, 31),
                                           randomGradients(8, 6, 32)}) {
        auto method = makeMethod("upgrad", {{"reg_eps", regEps}});
        const Aggregation result = aggregateWith(*method, gradients);
        const torch::Tensor products = torch::mv(gradients, result.direction);
        const double scale = value(gradients.pow(2).sum());
        for (int64_t i = 0; i < gradients.size(0); ++i) {
            QVERIFY2(value(products[i]) >= -tolerance * scale,
                     ("task " + std::to_string(i) + " of " + shapeText(gradients)).c_str());
        }
        QVERIFY(value(result.direction.norm()) > 0.0);
    }
}

void TestGradientMethods::upgradNoConflictIsMean() {
    const torch::Tensor gradients = matrix({{1.0, 0.5, 0.0}, {0.2, 1.0, 0.1}, {0.0, 0.3, 2.0}});
    auto method = makeMethod("upgrad", {{"reg_eps", 0}});
    const Aggregation result = aggregateWith(*method, gradients);
    QVERIFY(torch::allclose(result.direction, gradients.mean(0), 1e-10, 1e-12));
}

void TestGradientMethods::dbmtlLossScaleInvariance() {
    // Scaling a task's loss (and so its gradient) by 100 leaves log-loss gradients unchanged.
    const torch::Tensor gradients = matrix({{1.0, 0.5, -0.2}, {0.1, -0.3, 0.8}});
    const torch::Tensor losses = torch::tensor({0.7, 2.0}, torch::kDouble);
    const torch::Tensor scale = torch::tensor({1.0, 100.0}, torch::kDouble);
    auto plain = makeMethod("dbmtl");
    auto scaled = makeMethod("dbmtl");
    for (int step = 0; step < 3; ++step) {
        const Aggregation a = aggregateWith(*plain, gradients, 1, losses);
        const Aggregation b = aggregateWith(*scaled, gradients * scale.unsqueeze(1), 1, losses * scale);
        QVERIFY2(torch::allclose(a.direction, b.direction, 1e-6, 1e-9), std::to_string(step).c_str());
    }
}

void TestGradientMethods::dbmtlNormBalance() {
    // First step: b_i = (1 - beta)·g_i / L_i = (0.3, 0) and (0, 0.025); both are scaled to norm 0.3.
    const torch::Tensor gradients = matrix({{3.0, 0.0}, {0.0, 0.5}});
    const torch::Tensor losses = torch::tensor({1.0, 2.0}, torch::kDouble);
    auto method = makeMethod("dbmtl");
    const Aggregation result = aggregateWith(*method, gradients, 1, losses);
    QVERIFY(torch::allclose(result.direction, torch::tensor({0.3, 0.3}, torch::kDouble), 1e-6, 1e-9));
    QVERIFY(torch::allclose(result.weights, torch::tensor({1.0, 12.0}, torch::kDouble), 1e-6, 1e-9));
}

void TestGradientMethods::dbmtlRejectsBadLosses() {
    const torch::Tensor gradients = matrix({{1.0, 0.0}, {0.0, 1.0}});
    auto method = makeMethod("dbmtl");
    QVERIFY_EXCEPTION_THROWN(aggregateWith(*method, gradients, 1, torch::tensor({1.0, -0.5}, torch::kDouble)),
                             std::invalid_argument);
    QVERIFY_EXCEPTION_THROWN(aggregateWith(*method, gradients, 1, torch::tensor({1.0}, torch::kDouble)),
                             std::invalid_argument);
}

void TestGradientMethods::dbmtlStateRoundTrip() {
    const torch::Tensor losses = torch::tensor({0.5, 1.0, 2.0}, torch::kDouble);
    auto original = makeMethod("dbmtl");
    aggregateWith(*original, randomGradients(3, 5, 40), 1, losses);
    aggregateWith(*original, randomGradients(3, 5, 41), 1, losses);

    torch::serialize::OutputArchive output;
    original->save(output);
    std::ostringstream stream;
    output.save_to(stream);
    std::istringstream input(stream.str());
    torch::serialize::InputArchive archive;
    archive.load_from(input);
    auto restored = makeMethod("dbmtl");
    restored->load(archive);

    const torch::Tensor next = randomGradients(3, 5, 42);
    const Aggregation a = aggregateWith(*original, next, 1, losses);
    const Aggregation b = aggregateWith(*restored, next, 1, losses);
    QVERIFY(torch::allclose(a.direction, b.direction, 1e-12, 1e-12));
}

void TestGradientMethods::fairgradEquation_data() {
    QTest::addColumn<double>("alpha");
    QTest::newRow("alpha 1") << 1.0;
    QTest::newRow("alpha 2") << 2.0;
    QTest::newRow("alpha 0.5") << 0.5;
}

void TestGradientMethods::fairgradEquation() {
    QFETCH(double, alpha);
    for (const torch::Tensor& gradients : {matrix({{1.0, 0.0}, {-0.5, 2.0}}), randomGradients(5, 10, 51)}) {
        auto method = makeMethod("fairgrad", {{"alpha", alpha}});
        const Aggregation result = aggregateWith(*method, gradients);
        const torch::Tensor w = result.weights;
        QVERIFY(value(w.min()) > 0.0);
        const torch::Tensor m = torch::mm(gradients, gradients.t());
        const torch::Tensor rightSide = w.pow(-1.0 / alpha);
        const torch::Tensor relative = (torch::mv(m, w) - rightSide) / rightSide;
        QVERIFY2(value(relative.abs().max()) < 1e-6, shapeText(gradients).c_str());
    }
}

void TestGradientMethods::edgeCases_data() {
    QTest::addColumn<std::string>("method");
    QTest::addColumn<QString>("edgeCase");
    for (const std::string& name : kGradientMethods) {
        for (const char* edgeCase : {"zero row", "identical rows", "opposite rows", "single task", "nan row", "inf row",
                                      "25 tasks"}) {
            QTest::newRow((name + " " + edgeCase).c_str()) << name << QString(edgeCase);
        }
    }
}

void TestGradientMethods::edgeCases() {
    QFETCH(std::string, method);
    QFETCH(QString, edgeCase);
    auto balancer = makeMethod(method);
    const auto options = torch::TensorOptions().dtype(torch::kFloat);

    if (edgeCase == "nan row" || edgeCase == "inf row") {
        torch::Tensor gradients = randomGradients(3, 6, 60, torch::kFloat);
        gradients[1][2] = edgeCase == "nan row" ? std::numeric_limits<float>::quiet_NaN()
                                                : std::numeric_limits<float>::infinity();
        try {
            aggregateWith(*balancer, gradients);
            QFAIL("expected std::invalid_argument");
        } catch (const std::invalid_argument& error) {
            const std::string message = error.what();
            QVERIFY2(message.find(method) != std::string::npos, message.c_str());
            QVERIFY2(message.find("task 1") != std::string::npos, message.c_str());
        }
        return;
    }

    torch::Tensor gradients;
    if (edgeCase == "zero row") {
        gradients = randomGradients(3, 6, 61, torch::kFloat);
        gradients[1].zero_();
    } else if (edgeCase == "identical rows") {
        gradients = randomGradients(1, 6, 62, torch::kFloat).repeat({3, 1});
    } else if (edgeCase == "opposite rows") {
        const torch::Tensor row = randomGradients(1, 6, 65, torch::kFloat);
        gradients = torch::cat({row, -row});
    } else if (edgeCase == "single task") {
        gradients = randomGradients(1, 6, 63, torch::kFloat);
    } else {
        gradients = randomGradients(25, 64, 64, torch::kFloat);
    }
    const int64_t k = gradients.size(0);
    const torch::Tensor losses = torch::linspace(0.5, 2.0, k, options);
    const Aggregation result = aggregateWith(*balancer, gradients, 7, losses);

    QCOMPARE(result.direction.sizes(), gradients[0].sizes());
    QCOMPARE(result.direction.scalar_type(), torch::kFloat);
    QVERIFY(torch::isfinite(result.direction).all().item<bool>());
    if (result.weights.defined()) {
        QCOMPARE(result.weights.size(0), k);
        QVERIFY(torch::isfinite(result.weights).all().item<bool>());
    }
    QCOMPARE(balancer->lastWeights().size(0), k);
    if (edgeCase == "opposite rows") {
        // Exactly opposite gradients leave no common descent direction; any finite result is valid.
        return;
    }
    QVERIFY(value(result.direction.norm()) > 0.0);

    if (edgeCase == "single task") {
        QVERIFY(torch::equal(result.direction, gradients[0]));
    } else if (edgeCase == "identical rows") {
        QVERIFY2(cosine(result.direction.to(torch::kDouble), gradients[0].to(torch::kDouble)) > 1.0 - 1e-5,
                 std::to_string(cosine(result.direction.to(torch::kDouble), gradients[0].to(torch::kDouble))).c_str());
    } else if (edgeCase == "zero row" && result.weights.defined() && method != "pcgrad" && method != "gradvac" &&
               method != "cagrad" && method != "upgrad" && method != "gradnorm") {
        // Methods that solve for weights leave the zero task out.
        QCOMPARE(value(result.weights[1]), 0.0);
    }
}

QTEST_GUILESS_MAIN(TestGradientMethods)
#include "test_gradient_methods.moc"
