// Tests for model merging: each merge method on small hand-built tensors, the merge session on
// the tiny-tabular fixture (base, fine-tuned models, AdaMerging without labels, shape errors),
// `mtlw train --init`, the run store's merge records and `mtlw merge`.
#include "MergeFixture.h"
#include "TestSupport.h"

#include "engine/Baselines.h"
#include "engine/Trainer.h"
#include "engine/WeightInit.h"
#include "merging/MergeMethod.h"
#include "merging/MergeSession.h"
#include "merging/TaskVectors.h"
#include "store/RunStore.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <random>

using namespace mtlw;

namespace {

const QString kFixtures = QStringLiteral(MTLW_SOURCE_DIR "/tests/fixtures");

// A problem with two tensors of shapes [2, 3] and [4]: a base and one model per task vector.
MergeProblem makeProblem(const std::vector<std::vector<float>>& taskVectorValues)
{
    MergeProblem problem;
    problem.names = {"node_a.weight", "node_a.bias"};
    problem.base = {torch::arange(6, torch::kFloat).reshape({2, 3}) * 0.1, torch::full({4}, -0.2f)};
    for (const auto& values : taskVectorValues) {
        const torch::Tensor flat = torch::tensor(values, torch::kFloat);
        problem.models.push_back({problem.base[0] + flat.slice(0, 0, 6).reshape({2, 3}),
                                  problem.base[1] + flat.slice(0, 6, 10)});
    }
    return problem;
}

MergeOutput mergeWith(const std::string& method, const nlohmann::json& params, const MergeProblem& problem)
{
    return createMergeMethod(method, params)->merge(problem, nullptr);
}

bool allClose(const TensorList& a, const TensorList& b, double tolerance = 1e-6)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t p = 0; p < a.size(); ++p) {
        if (!torch::allclose(a[p], b[p], tolerance, tolerance))
            return false;
    }
    return true;
}

bool allFinite(const TensorList& tensors)
{
    return std::all_of(tensors.begin(), tensors.end(),
                       [](const torch::Tensor& tensor) { return torch::isfinite(tensor).all().item<bool>(); });
}

std::vector<double> coefficientsOf(const MergeOutput& output)
{
    std::vector<double> values;
    for (const auto& row : output.details.at("coefficients")) {
        if (row.is_array()) {
            for (const auto& value : row)
                values.push_back(value.get<double>());
        } else {
            values.push_back(row.get<double>());
        }
    }
    return values;
}


}  // namespace

class TestMerging : public QObject, protected MergeFixture {
    Q_OBJECT

private:
    std::string mLabelCheckpoint;
    std::string mSizeCheckpoint;

    MergeSetup setupFor(const Project& project) const
    {
        MergeSetup setup;
        setup.project = project;
        setup.baseCheckpoint = mBaseCheckpoint;
        setup.models = {{"label", mLabelCheckpoint, "label model"}, {"size", mSizeCheckpoint, "size model"}};
        return setup;
    }

private slots:
    // Trains a base on both tasks and fine-tunes one single-task model per task from it.
    void initTestCase()
    {
        trainFixtureRuns(2);
        mLabelCheckpoint = bestCheckpoint(mLabelRun);
        mSizeCheckpoint = bestCheckpoint(mSizeRun);
    }

    void averageIdenticalModels()
    {
        MergeProblem problem = makeProblem({{1, -2, 3, 0, 0.5, 1, 2, 0, -1, 4}});
        problem.models.push_back(problem.models.front());
        const MergeOutput output = mergeWith("average", {}, problem);
        QCOMPARE(output.weights.size(), std::size_t(2));
        for (std::size_t p = 0; p < 2; ++p)
            QVERIFY(torch::equal(output.weights[p], problem.models.front()[p]));
    }

    void taskArithmeticZeroLambda()
    {
        const MergeProblem problem = makeProblem({{1, -2, 3, 0, 0.5, 1, 2, 0, -1, 4}, {2, 2, 2, 2, 2, -3, -3, 1, 1, 1}});
        const MergeOutput output = mergeWith("task_arithmetic", {{"lambda", 0.0}}, problem);
        for (std::size_t p = 0; p < 2; ++p)
            QVERIFY(torch::equal(output.weights[p], problem.base[p]));
    }

