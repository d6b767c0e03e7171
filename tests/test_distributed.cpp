// Multi-process training: sharding, rendezvous settings, and `mtlw launch` running real worker
// processes that talk over Gloo on 127.0.0.1.
#include "TestSupport.h"

#include "distributed/DistributedContext.h"
#include "engine/Checkpoint.h"
#include "store/RunStore.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <csignal>
#include <set>

using namespace mtlw;

namespace {

const QString kFixtures = QStringLiteral(MTLW_SOURCE_DIR "/tests/fixtures");
const QString kMtlw = QStringLiteral(MTLW_BINARY_DIR "/bin/mtlw");
// Upper bound for a child process. A test that reaches it fails.
constexpr int kWaitMs = 240000;

struct Outcome {
    int exitCode = -1;
    QString output;
};

// Runs mtlw with `arguments`; collectives give up after 60 s instead of 30 min.
Outcome runMtlw(const QStringList& arguments)
{
    QProcess process;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert("MTLW_DIST_TIMEOUT", "60");
    process.setProcessEnvironment(environment);
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(kMtlw, arguments);
    Outcome outcome;
    if (!process.waitForStarted() || !process.waitForFinished(kWaitMs)) {
        process.kill();
        process.waitForFinished();
        outcome.output = "did not finish: " + process.errorString() + "\n" + process.readAll();
        return outcome;
    }
    outcome.output = QString::fromUtf8(process.readAll());
    outcome.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    return outcome;
}

// tiny-tabular copied into `folder`, with SGD so that one step shows any gradient difference
// (Adam's first step nearly ignores the gradient's size), and `method`.
QString tabularProject(const QTemporaryDir& folder, const std::string& method)
{
    QFile::copy(kFixtures + "/tiny-tabular.csv", folder.filePath("tiny-tabular.csv"));
    nlohmann::json project = nlohmann::json::parse(readBytes(kFixtures + "/tiny-tabular.mtlw").toStdString());
    project["training"]["optimizer"] = {{"type", "sgd"}, {"learning_rate", 0.1}};
    project["training"]["method"] = {{"name", method}};
    const QString path = folder.filePath(QString::fromStdString(method) + ".mtlw");
    writeFile(path, QByteArray::fromStdString(project.dump(2)));
    return path;
}

std::vector<torch::Tensor> rankParameters(const QString& storePath, int rank)
{
    RunStore store(storePath.toStdString());
    const auto runs = store.runs();
    if (runs.size() != 1)
        return {};
    const std::string file = checkpointFolder(storePath.toStdString(), runs.front().id) + "/parameters-rank-" +
                             std::to_string(rank) + ".pt";
    std::vector<torch::Tensor> parameters;
    if (QFileInfo::exists(QString::fromStdString(file)))
        torch::load(parameters, file);
    return parameters;
}

double largestDifference(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b)
{
    double largest = 0.0;
    for (size_t i = 0; i < a.size(); ++i)
        largest = std::max(largest, (a[i] - b[i]).abs().max().item<double>());
    return largest;
}

}  // namespace

class DistributedTest : public QObject {
    Q_OBJECT

private slots:
    void shards_data()
    {
        QTest::addColumn<int>("samples");
        QTest::addColumn<int>("batchSize");
        QTest::addColumn<int>("worldSize");
        QTest::newRow("even") << 48 << 8 << 2;
        QTest::newRow("partial last batch") << 50 << 8 << 2;
        QTest::newRow("partial batch dropped") << 49 << 8 << 3;
        QTest::newRow("four ranks") << 103 << 5 << 4;
        QTest::newRow("one rank") << 50 << 16 << 1;
    }

    // The slices of all ranks are disjoint and cover all samples but fewer than `worldSize`.
    // In a full batch, rank r reads the r-th block of B.
    void shards()
    {
        QFETCH(int, samples);
        QFETCH(int, batchSize);
        QFETCH(int, worldSize);
        std::set<std::int64_t> covered;
        std::int64_t total = 0;
        const std::int64_t batches = globalBatchCount(samples, batchSize, worldSize);
        for (std::int64_t batch = 0; batch < batches; ++batch) {
            std::int64_t globalSize = 0;
            for (int rank = 0; rank < worldSize; ++rank) {
                const ShardSlice slice = shardOfBatch(samples, batchSize, worldSize, rank, batch);
                QVERIFY(slice.end > slice.begin);
                QVERIFY(slice.end - slice.begin <= batchSize);
                for (std::int64_t index = slice.begin; index < slice.end; ++index)
                    QVERIFY2(covered.insert(index).second, "a sample is in two slices");
                globalSize += slice.end - slice.begin;
                if ((batch + 1) * batchSize * worldSize <= samples)
                    QCOMPARE(slice.begin, batch * batchSize * worldSize + rank * batchSize);
            }
            QCOMPARE(shardOfBatch(samples, batchSize, worldSize, 0, batch).globalSize, globalSize);
            total += globalSize;
        }
        QCOMPARE(static_cast<std::int64_t>(covered.size()), total);
        QVERIFY(samples - total < worldSize);
        QVERIFY(samples - total >= 0);
        if (worldSize == 1)
            QCOMPARE(batches, std::int64_t((samples + batchSize - 1) / batchSize));
    }

