// Tests for the training engine: real LibTorch training on small Multi-Fashion and CSV data,
// recorded in real SQLite run stores in temporary folders. Covers the run records, every
// balancing method, pause, resume and cancel, failures, invalid input, resuming after
// kill -9, and determinism.
#include "TestSupport.h"
#include "engine/Engine.h"
#include "engine/Trainer.h"
#include "methods/BalancingMethod.h"
#include "project/AtomicFile.h"
#include "store/RunStore.h"
#include "util/Errors.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <spdlog/spdlog.h>

#include <functional>
#include <set>

using namespace mtlw;

namespace {

const QString kFixtures = QStringLiteral(MTLW_SOURCE_DIR "/tests/fixtures");
const QString kFashionDirectory = QStringLiteral("/usr/share/datasets/fashion-mnist");
const QString kMtlw = QStringLiteral(MTLW_BINARY_DIR "/bin/mtlw");
// Upper bound for waits on the worker thread or a child process. A test that reaches it fails.
constexpr int kWaitMs = 180000;

Project fixture(const QString& name)
{
    return loadProject((kFixtures + "/" + name).toStdString());
}

// tiny-fashion with fewer canvases and one epoch, for tests that only need a run to happen.
Project smallFashion()
{
    Project project = fixture("tiny-fashion.mtlw");
    project.datasets[0].options["train_size"] = 128;
    project.datasets[0].options["validation_size"] = 32;
    project.datasets[0].options["test_size"] = 32;
    project.training.epochs = 1;
    project.training.logEverySteps = 1;
    return project;
}

TrainResult train(const Project& project, const QString& storePath, std::optional<std::int64_t> resumeRunId = {})
{
    TrainRequest request;
    request.project = project;
    request.storePath = storePath.toStdString();
    request.resumeRunId = resumeRunId;
    Trainer trainer(std::move(request), nullptr, nullptr);
    trainer.prepare();
    return trainer.run();
}

QString prepareErrorOf(const Project& project, const QString& storePath)
{
    return inputErrorOf([&] {
        TrainRequest request;
        request.project = project;
        request.storePath = storePath.toStdString();
        Trainer trainer(std::move(request), nullptr, nullptr);
        trainer.prepare();
    });
}

// Values of one metric by (epoch, task) for a split.
std::map<std::pair<int, std::string>, double> metricByEpoch(const RunStore& store, std::int64_t runId,
                                                            const std::string& split, const std::string& name)
{
    MetricFilter filter;
    filter.split = split;
    filter.name = name;
    std::map<std::pair<int, std::string>, double> values;
    for (const auto& row : store.metrics(runId, filter))
        values[{row.epoch, row.task}] = row.value;
    return values;
}

// Waits for an event of `type` and returns it. Events passed over are appended to `seen`.
std::optional<EngineEvent> waitForEvent(EventQueue& events, EngineEvent::Type type, std::vector<EngineEvent>* seen = nullptr)
{
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < kWaitMs) {
        auto event = events.waitPop(std::chrono::milliseconds(200));
        if (!event)
            continue;
        if (event->type == type)
            return event;
        if (seen != nullptr)
            seen->push_back(*event);
        if (event->type == EngineEvent::Type::Finished)
            return std::nullopt;
    }
    return std::nullopt;
}

}  // namespace

class TestEngine : public QObject {
    Q_OBJECT

private:
    QTemporaryDir mCacheDir;

private slots:
    void initTestCase()
    {
        QVERIFY(mCacheDir.isValid());
        qputenv("MTLW_CACHE_DIR", mCacheDir.path().toUtf8());
        spdlog::set_level(spdlog::level::warn);
        QVERIFY2(QFileInfo(kFashionDirectory + "/train-images-idx3-ubyte.gz").exists(),
                 "Fashion-MNIST is missing; install the Debian package dataset-fashion-mnist");
    }