    void taskArithmeticSum()
    {
        const MergeProblem problem = makeProblem({{1, -2, 3, 0, 0.5, 1, 2, 0, -1, 4}, {2, 2, 2, 2, 2, -3, -3, 1, 1, 1}});
        const MergeOutput output = mergeWith("task_arithmetic", {{"lambda", 0.5}}, problem);
        const torch::Tensor expected = problem.base[1] + 0.5 * torch::tensor({-1.0f, 1.0f, 0.0f, 5.0f});
        QVERIFY(torch::allclose(output.weights[1], expected));
    }

    // With every entry kept and all task vectors agreeing in sign, the disjoint mean is the
    // plain mean, so TIES with λ equals task arithmetic with λ / K.
    void tiesDensityOneAgreeing_data()
    {
        QTest::addColumn<double>("lambda");
        QTest::newRow("lambda 1") << 1.0;
        QTest::newRow("lambda 0.4") << 0.4;
        QTest::newRow("lambda 2") << 2.0;
    }

    void tiesDensityOneAgreeing()
    {
        QFETCH(double, lambda);
        const MergeProblem problem =
            makeProblem({{1, -2, 3, 0.1, 0.5, 1, 2, 0.3, -1, 4}, {2, -1, 0.5, 2, 2, 3, 0.2, 1, -0.5, 1},
                         {0.4, -0.3, 1, 1, 1, 0.1, 5, 2, -2, 0.2}});
        const MergeOutput ties = mergeWith("ties", {{"density", 1.0}, {"lambda", lambda}}, problem);
        const MergeOutput arithmetic = mergeWith("task_arithmetic", {{"lambda", lambda / 3.0}}, problem);
        QVERIFY(allClose(ties.weights, arithmetic.weights));
    }

    // Density 0.5 keeps the 5 largest magnitudes of each task vector, then a sign is elected per entry.
    void tiesTrimsAndElects()
    {
        const MergeProblem problem =
            makeProblem({{4, -3, 0.1, 0.2, 5, -0.1, 2, 0.3, 1, 0}, {-1, 3, 0.2, 6, 0.1, 0.2, -5, 4, 0.5, 0.1}});
        const MergeOutput output = mergeWith("ties", {{"density", 0.5}, {"lambda", 1.0}}, problem);
        // Trimmed: {4, -3, 0, 0, 5, 0, 2, 0, 1, 0} and {0, 3, 0, 6, 0, 0, -5, 4, 0, 0}.
        // Entry 1: -3 + 3 = 0 elects sign 0, so nothing agrees and it stays 0. Entry 6: 2 - 5 < 0 keeps -5.
        const torch::Tensor expected = torch::tensor(std::vector<float>{4, 0, 0, 6, 5, 0, -5, 4, 1, 0});
        const torch::Tensor merged = torch::cat({(output.weights[0] - problem.base[0]).reshape(-1),
                                                 output.weights[1] - problem.base[1]});
        QVERIFY2(torch::allclose(merged, expected, 1e-6, 1e-6), torch::str(merged).c_str());
    }

    void dareZeroDropRate_data()
    {
        QTest::addColumn<QString>("dare");
        QTest::addColumn<QString>("reference");
        QTest::addColumn<QString>("params");
        QTest::newRow("linear") << "dare" << "task_arithmetic" << R"({"lambda": 0.7})";
        QTest::newRow("ties") << "dare_ties" << "ties" << R"({"lambda": 1.3, "density": 0.4})";
    }

    void dareZeroDropRate()
    {
        QFETCH(QString, dare);
        QFETCH(QString, reference);
        QFETCH(QString, params);
        const MergeProblem problem =
            makeProblem({{4, -3, 0.1, 0.2, 5, -0.1, 2, 0.3, 1, 0}, {-1, 3, 0.2, 6, 0.1, 0.2, -5, 4, 0.5, 0.1}});
        nlohmann::json dareParams = nlohmann::json::parse(params.toStdString());
        const MergeOutput expected = mergeWith(reference.toStdString(), dareParams, problem);
        dareParams["drop_rate"] = 0.0;
        const MergeOutput output = mergeWith(dare.toStdString(), dareParams, problem);
        QVERIFY(allClose(output.weights, expected.weights, 0.0));
    }

