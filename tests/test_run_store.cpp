// Tests of the run store against real SQLite files in temporary folders.
#include "store/ProcessOwner.h"
#include "store/RunStore.h"
#include "util/Errors.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <sqlite3.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <random>
#include <string>

using namespace mtlw;

namespace {

NewRun makeRun(const std::string& projectPath, const std::string& method = "equal_weights") {
    NewRun run;
    run.projectPath = projectPath;
    run.projectName = "demo";
    run.projectJson = R"({"name":"demo"})";
    run.method = method;
    run.seed = 42;
    run.device = "cpu";
    run.codeVersion = "test";
    return run;
}

MetricRow makeMetric(std::int64_t runId, std::int64_t step, const std::string& split, const std::string& task,
                     const std::string& name, double value) {
    MetricRow row;
    row.runId = runId;
    row.step = step;
    row.epoch = static_cast<int>(step / 10);
    row.split = split;
    row.task = task;
    row.name = name;
    row.value = value;
    row.wallTime = 0.5 * static_cast<double>(step);
    return row;
}

// The first column of the first row of sql, as text; empty when there is no row.
std::string queryText(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
        qWarning("prepare failed: %s", sqlite3_errmsg(db));
        return "<prepare failed>";
    }
    std::string result;
    if (sqlite3_step(statement) == SQLITE_ROW) {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
        result = text ? text : "";
    }
    sqlite3_finalize(statement);
    return result;
}

bool execSql(sqlite3* db, const std::string& sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK)
        qWarning("exec failed: %s", message ? message : "?");
    sqlite3_free(message);
    return rc == SQLITE_OK;
}

// The message of the InputError that action throws, or nullopt when it throws none.
std::optional<std::string> inputErrorOf(const std::function<void()>& action) {
    try {
        action();
    } catch (const InputError& error) {
        return std::string(error.what());
    }
    return std::nullopt;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

bool writeFile(const QString& path, const QByteArray& bytes) {
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    return file.write(bytes) == bytes.size();
}

}  // namespace

class TestRunStore : public QObject {
    Q_OBJECT

private:
    QTemporaryDir mDir;

    std::string storePath(const QString& name) const { return mDir.filePath(name).toStdString(); }

    static std::string currentVersion() { return std::to_string(RunStore::schemaVersion()); }

private slots:
    void initTestCase() { QVERIFY(mDir.isValid()); }

    void createSetsSchemaVersion() {
        const std::string path = storePath("create.runs.sqlite");
        RunStore store(path);
        // Version 2 and later migrations exist; the newest is what a new store gets.
        QVERIFY(RunStore::schemaVersion() >= 2);
        QCOMPARE(queryText(store.handle(), "SELECT value FROM meta WHERE key = 'schema_version'"), currentVersion());
        QCOMPARE(queryText(store.handle(), "PRAGMA journal_mode"), std::string("wal"));
        QCOMPARE(queryText(store.handle(), "PRAGMA foreign_keys"), std::string("1"));
        QCOMPARE(queryText(store.handle(), "PRAGMA synchronous"), std::string("1"));  // NORMAL
        for (const char* table :
             {"runs", "metrics", "checkpoints", "events", "gradient_steps", "gradient_tasks", "gradient_pairs"}) {
            const std::string sql = std::string("SELECT name FROM sqlite_master WHERE type = 'table' AND name = '") +
                                    table + "'";
            QCOMPARE(queryText(store.handle(), sql), std::string(table));
        }
        QCOMPARE(queryText(store.handle(), "SELECT name FROM sqlite_master WHERE name = 'metrics_run_task_name'"),
                 std::string("metrics_run_task_name"));
        QCOMPARE(queryText(store.handle(), "SELECT name FROM sqlite_master WHERE name = 'metrics_run_split'"),
                 std::string("metrics_run_split"));
    }

