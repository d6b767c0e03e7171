// Tests for tasks on separate datasets: the sampling probabilities, the per-task batch counts,
// the seeded per-task sample streams, single-task batches, and real training runs whose tasks
// read two synthetic-correlation datasets of different sizes.
#include "TestSupport.h"
#include "data/ProjectData.h"
#include "engine/TaskEvaluation.h"
#include "engine/TaskSampler.h"
#include "engine/Trainer.h"
#include "store/RunStore.h"

#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <numeric>
#include <set>

using namespace mtlw;

namespace {

// A synthetic-correlation dataset with `train` training samples of `dim` features.
nlohmann::json syntheticDataset(const std::string& name, std::int64_t train, std::int64_t test, std::int64_t dim = 10)
{
    return {{"name", name},
            {"kind", "synthetic-correlation"},
            {"options",
             {{"p", 0.5}, {"dim", dim}, {"train_size", train}, {"validation_size", 16}, {"test_size", test}}}};
}

// Task "a" reads y1 of dataset "big" (96 training samples), and task "b" reads y2 of dataset
// "small" (32 training samples). An mlp backbone feeds both heads. `training` overrides fields.
nlohmann::json twoDatasetProject(const nlohmann::json& training, std::int64_t smallDim = 10)
{
    nlohmann::json settings = {{"epochs", 1},     {"batch_size", 16}, {"device", "cpu"},
                               {"seed", 5},       {"log_every_steps", 1}, {"conflict_every_steps", 2}};
    settings.update(training);
    return {
        {"format", "mtl-workbench-project"},
        {"schema_version", 1},
        {"name", "two datasets"},
        {"datasets", {syntheticDataset("big", 96, 16), syntheticDataset("small", 32, 8, smallDim)}},
        {"tasks",
         {{{"name", "a"}, {"type", "regression"}, {"dataset", "big"}, {"target", "y1"}},
          {{"name", "b"}, {"type", "regression"}, {"dataset", "small"}, {"target", "y2"}}}},
        {"graph",
         {{"nodes",
           {{{"id", "x"}, {"type", "input"}},
            {{"id", "body"}, {"type", "mlp"}, {"params", {{"hidden", {8}}}}},
            {{"id", "a_head"}, {"type", "head"}, {"params", {{"task", "a"}}}},
            {{"id", "b_head"}, {"type", "head"}, {"params", {{"task", "b"}}}}}},
          {"edges",
           {{{"from", "x"}, {"to", "body"}},
            {{"from", "body"}, {"to", "a_head"}},
            {{"from", "body"}, {"to", "b_head"}}}}}},
        {"training", settings}};
}

Project projectFrom(const nlohmann::json& json)
{
    Project project = parseProject(json, "sampling.mtlw");
    project.filePath = "/projects/sampling.mtlw";
    return project;
}

// Trains `json` into a store in `dir`; fails the test unless the run completes.
TrainResult train(const nlohmann::json& json, const QTemporaryDir& dir)
{
    TrainRequest request;
    request.project = projectFrom(json);
    request.storePath = dir.filePath("runs.sqlite").toStdString();
    Trainer trainer(std::move(request), nullptr, nullptr);
    trainer.prepare();
    return trainer.run();
}

// The message of the InputError that preparing a run of `json` throws.
QString prepareError(const nlohmann::json& json)
{
    QTemporaryDir dir;
    return inputErrorOf([&] {
        TrainRequest request;
        request.project = projectFrom(json);
        request.storePath = dir.filePath("runs.sqlite").toStdString();
        Trainer trainer(std::move(request), nullptr, nullptr);
        trainer.prepare();
    });
}

}  // namespace