    // Each entry is either dropped or scaled by 1 / (1 - p), and the seed fixes which.
    void dareRescalesKeptEntries()
    {
        const std::vector<float> values = {4, -3, 0.1f, 0.2f, 5, -0.1f, 2, 0.3f, 1, 2};
        const MergeProblem problem = makeProblem({values});
        const nlohmann::json params = {{"drop_rate", 0.5}, {"lambda", 1.0}, {"seed", 7}};
        const MergeOutput first = mergeWith("dare", params, problem);
        const MergeOutput again = mergeWith("dare", params, problem);
        QVERIFY(allClose(first.weights, again.weights, 0.0));

        const torch::Tensor delta = torch::cat({(first.weights[0] - problem.base[0]).reshape(-1),
                                                first.weights[1] - problem.base[1]});
        const torch::Tensor original = torch::tensor(values);
        int dropped = 0;
        for (std::int64_t i = 0; i < delta.numel(); ++i) {
            const float value = delta[i].item<float>();
            if (std::abs(value) < 1e-6f) {
                ++dropped;
            } else {
                QVERIFY2(std::abs(value - 2.0f * original[i].item<float>()) < 1e-5f, qPrintable(QString::number(i)));
            }
        }
        QVERIFY(dropped > 0);
        QVERIFY(dropped < 10);

        nlohmann::json otherSeed = params;
        otherSeed["seed"] = 8;
        QVERIFY(!allClose(mergeWith("dare", otherSeed, problem).weights, first.weights, 0.0));
    }

    void slerpEndpoints()
    {
        const MergeProblem problem =
            makeProblem({{4, -3, 0.1, 0.2, 5, -0.1, 2, 0.3, 1, 0}, {-1, 3, 0.2, 6, 0.1, 0.2, -5, 4, 0.5, 0.1}});
        QVERIFY(allClose(mergeWith("slerp", {{"t", 0.0}}, problem).weights, problem.models[0], 1e-5));
        QVERIFY(allClose(mergeWith("slerp", {{"t", 1.0}}, problem).weights, problem.models[1], 1e-5));
        // Halfway between two orthogonal vectors of equal norm keeps that norm.
        MergeProblem orthogonal = makeProblem({{3, 0, 0, 0, 0, 0, 0, 0, 0, 0}, {0, 3, 0, 0, 0, 0, 0, 0, 0, 0}});
        const MergeOutput half = mergeWith("slerp", {{"t", 0.5}}, orthogonal);
        QVERIFY(std::abs((half.weights[0] - orthogonal.base[0]).norm().item<double>() - 3.0) < 1e-5);
    }

    // A model equal to the base has an all-zero task vector; every method must stay finite.
    void zeroTaskVectorFinite_data()
    {
        QTest::addColumn<QString>("method");
        QTest::addColumn<bool>("allZero");
        for (const char* method : {"average", "task_arithmetic", "ties", "dare", "dare_ties", "slerp"}) {
            QTest::newRow((std::string(method) + " one zero").c_str()) << method << false;
            QTest::newRow((std::string(method) + " all zero").c_str()) << method << true;
        }
    }

    void zeroTaskVectorFinite()
    {
        QFETCH(QString, method);
        QFETCH(bool, allZero);
        const std::vector<float> zeros(10, 0.0f);
        const std::vector<float> other = allZero ? zeros : std::vector<float>{1, -2, 3, 0, 0.5, 1, 2, 0, -1, 4};
        const MergeProblem problem = makeProblem({zeros, other});
        const MergeOutput output = mergeWith(method.toStdString(), {}, problem);
        QVERIFY(allFinite(output.weights));
        for (const auto& tensor : output.weights)
            QCOMPARE(tensor.scalar_type(), torch::kFloat);
        if (allZero)
            QVERIFY(allClose(output.weights, problem.base, 0.0));
    }

