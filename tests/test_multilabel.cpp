// Tests for multilabel tasks. They cover the loss and metrics on hand-built tensors, multi-label
// CSV columns, the Multi-Fashion "items" target and the messages for a task type that does not
// fit its target. They also cover the project format and one short training run through the real
// engine into a real run store.
#include "DataFixtures.h"
#include "TestSupport.h"
#include "compare/Comparison.h"
#include "data/Dataset.h"
#include "engine/TaskEvaluation.h"
#include "engine/TaskObjective.h"
#include "engine/Trainer.h"
#include "export/ModelExport.h"
#include "project/Project.h"
#include "store/RunStore.h"
#include "util/Errors.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>

#include <spdlog/spdlog.h>

#include <cmath>
#include <set>

using namespace mtlw;

namespace {

std::string str(const QString& text)
{
    return text.toStdString();
}

// Reference binary cross entropy of one logit, computed in double precision.
double bceOf(double logit, double target)
{
    const double probability = 1.0 / (1.0 + std::exp(-logit));
    return -(target * std::log(probability) + (1.0 - target) * std::log(1.0 - probability));
}

TaskSpec multiLabelTask(const std::string& name, const std::string& target)
{
    TaskSpec task = dataTask(name, TaskType::MultiLabel, target);
    task.loss = "bce";
    task.metrics = {"f1"};
    return task;
}

// Logits and 0/1 targets of three samples over three labels. Predictions (logit > 0) are
// {0}, {0, 1} and {}, against targets {0, 2}, {1} and {}: TP = 2, FP = 1, FN = 1, one sample
// fully right, 2 of 9 decisions wrong.
torch::Tensor sampleLogits()
{
    return torch::tensor({{2.0f, -1.0f, -3.0f}, {1.0f, 1.0f, -1.0f}, {-1.0f, -1.0f, -1.0f}});
}

torch::Tensor sampleTargets()
{
    return torch::tensor({{1.0f, 0.0f, 1.0f}, {0.0f, 1.0f, 0.0f}, {0.0f, 0.0f, 0.0f}});
}

}  // namespace

class TestMultiLabel : public QObject {
    Q_OBJECT

private:
    QTemporaryDir mDir;
    QTemporaryDir mCacheDir;

    QString path(const QString& name) const { return mDir.filePath(name); }

    Project makeProject(const std::string& kind, const nlohmann::json& options, const std::vector<TaskSpec>& tasks) const
    {
        return oneDatasetProject(path("p.mtlw"), kind, options, tasks);
    }


    // A CSV file with an id column (the row number), two numeric features and a "tags" column
    // whose labels follow from the features, so a small model can learn them.
    static void writeTaggedCsv(const QString& filePath, int rows)
    {
        QByteArray text = "id,x1,x2,tags,kind\n";
        for (int i = 0; i < rows; ++i) {
            const double x1 = std::sin(0.7 * i);
            const double x2 = std::cos(1.3 * i);
            QByteArrayList tags;
            if (x1 > 0)
                tags << "up";
            if (x2 > 0)
                tags << "right";
            if (x1 + x2 > 1.0)
                tags << "far";
            text += QByteArray::number(i) + "," + QByteArray::number(x1) + "," + QByteArray::number(x2) + "," +
                    tags.join('|') + "," + (x1 > x2 ? "a" : "b") + "\n";
        }
        writeFile(filePath, text);
    }

private slots:
    void initTestCase()
    {
        QVERIFY(mDir.isValid());
        QVERIFY(mCacheDir.isValid());
        qputenv("MTLW_CACHE_DIR", mCacheDir.path().toUtf8());
        spdlog::set_level(spdlog::level::warn);
    }

    void lossMatchesReference()
    {
        const TaskSpec task = multiLabelTask("tags", "tags");
        const torch::Tensor logits = sampleLogits();
        const torch::Tensor targets = sampleTargets();
        double expected = 0.0;
        for (int i = 0; i < 3; ++i) {
            for (int j = 0; j < 3; ++j)
                expected += bceOf(logits[i][j].item<double>(), targets[i][j].item<double>());
        }
        expected /= 9.0;
        const torch::Tensor loss = taskLoss(task, logits, targets);
        QCOMPARE(loss.dim(), std::int64_t(0));
        QVERIFY2(std::abs(loss.item<double>() - expected) < 1e-6,
                 qPrintable(QString("loss %1, expected %2").arg(loss.item<double>()).arg(expected)));
    }