    void trainTinyFashion()
    {
        QTemporaryDir folder;
        const QString storePath = folder.filePath("runs.sqlite");
        const TrainResult result = train(fixture("tiny-fashion.mtlw"), storePath);
        QCOMPARE(result.status, std::string("completed"));
        QVERIFY2(result.error.empty(), result.error.c_str());
        QVERIFY(result.runId > 0);

        RunStore store(storePath.toStdString());
        const auto run = store.run(result.runId);
        QVERIFY(run.has_value());
        QCOMPARE(run->status, std::string("completed"));
        QCOMPARE(run->method, std::string("ew"));
        QCOMPARE(run->seed, std::uint64_t(1));
        QCOMPARE(run->device, std::string("cpu"));
        QVERIFY(!run->endedAt.empty());
        QCOMPARE(nlohmann::json::parse(run->projectJson).at("name").get<std::string>(), std::string("Tiny Multi-Fashion"));

        // Accuracy and loss for every split, task and epoch.
        for (const std::string split : {"train", "validation", "test"}) {
            for (const std::string name : {"accuracy", "loss"}) {
                const auto values = metricByEpoch(store, result.runId, split, name);
                for (const int epoch : {1, 2}) {
                    for (const std::string task : {"left", "right"}) {
                        const auto found = values.find({epoch, task});
                        QVERIFY2(found != values.end(), qPrintable(QString::fromStdString(
                                     split + " " + name + " of " + task + " at epoch " + std::to_string(epoch))));
                        QVERIFY(std::isfinite(found->second));
                    }
                }
                QCOMPARE(values.size(), std::size_t(4));
            }
        }
        // Steps 4, 8, ..., 16 log a step loss per task: 512 samples in batches of 64 give 8 steps an epoch.
        MetricFilter stepLoss;
        stepLoss.name = "step_loss";
        QCOMPARE(store.metrics(result.runId, stepLoss).size(), std::size_t(4 * 2));
        MetricFilter throughput;
        throughput.name = "samples_per_second";
        QCOMPARE(store.metrics(result.runId, throughput).size(), std::size_t(2));

        const auto checkpoints = store.checkpoints(result.runId);
        QCOMPARE(checkpoints.size(), std::size_t(2));
        int bestCount = 0;
        for (const auto& checkpoint : checkpoints) {
            bestCount += checkpoint.isBest ? 1 : 0;
            QVERIFY2(QFileInfo::exists(QString::fromStdString(checkpoint.path)), checkpoint.path.c_str());
        }
        QCOMPARE(bestCount, 1);
        QCOMPARE(checkpoints[0].epoch, 1);
        QCOMPARE(checkpoints[1].epoch, 2);
        QCOMPARE(checkpoints[1].step, std::int64_t(16));

        const nlohmann::json& summary = result.summary;
        QCOMPARE(summary.at("epochs_completed").get<int>(), 2);
        QCOMPARE(summary.at("parameters").get<std::int64_t>(), std::int64_t(100148));
        QVERIFY(summary.at("samples_per_second").get<double>() > 0.0);
        for (const char* task : {"left", "right"}) {
            const double accuracy = summary.at("tasks").at(task).at("accuracy").get<double>();
            // Chance is 0.1, and 16 Adam steps on 512 canvases get well above it.
            QVERIFY2(accuracy > 0.15 && accuracy <= 1.0, qPrintable(QString("%1 accuracy %2").arg(task).arg(accuracy)));
        }
        QVERIFY2(run->summary.at("tasks") == summary.at("tasks"), run->summary.dump().c_str());
        const int bestEpoch = summary.at("best_epoch").get<int>();
        QCOMPARE(store.bestCheckpoint(result.runId)->epoch, bestEpoch);
    }

    void everyMethodTrains_data()
    {
        QTest::addColumn<QString>("method");
        for (const auto& [info, factory] : methodRegistry())
            QTest::newRow(info.name.c_str()) << QString::fromStdString(info.name);
    }

    void everyMethodTrains()
    {
        QFETCH(QString, method);
        QTemporaryDir folder;
        Project project = smallFashion();
        project.training.method.name = method.toStdString();

        const TrainResult result = train(project, folder.filePath("runs.sqlite"));
        QVERIFY2(result.error.empty(), result.error.c_str());
        QCOMPARE(result.status, std::string("completed"));
        QCOMPARE(result.summary.at("epochs_completed").get<int>(), 1);
        for (const char* task : {"left", "right"}) {
            const double loss = result.summary.at("final_tasks").at(task).at("loss").get<double>();
            QVERIFY2(std::isfinite(loss), task);
        }

        RunStore store(folder.filePath("runs.sqlite").toStdString());
        QCOMPARE(store.run(result.runId)->method, method.toStdString());
        MetricFilter stepLoss;
        stepLoss.name = "step_loss";
        // 128 canvases in batches of 64: two steps, each logged for both tasks.
        QCOMPARE(store.metrics(result.runId, stepLoss).size(), std::size_t(4));
    }