    void reopenKeepsSchemaAndData() {
        const std::string path = storePath("reopen.runs.sqlite");
        std::int64_t runId = 0;
        {
            RunStore store(path);
            runId = store.createRun(makeRun("p.mtlw"));
        }
        RunStore store(path);
        QCOMPARE(queryText(store.handle(), "SELECT value FROM meta WHERE key = 'schema_version'"), currentVersion());
        QCOMPARE(queryText(store.handle(), "SELECT COUNT(*) FROM meta"), std::string("1"));
        QVERIFY(store.run(runId).has_value());
    }

    void emptyFileMigrated() {
        const QString path = mDir.filePath("empty.runs.sqlite");
        QVERIFY(writeFile(path, QByteArray()));
        RunStore store(path.toStdString());
        QCOMPARE(queryText(store.handle(), "SELECT value FROM meta WHERE key = 'schema_version'"), currentVersion());
        QVERIFY(store.runs().empty());
    }

    void newerSchemaRejected() {
        const std::string path = storePath("newer.runs.sqlite");
        {
            RunStore store(path);
            QVERIFY(execSql(store.handle(), "UPDATE meta SET value = '9' WHERE key = 'schema_version'"));
        }
        const auto message = inputErrorOf([&] { RunStore store(path); });
        QVERIFY(message.has_value());
        QCOMPARE(*message, path + ": run store schema version 9 is newer than this build supports (" + currentVersion() +
                               "); upgrade MTL Workbench");
    }

    void versionOneStoreMigrated() {
        const std::string path = storePath("v1.runs.sqlite");
        std::int64_t runId = 0;
        {
            RunStore store(path);
            runId = store.createRun(makeRun("p.mtlw"));
            // Everything that versions 2 and later add goes, which leaves a version 1 store.
            QVERIFY(execSql(store.handle(), "DROP TABLE gradient_steps; DROP TABLE gradient_tasks; "
                                            "DROP TABLE gradient_pairs; DROP TABLE routing_gates; "
                                            "DROP TABLE routing_experts; DROP TABLE merge_metrics; "
                                            "DROP TABLE merge_inputs; DROP TABLE merges; DROP INDEX metrics_curve; "
                                            "UPDATE meta SET value = '1' WHERE key = 'schema_version'"));
        }
        RunStore store(path);
        QCOMPARE(queryText(store.handle(), "SELECT value FROM meta WHERE key = 'schema_version'"), currentVersion());
        QCOMPARE(queryText(store.handle(), "SELECT name FROM sqlite_master WHERE name = 'gradient_pairs'"),
                 std::string("gradient_pairs"));
        QVERIFY(store.run(runId).has_value());
    }

    void gradientStatsRoundTrip() {
        RunStore store(storePath("gradients.runs.sqlite"));
        const std::int64_t runId = store.createRun(makeRun("g.mtlw"));
        std::vector<GradientStatsRecord> records;
        for (std::int64_t step : {10, 20}) {
            GradientStatsRecord record;
            record.runId = runId;
            record.step = step;
            record.epoch = 1;
            record.wallTime = 0.5 * step;
            record.tasks = {"a", "b", "c"};
            record.norms = {1.0, 2.0, 3.0};
            record.weights = {0.2, 0.3, 0.5};
            const double cosineAB = step == 10 ? -0.5 : 0.25;
            record.cosine = {{1.0, cosineAB, 0.1}, {cosineAB, 1.0, -0.2}, {0.1, -0.2, 1.0}};
            record.magnitudeSimilarity = {{1.0, 0.8, 0.6}, {0.8, 1.0, 0.9}, {0.6, 0.9, 1.0}};
            record.conflictFraction = step == 10 ? 2.0 / 3.0 : 1.0 / 3.0;
            records.push_back(record);
        }
        store.appendGradientStats(records);

        const auto stored = store.gradientStats(runId);
        QCOMPARE(stored.size(), std::size_t(2));
        QCOMPARE(stored[0].step, std::int64_t(10));
        QCOMPARE(stored[0].tasks, (std::vector<std::string>{"a", "b", "c"}));
        QCOMPARE(stored[0].norms, (std::vector<double>{1.0, 2.0, 3.0}));
        QCOMPARE(stored[0].weights, (std::vector<double>{0.2, 0.3, 0.5}));
        QCOMPARE(stored[0].cosine, records[0].cosine);
        QCOMPARE(stored[1].magnitudeSimilarity, records[1].magnitudeSimilarity);
        QCOMPARE(stored[1].conflictFraction, 1.0 / 3.0);

        const auto summary = store.conflictSummary(runId);
        QCOMPARE(summary.size(), std::size_t(3));
        QCOMPARE(summary[0].taskA, std::string("a"));
        QCOMPARE(summary[0].taskB, std::string("b"));
        QCOMPARE(summary[0].meanCosine, (-0.5 + 0.25) / 2.0);
        QCOMPARE(summary[0].conflictFrequency, 0.5);
        QCOMPARE(summary[0].steps, std::int64_t(2));
        QCOMPARE(summary[2].taskA, std::string("b"));
        QCOMPARE(summary[2].conflictFrequency, 1.0);
        QCOMPARE(summary[1].conflictFrequency, 0.0);
    }