    void metricsOnKnownBatch()
    {
        const TaskSpec task = multiLabelTask("tags", "tags");
        MetricAccumulator accumulator(task);
        const torch::Tensor logits = sampleLogits();
        const torch::Tensor targets = sampleTargets();
        accumulator.add(logits, targets, taskLoss(task, logits, targets));
        const auto values = accumulator.values();
        QVERIFY(values.count("loss"));
        QVERIFY(!values.count("accuracy"));
        QVERIFY(std::abs(values.at("f1") - 2.0 / 3.0) < 1e-12);
        QVERIFY(std::abs(values.at("subset_accuracy") - 1.0 / 3.0) < 1e-12);
        QVERIFY(std::abs(values.at("hamming_loss") - 2.0 / 9.0) < 1e-12);
    }

    void metricsAccumulateAcrossBatches()
    {
        const TaskSpec task = multiLabelTask("tags", "tags");
        MetricAccumulator whole(task);
        MetricAccumulator parts(task);
        const torch::Tensor logits = sampleLogits();
        const torch::Tensor targets = sampleTargets();
        whole.add(logits, targets, taskLoss(task, logits, targets));
        for (const auto& [begin, end] : {std::pair{0, 1}, std::pair{1, 3}}) {
            const torch::Tensor batchLogits = logits.slice(0, begin, end);
            const torch::Tensor batchTargets = targets.slice(0, begin, end);
            parts.add(batchLogits, batchTargets, taskLoss(task, batchLogits, batchTargets));
        }
        const auto expected = whole.values();
        const auto actual = parts.values();
        for (const char* name : {"loss", "f1", "subset_accuracy", "hamming_loss"})
            QVERIFY2(std::abs(actual.at(name) - expected.at(name)) < 1e-6, name);
    }

    void metricsWithoutPositives()
    {
        // No label in the targets and none predicted: every decision is right.
        const TaskSpec task = multiLabelTask("tags", "tags");
        MetricAccumulator accumulator(task);
        const torch::Tensor logits = torch::full({2, 4}, -2.0f);
        const torch::Tensor targets = torch::zeros({2, 4});
        accumulator.add(logits, targets, taskLoss(task, logits, targets));
        const auto values = accumulator.values();
        QCOMPARE(values.at("f1"), 1.0);
        QCOMPARE(values.at("subset_accuracy"), 1.0);
        QCOMPARE(values.at("hamming_loss"), 0.0);

        // Every label predicted, none present: F1 is 0.
        MetricAccumulator wrong(task);
        const torch::Tensor positive = torch::full({2, 4}, 3.0f);
        wrong.add(positive, targets, taskLoss(task, positive, targets));
        QCOMPARE(wrong.values().at("f1"), 0.0);
        QCOMPARE(wrong.values().at("subset_accuracy"), 0.0);
        QCOMPARE(wrong.values().at("hamming_loss"), 1.0);
    }

    void selectionAndOrientation()
    {
        const TaskSpec task = multiLabelTask("tags", "tags");
        QCOMPARE(primaryMetric(task), std::string("f1"));
        const std::map<std::string, double> metrics = {{"f1", 0.75}, {"hamming_loss", 0.1}, {"loss", 0.4}};
        QCOMPARE(selectionScore(task, metrics), 0.75);
        QVERIFY(metricHigherIsBetter("f1"));
        QVERIFY(metricHigherIsBetter("subset_accuracy"));
        QVERIFY(!metricHigherIsBetter("hamming_loss"));
        QVERIFY(higherIsBetter("f1"));
        QVERIFY(higherIsBetter("subset_accuracy"));
        QVERIFY(!higherIsBetter("hamming_loss"));

        TargetInfo target;
        target.kind = TargetInfo::Kind::MultiLabel;
        target.classNames = {"a", "b", "c", "d"};
        QCOMPARE(taskOutputSize(task, target), std::int64_t(4));

        TaskSpec regression = dataTask("size", TaskType::Regression, "size");
        QCOMPARE(primaryMetric(regression), std::string("mae"));
        QCOMPARE(selectionScore(regression, {{"mae", 0.5}}), -0.5);
    }

