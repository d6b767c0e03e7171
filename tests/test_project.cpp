// Tests for the project model: loading the example project, save and reload, atomic saving,
// defaults, and the messages for invalid project files.
#include "TestSupport.h"
#include "project/AtomicFile.h"
#include "project/Project.h"
#include "util/Errors.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <functional>

using namespace mtlw;

namespace {

const QString kExampleProject = QStringLiteral(MTLW_SOURCE_DIR "/projects/multi-fashion.mtlw");

nlohmann::json exampleJson()
{
    return nlohmann::json::parse(readFile(kExampleProject.toStdString()));
}

}  // namespace

class TestProject : public QObject {
    Q_OBJECT

private:
    QTemporaryDir mDir;

    QString path(const QString& name) const { return mDir.filePath(name); }

private slots:
    void initTestCase()
    {
        QVERIFY(mDir.isValid());
    }

    void loadExample()
    {
        const Project project = loadProject(kExampleProject.toStdString());
        QCOMPARE(project.name, std::string("Multi-Fashion"));
        QCOMPARE(project.schemaVersion, 1);
        QCOMPARE(project.filePath, QDir::cleanPath(kExampleProject).toStdString());

        QCOMPARE(project.datasets.size(), std::size_t(1));
        QCOMPARE(project.datasets[0].kind, std::string("multi-fashion"));
        QCOMPARE(project.datasets[0].options.at("validation_size").get<int>(), 6000);

        QCOMPARE(project.tasks.size(), std::size_t(2));
        const TaskSpec* left = project.findTask("left");
        QVERIFY(left != nullptr);
        QCOMPARE(toString(left->type), std::string("classification"));
        QCOMPARE(left->dataset, std::string("multi-fashion"));
        QCOMPARE(left->loss, std::string("cross_entropy"));
        QCOMPARE(left->metrics, std::vector<std::string>{"accuracy"});
        QVERIFY(project.findTask("middle") == nullptr);

        QCOMPARE(project.graph.nodes.size(), std::size_t(7));
        QCOMPARE(project.graph.edges.size(), std::size_t(6));
        const NodeSpec* conv1 = project.findNode("conv1");
        QVERIFY(conv1 != nullptr);
        QCOMPARE(conv1->params.at("kernel_size").get<int>(), 5);
        QCOMPARE(project.findNode("right_head")->params.at("task").get<std::string>(), std::string("right"));

        QCOMPARE(project.training.epochs, 10);
        QCOMPARE(project.training.batchSize, 256);
        QCOMPARE(project.training.optimizer.type, std::string("adam"));
        QCOMPARE(project.training.optimizer.learningRate, 0.001);
        QCOMPARE(project.training.method.name, std::string("ew"));
        QCOMPARE(project.training.logEverySteps, 50);
    }

    void saveReload_data()
    {
        QTest::addColumn<QString>("source");
        QTest::newRow("example") << kExampleProject;
        QTest::newRow("tiny-fashion") << QStringLiteral(MTLW_SOURCE_DIR "/tests/fixtures/tiny-fashion.mtlw");
        QTest::newRow("tiny-tabular") << QStringLiteral(MTLW_SOURCE_DIR "/tests/fixtures/tiny-tabular.mtlw");
    }

    void saveReload()
    {
        QFETCH(QString, source);
        Project project = loadProject(source.toStdString());
        const QString copy = path("reload.mtlw");
        saveProject(project, copy.toStdString());
        QCOMPARE(project.filePath, copy.toStdString());

        const Project reloaded = loadProject(copy.toStdString());
        const nlohmann::json saved = toJson(project);
        const nlohmann::json loaded = toJson(reloaded);
        QVERIFY2(loaded == saved, qPrintable(QString::fromStdString(loaded.dump(2) + "\n!=\n" + saved.dump(2))));
        // A second save writes the same bytes, so saving is stable.
        Project again = reloaded;
        const QByteArray first = readBytes(copy);
        saveProject(again, copy.toStdString());
        QCOMPARE(readBytes(copy), first);
    }