    void shapeMismatchNamesTensor()
    {
        MergeProblem problem = makeProblem({{1, -2, 3, 0, 0.5, 1, 2, 0, -1, 4}});
        problem.labels = {"run 9"};
        problem.models[0][0] = problem.models[0][0].reshape({3, 2});
        const QString message = inputErrorOf([&] { checkMergeProblem(problem); });
        QVERIFY2(message.contains("run 9"), qPrintable(message));
        QVERIFY2(message.contains("'node_a.weight'"), qPrintable(message));
        QVERIFY2(message.contains("[3, 2]"), qPrintable(message));
        QVERIFY2(message.contains("[2, 3]"), qPrintable(message));

        problem.models[0].pop_back();
        const QString countMessage = inputErrorOf([&] { checkMergeProblem(problem); });
        QVERIFY2(countMessage.contains("1 shared tensors but the base has 2"), qPrintable(countMessage));
    }

    void invalidMethodAndParams()
    {
        QVERIFY(inputErrorOf([] { createMergeMethod("magic", {}); }).contains("known methods: average"));
        QVERIFY(inputErrorOf([] { createMergeMethod("ties", {{"gamma", 1}}); }).contains("parameters are: density, lambda"));
        QVERIFY(inputErrorOf([] { createMergeMethod("dare", {{"drop_rate", 1.0}}); }).contains("between 0 and 0.99"));
        const MergeProblem problem = makeProblem({{1, -2, 3, 0, 0.5, 1, 2, 0, -1, 4}});
        QVERIFY(inputErrorOf([&] { mergeWith("fisher", {}, problem); }).contains("unlabeled validation inputs"));
    }

    // `--init` copies the base's shared weights into the new model before training.
    void initCopiesSharedWeights()
    {
        Project single = singleTaskProject(loadProject(mProjectPath.toStdString()), "size");
        TrainRequest request;
        request.project = single;
        request.storePath = mStorePath.toStdString();
        request.initCheckpoint = mBaseCheckpoint;
        Trainer trainer(std::move(request), nullptr, nullptr);
        trainer.prepare();
        const NamedTensors base = readCheckpointWeights(mBaseCheckpoint);
        const ParameterNames names = parameterNames(*trainer.model(), 1);
        QVERIFY(!names.shared.empty());
        const auto parameters = trainer.model()->named_parameters();
        for (const auto& name : names.shared)
            QVERIFY2(torch::equal(parameters[name], base.at(name)), name.c_str());
        // The size head of the two-task base has the same name and shape, so it is copied too.
        for (const auto& name : names.heads[0])
            QVERIFY2(torch::equal(parameters[name], base.at(name)), name.c_str());
    }

    void initRejectsOtherBackbone()
    {
        Project wider = loadProject(mProjectPath.toStdString());
        wider.graph.nodes[1].params["hidden"] = nlohmann::json::array({16, 8});
        TrainRequest request;
        request.project = wider;
        request.storePath = mStorePath.toStdString();
        request.initCheckpoint = mBaseCheckpoint;
        Trainer trainer(std::move(request), nullptr, nullptr);
        const QString message = inputErrorOf([&] { trainer.prepare(); });
        QVERIFY2(message.contains("[16, 16]"), qPrintable(message));
        QVERIFY2(message.contains("[8, 16]"), qPrintable(message));
        QVERIFY2(message.contains("node_backbone"), qPrintable(message));
    }

    void sessionRejectsOtherBackbone()
    {
        Project narrower = loadProject(mProjectPath.toStdString());
        narrower.graph.nodes[1].params["hidden"] = nlohmann::json::array({16, 8});
        const QString message = inputErrorOf([&] { MergeSession session(setupFor(narrower)); });
        QVERIFY2(message.contains("base checkpoint"), qPrintable(message));
        QVERIFY2(message.contains("node_backbone"), qPrintable(message));
        QVERIFY2(message.contains("[16, 16]"), qPrintable(message));
        QVERIFY2(message.contains("[8, 16]"), qPrintable(message));
    }