    void options()
    {
        qputenv("WORLD_SIZE", "4");
        qputenv("RANK", "2");
        qputenv("MASTER_ADDR", "127.0.0.1");
        qputenv("MASTER_PORT", "29555");
        qunsetenv("LOCAL_RANK");
        DistributedOptions flags;
        DistributedOptions resolved = resolveDistributedOptions(flags);
        QCOMPARE(resolved.worldSize, 4);
        QCOMPARE(resolved.rank, 2);
        QCOMPARE(resolved.localRank, 2);
        QCOMPARE(resolved.masterPort, 29555);
        QCOMPARE(resolved.masterAddress, std::string("127.0.0.1"));

        // Flags win over the environment.
        flags.rank = 3;
        flags.masterPort = 30000;
        resolved = resolveDistributedOptions(flags);
        QCOMPARE(resolved.rank, 3);
        QCOMPARE(resolved.masterPort, 30000);

        flags.rank = 4;
        QVERIFY(inputErrorOf([&] { resolveDistributedOptions(flags); }).contains("world size 4"));
        flags.rank = -1;
        qputenv("RANK", "two");
        QVERIFY(inputErrorOf([&] { resolveDistributedOptions(flags); }).contains("RANK is 'two'"));
        qputenv("RANK", "1");
        qunsetenv("MASTER_ADDR");
        QVERIFY(inputErrorOf([&] { resolveDistributedOptions(flags); }).contains("MASTER_ADDR"));

        // No WORLD_SIZE: one process, nothing else needed.
        qunsetenv("WORLD_SIZE");
        qunsetenv("RANK");
        qunsetenv("MASTER_PORT");
        resolved = resolveDistributedOptions(DistributedOptions{});
        QCOMPARE(resolved.worldSize, 1);
        QCOMPARE(resolved.rank, 0);
    }