    void runRoundTrip() {
        RunStore store(storePath("round.runs.sqlite"));
        NewRun input = makeRun("dir/round.mtlw", "gradnorm");
        input.seed = std::numeric_limits<std::uint64_t>::max();
        const std::int64_t runId = store.createRun(input);

        const auto created = store.run(runId);
        QVERIFY(created.has_value());
        QCOMPARE(created->projectPath, input.projectPath);
        QCOMPARE(created->projectName, input.projectName);
        QCOMPARE(created->projectJson, input.projectJson);
        QCOMPARE(created->method, std::string("gradnorm"));
        QCOMPARE(created->status, std::string(run_status::kRunning));
        QCOMPARE(created->seed, input.seed);
        QCOMPARE(created->device, input.device);
        QCOMPARE(created->codeVersion, input.codeVersion);
        QVERIFY(created->endedAt.empty());
        const QRegularExpression iso(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$)");
        QVERIFY2(iso.match(QString::fromStdString(created->startedAt)).hasMatch(), created->startedAt.c_str());

        const nlohmann::json summary = {{"test", {{"seg", {{"miou", 0.5}}}}}, {"samples_per_second", 120.0}};
        store.finishRun(runId, run_status::kFailed, summary, "out of memory");
        const auto finished = store.run(runId);
        QVERIFY(finished.has_value());
        QCOMPARE(finished->status, std::string(run_status::kFailed));
        QCOMPARE(finished->error, std::string("out of memory"));
        QCOMPARE(finished->summary, summary);
        QVERIFY2(iso.match(QString::fromStdString(finished->endedAt)).hasMatch(), finished->endedAt.c_str());

        QVERIFY(!store.run(runId + 1000).has_value());
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, store.finishRun(runId, "running", {}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, store.finishRun(runId + 1000, run_status::kCompleted, {}));
    }

    void metricsFilter_data() {
        QTest::addColumn<QString>("split");
        QTest::addColumn<QString>("task");
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("expected");

        // The fixture has 3 steps, each with train seg loss, train depth loss, validation seg
        // miou and the run-level train samples_per_second.
        QTest::newRow("none") << QString() << QString() << QString() << 12;
        QTest::newRow("split") << "train" << QString() << QString() << 9;
        QTest::newRow("task") << QString() << "seg" << QString() << 6;
        QTest::newRow("name") << QString() << QString() << "loss" << 6;
        QTest::newRow("split task name") << "train" << "seg" << "loss" << 3;
        QTest::newRow("empty task") << QString() << "" << QString() << 3;
        QTest::newRow("no match") << "test" << QString() << QString() << 0;
    }

