// Tests for the `mtlw` command line, run as a child process: train, runs, show, methods,
// --version, and exit status 2 with a message for invalid input.
#include "TestSupport.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

namespace {

const QString kFixtures = QStringLiteral(MTLW_SOURCE_DIR "/tests/fixtures");


nlohmann::json parseJson(const QString& text)
{
    return nlohmann::json::parse(text.toStdString(), nullptr, false);
}

}  // namespace

class TestCli : public QObject {
    Q_OBJECT

private:
    QTemporaryDir mCacheDir;
    QTemporaryDir mDir;
    /// Fixtures, bad.mtlw and a store with one run, for invalidInput.
    QTemporaryDir mInputDir;
    int mSetupRuns = 0;
    Output mTrain;
    qint64 mRunId = 0;

    QString project() const { return mDir.filePath("tiny-fashion.mtlw"); }
    QString store() const { return mDir.filePath("tiny-fashion.runs.sqlite"); }

private slots:
    // Trains tiny-fashion once. trainJson checks the output, and the other tests read the run.
    void initTestCase()
    {
        QVERIFY(mCacheDir.isValid());
        QVERIFY(mDir.isValid());
        qputenv("MTLW_CACHE_DIR", mCacheDir.path().toUtf8());
        for (const char* name : {"tiny-fashion.mtlw", "tiny-tabular.mtlw", "tiny-tabular.csv"})
            QVERIFY(QFile::copy(kFixtures + "/" + name, mDir.filePath(name)));

        mTrain = runMtlwCommand({"-q", "train", project(), "--epochs", "1", "--json"});
        const QStringList lines = mTrain.out.trimmed().split('\n');
        const nlohmann::json last = parseJson(lines.last());
        if (last.is_object() && last.value("run_id", nlohmann::json()).is_number_integer())
            mRunId = last["run_id"].get<qint64>();

        for (const char* name : {"tiny-tabular.mtlw", "tiny-tabular.csv"})
            QVERIFY(QFile::copy(kFixtures + "/" + name, mInputDir.filePath(name)));
        QFile fixture(kFixtures + "/tiny-tabular.mtlw");
        QVERIFY(fixture.open(QIODevice::ReadOnly));
        QByteArray text = fixture.readAll();
        QVERIFY(text.contains("\"epochs\": 3,"));
        text.replace("\"epochs\": 3,", "\"epochs\": \"two\",");
        QFile bad(mInputDir.filePath("bad.mtlw"));
        QVERIFY(bad.open(QIODevice::WriteOnly));
        QCOMPARE(bad.write(text), qint64(text.size()));
        bad.close();
        const Output setup = runMtlwCommand({"-q", "train", mInputDir.filePath("tiny-tabular.mtlw"), "--epochs", "1"});
        QVERIFY2(setup.exitCode == 0, qPrintable(describe(setup)));
        mSetupRuns = 1;
    }

    void trainJson()
    {
        QVERIFY2(mTrain.exitCode == 0, qPrintable(describe(mTrain)));
        const QStringList lines = mTrain.out.trimmed().split('\n');
        const nlohmann::json last = parseJson(lines.last());
        QVERIFY2(last.is_object(), qPrintable("the last line is not a JSON object: " + lines.last()));
        QVERIFY2(last.at("run_id").is_number_integer(), qPrintable(lines.last()));
        QCOMPARE(last.at("status").get<std::string>(), std::string("completed"));
        for (const char* task : {"left", "right"}) {
            const double accuracy = last.at("tasks").at(task).at("accuracy").get<double>();
            QVERIFY(accuracy >= 0.0 && accuracy <= 1.0);
        }
        QVERIFY(last.at("seconds").get<double>() > 0.0);
        QVERIFY(last.at("samples_per_second").get<double>() > 0.0);
        // The run store lands beside the project by default.
        QVERIFY(QFile::exists(store()));
    }

