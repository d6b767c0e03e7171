// Tests for run comparison (core/compare) and `mtlw compare`: runs with known final metrics in a
// real SQLite store, hyperparameter differences, seed statistics, the Pareto front, Δm% against
// single-task baselines, CSV and JSON export, curve loading and downsampling.
#include "TestSupport.h"
#include "compare/Comparison.h"
#include "compare/Curves.h"
#include "project/AtomicFile.h"
#include "store/RunStore.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <spdlog/spdlog.h>

#include <cmath>
#include <limits>

using namespace mtlw;

namespace {

const QString kFixtures = QStringLiteral(MTLW_SOURCE_DIR "/tests/fixtures");

nlohmann::json tabularProject()
{
    return nlohmann::json::parse(readFile((kFixtures + "/tiny-tabular.mtlw").toStdString()));
}

// Adds a finished run of the tiny-tabular project with the given summary; returns its id.
std::int64_t addRun(RunStore& store, const nlohmann::json& project, const nlohmann::json& summary)
{
    NewRun run;
    run.projectPath = (kFixtures + "/tiny-tabular.mtlw").toStdString();
    run.projectName = project.at("name").get<std::string>();
    run.projectJson = project.dump();
    run.method = project.at("training").at("method").at("name").get<std::string>();
    run.seed = project.at("training").at("seed").get<std::uint64_t>();
    run.device = "cpu";
    run.codeVersion = "test";
    const std::int64_t id = store.createRun(run);
    store.finishRun(id, run_status::kCompleted, summary);
    return id;
}

nlohmann::json withMethodAndSeed(const std::string& method, std::uint64_t seed)
{
    nlohmann::json project = tabularProject();
    project["training"]["method"]["name"] = method;
    project["training"]["seed"] = seed;
    return project;
}

nlohmann::json taskSummary(double accuracy, double mae, double rmse)
{
    return {{"tasks",
             {{"label", {{"accuracy", accuracy}, {"loss", 0.3}}}, {"size", {{"mae", mae}, {"rmse", rmse}, {"loss", 0.7}}}}},
            {"final_tasks", {{"label", {{"accuracy", accuracy - 0.01}}}, {"size", {{"mae", mae + 0.01}, {"rmse", rmse}}}}}};
}

// A store with single-task baselines (label accuracy 0.8; size mae 0.5, rmse 1.0) and four runs:
// ew seeds 1 and 2, pcgrad seeds 1 and 2. Returns the ids of the four runs.
std::vector<std::int64_t> fillStore(RunStore& store)
{
    const nlohmann::json base = tabularProject();
    addRun(store, base, {{"baseline_task", "label"}, {"tasks", {{"label", {{"accuracy", 0.8}}}}}});
    addRun(store, base, {{"baseline_task", "size"}, {"tasks", {{"size", {{"mae", 0.5}, {"rmse", 1.0}}}}}});
    return {addRun(store, withMethodAndSeed("ew", 1), taskSummary(0.88, 0.4, 0.8)),
            addRun(store, withMethodAndSeed("ew", 2), taskSummary(0.84, 0.45, 0.9)),
            addRun(store, withMethodAndSeed("pcgrad", 1), taskSummary(0.90, 0.6, 1.1)),
            addRun(store, withMethodAndSeed("pcgrad", 2), taskSummary(0.80, 0.5, 1.2))};
}

Curve curveOf(const std::vector<double>& values)
{
    Curve curve;
    for (size_t i = 0; i < values.size(); ++i) {
        curve.steps.push_back(static_cast<double>(i + 1));
        curve.values.push_back(values[i]);
    }
    curve.sourcePoints = values.size();
    return curve;
}

// A noisy decreasing loss with one spike at index 1234.
std::vector<double> lossWithSpike(size_t count)
{
    std::vector<double> values;
    for (size_t i = 0; i < count; ++i)
        values.push_back(2.0 / (1.0 + 0.01 * i) + 0.05 * std::sin(0.7 * i));
    values[1234] = 50.0;
    return values;
}


}  // namespace