    void saveWithoutLossUsesDefaults()
    {
        // A task built in code (the app's New project) may leave its loss and metrics empty.
        Project project = loadProject(MTLW_SOURCE_DIR "/tests/fixtures/tiny-tabular.mtlw");
        project.tasks[0].loss.clear();
        project.tasks[0].metrics.clear();
        const QString copy = path("defaults.mtlw");
        saveProject(project, copy.toStdString());
        QVERIFY(!readBytes(copy).contains("\"loss\": \"\""));
        const Project reloaded = loadProject(copy.toStdString());
        QCOMPARE(reloaded.tasks[0].loss, std::string("cross_entropy"));
    }

    void savePosition()
    {
        Project project = loadProject(kExampleProject.toStdString());
        project.graph.nodes[1].position = NodePosition{120.5, -40.0};
        saveProject(project, path("position.mtlw").toStdString());
        const Project reloaded = loadProject(path("position.mtlw").toStdString());
        QVERIFY(reloaded.graph.nodes[1].position.has_value());
        QCOMPARE(reloaded.graph.nodes[1].position->x, 120.5);
        QCOMPARE(reloaded.graph.nodes[1].position->y, -40.0);
        QVERIFY(!reloaded.graph.nodes[0].position.has_value());
    }

    void atomicSave()
    {
        QTemporaryDir folder;
        const QString target = folder.filePath("project.mtlw");
        writeFile(target, "old content that is not a project\n");

        Project project = loadProject(kExampleProject.toStdString());
        project.name = "Saved";
        saveProject(project, target.toStdString());

        QVERIFY(readBytes(target).startsWith("{"));
        QCOMPARE(loadProject(target.toStdString()).name, std::string("Saved"));
        const QStringList entries = QDir(folder.path()).entryList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot);
        QCOMPARE(entries, QStringList{"project.mtlw"});
        QVERIFY(QFile(target).permissions().testFlag(QFile::ReadOwner));
    }

    void atomicSaveMissingFolder()
    {
        Project project = loadProject(kExampleProject.toStdString());
        const std::string target = path("no-such-folder/project.mtlw").toStdString();
        const QString message = inputErrorOf([&] { saveProject(project, target); });
        QVERIFY2(message.contains(QString::fromStdString(target)), qPrintable(message));
        QVERIFY2(message.contains("temporary file"), qPrintable(message));
        QCOMPARE(project.filePath, QDir::cleanPath(kExampleProject).toStdString());
    }

    void defaultsApplied()
    {
        const nlohmann::json json = {
            {"schema_version", 1},
            {"name", "Minimal"},
            {"datasets", {{{"name", "table"}, {"kind", "csv"}}}},
            {"tasks", {{{"name", "price"}, {"type", "regression"}, {"dataset", "table"}},
                       {{"name", "sold"}, {"type", "binary"}, {"dataset", "table"}}}},
            {"graph", {{"nodes", nlohmann::json::array()}, {"edges", nlohmann::json::array()}}}};
        const Project project = parseProject(json, "minimal.mtlw");

        QCOMPARE(project.schemaVersion, 1);
        QCOMPARE(project.description, std::string());
        QVERIFY(project.datasets[0].options.is_object());
        QVERIFY(project.datasets[0].options.empty());

        const TaskSpec& price = project.tasks[0];
        QCOMPARE(price.target, std::string("price"));
        QCOMPARE(price.loss, std::string("mse"));
        QCOMPARE(price.metrics, (std::vector<std::string>{"mae", "rmse"}));
        const TaskSpec& sold = project.tasks[1];
        QCOMPARE(sold.loss, std::string("bce"));
        QCOMPARE(sold.metrics, std::vector<std::string>{"accuracy"});

        const TrainingSpec& training = project.training;
        QCOMPARE(training.epochs, 10);
        QCOMPARE(training.batchSize, 256);
        QCOMPARE(training.optimizer.type, std::string("adam"));
        QCOMPARE(training.optimizer.learningRate, 1e-3);
        QCOMPARE(training.optimizer.weightDecay, 0.0);
        QCOMPARE(training.optimizer.momentum, 0.9);
        QCOMPARE(training.schedule.type, std::string("constant"));
        QCOMPARE(training.schedule.stepSize, 10);
        QCOMPARE(training.schedule.gamma, 0.1);
        QCOMPARE(training.seed, std::uint64_t(1));
        QCOMPARE(training.device, std::string("auto"));
        QCOMPARE(training.method.name, std::string("ew"));
        QCOMPARE(training.logEverySteps, 50);
    }

    void resolvePath()
    {
        Project project = loadProject(kExampleProject.toStdString());
        QCOMPARE(project.resolvePath("data/table.csv"), (QStringLiteral(MTLW_SOURCE_DIR "/projects/data/table.csv")).toStdString());
        QCOMPARE(project.resolvePath("/srv/table.csv"), std::string("/srv/table.csv"));

        project.filePath.clear();
        QCOMPARE(project.resolvePath("data/table.csv"), std::string("data/table.csv"));
    }

    // Each row changes the example project with a JSON Patch (RFC 6902), or replaces the whole
    // file with `text` when the patch is empty.
    void badFiles_data()
    {
        QTest::addColumn<QByteArray>("patch");
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QStringList>("expected");

        QTest::newRow("newer schema")
            << QByteArray(R"([{"op": "replace", "path": "/schema_version", "value": 2}])") << QByteArray()
            << QStringList{"bad.mtlw: schema_version is 2, newer than this build supports (1)", "upgrade"};
        QTest::newRow("missing schema")
            << QByteArray(R"([{"op": "remove", "path": "/schema_version"}])") << QByteArray()
            << QStringList{"bad.mtlw: schema_version is missing"};
        QTest::newRow("wrong format")
            << QByteArray(R"([{"op": "replace", "path": "/format", "value": "spreadsheet"}])") << QByteArray()
            << QStringList{"bad.mtlw: format is 'spreadsheet', expected 'mtl-workbench-project'"};
        QTest::newRow("missing task name")
            << QByteArray(R"([{"op": "remove", "path": "/tasks/0/name"}])") << QByteArray()
            << QStringList{"bad.mtlw: tasks[0].name is missing"};
        QTest::newRow("missing graph")
            << QByteArray(R"([{"op": "remove", "path": "/graph"}])") << QByteArray()
            << QStringList{"bad.mtlw: graph is missing"};
        QTest::newRow("epochs as string")
            << QByteArray(R"([{"op": "replace", "path": "/training/epochs", "value": "2"}])") << QByteArray()
            << QStringList{"bad.mtlw: training.epochs must be an integer of at least 1, got \"2\""};
        QTest::newRow("zero batch size")
            << QByteArray(R"([{"op": "replace", "path": "/training/batch_size", "value": 0}])") << QByteArray()
            << QStringList{"bad.mtlw: training.batch_size must be an integer of at least 1, got 0"};
        QTest::newRow("tasks not array")
            << QByteArray(R"([{"op": "replace", "path": "/tasks", "value": {"left": 1}}])") << QByteArray()
            << QStringList{"bad.mtlw: tasks must be an array, got an object"};
        QTest::newRow("no tasks")
            << QByteArray(R"([{"op": "replace", "path": "/tasks", "value": []}])") << QByteArray()
            << QStringList{"bad.mtlw: tasks is empty"};
        QTest::newRow("unknown task type")
            << QByteArray(R"([{"op": "replace", "path": "/tasks/1/type", "value": "ranking"}])") << QByteArray()
            << QStringList{"bad.mtlw: tasks[1].type has unknown task type 'ranking'",
                           "use classification, binary, regression, multilabel"};
        QTest::newRow("loss for other type")
            << QByteArray(R"([{"op": "add", "path": "/tasks/0/loss", "value": "mse"}])") << QByteArray()
            << QStringList{"bad.mtlw: tasks[0].loss 'mse' does not fit a classification task", "use cross_entropy"};
        QTest::newRow("metric for other type")
            << QByteArray(R"([{"op": "add", "path": "/tasks/1/metrics", "value": ["accuracy", "rmse"]}])")
            << QByteArray()
            << QStringList{"bad.mtlw: tasks[1].metrics[1] 'rmse' is not a metric of a classification task"};
        QTest::newRow("unknown dataset")
            << QByteArray(R"([{"op": "replace", "path": "/tasks/1/dataset", "value": "cifar"}])") << QByteArray()
            << QStringList{"bad.mtlw: tasks[1].dataset names dataset 'cifar', which the project does not define"};
        QTest::newRow("duplicate task")
            << QByteArray(R"([{"op": "replace", "path": "/tasks/1/name", "value": "left"}])") << QByteArray()
            << QStringList{"bad.mtlw: tasks[1].name 'left' is used twice"};
        QTest::newRow("duplicate node")
            << QByteArray(R"([{"op": "add", "path": "/graph/nodes/-", "value": {"id": "conv1", "type": "mlp"}}])")
            << QByteArray() << QStringList{"bad.mtlw: graph.nodes[7].id 'conv1' is used twice"};
        QTest::newRow("duplicate dataset")
            << QByteArray(R"([{"op": "add", "path": "/datasets/-", "value": {"name": "multi-fashion", "kind": "csv"}}])")
            << QByteArray() << QStringList{"bad.mtlw: datasets[1].name 'multi-fashion' is used twice"};
        QTest::newRow("edge to undefined node")
            << QByteArray(R"([{"op": "replace", "path": "/graph/edges/5/to", "value": "middle_head"}])") << QByteArray()
            << QStringList{"bad.mtlw: graph.edges[5].to names node 'middle_head', which graph.nodes does not define"};
        QTest::newRow("empty node id")
            << QByteArray(R"([{"op": "replace", "path": "/graph/nodes/3/id", "value": ""}])") << QByteArray()
            << QStringList{"bad.mtlw: graph.nodes[3].id must not be empty"};
        QTest::newRow("unknown optimizer")
            << QByteArray(R"([{"op": "replace", "path": "/training/optimizer/type", "value": "rmsprop"}])")
            << QByteArray() << QStringList{"bad.mtlw: training.optimizer.type must be adam, adamw or sgd, got 'rmsprop'"};
        QTest::newRow("negative learning rate")
            << QByteArray(R"([{"op": "replace", "path": "/training/optimizer/learning_rate", "value": -0.1}])")
            << QByteArray() << QStringList{"bad.mtlw: training.optimizer.learning_rate must be a number between 0 and"};
        QTest::newRow("unknown schedule")
            << QByteArray(R"([{"op": "replace", "path": "/training/schedule/type", "value": "linear"}])")
            << QByteArray() << QStringList{"bad.mtlw: training.schedule.type must be constant, step or cosine, got 'linear'"};
        QTest::newRow("unknown device")
            << QByteArray(R"([{"op": "replace", "path": "/training/device", "value": "tpu"}])") << QByteArray()
            << QStringList{"bad.mtlw: training.device must be auto, cpu, cuda or cuda:N, got 'tpu'"};
        QTest::newRow("method without name")
            << QByteArray(R"([{"op": "replace", "path": "/training/method", "value": {"params": {}}}])") << QByteArray()
            << QStringList{"bad.mtlw: training.method.name is missing"};
        QTest::newRow("root not object") << QByteArray() << QByteArray("[1, 2]\n")
                                         << QStringList{"bad.mtlw: the file must be a JSON object, got an array"};
        // The second comma of line 3 is its 15th character.
        QTest::newRow("invalid json")
            << QByteArray() << QByteArray("{\n  \"name\": \"x\",\n  \"tasks\": [1,, 2]\n}\n")
            << QStringList{"bad.mtlw line 3, column 15: invalid JSON"};
        QTest::newRow("truncated json")
            << QByteArray() << QByteArray("{\n  \"name\": \"x\",\n")
            << QStringList{"bad.mtlw line 3, column 1: invalid JSON"};
    }

    void badFiles()
    {
        QFETCH(QByteArray, patch);
        QFETCH(QByteArray, text);
        QFETCH(QStringList, expected);

        QByteArray content = text;
        if (!patch.isEmpty())
            content = QByteArray::fromStdString(exampleJson().patch(nlohmann::json::parse(patch.toStdString())).dump(2));
        const QString file = path("bad.mtlw");
        writeFile(file, content);

        const QString message = inputErrorOf([&] { loadProject(file.toStdString()); });
        QVERIFY2(!message.isEmpty(), "loadProject accepted the file");
        for (const QString& part : expected)
            QVERIFY2(message.contains(part), qPrintable("expected '" + part + "' in: " + message));
    }

    void missingFile()
    {
        const std::string file = path("absent.mtlw").toStdString();
        const QString message = inputErrorOf([&] { loadProject(file); });
        QCOMPARE(message, QString::fromStdString(file + ": file not found"));
    }
};

QTEST_GUILESS_MAIN(TestProject)
#include "test_project.moc"