    void pauseResumeCancel()
    {
        QTemporaryDir folder;
        TrainRequest request;
        request.project = fixture("tiny-fashion.mtlw");
        request.project.training.epochs = 100;
        request.storePath = folder.filePath("runs.sqlite").toStdString();
        request.progressIntervalMs = 0;

        Engine engine;
        engine.start(std::move(request));
        QVERIFY(engine.isRunning());
        TrainRequest secondRequest;
        secondRequest.project = fixture("tiny-fashion.mtlw");
        QVERIFY_THROWS_EXCEPTION(std::logic_error, engine.start(secondRequest));

        const auto started = waitForEvent(engine.events(), EngineEvent::Type::RunStarted);
        QVERIFY2(started.has_value(), "no RunStarted event");
        const std::int64_t runId = started->runId;
        QVERIFY(runId > 0);
        const auto firstProgress = waitForEvent(engine.events(), EngineEvent::Type::Progress);
        QVERIFY2(firstProgress.has_value(), "no Progress event");

        engine.pause();
        std::vector<EngineEvent> beforePause;
        const auto paused = waitForEvent(engine.events(), EngineEvent::Type::Paused, &beforePause);
        QVERIFY2(paused.has_value(), "no Paused event");
        QCOMPARE(paused->runId, runId);
        std::int64_t stepBeforePause = firstProgress->step;
        for (const auto& event : beforePause) {
            if (event.type == EngineEvent::Type::Progress)
                stepBeforePause = std::max(stepBeforePause, event.step);
        }

        // While paused, no batch runs, so no Progress event arrives.
        int progressWhilePaused = 0;
        QElapsedTimer pausedFor;
        pausedFor.start();
        while (pausedFor.elapsed() < 700) {
            const auto event = engine.events().waitPop(std::chrono::milliseconds(50));
            if (event && event->type == EngineEvent::Type::Progress)
                ++progressWhilePaused;
            QVERIFY2(!event || event->type != EngineEvent::Type::Finished, "the run ended while paused");
        }
        QCOMPARE(progressWhilePaused, 0);
        QVERIFY(engine.isRunning());
        QCOMPARE(RunStore(folder.filePath("runs.sqlite").toStdString()).run(runId)->status, std::string("running"));

        engine.resume();
        QVERIFY2(waitForEvent(engine.events(), EngineEvent::Type::Resumed).has_value(), "no Resumed event");
        const auto progress = waitForEvent(engine.events(), EngineEvent::Type::Progress);
        QVERIFY2(progress.has_value(), "no Progress event after resuming");
        QVERIFY(progress->step > stepBeforePause);

        engine.cancel();
        const auto finished = waitForEvent(engine.events(), EngineEvent::Type::Finished);
        QVERIFY2(finished.has_value(), "no Finished event after cancelling");
        QCOMPARE(finished->status, std::string("cancelled"));
        const TrainResult result = engine.wait();
        QCOMPARE(result.status, std::string("cancelled"));
        QCOMPARE(result.runId, runId);
        QVERIFY(!engine.isRunning());

        RunStore store(folder.filePath("runs.sqlite").toStdString());
        QCOMPARE(store.run(runId)->status, std::string("cancelled"));
        QVERIFY(!store.run(runId)->endedAt.empty());
    }

    void engineRejectsInput()
    {
        QTemporaryDir folder;
        TrainRequest request;
        request.project = fixture("tiny-tabular.mtlw");
        request.project.datasets[0].options["path"] = "absent.csv";
        request.storePath = folder.filePath("runs.sqlite").toStdString();

        Engine engine;
        engine.start(std::move(request));
        const auto finished = waitForEvent(engine.events(), EngineEvent::Type::Finished);
        QVERIFY2(finished.has_value(), "no Finished event");
        QCOMPARE(finished->status, std::string("rejected"));
        const TrainResult result = engine.wait();
        QCOMPARE(result.status, std::string("rejected"));
        QVERIFY(result.inputError);
        QVERIFY2(QString::fromStdString(result.error).contains("absent.csv"), result.error.c_str());
        QVERIFY(RunStore(folder.filePath("runs.sqlite").toStdString()).runs().empty());
    }