    void metricsFilter() {
        QFETCH(QString, split);
        QFETCH(QString, task);
        QFETCH(QString, name);
        QFETCH(int, expected);

        RunStore store(storePath("filter.runs.sqlite"));
        const std::int64_t runId = store.createRun(makeRun("filter.mtlw"));
        const std::int64_t otherRunId = store.createRun(makeRun("filter.mtlw"));
        std::vector<MetricRow> rows;
        for (int step = 1; step <= 3; ++step) {
            rows.push_back(makeMetric(runId, step, "train", "seg", "loss", 1.0 / step));
            rows.push_back(makeMetric(runId, step, "train", "depth", "loss", 2.0 / step));
            rows.push_back(makeMetric(runId, step, "validation", "seg", "miou", 0.1 * step));
            rows.push_back(makeMetric(runId, step, "train", "", "samples_per_second", 100.0));
            rows.push_back(makeMetric(otherRunId, step, "train", "seg", "loss", 9.0));
        }
        store.appendMetrics(rows);

        MetricFilter filter;
        if (!split.isNull())
            filter.split = split.toStdString();
        if (!task.isNull())
            filter.task = task.toStdString();
        if (!name.isNull())
            filter.name = name.toStdString();
        const auto found = store.metrics(runId, filter);
        QCOMPARE(static_cast<int>(found.size()), expected);
        for (const MetricRow& row : found) {
            QCOMPARE(row.runId, runId);
            if (filter.split)
                QCOMPARE(row.split, *filter.split);
            if (filter.task)
                QCOMPARE(row.task, *filter.task);
            if (filter.name)
                QCOMPARE(row.name, *filter.name);
        }
    }

    void metricsRoundTripValues() {
        RunStore store(storePath("values.runs.sqlite"));
        const std::int64_t runId = store.createRun(makeRun("values.mtlw"));
        MetricRow row = makeMetric(runId, 37, "validation", "depth", "rmse", 0.125);
        row.epoch = 4;
        row.wallTime = 12.75;
        const double nan = std::numeric_limits<double>::quiet_NaN();
        store.appendMetrics({row, makeMetric(runId, 38, "train", "depth", "loss", nan)});

        const auto found = store.metrics(runId);
        QCOMPARE(found.size(), std::size_t(2));
        QCOMPARE(found[0].step, std::int64_t(37));
        QCOMPARE(found[0].epoch, 4);
        QCOMPARE(found[0].split, std::string("validation"));
        QCOMPARE(found[0].task, std::string("depth"));
        QCOMPARE(found[0].name, std::string("rmse"));
        QCOMPARE(found[0].value, 0.125);
        QCOMPARE(found[0].wallTime, 12.75);
        QVERIFY(std::isnan(found[1].value));
    }

    void metricsBatchAllOrNothing() {
        RunStore store(storePath("atomic.runs.sqlite"));
        const std::int64_t runId = store.createRun(makeRun("atomic.mtlw"));
        // The second row names a missing run, so the foreign key rejects the whole batch.
        const std::vector<MetricRow> rows = {makeMetric(runId, 1, "train", "seg", "loss", 1.0),
                                             makeMetric(runId + 99, 1, "train", "seg", "loss", 1.0)};
        try {
            store.appendMetrics(rows);
            QFAIL("appendMetrics accepted a row of a missing run");
        } catch (const std::runtime_error& error) {
            QVERIFY2(contains(error.what(), "insert metrics"), error.what());
            QVERIFY2(contains(error.what(), "FOREIGN KEY"), error.what());
        }
        QVERIFY(store.metrics(runId).empty());
        QCOMPARE(sqlite3_get_autocommit(store.handle()), 1);  // No transaction left open.

        store.appendMetrics({rows[0]});
        QCOMPARE(store.metrics(runId).size(), std::size_t(1));
    }