    void trainText()
    {
        const Output output = runMtlwCommand({"-q", "train", mDir.filePath("tiny-tabular.mtlw"), "--epochs", "1",
                                       "--method", "uw", "--seed", "9"});
        QVERIFY2(output.exitCode == 0, qPrintable(describe(output)));
        QVERIFY2(output.out.contains(": completed in "), qPrintable(output.out));
        QVERIFY2(output.out.contains("label: accuracy"), qPrintable(output.out));
        QVERIFY2(output.out.contains("size: mae"), qPrintable(output.out));

        const Output runs = runMtlwCommand({"runs", mDir.filePath("tiny-tabular.mtlw"), "--json"});
        const nlohmann::json list = parseJson(runs.out);
        QVERIFY2(list.is_array() && list.size() == 1, qPrintable(describe(runs)));
        QCOMPARE(list[0].at("method").get<std::string>(), std::string("uw"));
        QCOMPARE(list[0].at("seed").get<int>(), 9);
    }

    void runsList()
    {
        QVERIFY2(mRunId > 0, "initTestCase did not train a run");
        const Output output = runMtlwCommand({"runs", project()});
        QVERIFY2(output.exitCode == 0, qPrintable(describe(output)));
        const QStringList lines = output.out.trimmed().split('\n');
        QCOMPARE(lines.size(), 2);
        QVERIFY2(lines[0].startsWith("id "), qPrintable(lines[0]));
        QVERIFY2(lines[1].startsWith(QString::number(mRunId) + " "), qPrintable(lines[1]));
        QVERIFY2(lines[1].contains("completed"), qPrintable(lines[1]));
        QVERIFY2(lines[1].contains("left accuracy="), qPrintable(lines[1]));

        const Output json = runMtlwCommand({"runs", project(), "--json"});
        const nlohmann::json list = parseJson(json.out);
        QVERIFY2(list.is_array() && list.size() == 1, qPrintable(describe(json)));
        QCOMPARE(list[0].at("run_id").get<qint64>(), mRunId);
        QCOMPARE(list[0].at("status").get<std::string>(), std::string("completed"));
    }

    void runsWithoutStore()
    {
        const Output output = runMtlwCommand({"runs", mDir.filePath("tiny-tabular.mtlw"), "--runs-db", mDir.filePath("none.sqlite")});
        QVERIFY2(output.exitCode == 0, qPrintable(describe(output)));
        QVERIFY2(output.out.contains("no runs yet"), qPrintable(output.out));
    }

    void showRun()
    {
        QVERIFY2(mRunId > 0, "initTestCase did not train a run");
        const Output output = runMtlwCommand({"show", QString::number(mRunId), "--runs-db", store()});
        QVERIFY2(output.exitCode == 0, qPrintable(describe(output)));
        QVERIFY2(output.out.startsWith(QString("run %1 of Tiny Multi-Fashion").arg(mRunId)), qPrintable(output.out));
        QVERIFY2(output.out.contains("status:   completed"), qPrintable(output.out));
        QVERIFY2(output.out.contains("method:   ew, seed 1, device cpu"), qPrintable(output.out));
        QVERIFY2(output.out.contains("epochs:   1 completed"), qPrintable(output.out));
        QVERIFY2(output.out.contains("    left: accuracy "), qPrintable(output.out));
        QVERIFY2(output.out.contains("    right: accuracy "), qPrintable(output.out));

        const Output json = runMtlwCommand({"show", QString::number(mRunId), "--runs-db", store(), "--json"});
        QVERIFY2(json.exitCode == 0, qPrintable(describe(json)));
        const nlohmann::json run = parseJson(json.out);
        QVERIFY2(run.is_object(), qPrintable(json.out));
        QCOMPARE(run.at("run_id").get<qint64>(), mRunId);
        QCOMPARE(run.at("status").get<std::string>(), std::string("completed"));
        QCOMPARE(run.at("project").get<std::string>(), std::string("Tiny Multi-Fashion"));
        QCOMPARE(run.at("project_path").get<std::string>(), project().toStdString());
        QVERIFY(run.at("tasks").at("left").at("accuracy").is_number());
        QCOMPARE(run.at("summary").at("epochs_completed").get<int>(), 1);
    }