    void nonFiniteLossFails()
    {
        QTemporaryDir folder;
        // Targets of 1e30 square to 1e60, beyond float32, so the first step's loss is infinite.
        QByteArray csv = readBytes(kFixtures + "/tiny-tabular.csv");
        QList<QByteArray> lines = csv.trimmed().split('\n');
        for (int i = 1; i < lines.size(); ++i) {
            QList<QByteArray> fields = lines[i].split(',');
            fields.last() = QByteArray::number(fields.last().toDouble() * 1e30, 'g', 6);
            lines[i] = fields.join(',');
        }
        writeFile(folder.filePath("huge.csv"), lines.join('\n') + '\n');
        Project project = fixture("tiny-tabular.mtlw");
        project.datasets[0].options["path"] = folder.filePath("huge.csv").toStdString();

        const QString storePath = folder.filePath("runs.sqlite");
        const TrainResult result = train(project, storePath);
        QCOMPARE(result.status, std::string("failed"));
        const QString error = QString::fromStdString(result.error);
        QVERIFY2(error.contains("loss of task 'size' is inf at step 1 (epoch 1)"), qPrintable(error));
        QVERIFY2(error.contains("lower the learning rate"), qPrintable(error));

        RunStore store(storePath.toStdString());
        const auto run = store.run(result.runId);
        QCOMPARE(run->status, std::string("failed"));
        QCOMPARE(run->error, result.error);
        QVERIFY(store.checkpoints(result.runId).empty());
        bool errorEvent = false;
        for (const auto& event : store.events(result.runId))
            errorEvent = errorEvent || (event.level == "error" && event.message == result.error);
        QVERIFY2(errorEvent, "no error event with the failure message");
    }

    void storeNotWritable_data()
    {
        QTest::addColumn<QString>("relativePath");
        QTest::addColumn<QByteArray>("existingContent");
        QTest::addColumn<QString>("expected");
        QTest::newRow("missing folder") << "no-such-folder/runs.sqlite" << QByteArray()
                                        << "cannot open or write the run store";
        QTest::newRow("folder") << "." << QByteArray() << "cannot open or write the run store";
        QTest::newRow("not a database") << "notes.sqlite" << QByteArray("these are notes, not SQLite\n")
                                        << "not a run store";
    }

    void storeNotWritable()
    {
        QFETCH(QString, relativePath);
        QFETCH(QByteArray, existingContent);
        QFETCH(QString, expected);

        QTemporaryDir folder;
        const QString storePath = QDir::cleanPath(folder.filePath(relativePath));
        if (!existingContent.isEmpty())
            writeFile(storePath, existingContent);

        const QString message = prepareErrorOf(fixture("tiny-tabular.mtlw"), storePath);
        QVERIFY2(message.startsWith(storePath + ": "), qPrintable(message));
        QVERIFY2(message.contains(expected), qPrintable(message));
        QVERIFY2(message.contains("--runs-db"), qPrintable(message));
        if (!existingContent.isEmpty())
            QCOMPARE(readBytes(storePath), existingContent);
    }

    void failedAttemptKeepsRuns()
    {
        QTemporaryDir folder;
        const QString storePath = folder.filePath("runs.sqlite");
        const TrainResult first = train(fixture("tiny-tabular.mtlw"), storePath);
        QCOMPARE(first.status, std::string("completed"));
        const std::size_t metricCount = RunStore(storePath.toStdString()).metrics(first.runId).size();
        QVERIFY(metricCount > 0);

        Project missingData = fixture("tiny-tabular.mtlw");
        missingData.datasets[0].options["path"] = "absent.csv";
        QVERIFY(!prepareErrorOf(missingData, storePath).isEmpty());
        Project badGraph = fixture("tiny-tabular.mtlw");
        badGraph.graph.nodes[1].params["hidden"] = nlohmann::json::array();
        QVERIFY(!prepareErrorOf(badGraph, storePath).isEmpty());

        RunStore store(storePath.toStdString());
        QCOMPARE(store.runs().size(), std::size_t(1));
        const auto run = store.run(first.runId);
        QCOMPARE(run->status, std::string("completed"));
        QVERIFY2(run->summary == first.summary, run->summary.dump().c_str());
        QCOMPARE(store.metrics(first.runId).size(), metricCount);
        QCOMPARE(store.checkpoints(first.runId).size(), std::size_t(3));
    }

    void missingDatasetFile()
    {
        QTemporaryDir folder;
        Project project = fixture("tiny-tabular.mtlw");
        project.datasets[0].options["path"] = "absent.csv";
        const QString message = prepareErrorOf(project, folder.filePath("runs.sqlite"));
        QVERIFY2(message.contains((kFixtures + "/absent.csv: file not found")), qPrintable(message));
    }