    void checkpointBestMoves() {
        RunStore store(storePath("checkpoints.runs.sqlite"));
        const std::int64_t runId = store.createRun(makeRun("ckpt.mtlw"));
        const std::int64_t otherRunId = store.createRun(makeRun("ckpt.mtlw"));
        QVERIFY(!store.bestCheckpoint(runId).has_value());
        QVERIFY(!store.latestCheckpoint(runId).has_value());

        CheckpointRecord checkpoint;
        checkpoint.runId = runId;
        checkpoint.epoch = 1;
        checkpoint.step = 100;
        checkpoint.path = "ckpt/epoch1.pt";
        checkpoint.score = 0.5;
        checkpoint.isBest = true;
        const std::int64_t first = store.addCheckpoint(checkpoint);

        CheckpointRecord other = checkpoint;
        other.runId = otherRunId;
        const std::int64_t otherBest = store.addCheckpoint(other);

        checkpoint.epoch = 2;
        checkpoint.step = 200;
        checkpoint.path = "ckpt/epoch2.pt";
        checkpoint.score = 0.4;
        checkpoint.isBest = false;
        const std::int64_t second = store.addCheckpoint(checkpoint);
        QCOMPARE(store.bestCheckpoint(runId)->id, first);
        QCOMPARE(store.latestCheckpoint(runId)->id, second);

        checkpoint.epoch = 3;
        checkpoint.step = 300;
        checkpoint.path = "ckpt/epoch3.pt";
        checkpoint.score = 0.7;
        checkpoint.isBest = true;
        const std::int64_t third = store.addCheckpoint(checkpoint);

        const auto all = store.checkpoints(runId);
        QCOMPARE(all.size(), std::size_t(3));
        QCOMPARE(all[0].id, first);
        QVERIFY(!all[0].isBest);
        QVERIFY(!all[1].isBest);
        QVERIFY(all[2].isBest);
        QCOMPARE(all[2].path, std::string("ckpt/epoch3.pt"));
        QCOMPARE(all[2].score, 0.7);
        QCOMPARE(all[2].epoch, 3);
        QCOMPARE(all[2].step, std::int64_t(300));
        QVERIFY(!all[2].createdAt.empty());
        QCOMPARE(store.bestCheckpoint(runId)->id, third);
        QCOMPARE(store.latestCheckpoint(runId)->id, third);
        QCOMPARE(store.bestCheckpoint(otherRunId)->id, otherBest);
    }