    void csvMultiLabelColumn()
    {
        QByteArray text = "id,x,tags\n";
        const QByteArrayList cells = {"news|sports", "", "weather", " sports | news ", "   ", "news"};
        for (int i = 0; i < cells.size(); ++i)
            text += QByteArray::number(i) + "," + QByteArray::number(i * 2) + ",\"" + cells[i] + "\"\n";
        writeFile(path("tags.csv"), text);
        const Project project =
            makeProject("csv",
                        {{"path", "tags.csv"}, {"validation_fraction", 0.0}, {"test_fraction", 0.0},
                         {"normalize", false}, {"features", {"id", "x"}}},
                        {multiLabelTask("tags", "tags")});
        const Dataset dataset = loadDataset(project, project.datasets[0]);
        const TargetInfo& info = dataset.targets.at("tags");
        QVERIFY(info.kind == TargetInfo::Kind::MultiLabel);
        QCOMPARE(info.classNames, (std::vector<std::string>{"news", "sports", "weather"}));

        const torch::Tensor values = dataset.train.targets.at("tags");
        QCOMPARE(values.sizes().vec(), (std::vector<std::int64_t>{6, 3}));
        QCOMPARE(values.scalar_type(), torch::kFloat32);
        // Rows are shuffled, so the id feature identifies the line each row came from.
        const std::vector<std::vector<float>> expected = {{1, 1, 0}, {0, 0, 0}, {0, 0, 1},
                                                          {1, 1, 0}, {0, 0, 0}, {1, 0, 0}};
        for (std::int64_t row = 0; row < 6; ++row) {
            const auto id = static_cast<std::size_t>(dataset.train.inputs[row][0].item<float>());
            QVERIFY(id < expected.size());
            for (std::int64_t label = 0; label < 3; ++label)
                QCOMPARE(values[row][label].item<float>(), expected[id][static_cast<std::size_t>(label)]);
        }
    }

    void csvCustomSeparator()
    {
        writeFile(path("semicolon.csv"), "x,tags\n1,a;b\n2,b\n3,c;a\n");
        const Project project =
            makeProject("csv", {{"path", "semicolon.csv"}, {"validation_fraction", 0.0}, {"test_fraction", 0.0},
                                {"label_separator", ";"}},
                        {multiLabelTask("tags", "tags")});
        const Dataset dataset = loadDataset(project, project.datasets[0]);
        QCOMPARE(dataset.targets.at("tags").classNames, (std::vector<std::string>{"a", "b", "c"}));
        QCOMPARE(dataset.train.targets.at("tags").sum().item<float>(), 5.0f);
    }

    void csvMultiLabelErrors_data()
    {
        QTest::addColumn<QByteArray>("csv");
        QTest::addColumn<QString>("separator");
        QTest::addColumn<QString>("expected");
        QTest::newRow("empty label between") << QByteArray("x,tags\n1,a\n2,a||b\n") << "|"
                                             << "tags.csv line 3, column 'tags': 'a||b' has an empty label";
        QTest::newRow("trailing separator") << QByteArray("x,tags\n1,a|\n2,b\n") << "|"
                                            << "tags.csv line 2, column 'tags': 'a|' has an empty label";
        QTest::newRow("leading separator") << QByteArray("x,tags\n1,a\n2,b\n3,|b\n") << "|"
                                           << "line 4, column 'tags': '|b' has an empty label";
        QTest::newRow("label twice") << QByteArray("x,tags\n1,a|b|a\n") << "|"
                                     << "line 2, column 'tags': 'a|b|a' lists label 'a' twice";
        QTest::newRow("no labels anywhere") << QByteArray("x,tags\n1,\n2,\n") << "|"
                                            << "column 'tags' is the target of a multilabel task but has no labels";
        QTest::newRow("empty separator") << QByteArray("x,tags\n1,a\n") << ""
                                         << "datasets[0].options.label_separator: expected a non-blank string";
        QTest::newRow("blank separator") << QByteArray("x,tags\n1,a\n") << "  "
                                         << "datasets[0].options.label_separator: expected a non-blank string";
    }