    void sessionTaskVectorsFromRuns()
    {
        MergeSession session(setupFor(loadProject(mProjectPath.toStdString())));
        const MergeProblem& problem = session.problem();
        QCOMPARE(problem.models.size(), std::size_t(2));
        const NamedTensors base = readCheckpointWeights(mBaseCheckpoint);
        const NamedTensors label = readCheckpointWeights(mLabelCheckpoint);
        for (std::size_t p = 0; p < problem.names.size(); ++p) {
            QVERIFY(torch::equal(problem.base[p], base.at(problem.names[p])));
            QVERIFY(torch::equal(problem.models[0][p], label.at(problem.names[p])));
        }
        // Fine-tuning moved the backbone, so the task vectors are not zero.
        QVERIFY(!allClose(problem.models[0], problem.base, 0.0));
    }

    // The slider path equals an explicit task-arithmetic merge, and coefficient 0 is the base.
    void coefficientsMatchTaskArithmetic()
    {
        MergeSession session(setupFor(loadProject(mProjectPath.toStdString())));
        const Split& validation = session.dataset().validation;
        const TaskMetrics sliders = session.evaluateCoefficients({0.6, 0.6}, 0);
        const MergeOutput merged = session.merge("task_arithmetic", {{"lambda", 0.6}});
        const TaskMetrics explicitMerge = session.evaluate(merged.weights, validation);
        QCOMPARE(sliders.at("label").at("accuracy"), explicitMerge.at("label").at("accuracy"));
        QVERIFY(std::abs(sliders.at("size").at("mae") - explicitMerge.at("size").at("mae")) < 1e-9);

        const TaskMetrics method = session.evaluateMethod("task_arithmetic", {{"lambda", 0.6}}, 0);
        QCOMPARE(method.at("label").at("accuracy"), explicitMerge.at("label").at("accuracy"));

        const TaskMetrics zero = session.evaluateCoefficients({0.0, 0.0}, 0);
        const TaskMetrics base = session.evaluate(session.problem().base, validation);
        QCOMPARE(zero.at("size").at("mae"), base.at("size").at("mae"));

        // A subset of 5 samples gives accuracies in steps of 1/5.
        const double subset = session.evaluateCoefficients({0.6, 0.6}, 5).at("label").at("accuracy");
        QVERIFY(std::abs(subset * 5 - std::round(subset * 5)) < 1e-9);
        QVERIFY_EXCEPTION_THROWN(session.evaluateCoefficients({0.6}, 5), std::invalid_argument);
    }

    // Every method, including those that run the models, stays finite when a task vector is zero:
    // the base is the label model's own checkpoint.
    void sessionZeroTaskVectorFinite()
    {
        MergeSetup setup = setupFor(loadProject(mProjectPath.toStdString()));
        setup.baseCheckpoint = mLabelCheckpoint;
        MergeSession session(setup);
        for (const auto& [info, factory] : mergeMethodRegistry()) {
            const MergeOutput output = session.merge(info.name, {});
            QVERIFY2(allFinite(output.weights), info.name.c_str());
        }
    }

    // AdaMerging reads inputs only: permuting the label and size columns of the CSV file changes
    // every target but no input, and leaves the learned coefficients exactly the same.
    void adaMergingIgnoresLabels_data()
    {
        QTest::addColumn<QString>("method");
        QTest::newRow("task-wise") << "adamerging";
        QTest::newRow("layer-wise") << "adamerging_layer";
    }