class TestCompare : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { spdlog::set_level(spdlog::level::warn); }

    void flattenKeysNodesById()
    {
        const Hyperparameters values = flattenHyperparameters(tabularProject());
        QCOMPARE(values.count("name"), size_t(0));
        QCOMPARE(values.count("format"), size_t(0));
        QCOMPARE(values.at("training.optimizer.learning_rate"), std::string("0.01"));
        QCOMPARE(values.at("training.method.name"), std::string("\"ew\""));
        QCOMPARE(values.at("graph.nodes[backbone].params.hidden"), std::string("[16,16]"));
        QCOMPARE(values.at("tasks[size].loss"), std::string("\"mse\""));
        QCOMPARE(values.at("datasets[table].options.validation_fraction"), std::string("0.2"));
    }

    void finalMetricsBestAndLast()
    {
        QTemporaryDir folder;
        RunStore store(folder.filePath("runs.sqlite").toStdString());
        const auto ids = fillStore(store);

        const Comparison best = compareRuns(store, {ids[0], ids[2]});
        QCOMPARE(best.runs.size(), size_t(2));
        QCOMPARE(best.runs[0].run.id, ids[0]);
        QCOMPARE(best.runs[1].run.id, ids[2]);
        QCOMPARE(best.runs[0].taskMetrics.at("label").at("accuracy"), 0.88);
        QCOMPARE(best.runs[1].taskMetrics.at("size").at("mae"), 0.6);
        // The loss is not a final metric.
        QCOMPARE(best.runs[0].taskMetrics.at("label").count("loss"), size_t(0));
        QCOMPARE(best.metrics.size(), size_t(3));

        CompareOptions last;
        last.epoch = MetricEpoch::Last;
        const Comparison lastEpoch = compareRuns(store, {ids[0]}, last);
        QCOMPARE(lastEpoch.runs[0].taskMetrics.at("label").at("accuracy"), 0.87);
    }

    void deltaMAgainstBaselines()
    {
        QTemporaryDir folder;
        RunStore store(folder.filePath("runs.sqlite").toStdString());
        const auto ids = fillStore(store);
        const Comparison comparison = compareRuns(store, ids);

        // label: +10%; size: mae +20%, rmse +20%, so the mean over tasks is +15%.
        QVERIFY(comparison.runs[0].deltaM.has_value());
        QVERIFY(std::abs(*comparison.runs[0].deltaM - 15.0) < 1e-9);
        // pcgrad seed 2: label 0%, size mae 0%, rmse -20%, so size -10% and the mean -5%.
        QVERIFY(std::abs(*comparison.runs[3].deltaM + 5.0) < 1e-9);

        CompareOptions without;
        without.withDeltaM = false;
        QVERIFY(!compareRuns(store, ids, without).runs[0].deltaM.has_value());
    }

    void deltaMWithoutBaselines()
    {
        QTemporaryDir folder;
        RunStore store(folder.filePath("runs.sqlite").toStdString());
        const std::int64_t id = addRun(store, withMethodAndSeed("ew", 1), taskSummary(0.9, 0.4, 0.8));
        QVERIFY(!compareRuns(store, {id}).runs[0].deltaM.has_value());
    }

    void hyperparameterDifferences()
    {
        QTemporaryDir folder;
        RunStore store(folder.filePath("runs.sqlite").toStdString());
        const auto ids = fillStore(store);
        const Comparison comparison = compareRuns(store, {ids[0], ids[3]});

        const auto differing = hyperparameterRows(comparison, true);
        QCOMPARE(differing.size(), size_t(2));
        QCOMPARE(differing[0].key, std::string("training.method.name"));
        QCOMPARE(*differing[0].values[0], std::string("\"ew\""));
        QCOMPARE(*differing[0].values[1], std::string("\"pcgrad\""));
        QCOMPARE(differing[1].key, std::string(kSeedKey));
        QVERIFY(differing[1].differs);

        const auto all = hyperparameterRows(comparison, false);
        QVERIFY(all.size() > differing.size());
        const auto device = std::find_if(all.begin(), all.end(), [](const auto& row) { return row.key == "run.device"; });
        QVERIFY(device != all.end());
        QVERIFY(!device->differs);
    }

    void hyperparameterMissingKeyDiffers()
    {
        QTemporaryDir folder;
        RunStore store(folder.filePath("runs.sqlite").toStdString());
        nlohmann::json withDecay = withMethodAndSeed("ew", 1);
        withDecay["training"]["optimizer"].erase("weight_decay");
        nlohmann::json other = withMethodAndSeed("ew", 1);
        other["training"]["optimizer"]["weight_decay"] = 0.001;
        const std::int64_t a = addRun(store, withDecay, taskSummary(0.9, 0.4, 0.8));
        const std::int64_t b = addRun(store, other, taskSummary(0.9, 0.4, 0.8));

        const auto rows = hyperparameterRows(compareRuns(store, {a, b}), true);
        QCOMPARE(rows.size(), size_t(1));
        QCOMPARE(rows[0].key, std::string("training.optimizer.weight_decay"));
        QVERIFY(!rows[0].values[0].has_value());
        QCOMPARE(*rows[0].values[1], std::string("0.001"));
    }

    void seedGroupMeanStd()
    {
        QTemporaryDir folder;
        RunStore store(folder.filePath("runs.sqlite").toStdString());
        const auto ids = fillStore(store);
        const auto groups = seedGroups(compareRuns(store, ids));

        QCOMPARE(groups.size(), size_t(2));
        QCOMPARE(groups[0].label, std::string("training.method.name=\"ew\""));
        QCOMPARE(groups[0].runIds, (std::vector<std::int64_t>{ids[0], ids[1]}));
        QCOMPARE(groups[0].seeds, (std::vector<std::uint64_t>{1, 2}));
        const MeanStd accuracy = groups[0].taskMetrics.at("label").at("accuracy");
        QCOMPARE(accuracy.count, 2);
        QVERIFY(std::abs(accuracy.mean - 0.86) < 1e-12);
        // Sample std of {0.88, 0.84}: |0.88 - 0.84| / sqrt(2).
        QVERIFY(std::abs(accuracy.std - 0.04 / std::sqrt(2.0)) < 1e-12);
        QCOMPARE(groups[1].runIds, (std::vector<std::int64_t>{ids[2], ids[3]}));
        QCOMPARE(groups[1].deltaM.count, 2);
    }

    void meanStdCases_data()
    {
        QTest::addColumn<std::vector<double>>("values");
        QTest::addColumn<int>("count");
        QTest::addColumn<double>("mean");
        QTest::addColumn<double>("std");
        const double nan = std::numeric_limits<double>::quiet_NaN();
        QTest::newRow("empty") << std::vector<double>{} << 0 << 0.0 << 0.0;
        QTest::newRow("one") << std::vector<double>{3.0} << 1 << 3.0 << 0.0;
        QTest::newRow("three") << std::vector<double>{1.0, 2.0, 3.0} << 3 << 2.0 << 1.0;
        QTest::newRow("nan skipped") << std::vector<double>{1.0, nan, 3.0} << 2 << 2.0 << std::sqrt(2.0);
    }

    void meanStdCases()
    {
        QFETCH(std::vector<double>, values);
        QFETCH(int, count);
        QFETCH(double, mean);
        QFETCH(double, std);
        const MeanStd result = meanStd(values);
        QCOMPARE(result.count, count);
        QVERIFY(std::abs(result.mean - mean) < 1e-12);
        QVERIFY(std::abs(result.std - std) < 1e-12);
    }

    void paretoFrontOrientation()
    {
        QTemporaryDir folder;
        RunStore store(folder.filePath("runs.sqlite").toStdString());
        const auto ids = fillStore(store);
        const Comparison comparison = compareRuns(store, ids);

        // Accuracy counts up and MAE down. ew seed 1 (0.88, 0.40) and pcgrad seed 1 (0.90, 0.60)
        // are not dominated. ew seed 1 dominates ew seed 2 (0.84, 0.45) and pcgrad seed 2 (0.80, 0.50).
        const auto front = paretoFront(comparison, {"label", "accuracy"}, {"size", "mae"});
        QCOMPARE(front, (std::vector<std::int64_t>{ids[2], ids[0]}));

        // Both higher-is-better by mistake would keep only the high-MAE runs.
        const auto byRmse = paretoFront(comparison, {"size", "rmse"}, {"size", "mae"});
        QCOMPARE(byRmse, (std::vector<std::int64_t>{ids[0]}));

        QVERIFY(paretoFront(comparison, {"label", "accuracy"}, {"size", "missing"}).empty());
    }

    void paretoEqualPointsKept()
    {
        QTemporaryDir folder;
        RunStore store(folder.filePath("runs.sqlite").toStdString());
        const std::int64_t a = addRun(store, withMethodAndSeed("ew", 1), taskSummary(0.9, 0.4, 0.8));
        const std::int64_t b = addRun(store, withMethodAndSeed("ew", 2), taskSummary(0.9, 0.4, 0.8));
        const auto front = paretoFront(compareRuns(store, {a, b}), {"label", "accuracy"}, {"size", "mae"});
        QCOMPARE(front.size(), size_t(2));
    }

    void compareRejectsBadIds()
    {
        QTemporaryDir folder;
        RunStore store(folder.filePath("runs.sqlite").toStdString());
        const auto ids = fillStore(store);
        QVERIFY(inputErrorOf([&] { compareRuns(store, {ids[0], 999}); }).contains("run 999 not found"));
        QVERIFY(inputErrorOf([&] { compareRuns(store, {ids[0], ids[0]}); }).contains("listed twice"));
        QVERIFY(inputErrorOf([&] { compareRuns(store, {}); }).contains("no runs to compare"));
    }

    void parseTaskMetricCases()
    {
        QCOMPARE(parseTaskMetric("left/accuracy"), (TaskMetric{"left", "accuracy"}));
        QCOMPARE(parseTaskMetric("size:mae"), (TaskMetric{"size", "mae"}));
        QVERIFY(inputErrorOf([] { parseTaskMetric("accuracy"); }).contains("TASK/METRIC"));
        QVERIFY(inputErrorOf([] { parseTaskMetric("left/"); }).contains("'left/'"));
    }

    void csvExport()
    {
        QTemporaryDir folder;
        RunStore store(folder.filePath("runs.sqlite").toStdString());
        const auto ids = fillStore(store);
        const Comparison comparison = compareRuns(store, {ids[0], ids[2]});
        const QString path = folder.filePath("comparison.csv");
        writeComparisonCsv(comparison, path.toStdString(), true);

        const QStringList lines = QString::fromUtf8(readBytes(path)).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 3);
        QCOMPARE(lines[0], QString("run_id,project,method,seed,status,label/accuracy,size/mae,size/rmse,delta_m,"
                                   "training.method.name"));
        QVERIFY2(lines[1].startsWith(QString::number(ids[0]) + ",Tiny tabular,ew,1,completed,0.88,0.4,0.8,15,ew"),
                 qPrintable(lines[1]));
        QVERIFY2(lines[2].endsWith(",pcgrad"), qPrintable(lines[2]));

        // Every hyperparameter without the switch; a value with a comma is quoted.
        const std::string all = comparisonCsv(comparison, false);
        QVERIFY(all.find(",\"[16,16]\"") != std::string::npos);
    }

    void csvWriteFailureNamesPath()
    {
        QTemporaryDir folder;
        RunStore store(folder.filePath("runs.sqlite").toStdString());
        const auto ids = fillStore(store);
        const std::string path = folder.filePath("missing/folder/out.csv").toStdString();
        const QString message = inputErrorOf([&] { writeComparisonCsv(compareRuns(store, {ids[0]}), path, false); });
        QVERIFY2(message.contains(QString::fromStdString(path)), qPrintable(message));
    }

    void listRunsUsesMetricsWhenNoSummary()
    {
        QTemporaryDir folder;
        RunStore store(folder.filePath("runs.sqlite").toStdString());
        const auto ids = fillStore(store);
        NewRun running;
        running.projectPath = (kFixtures + "/tiny-tabular.mtlw").toStdString();
        running.projectName = "Tiny tabular";
        running.projectJson = tabularProject().dump();
        running.method = "ew";
        const std::int64_t runningId = store.createRun(running);
        store.appendMetrics({{runningId, 10, 1, "test", "label", "accuracy", 0.5, 1.0},
                             {runningId, 10, 1, "test", "label", "loss", 0.9, 1.0},
                             {runningId, 20, 2, "test", "label", "accuracy", 0.7, 2.0},
                             {runningId, 20, 2, "validation", "label", "accuracy", 0.1, 2.0}});

        const auto runs = listRuns(store);
        QCOMPARE(runs.size(), ids.size() + 3);
        QCOMPARE(runs.front().run.id, runningId);
        QCOMPARE(runs.front().taskMetrics.at("label").at("accuracy"), 0.7);
        QCOMPARE(runs.front().taskMetrics.at("label").count("loss"), size_t(0));
        const auto first = std::find_if(runs.begin(), runs.end(), [&](const auto& r) { return r.run.id == ids[0]; });
        QCOMPARE(first->taskMetrics.at("size").at("rmse"), 0.8);
    }

    void loadCurvesPerTask()
    {
        QTemporaryDir folder;
        RunStore store(folder.filePath("runs.sqlite").toStdString());
        const auto ids = fillStore(store);
        std::vector<MetricRow> rows;
        for (int step = 1; step <= 500; ++step) {
            rows.push_back({ids[0], step, 1, "train", "label", "step_loss", 1.0 / step, step * 0.01});
            rows.push_back({ids[0], step, 1, "train", "size", "step_loss", 2.0 / step, step * 0.01});
            rows.push_back({ids[0], step, 1, "train", "size", "weight", 0.5, step * 0.01});
        }
        rows.push_back({ids[0], 501, 1, "train", "size", "step_loss", std::numeric_limits<double>::quiet_NaN(), 5.01});
        store.appendMetrics(rows);

        const auto curves = loadCurves(store, ids[0], CurveRequest{});
        QCOMPARE(curves.size(), size_t(2));
        QCOMPARE(curves[0].task, std::string("label"));
        QCOMPARE(curves[0].values.size(), size_t(500));
        QCOMPARE(curves[1].values.size(), size_t(501));
        QVERIFY(std::isnan(curves[1].values.back()));
        QCOMPARE(curves[1].values[1], 1.0);

        const auto reduced = loadCurves(store, {ids[0], ids[1]}, CurveRequest{}, 100, Downsampling::Lttb);
        QCOMPARE(reduced.size(), size_t(4));
        QCOMPARE(reduced[0].values.size(), size_t(100));
        QCOMPARE(reduced[0].sourcePoints, size_t(500));
        QVERIFY(reduced[2].values.empty());

        QVERIFY(inputErrorOf([&] { loadCurves(store, 999, CurveRequest{}); }).contains("run 999 not found"));
    }

    void downsampleKeepsShape_data()
    {
        QTest::addColumn<int>("method");
        QTest::addColumn<int>("maxPoints");
        QTest::newRow("minmax 200") << int(Downsampling::MinMax) << 200;
        QTest::newRow("minmax 1000") << int(Downsampling::MinMax) << 1000;
        QTest::newRow("lttb 200") << int(Downsampling::Lttb) << 200;
        QTest::newRow("lttb 1000") << int(Downsampling::Lttb) << 1000;
    }

    void downsampleKeepsShape()
    {
        QFETCH(int, method);
        QFETCH(int, maxPoints);
        const Curve source = curveOf(lossWithSpike(20000));
        const Curve reduced = downsample(source, static_cast<std::size_t>(maxPoints), static_cast<Downsampling>(method));

        QVERIFY(reduced.values.size() <= static_cast<size_t>(maxPoints));
        QVERIFY(reduced.values.size() >= static_cast<size_t>(maxPoints) * 9 / 10);
        QCOMPARE(reduced.steps.front(), 1.0);
        QCOMPARE(reduced.steps.back(), 20000.0);
        QVERIFY(std::is_sorted(reduced.steps.begin(), reduced.steps.end()));
        // The spike survives both methods.
        QCOMPARE(*std::max_element(reduced.values.begin(), reduced.values.end()), 50.0);
        // Every kept point is a point of the source.
        for (size_t i = 0; i < reduced.steps.size(); ++i) {
            const auto index = static_cast<size_t>(reduced.steps[i]) - 1;
            QCOMPARE(reduced.values[i], source.values[index]);
        }
    }

    void downsampleMinMaxKeepsExtremes()
    {
        const Curve source = curveOf(lossWithSpike(10000));
        const Curve reduced = downsampleMinMax(source, 100);
        // Every bucket of about 204 inner points keeps its minimum and maximum.
        for (size_t b = 0; b < 49; ++b) {
            const size_t begin = 1 + b * 9998 / 49;
            const size_t end = 1 + (b + 1) * 9998 / 49;
            const double low = *std::min_element(source.values.begin() + begin, source.values.begin() + end);
            const double high = *std::max_element(source.values.begin() + begin, source.values.begin() + end);
            QVERIFY(std::find(reduced.values.begin(), reduced.values.end(), low) != reduced.values.end());
            QVERIFY(std::find(reduced.values.begin(), reduced.values.end(), high) != reduced.values.end());
        }
    }

    void downsampleSmallAndNan()
    {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        const Curve source = curveOf({1.0, nan, 3.0, 4.0});
        for (const auto method : {Downsampling::MinMax, Downsampling::Lttb}) {
            const Curve reduced = downsample(source, 100, method);
            QCOMPARE(reduced.values, (std::vector<double>{1.0, 3.0, 4.0}));
            QCOMPARE(reduced.steps, (std::vector<double>{1.0, 3.0, 4.0}));
        }
        QCOMPARE(downsample(source, 2, Downsampling::None).values.size(), size_t(4));
    }

    void cliCompareJsonAndCsv()
    {
        QTemporaryDir folder;
        const QString storePath = folder.filePath("runs.sqlite");
        std::vector<std::int64_t> ids;
        {
            RunStore store(storePath.toStdString());
            ids = fillStore(store);
        }
        const QString csvPath = folder.filePath("out.csv");
        const Output result =
            runMtlwCommand({"compare", QString::number(ids[0]), QString::number(ids[1]), QString::number(ids[2]), "--runs-db",
                     storePath, "--json", "--differences", "--csv", csvPath, "--pareto", "label/accuracy", "size/mae"});
        QVERIFY2(result.exitCode == 0, qPrintable(result.err));

        const auto json = nlohmann::json::parse(result.out.toStdString());
        QCOMPARE(json["runs"].size(), size_t(3));
        QCOMPARE(json["runs"][0]["tasks"]["label"]["accuracy"].get<double>(), 0.88);
        QVERIFY(std::abs(json["runs"][0]["delta_m"].get<double>() - 15.0) < 1e-9);
        QCOMPARE(json["hyperparameters"].size(), size_t(2));
        QCOMPARE(json["seed_groups"].size(), size_t(2));
        QCOMPARE(json["seed_groups"][0]["run_ids"].size(), size_t(2));
        QCOMPARE(json["pareto"]["run_ids"].get<std::vector<std::int64_t>>(), (std::vector<std::int64_t>{ids[2], ids[0]}));
        QVERIFY(readBytes(csvPath).startsWith("run_id,project,method"));
    }

    void cliCompareText()
    {
        QTemporaryDir folder;
        const QString storePath = folder.filePath("runs.sqlite");
        std::vector<std::int64_t> ids;
        {
            RunStore store(storePath.toStdString());
            ids = fillStore(store);
        }
        const Output result =
            runMtlwCommand({"compare", QString::number(ids[0]), QString::number(ids[3]), "--runs-db", storePath});
        QVERIFY2(result.exitCode == 0, qPrintable(result.err));
        const QString text = result.out;
        QVERIFY2(text.contains("label/accuracy"), qPrintable(text));
        QVERIFY2(text.contains("+15.00"), qPrintable(text));
        QVERIFY2(text.contains("Pareto front of label/accuracy and size/mae: runs " + QString::number(ids[0])),
                 qPrintable(text));
    }

    void cliCompareUnknownRun()
    {
        QTemporaryDir folder;
        const QString storePath = folder.filePath("runs.sqlite");
        {
            RunStore store(storePath.toStdString());
            fillStore(store);
        }
        const Output result = runMtlwCommand({"compare", "1", "77", "--runs-db", storePath});
        QCOMPARE(result.exitCode, 2);
        QVERIFY2(result.err.contains("run 77 not found"), qPrintable(result.err));
        const Output badEpoch = runMtlwCommand({"compare", "1", "--epoch", "first", "--runs-db", storePath});
        QCOMPARE(badEpoch.exitCode, 2);
    }
};

QTEST_GUILESS_MAIN(TestCompare)
#include "test_compare.moc"