    void truncatedIdx()
    {
        QTemporaryDir folder;
        const QString cut = folder.filePath("cut-fashion");
        QVERIFY(QDir().mkpath(cut));
        for (const char* name : {"train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"})
            QVERIFY(QFile::copy(kFashionDirectory + "/" + name, cut + "/" + name));
        const QByteArray images = readBytes(kFashionDirectory + "/train-images-idx3-ubyte.gz");
        QVERIFY(images.size() > 200000);
        writeFile(cut + "/train-images-idx3-ubyte.gz", images.left(images.size() / 2));

        Project project = fixture("tiny-fashion.mtlw");
        project.datasets[0].options["directory"] = cut.toStdString();
        const QString message = prepareErrorOf(project, folder.filePath("runs.sqlite"));
        QVERIFY2(message.contains(cut + "/train-images-idx3-ubyte.gz"), qPrintable(message));
        QVERIFY2(message.contains("truncated"), qPrintable(message));
    }

    void csvErrors_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QStringList>("expected");
        const QByteArray header = "x1,x2,x3,shape,label,size\n";
        QByteArray rows;
        for (int i = 0; i < 20; ++i)
            rows += QByteArray::number(i % 3) + ",0.5,0.1,round," + (i % 2 ? "low" : "high") + ",1.5\n";