    void adaMergingIgnoresLabels()
    {
        QFETCH(QString, method);
        const nlohmann::json params = {{"steps", 10}, {"learning_rate", 0.05}};
        MergeSession original(setupFor(loadProject(mProjectPath.toStdString())));
        const MergeOutput learned = original.merge(method.toStdString(), params);

        QTemporaryDir scrambledDir;
        QVERIFY(scrambledDir.isValid());
        QVERIFY(QFile::copy(mProjectPath, scrambledDir.filePath("tiny-tabular.mtlw")));
        QStringList lines = QString::fromUtf8(readBytes(mDir.filePath("tiny-tabular.csv"))).trimmed().split('\n');
        QStringList labels;
        for (int i = 1; i < lines.size(); ++i)
            labels << lines[i].section(',', 4, 5);
        std::mt19937 random(3);
        std::shuffle(labels.begin(), labels.end(), random);
        for (int i = 1; i < lines.size(); ++i)
            lines[i] = lines[i].section(',', 0, 3) + "," + labels[i - 1];
        writeFile(scrambledDir.filePath("tiny-tabular.csv"), lines.join('\n').toUtf8() + "\n");

        MergeSession scrambled(setupFor(loadProject(scrambledDir.filePath("tiny-tabular.mtlw").toStdString())));
        const Split& before = original.dataset().validation;
        const Split& after = scrambled.dataset().validation;
        QVERIFY(torch::equal(before.inputs, after.inputs));
        QVERIFY(!torch::equal(before.targets.at("size"), after.targets.at("size")));

        const MergeOutput relearned = scrambled.merge(method.toStdString(), params);
        const std::vector<double> expected = coefficientsOf(learned);
        const std::vector<double> actual = coefficientsOf(relearned);
        QCOMPARE(actual.size(), expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i)
            QCOMPARE(actual[i], expected[i]);
        // The coefficients moved from their start, so the test would see a label-dependent update.
        QVERIFY(std::any_of(expected.begin(), expected.end(), [](double value) { return std::abs(value - 0.3) > 1e-3; }));
    }

    void storeMergeRoundTrip()
    {
        QTemporaryDir storeDir;
        QVERIFY(storeDir.isValid());
        RunStore store(storeDir.filePath("records.runs.sqlite").toStdString());
        MergeRecord record;
        record.projectPath = "/p/x.mtlw";
        record.projectName = "x";
        record.method = "ties";
        record.params = {{"density", 0.2}, {"lambda", 1.0}};
        record.baseCheckpoint = "/p/base.pt";
        record.inputs = {{4, "left", "/p/a.pt"}, {std::nullopt, "right", "/p/b.pt"}};
        record.details = {{"coefficients", {0.3, 0.4}}};
        record.codeVersion = "test";
        record.metrics = {{"merged", std::nullopt, "left", "accuracy", 0.5},
                          {"individual", 4, "left", "accuracy", 0.7},
                          {"merged", std::nullopt, "right", "loss", std::nan("")}};
        const std::int64_t id = store.addMerge(record);
        store.setMergeCheckpoint(id, "/p/merged.pt");

        const auto read = store.mergeRecord(id);
        QVERIFY(read.has_value());
        QCOMPARE(read->method, std::string("ties"));
        QVERIFY(read->params == record.params);
        QVERIFY(read->details == record.details);
        QCOMPARE(read->checkpointPath, std::string("/p/merged.pt"));
        QVERIFY(!read->createdAt.empty());
        QCOMPARE(read->inputs.size(), std::size_t(2));
        QCOMPARE(read->inputs[0].runId, std::optional<std::int64_t>(4));
        QVERIFY(!read->inputs[1].runId.has_value());
        QCOMPARE(read->inputs[1].task, std::string("right"));
        QCOMPARE(read->metrics.size(), std::size_t(3));
        QCOMPARE(read->metrics[1].runId, std::optional<std::int64_t>(4));
        QCOMPARE(read->metrics[1].value, 0.7);
        QVERIFY(std::isnan(read->metrics[2].value));
        QCOMPARE(store.merges("/p/x.mtlw").size(), std::size_t(1));
        QVERIFY(store.merges("/p/other.mtlw").empty());
        QVERIFY_EXCEPTION_THROWN(store.setMergeCheckpoint(id + 100, "/p/none.pt"), std::invalid_argument);
    }