    void csvMultiLabelErrors()
    {
        QFETCH(QByteArray, csv);
        QFETCH(QString, separator);
        QFETCH(QString, expected);
        writeFile(path("tags.csv"), csv);
        const Project project =
            makeProject("csv", {{"path", "tags.csv"}, {"validation_fraction", 0.0}, {"test_fraction", 0.0},
                                {"label_separator", str(separator)}},
                        {multiLabelTask("tags", "tags")});
        const QString message = inputErrorOf([&] { loadDataset(project, project.datasets[0]); });
        QVERIFY2(message.contains(expected), qPrintable(message));
    }

    void csvColumnOfTwoKinds()
    {
        writeFile(path("tags.csv"), "x,tags\n1,a|b\n2,b\n");
        const Project project =
            makeProject("csv", {{"path", "tags.csv"}, {"validation_fraction", 0.0}, {"test_fraction", 0.0}},
                        {dataTask("single", TaskType::Classification, "tags"), multiLabelTask("multi", "tags")});
        const QString message = inputErrorOf([&] { loadDataset(project, project.datasets[0]); });
        QVERIFY2(message.contains("p.mtlw: tasks[1].target: task 'multi' (type multilabel) reads column 'tags'"),
                 qPrintable(message));
        QVERIFY2(message.contains("an earlier task reads it as categorical"), qPrintable(message));
    }

    void multiFashionItems()
    {
        // Three classes, so many canvases show two items of one class and many show two classes.
        writeSyntheticFashion(path("fashion"), 40, 16, 3);
        const Project project = makeProject(
            "multi-fashion", {{"directory", "fashion"}, {"validation_size", 8}, {"seed", 3}},
            {multiLabelTask("items", "items"), dataTask("left", TaskType::Classification, "left")});
        const QDir cacheFolder(mCacheDir.path());
        const auto cacheFileCount = [&] { return cacheFolder.entryList({"multi-fashion-*.bin"}, QDir::Files).size(); };
        const auto cachedBefore = cacheFileCount();
        const Dataset dataset = loadDataset(project, project.datasets[0]);
        QCOMPARE(cacheFileCount(), cachedBefore + 1);
        const TargetInfo& info = dataset.targets.at("items");
        QVERIFY(info.kind == TargetInfo::Kind::MultiLabel);
        QCOMPARE(info.classNames, dataset.targets.at("left").classNames);
        QCOMPARE(info.classNames.size(), std::size_t(10));
        QVERIFY(dataset.targets.at("left").kind == TargetInfo::Kind::Categorical);

        int sameClass = 0;
        int twoClasses = 0;
        for (const Split* split : {&dataset.train, &dataset.validation, &dataset.test}) {
            const torch::Tensor items = split->targets.at("items");
            QCOMPARE(items.sizes().vec(), (std::vector<std::int64_t>{split->size(), 10}));
            QCOMPARE(items.scalar_type(), torch::kFloat32);
            for (std::int64_t n = 0; n < split->size(); ++n) {
                const std::int64_t left = split->targets.at("left")[n].item<std::int64_t>();
                const std::int64_t right = split->targets.at("right")[n].item<std::int64_t>();
                torch::Tensor expected = torch::zeros({10});
                expected[left] = 1.0f;
                expected[right] = 1.0f;
                QVERIFY2(torch::equal(items[n], expected),
                         qPrintable(QString("canvas %1: left %2, right %3").arg(n).arg(left).arg(right)));
                (left == right ? sameClass : twoClasses) += 1;
            }
        }
        QVERIFY2(sameClass > 0, "no canvas with two items of one class");
        QVERIFY2(twoClasses > 0, "no canvas with two classes");
        QCOMPARE(dataset.train.targets.at("items").sum(1).max().item<float>(), 2.0f);
        QCOMPARE(dataset.train.targets.at("items").sum(1).min().item<float>(), 1.0f);

        // The second load reads the canvas cache written by the first and derives the same item sets.
        const Dataset again = loadDataset(project, project.datasets[0]);
        QCOMPARE(cacheFileCount(), cachedBefore + 1);
        QVERIFY(torch::equal(again.train.targets.at("items"), dataset.train.targets.at("items")));
        QVERIFY(torch::equal(again.test.targets.at("items"), dataset.test.targets.at("items")));
    }