class TestTaskSampling : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { torch::set_num_threads(1); }

    void probabilities()
    {
        const std::vector<std::int64_t> sizes{900, 100};
        const auto proportional = taskSamplingProbabilities("proportional", 2.0, sizes);
        QVERIFY(std::abs(proportional[0] - 0.9) < 1e-12 && std::abs(proportional[1] - 0.1) < 1e-12);
        const auto uniform = taskSamplingProbabilities("uniform", 2.0, sizes);
        QVERIFY(std::abs(uniform[0] - 0.5) < 1e-12 && std::abs(uniform[1] - 0.5) < 1e-12);
        // T = 2: p ∝ sqrt(n), so 30 : 10.
        const auto temperature = taskSamplingProbabilities("temperature", 2.0, sizes);
        QVERIFY(std::abs(temperature[0] - 0.75) < 1e-12 && std::abs(temperature[1] - 0.25) < 1e-12);
        // T = 1 is proportional.
        const auto temperatureOne = taskSamplingProbabilities("temperature", 1.0, sizes);
        QVERIFY(std::abs(temperatureOne[0] - 0.9) < 1e-12);
        QVERIFY(inputErrorOf([&] { taskSamplingProbabilities("random", 2.0, sizes); }).contains("task_sampling"));
    }

    void batchCounts()
    {
        // 0.9 / 0.1 of 16: one each first, then 14 split 12.6 / 1.4 by largest remainder.
        QCOMPARE(taskBatchCounts({0.9, 0.1}, 16), (std::vector<std::int64_t>{14, 2}));
        // Every task keeps one sample even when its share rounds to zero.
        QCOMPARE(taskBatchCounts({0.998, 0.001, 0.001}, 8), (std::vector<std::int64_t>{6, 1, 1}));
        const std::vector<std::int64_t> counts = taskBatchCounts({0.5, 0.3, 0.2}, 255);
        QCOMPARE(std::accumulate(counts.begin(), counts.end(), std::int64_t{0}), std::int64_t(255));
        for (size_t t = 0; t < counts.size(); ++t)
            QVERIFY(std::abs(double(counts[t]) - 255.0 * std::vector<double>{0.5, 0.3, 0.2}[t]) <= 2.0);
    }

    void mixedBatchesWalkEachDataset()
    {
        // Proportional: 12 of 16 from the 96-sample dataset and 4 from the 32-sample one, so one
        // epoch of 8 steps reads each dataset once, every index exactly once.
        TaskSampler sampler({96, 32}, taskSamplingProbabilities("proportional", 2.0, {96, 32}), 16, false, 7);
        QCOMPARE(sampler.stepsPerEpoch(), std::int64_t(8));
        std::vector<std::vector<std::int64_t>> seen(2);
        for (std::int64_t step = 0; step < sampler.stepsPerEpoch(); ++step) {
            const auto indices = sampler.next();
            QCOMPARE(indices[0].size(0), std::int64_t(12));
            QCOMPARE(indices[1].size(0), std::int64_t(4));
            for (size_t t = 0; t < 2; ++t) {
                for (std::int64_t i = 0; i < indices[t].size(0); ++i)
                    seen[t].push_back(indices[t][i].item<std::int64_t>());
            }
        }
        QCOMPARE(std::set<std::int64_t>(seen[0].begin(), seen[0].end()).size(), std::size_t(96));
        QCOMPARE(std::set<std::int64_t>(seen[1].begin(), seen[1].end()).size(), std::size_t(32));

        // Uniform: 8 and 8, so the small dataset is read twice in one epoch, reshuffled in between.
        TaskSampler uniform({96, 32}, taskSamplingProbabilities("uniform", 2.0, {96, 32}), 16, false, 7);
        std::vector<std::int64_t> small;
        for (std::int64_t step = 0; step < uniform.stepsPerEpoch(); ++step) {
            const auto indices = uniform.next();
            for (std::int64_t i = 0; i < indices[1].size(0); ++i)
                small.push_back(indices[1][i].item<std::int64_t>());
        }
        QCOMPARE(small.size(), std::size_t(64));
        QCOMPARE(std::set<std::int64_t>(small.begin(), small.begin() + 32).size(), std::size_t(32));
        QCOMPARE(std::set<std::int64_t>(small.begin() + 32, small.end()).size(), std::size_t(32));
        QVERIFY(!std::equal(small.begin(), small.begin() + 32, small.begin() + 32));
    }

    void seededPerEpoch()
    {
        const auto draw = [](int epoch, std::uint64_t seed) {
            TaskSampler sampler({50, 20}, {0.5, 0.5}, 10, false, seed);
            sampler.startEpoch(epoch);
            return torch::cat(sampler.next());
        };
        QVERIFY(torch::equal(draw(3, 1), draw(3, 1)));
        QVERIFY(!torch::equal(draw(3, 1), draw(4, 1)));
        QVERIFY(!torch::equal(draw(3, 1), draw(3, 2)));
    }

    void singleTaskBatches()
    {
        // p = 0.75 / 0.25: each step draws one task and a whole batch of it.
        TaskSampler sampler({900, 100}, taskSamplingProbabilities("temperature", 2.0, {900, 100}), 10, true, 3);
        int first = 0;
        const int steps = 2000;
        for (int step = 0; step < steps; ++step) {
            const auto indices = sampler.next();
            QVERIFY(indices[0].defined() != indices[1].defined());
            const size_t task = indices[0].defined() ? 0 : 1;
            QCOMPARE(indices[task].size(0), std::int64_t(10));
            first += task == 0 ? 1 : 0;
        }
        // Binomial(2000, 0.75) has a standard deviation of about 19.
        QVERIFY2(std::abs(first - 1500) < 100, qPrintable(QString::number(first)));
    }

    void batchTooSmallForTasks()
    {
        const QString message = inputErrorOf([] { TaskSampler({10, 10, 10}, {0.3, 0.3, 0.4}, 2, false, 1); });
        QVERIFY2(message.contains("batch_size is 2 but 3 tasks"), qPrintable(message));
    }

    void trainsTasksOnTheirOwnDatasets_data()
    {
        QTest::addColumn<QByteArray>("training");
        QTest::addColumn<int>("steps");
        QTest::newRow("proportional ew") << QByteArray(R"({"task_sampling": "proportional"})") << 8;
        QTest::newRow("temperature pcgrad")
            << QByteArray(R"({"task_sampling": "temperature", "method": {"name": "pcgrad"}})") << 8;
        QTest::newRow("uniform mgda-ub representation")
            << QByteArray(R"({"task_sampling": "uniform", "method": {"name": "mgda_ub"}})") << 8;
        QTest::newRow("single-task batches")
            << QByteArray(R"({"task_sampling": "uniform", "single_task_batches": true})") << 8;
    }

    void trainsTasksOnTheirOwnDatasets()
    {
        QFETCH(QByteArray, training);
        QFETCH(int, steps);
        QTemporaryDir dir;
        const TrainResult result = train(twoDatasetProject(nlohmann::json::parse(training.toStdString())), dir);
        QVERIFY2(result.status == "completed", result.error.c_str());

        const RunStore store(dir.filePath("runs.sqlite").toStdString());
        // (96 + 32) / 16 steps per epoch.
        MetricFilter stepLoss;
        stepLoss.name = "step_loss";
        std::set<std::int64_t> loggedSteps;
        for (const auto& row : store.metrics(result.runId, stepLoss))
            loggedSteps.insert(row.step);
        QCOMPARE(int(loggedSteps.size()), steps);

        // Each task is scored on its own dataset's test split: 16 and 8 samples.
        for (const char* task : {"a", "b"}) {
            QVERIFY2(result.summary["tasks"].contains(task), result.summary.dump().c_str());
            QVERIFY(std::isfinite(result.summary["tasks"][task]["mae"].get<double>()));
        }
        QCOMPARE(evaluateRunTask(store.path(), result.runId, "a", "test").samples, std::int64_t(16));
        QCOMPARE(evaluateRunTask(store.path(), result.runId, "b", "test").samples, std::int64_t(8));
        const auto evaluation = evaluateRunTask(store.path(), result.runId, "b", "test");
        QVERIFY(std::abs(evaluation.metrics.at("mae") - result.summary["tasks"]["b"]["mae"].get<double>()) < 1e-5);
    }

    void singleTaskBatchesRecordOneTaskPerStep()
    {
        QTemporaryDir dir;
        const TrainResult result =
            train(twoDatasetProject({{"single_task_batches", true}, {"task_sampling", "uniform"}}), dir);
        QVERIFY2(result.status == "completed", result.error.c_str());
        const RunStore store(dir.filePath("runs.sqlite").toStdString());
        MetricFilter stepLoss;
        stepLoss.name = "step_loss";
        std::map<std::int64_t, int> tasksPerStep;
        for (const auto& row : store.metrics(result.runId, stepLoss))
            ++tasksPerStep[row.step];
        QVERIFY(!tasksPerStep.empty());
        for (const auto& [step, count] : tasksPerStep)
            QCOMPARE(count, 1);
        // No gradient-conflict rows: a step has one task's loss.
        QVERIFY(store.gradientStats(result.runId).empty());
    }

    void badSettings_data()
    {
        QTest::addColumn<QByteArray>("training");
        QTest::addColumn<int>("smallDim");
        QTest::addColumn<QString>("message");
        QTest::newRow("single-task batches with pcgrad")
            << QByteArray(R"({"single_task_batches": true, "method": {"name": "pcgrad"}})") << 10
            << "method pcgrad, which balances the tasks within a step, cannot apply; set training.method to ew";
        QTest::newRow("single-task batches with sam")
            << QByteArray(R"({"single_task_batches": true, "sam_rho": 0.05})") << 10
            << "set sam_rho to 0 or turn single_task_batches off";
        QTest::newRow("batch smaller than tasks") << QByteArray(R"({"batch_size": 1})") << 10
                                                  << "batch_size is 1 but 2 tasks read different datasets";
        QTest::newRow("input shapes differ")
            << QByteArray("{}") << 6
            << "dataset 'small' (task 'b') gives inputs of shape [6] but dataset 'big' gives [10]";
    }

    void badSettings()
    {
        QFETCH(QByteArray, training);
        QFETCH(int, smallDim);
        QFETCH(QString, message);
        const QString error = prepareError(twoDatasetProject(nlohmann::json::parse(training.toStdString()), smallDim));
        QVERIFY2(error.contains(message), qPrintable(error));
    }

    void singleTaskBatchesNeedSeparateDatasets()
    {
        nlohmann::json json = twoDatasetProject({{"single_task_batches", true}});
        json["tasks"][1]["dataset"] = "big";
        const QString error = prepareError(json);
        QVERIFY2(error.contains("single_task_batches applies when tasks read different datasets"), qPrintable(error));
    }

    void projectFileRoundTrip()
    {
        const Project project =
            projectFrom(twoDatasetProject({{"task_sampling", "temperature"}, {"sampling_temperature", 3.5},
                                           {"single_task_batches", true}}));
        const Project again = parseProject(toJson(project), "again.mtlw");
        QCOMPARE(again.training.taskSampling, std::string("temperature"));
        QCOMPARE(again.training.samplingTemperature, 3.5);
        QVERIFY(again.training.singleTaskBatches);
        const QString error = inputErrorOf([] { projectFrom(twoDatasetProject({{"task_sampling", "random"}})); });
        QVERIFY2(error.contains("training.task_sampling must be proportional, uniform or temperature, got 'random'"),
                 qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestTaskSampling)
#include "test_task_sampling.moc"