        QTest::newRow("ragged row") << header + rows.left(rows.indexOf('\n') + 1) + "1,2,3,round,low\n" + rows
                                    << QStringList{"data.csv line 3: expected 6 fields as in the header, found 5"};
        QTest::newRow("text target") << header + rows + "1,2,3,round,low,big\n"
                                     << QStringList{"data.csv line 22, column 'size': 'big' is not a number"};
        QTest::newRow("empty target") << header + "1,2,3,round,,1.0\n" + rows
                                      << QStringList{"data.csv line 2, column 'label': missing value"};
    }

    void csvErrors()
    {
        QFETCH(QByteArray, text);
        QFETCH(QStringList, expected);
        QTemporaryDir folder;
        writeFile(folder.filePath("data.csv"), text);
        Project project = fixture("tiny-tabular.mtlw");
        project.datasets[0].options["path"] = folder.filePath("data.csv").toStdString();

        const QString message = prepareErrorOf(project, folder.filePath("runs.sqlite"));
        QVERIFY2(!message.isEmpty(), "prepare accepted the CSV file");
        for (const QString& part : expected)
            QVERIFY2(message.contains(part), qPrintable("expected '" + part + "' in: " + message));
    }

    void resumeAfterKill()
    {
        QTemporaryDir folder;
        QVERIFY(QFile::copy(kFixtures + "/tiny-fashion.mtlw", folder.filePath("tiny-fashion.mtlw")));
        const QString storePath = folder.filePath("runs.sqlite");
        const int epochs = 12;

        QProcess child;
        child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        child.start(kMtlw, {"-q", "train", folder.filePath("tiny-fashion.mtlw"), "--runs-db", storePath, "--epochs",
                            QString::number(epochs)});
        QVERIFY2(child.waitForStarted(), qPrintable(kMtlw + ": " + child.errorString()));

        // Wait for the first checkpoint row, then kill the child without warning.
        std::int64_t runId = 0;
        QElapsedTimer timer;
        timer.start();
        while (runId == 0 && timer.elapsed() < kWaitMs && child.state() == QProcess::Running) {
            QThread::msleep(50);
            if (!QFileInfo::exists(storePath))
                continue;
            RunStore store(storePath.toStdString());
            for (const auto& run : store.runs()) {
                if (!store.checkpoints(run.id).empty())
                    runId = run.id;
            }
        }
        QVERIFY2(runId > 0, "the child wrote no checkpoint");
        QVERIFY2(child.state() == QProcess::Running, "the child finished before it could be killed");
        child.kill();
        QVERIFY(child.waitForFinished(kWaitMs));
        QCOMPARE(child.exitStatus(), QProcess::CrashExit);

        std::optional<RunRecord> run;
        {
            RunStore store(storePath.toStdString());
            QCOMPARE(store.interruptedAtOpen(), std::vector<std::int64_t>{runId});
            run = store.run(runId);
            QCOMPARE(run->status, std::string("interrupted"));
            const std::size_t done = store.checkpoints(runId).size();
            QVERIFY2(done >= 1 && done < std::size_t(epochs), qPrintable(QString("%1 checkpoints").arg(done)));
        }

        const TrainResult result = train(projectOfRun(*run), storePath, runId);
        QVERIFY2(result.error.empty(), result.error.c_str());
        QCOMPARE(result.status, std::string("completed"));
        QCOMPARE(result.runId, runId);
        QCOMPARE(result.summary.at("epochs_completed").get<int>(), epochs);

        RunStore store(storePath.toStdString());
        QCOMPARE(store.run(runId)->status, std::string("completed"));
        QCOMPARE(store.runs().size(), std::size_t(1));
        // An epoch's rows and its checkpoint row commit together, so no epoch is recorded twice.
        MetricFilter validationAccuracy;
        validationAccuracy.split = "validation";
        validationAccuracy.name = "accuracy";
        QCOMPARE(store.metrics(runId, validationAccuracy).size(), std::size_t(2 * epochs));
        QCOMPARE(store.checkpoints(runId).size(), std::size_t(epochs));
        const auto accuracy = metricByEpoch(store, runId, "validation", "accuracy");
        for (int epoch = 1; epoch <= epochs; ++epoch) {
            for (const std::string task : {"left", "right"})
                QVERIFY2(accuracy.count({epoch, task}) > 0, qPrintable(QString("no %1 accuracy at epoch %2")
                                                                            .arg(QString::fromStdString(task))
                                                                            .arg(epoch)));
        }
        const auto checkpoints = store.checkpoints(runId);
        std::set<int> checkpointEpochs;
        int bestCount = 0;
        for (const auto& checkpoint : checkpoints) {
            checkpointEpochs.insert(checkpoint.epoch);
            bestCount += checkpoint.isBest ? 1 : 0;
        }
        QCOMPARE(int(checkpointEpochs.size()), epochs);
        QCOMPARE(bestCount, 1);
    }

    void resumeCompletedRejected()
    {
        QTemporaryDir folder;
        const QString storePath = folder.filePath("runs.sqlite");
        const TrainResult first = train(fixture("tiny-tabular.mtlw"), storePath);
        QCOMPARE(first.status, std::string("completed"));

        const TrainResult again = train(fixture("tiny-tabular.mtlw"), storePath, first.runId);
        QCOMPARE(again.status, std::string("rejected"));
        QVERIFY(again.inputError);
        QVERIFY2(QString::fromStdString(again.error).contains("run " + QString::number(first.runId)),
                 again.error.c_str());
        QCOMPARE(RunStore(storePath.toStdString()).run(first.runId)->status, std::string("completed"));
    }

    void sameSeedSameMetrics_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("tabular") << "tiny-tabular";
        QTest::newRow("fashion") << "small-fashion";
    }

    void sameSeedSameMetrics()
    {
        QFETCH(QString, name);
        const Project project = name == "tiny-tabular" ? fixture("tiny-tabular.mtlw") : smallFashion();
        QTemporaryDir folder;
        const QString storePath = folder.filePath("runs.sqlite");
        const TrainResult first = train(project, storePath);
        const TrainResult second = train(project, storePath);
        QCOMPARE(first.status, std::string("completed"));
        QCOMPARE(second.status, std::string("completed"));
        QVERIFY(first.runId != second.runId);
        QVERIFY2(second.summary.at("final_tasks") == first.summary.at("final_tasks"),
                 qPrintable(QString::fromStdString(second.summary.dump() + " != " + first.summary.dump())));
        QVERIFY2(second.summary.at("tasks") == first.summary.at("tasks"), second.summary.dump().c_str());

        RunStore store(storePath.toStdString());
        MetricFilter stepLoss;
        stepLoss.name = "step_loss";
        const auto firstLosses = store.metrics(first.runId, stepLoss);
        const auto secondLosses = store.metrics(second.runId, stepLoss);
        QCOMPARE(secondLosses.size(), firstLosses.size());
        QVERIFY(!firstLosses.empty());
        for (std::size_t i = 0; i < firstLosses.size(); ++i)
            QCOMPARE(secondLosses[i].value, firstLosses[i].value);

        // Another seed starts from other weights.
        Project reseeded = project;
        reseeded.training.seed = project.training.seed + 1;
        const TrainResult third = train(reseeded, storePath);
        QVERIFY(third.summary.at("final_tasks") != first.summary.at("final_tasks"));
    }
};

QTEST_GUILESS_MAIN(TestEngine)
#include "test_engine.moc"