    void showFindsStoreInFolder()
    {
        QVERIFY2(mRunId > 0, "initTestCase did not train a run");
        QTemporaryDir folder;
        QVERIFY(QFile::copy(store(), folder.filePath("copy.runs.sqlite")));
        const Output output = runMtlwCommand({"show", QString::number(mRunId)}, folder.path());
        QVERIFY2(output.exitCode == 0, qPrintable(describe(output)));
        QVERIFY2(output.out.contains("status:   completed"), qPrintable(output.out));
    }

    void methodsList()
    {
        const Output output = runMtlwCommand({"methods"});
        QVERIFY2(output.exitCode == 0, qPrintable(describe(output)));
        QStringList names;
        for (const QString& line : output.out.split('\n')) {
            if (!line.isEmpty() && !line.startsWith(' '))
                names << line.section(' ', 0, 0);
        }
        for (const char* name : {"ew", "uw", "dwa"})
            QVERIFY2(names.contains(name), qPrintable(output.out));

        const Output json = runMtlwCommand({"methods", "--json"});
        const nlohmann::json list = parseJson(json.out);
        QVERIFY2(list.is_array(), qPrintable(json.out));
        QStringList jsonNames;
        for (const auto& method : list)
            jsonNames << QString::fromStdString(method.at("name").get<std::string>());
        QCOMPARE(jsonNames, names);
    }

    void version()
    {
        const Output output = runMtlwCommand({"--version"});
        QVERIFY2(output.exitCode == 0, qPrintable(describe(output)));
        QVERIFY2(output.out.startsWith("mtlw " MTLW_VERSION " ("), qPrintable(output.out));
    }

    // Each row runs mtlw with `arguments`, where {dir} stands for mInputDir, and expects exit
    // status 2 with `expected` on standard error.
    void invalidInput_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("expected");

        QTest::newRow("missing project") << QStringList{"train", "{dir}/absent.mtlw"}
                                         << "error: {dir}/absent.mtlw: file not found";
        QTest::newRow("bad project field")
            << QStringList{"train", "{dir}/bad.mtlw"}
            << "error: bad.mtlw: training.epochs must be an integer of at least 1, got \"two\"";
        QTest::newRow("unknown method") << QStringList{"train", "{dir}/tiny-tabular.mtlw", "--method", "nope"}
                                        << "training.method";
        QTest::newRow("runs db not writable")
            << QStringList{"train", "{dir}/tiny-tabular.mtlw", "--runs-db", "{dir}/missing/runs.sqlite"}
            << "error: {dir}/missing/runs.sqlite: cannot open or write the run store";
        QTest::newRow("unknown run") << QStringList{"show", "999", "--runs-db", "{dir}/tiny-tabular.runs.sqlite"}
                                     << "run 999 not found";
        QTest::newRow("missing store") << QStringList{"resume", "1", "--runs-db", "{dir}/absent.sqlite"}
                                       << "{dir}/absent.sqlite: run store not found";
        QTest::newRow("no store in folder") << QStringList{"show", "1"} << "no *.runs.sqlite file in the current folder";
        QTest::newRow("zero epochs") << QStringList{"train", "{dir}/tiny-tabular.mtlw", "--epochs", "0"}
                                     << "--epochs";
        QTest::newRow("no subcommand") << QStringList{} << "subcommand";
    }

    void invalidInput()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, expected);
        QVERIFY2(mSetupRuns == 1, "initTestCase did not train the run of the invalid-input folder");

        for (QString& argument : arguments)
            argument.replace("{dir}", mInputDir.path());
        expected.replace("{dir}", mInputDir.path());
        // An empty working folder, so commands find no run store there.
        QTemporaryDir workingFolder;
        const Output output = runMtlwCommand(arguments, workingFolder.path());
        QVERIFY2(output.exitCode == 2, qPrintable(describe(output)));
        QVERIFY2(output.err.contains(expected), qPrintable("expected '" + expected + "' in:\n" + describe(output)));

        // Invalid input starts no run.
        const Output runs = runMtlwCommand({"runs", mInputDir.filePath("tiny-tabular.mtlw"), "--json"});
        const nlohmann::json list = parseJson(runs.out);
        QVERIFY2(list.is_array(), qPrintable(describe(runs)));
        QCOMPARE(int(list.size()), 1);
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