    void mergeCommandRecordsMerge()
    {
        const Output output = runMtlwCommand({"-q", "merge", "--base", QString::fromStdString(mBaseCheckpoint), "--models",
                                       QString::number(mLabelRun), QString::number(mSizeRun), "--method", "ties",
                                       "--param", "density=0.5", "--mtl", QString::number(mBaseRun), "--json"},
                                      mDir.path());
        QVERIFY2(output.exitCode == 0, qPrintable(describe(output)));
        const nlohmann::json line = nlohmann::json::parse(output.out.trimmed().split('\n').last().toStdString());
        QCOMPARE(line.at("method").get<std::string>(), std::string("ties"));
        QCOMPARE(line.at("params").at("density").get<double>(), 0.5);
        for (const char* task : {"label", "size"}) {
            for (const char* model : {"merged", "individual", "joint", "base"})
                QVERIFY2(line.at("tasks").at(task).contains(model), model);
        }
        QVERIFY(line.at("tasks").at("label").at("merged").contains("accuracy"));

        const std::int64_t id = line.at("merge_id").get<std::int64_t>();
        RunStore store(mStorePath.toStdString());
        const auto record = store.mergeRecord(id);
        QVERIFY(record.has_value());
        QCOMPARE(record->inputs.size(), std::size_t(2));
        QCOMPARE(record->inputs[0].runId, std::optional<std::int64_t>(mLabelRun));
        QCOMPARE(record->inputs[1].task, std::string("size"));
        QCOMPARE(record->mtlRunId, std::optional<std::int64_t>(mBaseRun));
        QCOMPARE(record->baseCheckpoint, mBaseCheckpoint);
        bool jointRow = false;
        for (const auto& metric : record->metrics)
            jointRow = jointRow || (metric.model == "joint" && metric.runId == mBaseRun);
        QVERIFY(jointRow);

        // The joint model's metrics are those of its run's best checkpoint.
        const double recorded = store.run(mBaseRun)->summary["tasks"]["label"]["accuracy"].get<double>();
        QCOMPARE(line.at("tasks").at("label").at("joint").at("accuracy").get<double>(), recorded);

        // The merged model's checkpoint starts a new training run.
        QVERIFY(QFile::exists(QString::fromStdString(record->checkpointPath)));
        const Output init = runMtlwCommand({"-q", "train", mProjectPath, "--epochs", "1", "--init",
                                     QString::fromStdString(record->checkpointPath), "--json"},
                                    mDir.path());
        QVERIFY2(init.exitCode == 0, qPrintable(describe(init)));
    }

    void mergeCommandInvalidInput_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("expected");
        QTest::newRow("unknown method") << QStringList{"--method", "magic"} << "unknown merge method 'magic'";
        QTest::newRow("unknown param") << QStringList{"--method", "ties", "--param", "gamma=1"}
                                       << "unknown parameter of merge method ties";
        QTest::newRow("param not a number") << QStringList{"--method", "ties", "--param", "lambda=big"}
                                            << "is not a number";
        QTest::newRow("slerp of one model") << QStringList{"--method", "slerp"} << "takes 2 models, got 1";
        QTest::newRow("missing base") << QStringList{"--method", "ties", "--base", "missing.pt"}
                                      << "missing.pt: checkpoint file not found";
    }

    void mergeCommandInvalidInput()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, expected);
        QStringList command = {"-q", "merge", "--models", QString::number(mLabelRun)};
        if (!arguments.contains("--base"))
            command << "--base" << QString::fromStdString(mBaseCheckpoint);
        command << arguments;
        const Output output = runMtlwCommand(command, mDir.path());
        QVERIFY2(output.exitCode == 2, qPrintable(describe(output)));
        QVERIFY2(output.err.contains(expected), qPrintable(describe(output)));
    }

    void mergeCommandRejectsMultiTaskRun()
    {
        const Output output = runMtlwCommand({"-q", "merge", "--base", QString::fromStdString(mBaseCheckpoint), "--models",
                                       QString::number(mBaseRun), "--method", "average"},
                                      mDir.path());
        QVERIFY2(output.exitCode == 2, qPrintable(describe(output)));
        QVERIFY2(output.err.contains("trains 2 tasks"), qPrintable(describe(output)));
    }
};

QTEST_GUILESS_MAIN(TestMerging)
#include "test_merging.moc"