    void targetKindMismatch()
    {
        writeSyntheticFashion(path("fashion"), 40, 16, 3);
        const nlohmann::json options = {{"directory", "fashion"}, {"validation_size", 8}};

        const Project classification =
            makeProject("multi-fashion", options, {dataTask("both", TaskType::Classification, "items")});
        QString message = inputErrorOf([&] { loadDataset(classification, classification.datasets[0]); });
        QVERIFY2(message.contains("p.mtlw: tasks[0].target: task 'both' is a classification task but target 'items' "
                                  "holds a set of labels per sample; use type multilabel"),
                 qPrintable(message));

        const Project binary = makeProject("multi-fashion", options, {dataTask("both", TaskType::Binary, "items")});
        message = inputErrorOf([&] { loadDataset(binary, binary.datasets[0]); });
        QVERIFY2(message.contains("task 'both' is a binary task") && message.contains("use type multilabel"),
                 qPrintable(message));

        const Project regression =
            makeProject("multi-fashion", options, {dataTask("both", TaskType::Regression, "items")});
        message = inputErrorOf([&] { loadDataset(regression, regression.datasets[0]); });
        QVERIFY2(message.contains("task 'both' is a regression task") && message.contains("use type multilabel"),
                 qPrintable(message));

        const Project single = makeProject("multi-fashion", options, {multiLabelTask("first", "left")});
        message = inputErrorOf([&] { loadDataset(single, single.datasets[0]); });
        QVERIFY2(message.contains("p.mtlw: tasks[0].target: task 'first' is a multilabel task but target 'left' "
                                  "holds one class label per sample; use type classification"),
                 qPrintable(message));

        const Project numeric =
            makeProject("synthetic-correlation", {{"dim", 4}, {"sinusoids", 1}, {"train_size", 8},
                                                  {"validation_size", 2}, {"test_size", 2}},
                        {multiLabelTask("y", "y1")});
        message = inputErrorOf([&] { loadDataset(numeric, numeric.datasets[0]); });
        QVERIFY2(message.contains("p.mtlw: tasks[0].target: task 'y' is a multilabel task but target 'y1' holds "
                                 "numbers; use type regression"),
                 qPrintable(message));
    }

    void checkTaskTargetMessages()
    {
        Project project = makeProject("csv", {}, {});
        project.filePath = str(path("shop.mtlw"));
        Dataset dataset;
        dataset.name = "data";
        dataset.targets["tags"] = TargetInfo{TargetInfo::Kind::MultiLabel, {"a", "b"}};
        dataset.targets["label"] = TargetInfo{TargetInfo::Kind::Categorical, {"x", "y", "z"}};
        dataset.targets["price"] = TargetInfo{TargetInfo::Kind::Numeric, {}};
        dataset.targets["none"] = TargetInfo{TargetInfo::Kind::MultiLabel, {}};

        QString message = inputErrorOf(
            [&] { checkTaskTarget(project, dataTask("kind", TaskType::Classification, "tags"), dataset); });
        QVERIFY2(message.contains("shop.mtlw: task 'kind' is a classification task, but target 'tags' holds a set "
                                  "of labels per sample; use type multilabel"),
                 qPrintable(message));
        message = inputErrorOf([&] { checkTaskTarget(project, multiLabelTask("labels", "label"), dataset); });
        QVERIFY2(message.contains("shop.mtlw: task 'labels' is a multilabel task, but target 'label' holds one class "
                                  "label per sample; use type classification"),
                 qPrintable(message));
        message = inputErrorOf([&] { checkTaskTarget(project, multiLabelTask("cost", "price"), dataset); });
        QVERIFY2(message.contains("shop.mtlw: task 'cost' is a multilabel task, but target 'price' is numeric; use "
                                  "type regression"),
                 qPrintable(message));
        message = inputErrorOf([&] { checkTaskTarget(project, multiLabelTask("empty", "none"), dataset); });
        QVERIFY2(message.contains("target 'none' has no labels in any sample"), qPrintable(message));
        QCOMPARE(inputErrorOf([&] { checkTaskTarget(project, multiLabelTask("tags", "tags"), dataset); }), QString());
    }