    void eventsInOrder() {
        RunStore store(storePath("events.runs.sqlite"));
        const std::int64_t runId = store.createRun(makeRun("events.mtlw"));
        store.addEvent(runId, "info", "training started");
        store.addEvent(runId, "warning", "loss is NaN at step 12");
        store.addEvent(runId, "error", "stopped");

        const auto events = store.events(runId);
        QCOMPARE(events.size(), std::size_t(3));
        QCOMPARE(events[0].level, std::string("info"));
        QCOMPARE(events[0].message, std::string("training started"));
        QCOMPARE(events[1].level, std::string("warning"));
        QCOMPARE(events[2].message, std::string("stopped"));
        QCOMPARE(events[2].runId, runId);
        QVERIFY(!events[0].time.empty());
        QVERIFY(store.events(runId + 1).empty());
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, store.addEvent(runId, "debug", "x"));
    }

    void runsNewestFirst() {
        RunStore store(storePath("list.runs.sqlite"));
        const std::int64_t a1 = store.createRun(makeRun("a.mtlw"));
        const std::int64_t b1 = store.createRun(makeRun("b.mtlw"));
        const std::int64_t a2 = store.createRun(makeRun("a.mtlw"));

        const auto all = store.runs();
        QCOMPARE(all.size(), std::size_t(3));
        QCOMPARE(all[0].id, a2);
        QCOMPARE(all[1].id, b1);
        QCOMPARE(all[2].id, a1);

        const auto projectA = store.runs("a.mtlw");
        QCOMPARE(projectA.size(), std::size_t(2));
        QCOMPARE(projectA[0].id, a2);
        QCOMPARE(projectA[1].id, a1);
        QVERIFY(store.runs("missing.mtlw").empty());
    }

    void reopenRunResumes() {
        RunStore store(storePath("resume.runs.sqlite"));
        const std::int64_t runId = store.createRun(makeRun("resume.mtlw"));
        QVERIFY(inputErrorOf([&] { store.reopenRun(runId); }).has_value());  // Still running.

        store.finishRun(runId, run_status::kFailed, nlohmann::json::object(), "diverged");
        store.reopenRun(runId);
        const auto reopened = store.run(runId);
        QCOMPARE(reopened->status, std::string(run_status::kRunning));
        QVERIFY(reopened->endedAt.empty());
        QVERIFY(reopened->error.empty());
        QCOMPARE(queryText(store.handle(), "SELECT owner_pid FROM runs WHERE id = " + std::to_string(runId)),
                 std::to_string(getpid()));

        store.finishRun(runId, run_status::kCompleted, nlohmann::json::object());
        const auto completed = inputErrorOf([&] { store.reopenRun(runId); });
        QVERIFY(completed.has_value());
        QVERIFY2(contains(*completed, "completed"), completed->c_str());
        QVERIFY(inputErrorOf([&] { store.reopenRun(runId + 50); }).has_value());
    }

    void defaultPath_data() {
        QTest::addColumn<QString>("project");
        QTest::addColumn<QString>("expected");
        QTest::newRow("mtlw") << "dir/name.mtlw" << "dir/name.runs.sqlite";
        QTest::newRow("no folder") << "name.mtlw" << "name.runs.sqlite";
        QTest::newRow("dots in name") << "dir/my.project.mtlw" << "dir/my.project.runs.sqlite";
        QTest::newRow("json") << "dir/name.json" << "dir/name.json.runs.sqlite";
        QTest::newRow("no extension") << "dir/name" << "dir/name.runs.sqlite";
        QTest::newRow("mtlw folder") << "dir.mtlw/name" << "dir.mtlw/name.runs.sqlite";
    }

    void defaultPath() {
        QFETCH(QString, project);
        QFETCH(QString, expected);
        QCOMPARE(QString::fromStdString(RunStore::defaultPathFor(project.toStdString())), expected);
    }

    void unwritablePathRejected_data() {
        QTest::addColumn<QString>("path");
        QTest::newRow("missing folder") << mDir.filePath("no/such/folder/x.runs.sqlite");
        QTest::newRow("folder") << mDir.path();
        QTest::newRow("proc file") << QString("/proc/version");
    }

    void unwritablePathRejected() {
        QFETCH(QString, path);
        const auto message = inputErrorOf([&] { RunStore store(path.toStdString()); });
        QVERIFY(message.has_value());
        QVERIFY2(contains(*message, path.toStdString()), message->c_str());
        QVERIFY2(contains(*message, "--runs-db FILE"), message->c_str());
        QVERIFY2(contains(*message, "cannot open or write the run store"), message->c_str());
    }

    void readOnlyFileRejected() {
        if (geteuid() == 0)
            QSKIP("root can write to read-only files");
        const std::string path = storePath("readonly.runs.sqlite");
        { RunStore store(path); }
        QVERIFY(QFile::setPermissions(QString::fromStdString(path), QFileDevice::ReadOwner));
        const auto message = inputErrorOf([&] { RunStore store(path); });
        QVERIFY(QFile::setPermissions(QString::fromStdString(path), QFileDevice::ReadOwner | QFileDevice::WriteOwner));
        QVERIFY(message.has_value());
        QVERIFY2(contains(*message, path), message->c_str());
        QVERIFY2(contains(*message, "the file is read-only"), message->c_str());
    }

    void corruptFileRejected_data() {
        QTest::addColumn<QByteArray>("content");
        QTest::newRow("text") << QByteArray("this is a project file, not a database\n");
        std::mt19937 random(7);
        QByteArray bytes(8192, '\0');
        for (char& byte : bytes)
            byte = static_cast<char>(random() & 0xff);
        QTest::newRow("random bytes") << bytes;
    }

    void corruptFileRejected() {
        QFETCH(QByteArray, content);
        const QString path = mDir.filePath(QString("corrupt-%1.runs.sqlite").arg(QTest::currentDataTag()));
        QVERIFY(writeFile(path, content));
        const auto message = inputErrorOf([&] { RunStore store(path.toStdString()); });
        QVERIFY(message.has_value());
        QVERIFY2(contains(*message, path.toStdString()), message->c_str());
        QVERIFY2(contains(*message, "not a run store"), message->c_str());
    }

    void foreignDatabaseRejected() {
        const std::string path = storePath("foreign.sqlite");
        sqlite3* db = nullptr;
        QCOMPARE(sqlite3_open(path.c_str(), &db), SQLITE_OK);
        QVERIFY(execSql(db, "CREATE TABLE runs (x INTEGER)"));
        sqlite3_close(db);

        const auto message = inputErrorOf([&] { RunStore store(path); });
        QVERIFY(message.has_value());
        QVERIFY2(contains(*message, path), message->c_str());
        QVERIFY2(contains(*message, "not an MTL Workbench run store"), message->c_str());
    }

    void killedWriterInterrupted() {
        const std::string path = storePath("killed.runs.sqlite");
        constexpr int kRowsPerBatch = 200;
        constexpr int kBatchesBeforeKill = 20;

        int pipeFds[2];
        QCOMPARE(pipe(pipeFds), 0);
        const pid_t child = fork();
        QVERIFY(child >= 0);
        if (child == 0) {
            // Child: write batches until killed, reporting each committed batch to the parent.
            close(pipeFds[0]);
            try {
                RunStore store(path);
                const std::int64_t runId = store.createRun(makeRun("killed.mtlw"));
                if (write(pipeFds[1], &runId, sizeof runId) != sizeof runId)
                    _exit(4);
                for (std::int64_t batch = 1;; ++batch) {
                    std::vector<MetricRow> rows;
                    for (int i = 0; i < kRowsPerBatch; ++i)
                        rows.push_back(makeMetric(runId, batch, "train", "seg", "loss", 1.0 / (batch + i)));
                    store.appendMetrics(rows);
                    if (write(pipeFds[1], &batch, sizeof batch) != sizeof batch)
                        _exit(4);
                }
            } catch (...) {
                _exit(3);
            }
        }

        close(pipeFds[1]);
        std::int64_t runId = 0;
        QCOMPARE(read(pipeFds[0], &runId, sizeof runId), ssize_t(sizeof runId));
        std::int64_t committedBatches = 0;
        while (committedBatches < kBatchesBeforeKill) {
            if (read(pipeFds[0], &committedBatches, sizeof committedBatches) != sizeof committedBatches)
                break;
        }
        QCOMPARE(kill(child, SIGKILL), 0);
        int status = 0;
        QCOMPARE(waitpid(child, &status, 0), child);
        QVERIFY2(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the writer ended before it was killed");
        // Batches the child reported between the parent's last read and the kill.
        std::int64_t batch = 0;
        while (read(pipeFds[0], &batch, sizeof batch) == sizeof batch)
            committedBatches = batch;
        close(pipeFds[0]);
        QVERIFY(committedBatches >= kBatchesBeforeKill);

        RunStore store(path);
        const auto run = store.run(runId);
        QVERIFY(run.has_value());
        QCOMPARE(run->status, std::string(run_status::kInterrupted));
        QCOMPARE(run->error, std::string("the process that ran it stopped without finishing (killed or crashed)"));
        QVERIFY(!run->endedAt.empty());
        QCOMPARE(store.interruptedAtOpen(), std::vector<std::int64_t>{runId});

        const auto rows = store.metrics(runId);
        // Each batch is one transaction: the kill may add the batch it interrupted after its
        // commit but never part of a batch.
        QCOMPARE(static_cast<int>(rows.size()) % kRowsPerBatch, 0);
        QVERIFY(static_cast<std::int64_t>(rows.size()) >= committedBatches * kRowsPerBatch);
        QVERIFY(static_cast<std::int64_t>(rows.size()) <= (committedBatches + 1) * kRowsPerBatch);
        QCOMPARE(queryText(store.handle(), "PRAGMA integrity_check"), std::string("ok"));

        const auto events = store.events(runId);
        QCOMPARE(events.size(), std::size_t(1));
        QCOMPARE(events[0].level, std::string("warning"));

        // The run can be resumed by this process.
        store.reopenRun(runId);
        QCOMPARE(store.run(runId)->status, std::string(run_status::kRunning));
    }

    void liveOwnerStaysRunning() {
        const std::string path = storePath("live.runs.sqlite");
        std::int64_t runId = 0;
        {
            RunStore store(path);
            runId = store.createRun(makeRun("live.mtlw"));
        }
        RunStore store(path);
        QCOMPARE(store.run(runId)->status, std::string(run_status::kRunning));
        QVERIFY(store.interruptedAtOpen().empty());
    }

    void otherHostLeftAlone() {
        const std::string path = storePath("host.runs.sqlite");
        std::int64_t runId = 0;
        {
            RunStore store(path);
            runId = store.createRun(makeRun("host.mtlw"));
            // A pid that cannot exist here, on a host that is not this one.
            QVERIFY(execSql(store.handle(), "UPDATE runs SET owner_hostname = 'elsewhere.invalid', "
                                            "owner_pid = 2147483000"));
        }
        RunStore store(path);
        QCOMPARE(store.run(runId)->status, std::string(run_status::kRunning));
    }

    void reusedPidInterrupted() {
        QVERIFY(processStartTime(getpid()) > 0);
        const std::string path = storePath("reused.runs.sqlite");
        std::int64_t runId = 0;
        {
            RunStore store(path);
            runId = store.createRun(makeRun("reused.mtlw"));
            // Same pid as this process but another start time: the pid was reused.
            QVERIFY(execSql(store.handle(), "UPDATE runs SET owner_start_time = owner_start_time + 1"));
        }
        RunStore store(path);
        QCOMPARE(store.run(runId)->status, std::string(run_status::kInterrupted));
    }

    void zombieOwnerInterrupted() {
        const pid_t child = fork();
        QVERIFY(child >= 0);
        if (child == 0)
            _exit(0);
        // Wait for the exit without reaping, so the child stays a zombie.
        siginfo_t info{};
        QCOMPARE(waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT), 0);

        const ProcessOwner zombie{currentProcessOwner().hostname, child, processStartTime(child)};
        const bool alive = isOwnerAlive(zombie, zombie.hostname);
        QCOMPARE(waitpid(child, nullptr, 0), child);
        QVERIFY(zombie.startTime > 0);
        QVERIFY(!alive);
        QVERIFY(!isOwnerAlive(zombie, zombie.hostname));  // Reaped: the pid is gone.
        QVERIFY(isOwnerAlive(currentProcessOwner(), zombie.hostname));
    }

    void secondConnectionSeesCommits() {
        const std::string path = storePath("shared.runs.sqlite");
        RunStore writer(path);
        RunStore reader(path);
        const std::int64_t runId = writer.createRun(makeRun("shared.mtlw"));
        QVERIFY(reader.run(runId).has_value());
        writer.appendMetrics({makeMetric(runId, 1, "train", "seg", "loss", 0.25)});
        QCOMPARE(reader.metrics(runId).size(), std::size_t(1));
    }
};

QTEST_GUILESS_MAIN(TestRunStore)
#include "test_run_store.moc"