    // After several steps all ranks have the same parameters, and the run store has one run.
    void identicalParameters()
    {
        QTemporaryDir folder;
        const QString project = tabularProject(folder, "ew");
        const QString storePath = folder.filePath("runs.sqlite");
        const Outcome outcome = runMtlw({"launch", "--nproc", "2", project, "--runs-db", storePath, "--batch-size",
                                         "8", "--max-steps", "5", "--json"});
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.output));

        RunStore store(storePath.toStdString());
        const auto runs = store.runs();
        QCOMPARE(runs.size(), std::size_t(1));
        QCOMPARE(runs.front().status, std::string("completed"));
        QCOMPARE(store.checkpoints(runs.front().id).size(), std::size_t(2));

        const auto rank0 = rankParameters(storePath, 0);
        const auto rank1 = rankParameters(storePath, 1);
        QVERIFY(!rank0.empty());
        QCOMPARE(rank0.size(), rank1.size());
        for (size_t i = 0; i < rank0.size(); ++i)
            QVERIFY2(torch::equal(rank0[i], rank1[i]), qPrintable(QString("parameter %1 differs").arg(i)));
        const QString log = QString::fromStdString(checkpointFolder(storePath.toStdString(), runs.front().id)) +
                            "/rank-1.log";
        QVERIFY2(readBytes(log).contains("run 1: rank 1 of 2 joined"), qPrintable(log));
    }

    void matchesSingleProcess_data()
    {
        QTest::addColumn<QString>("method");
        QTest::addColumn<int>("steps");
        QTest::newRow("ew, one step") << "ew" << 1;
        QTest::newRow("pcgrad, one step") << "pcgrad" << 1;
        QTest::newRow("ew, four steps") << "ew" << 4;
        QTest::newRow("uw, four steps") << "uw" << 4;
    }

    // World size 2 with batch B per rank takes the same steps as one process with batch 2B.
    void matchesSingleProcess()
    {
        QFETCH(QString, method);
        QFETCH(int, steps);
        QTemporaryDir folder;
        const QString project = tabularProject(folder, method.toStdString());
        const QString single = folder.filePath("single.sqlite");
        const QString pair = folder.filePath("pair.sqlite");
        const QStringList common{"--max-steps", QString::number(steps), "--epochs", "3"};
        Outcome outcome = runMtlw(QStringList{"-q", "train", project, "--runs-db", single, "--batch-size", "16"} + common);
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.output));
        outcome = runMtlw(QStringList{"-q", "launch", "--nproc", "2", project, "--runs-db", pair, "--batch-size", "8"} +
                          common);
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.output));

        const auto expected = rankParameters(single, 0);
        const auto actual = rankParameters(pair, 0);
        QVERIFY(!expected.empty());
        QCOMPARE(actual.size(), expected.size());
        const double difference = largestDifference(actual, expected);
        QVERIFY2(difference <= 1e-5, qPrintable(QString("largest difference %1").arg(difference)));

        // The tolerance is tight enough to fail: half the batch moves the parameters by more than 1e-4.
        const Outcome halfBatch =
            runMtlw(QStringList{"-q", "train", project, "--runs-db", folder.filePath("half.sqlite"), "--batch-size",
                                "8"} + common);
        QVERIFY2(halfBatch.exitCode == 0, qPrintable(halfBatch.output));
        QVERIFY(largestDifference(rankParameters(folder.filePath("half.sqlite"), 0), expected) > 1e-4);
    }

    // Task gradients on the shared representation cannot be averaged across different samples.
    void representationRejected()
    {
        QTemporaryDir folder;
        const QString project = tabularProject(folder, "mgda_ub");
        const Outcome outcome = runMtlw({"-q", "launch", "--nproc", "2", project, "--runs-db",
                                         folder.filePath("runs.sqlite")});
        QCOMPARE(outcome.exitCode, 2);
        QVERIFY2(outcome.output.contains("cannot average across ranks"), qPrintable(outcome.output));
        QVERIFY(RunStore(folder.filePath("runs.sqlite").toStdString()).runs().empty());
    }

    void killedRank_data()
    {
        QTest::addColumn<int>("rank");
        QTest::newRow("rank 1") << 1;
        // Rank 0 cannot record its own death, so the launcher does.
        QTest::newRow("rank 0") << 0;
    }

    // Killing a rank mid-run ends the run as failed, naming that rank, and the store stays
    // readable. Two workers then resume the run from its latest checkpoint.
    void killedRank()
    {
        QFETCH(int, rank);
        QTemporaryDir folder;
        const QString project = tabularProject(folder, "ew");
        const QString storePath = folder.filePath("runs.sqlite");
        const QString logDir = folder.filePath("logs");
        // Enough epochs (of three steps each) to still be training when rank 1 is killed.
        const int epochs = 400;
        QProcess launcher;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert("MTLW_DIST_TIMEOUT", "60");
        launcher.setProcessEnvironment(environment);
        launcher.setProcessChannelMode(QProcess::MergedChannels);
        launcher.start(kMtlw, {"-q", "launch", "--nproc", "2", "--log-dir", logDir, "--grace", "20", project,
                               "--runs-db", storePath, "--batch-size", "8", "--epochs", QString::number(epochs)});
        QVERIFY(launcher.waitForStarted());

        // Wait for the first checkpoint row, then kill the rank without warning.
        std::int64_t runId = 0;
        QElapsedTimer timer;
        timer.start();
        while (runId == 0 && timer.elapsed() < kWaitMs && launcher.state() == QProcess::Running) {
            QThread::msleep(50);
            if (!QFileInfo::exists(storePath))
                continue;
            RunStore store(storePath.toStdString());
            for (const auto& run : store.runs()) {
                if (!store.checkpoints(run.id).empty())
                    runId = run.id;
            }
        }
        QVERIFY2(runId > 0, qPrintable("no checkpoint was written: " + launcher.readAll()));
        pid_t pid = 0;
        for (const QString& line : QString::fromUtf8(readBytes(logDir + "/pids")).split('\n')) {
            const QStringList fields = line.split(' ');
            if (fields.size() == 2 && fields[0] == QString::number(rank))
                pid = fields[1].toInt();
        }
        QVERIFY(pid > 0);
        QCOMPARE(::kill(pid, SIGKILL), 0);
        QVERIFY(launcher.waitForFinished(kWaitMs));
        const QString output = QString::fromUtf8(launcher.readAll());
        QVERIFY2(launcher.exitCode() != 0, qPrintable(output));

        std::size_t checkpointsBefore = 0;
        {
            RunStore store(storePath.toStdString());
            const auto run = store.run(runId);
            QVERIFY(run);
            QCOMPARE(run->status, std::string("failed"));
            QVERIFY2(QString::fromStdString(run->error).contains(QString("rank %1 failed").arg(rank)), run->error.c_str());
            QVERIFY2(QString::fromStdString(run->error).contains("signal 9"), run->error.c_str());
            checkpointsBefore = store.checkpoints(runId).size();
            QVERIFY(checkpointsBefore >= 1);
            QVERIFY2(checkpointsBefore < std::size_t(epochs), "the run ended before the rank was killed");
            QVERIFY(!store.metrics(runId).empty());
        }

        const Outcome resumed = runMtlw({"-q", "launch", "--nproc", "2", "resume", QString::number(runId), "--runs-db",
                                         storePath, "--json"});
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.output));
        RunStore store(storePath.toStdString());
        QCOMPARE(store.runs().size(), std::size_t(1));
        QCOMPARE(store.run(runId)->status, std::string("completed"));
        QCOMPARE(store.checkpoints(runId).size(), std::size_t(epochs));
    }
};

QTEST_GUILESS_MAIN(DistributedTest)
#include "test_distributed.moc"