    void projectRoundTrip()
    {
        const nlohmann::json json = {
            {"format", "mtl-workbench-project"},
            {"schema_version", 1},
            {"name", "tags"},
            {"datasets", {{{"name", "data"}, {"kind", "csv"}, {"options", {{"path", "tags.csv"}}}}}},
            {"tasks",
             {{{"name", "tags"}, {"type", "multilabel"}, {"dataset", "data"}},
              {{"name", "topics"},
               {"type", "multilabel"},
               {"dataset", "data"},
               {"target", "topic_set"},
               {"metrics", {"hamming_loss", "subset_accuracy"}}}}},
            {"graph", {{"nodes", nlohmann::json::array()}, {"edges", nlohmann::json::array()}}}};
        Project project = parseProject(json, "tags.mtlw");
        QCOMPARE(project.tasks.size(), std::size_t(2));
        QVERIFY(project.tasks[0].type == TaskType::MultiLabel);
        QCOMPARE(project.tasks[0].loss, std::string("bce"));
        QCOMPARE(project.tasks[0].metrics, std::vector<std::string>{"f1"});
        QCOMPARE(project.tasks[1].metrics, (std::vector<std::string>{"hamming_loss", "subset_accuracy"}));
        QCOMPARE(toString(TaskType::MultiLabel), std::string("multilabel"));

        const QString file = path("tags.mtlw");
        saveProject(project, str(file));
        QVERIFY(readBytes(file).contains("\"type\": \"multilabel\""));
        const Project loaded = loadProject(str(file));
        QCOMPARE(loaded.tasks.size(), std::size_t(2));
        for (std::size_t t = 0; t < 2; ++t) {
            QVERIFY(loaded.tasks[t].type == TaskType::MultiLabel);
            QCOMPARE(loaded.tasks[t].target, project.tasks[t].target);
            QCOMPARE(loaded.tasks[t].loss, project.tasks[t].loss);
            QCOMPARE(loaded.tasks[t].metrics, project.tasks[t].metrics);
        }
        QVERIFY2(toJson(loaded) == toJson(project), toJson(loaded).dump().c_str());
    }

    void projectFormatErrors_data()
    {
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("expected");
        QTest::newRow("loss") << "loss" << "cross_entropy"
                              << "tasks[0].loss 'cross_entropy' does not fit a multilabel task; use bce";
        QTest::newRow("metric") << "metrics" << "accuracy"
                                << "tasks[0].metrics[0] 'accuracy' is not a metric of a multilabel task; use f1, "
                                   "subset_accuracy, hamming_loss";
        QTest::newRow("type") << "type" << "multi-label"
                              << "has unknown task type 'multi-label'; use classification, binary, regression, "
                                 "multilabel";
    }

    void projectFormatErrors()
    {
        QFETCH(QString, field);
        QFETCH(QString, value);
        QFETCH(QString, expected);
        nlohmann::json task = {{"name", "tags"}, {"type", "multilabel"}, {"dataset", "data"}};
        if (field == "metrics")
            task["metrics"] = {str(value)};
        else
            task[str(field)] = str(value);
        const nlohmann::json json = {
            {"schema_version", 1},
            {"name", "tags"},
            {"datasets", {{{"name", "data"}, {"kind", "csv"}}}},
            {"tasks", {task}},
            {"graph", {{"nodes", nlohmann::json::array()}, {"edges", nlohmann::json::array()}}}};
        const QString message = inputErrorOf([&] { parseProject(json, "tags.mtlw"); });
        QVERIFY2(message.contains(expected), qPrintable(message));
    }

    void trainsAndRecordsF1()
    {
        QTemporaryDir folder;
        QVERIFY(folder.isValid());
        writeTaggedCsv(folder.filePath("tagged.csv"), 120);
        const nlohmann::json json = {
            {"format", "mtl-workbench-project"},
            {"schema_version", 1},
            {"name", "Tagged"},
            {"datasets",
             {{{"name", "table"},
               {"kind", "csv"},
               {"options",
                {{"path", "tagged.csv"}, {"features", {"x1", "x2"}}, {"validation_fraction", 0.2},
                 {"test_fraction", 0.2}}}}}},
            {"tasks",
             {{{"name", "tags"}, {"type", "multilabel"}, {"dataset", "table"}, {"target", "tags"},
               {"metrics", {"f1", "subset_accuracy", "hamming_loss"}}},
              {{"name", "kind"}, {"type", "binary"}, {"dataset", "table"}, {"target", "kind"}}}},
            {"graph",
             {{"nodes",
               {{{"id", "features"}, {"type", "input"}},
                {{"id", "backbone"}, {"type", "mlp"}, {"params", {{"hidden", {16}}}}},
                {{"id", "tags_head"}, {"type", "head"}, {"params", {{"task", "tags"}}}},
                {{"id", "kind_head"}, {"type", "head"}, {"params", {{"task", "kind"}}}}}},
              {"edges",
               {{{"from", "features"}, {"to", "backbone"}},
                {{"from", "backbone"}, {"to", "tags_head"}},
                {{"from", "backbone"}, {"to", "kind_head"}}}}}},
            {"training",
             {{"epochs", 1},
              {"batch_size", 16},
              {"optimizer", {{"type", "adam"}, {"learning_rate", 0.01}}},
              {"seed", 4},
              {"device", "cpu"},
              {"log_every_steps", 1},
              {"conflict_every_steps", 2}}}};
        const QString projectPath = folder.filePath("tagged.mtlw");
        writeFile(projectPath, QByteArray::fromStdString(json.dump(2)));
        const Project project = loadProject(str(projectPath));

        const QString storePath = folder.filePath("runs.sqlite");
        TrainRequest request;
        request.project = project;
        request.storePath = str(storePath);
        Trainer trainer(std::move(request), nullptr, nullptr);
        trainer.prepare();
        const TrainResult result = trainer.run();
        QVERIFY2(result.error.empty(), result.error.c_str());
        QCOMPARE(result.status, std::string("completed"));

        RunStore store(str(storePath));
        for (const char* split : {"train", "validation", "test"}) {
            for (const char* name : {"f1", "subset_accuracy", "hamming_loss", "loss"}) {
                MetricFilter filter;
                filter.split = split;
                filter.task = "tags";
                filter.name = name;
                const auto rows = store.metrics(result.runId, filter);
                QVERIFY2(rows.size() == 1, qPrintable(QString("%1 %2: %3 rows").arg(split, name).arg(rows.size())));
                QCOMPARE(rows[0].epoch, 1);
                if (std::string(name) != "loss")
                    QVERIFY2(rows[0].value >= 0.0 && rows[0].value <= 1.0, qPrintable(QString::number(rows[0].value)));
            }
        }
        MetricFilter accuracyFilter;
        accuracyFilter.task = "tags";
        accuracyFilter.name = "accuracy";
        QVERIFY(store.metrics(result.runId, accuracyFilter).empty());

        // The checkpoint score is the mean of the tasks' selection scores on validation.
        const auto best = store.bestCheckpoint(result.runId);
        QVERIFY(best.has_value());
        MetricFilter validation;
        validation.split = "validation";
        std::map<std::string, std::map<std::string, double>> byTask;
        for (const auto& row : store.metrics(result.runId, validation))
            byTask[row.task][row.name] = row.value;
        const double expectedScore =
            (selectionScore(project.tasks[0], byTask["tags"]) + selectionScore(project.tasks[1], byTask["kind"])) / 2.0;
        QVERIFY2(std::abs(best->score - expectedScore) < 1e-9,
                 qPrintable(QString("score %1, expected %2").arg(best->score).arg(expectedScore)));

        // `mtlw eval` and the export read the same run.
        const TaskEvaluation evaluation = evaluateRunTask(str(storePath), result.runId, "tags", "test");
        QVERIFY(evaluation.metrics.count("f1"));
        QVERIFY(evaluation.metrics.count("subset_accuracy"));
        QVERIFY(evaluation.metrics.count("hamming_loss"));
        RunModel model = loadRunModel(store, result.runId, CheckpointChoice::Best);
        QCOMPARE(model.labels.at("tags"), (std::vector<std::string>{"far", "right", "up"}));
        const auto files = exportExtraFiles(model);
        const nlohmann::json labels = nlohmann::json::parse(files.at("labels.json"));
        QCOMPARE(labels.at("tags").get<std::vector<std::string>>(), (std::vector<std::string>{"far", "right", "up"}));
        const torch::Tensor output = model.model->forward(torch::zeros({2, 2})).taskOutputs.at(0);
        QCOMPARE(output.sizes().vec(), (std::vector<std::int64_t>{2, 3}));
    }
};

QTEST_GUILESS_MAIN(TestMultiLabel)
#include "test_multilabel.moc"
