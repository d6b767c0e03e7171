// Tests for the data loaders: IDX and CSV readers, the csv and multi-fashion dataset kinds,
// and the canvas cache. Files are written to a temporary folder; Multi-Fashion also reads the
// Fashion-MNIST files of the Debian package dataset-fashion-mnist.
#include "DataFixtures.h"
#include "TestSupport.h"
#include "data/Csv.h"
#include "data/Dataset.h"
#include "data/Idx.h"
#include "util/Errors.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>


#include <functional>
#include <set>

using namespace mtlw;

namespace {

const char* const kFashionDirectory = "/usr/share/datasets/fashion-mnist";

// Bytes that do not compress, so cutting a gzip file also cuts its data.
QByteArray noiseBytes(int count)
{
    QByteArray bytes(count, '\0');
    std::uint32_t state = 12345;
    for (int i = 0; i < count; ++i) {
        state = state * 1664525u + 1013904223u;
        bytes[i] = char(state >> 24);
    }
    return bytes;
}

std::string str(const QString& text)
{
    return text.toStdString();
}

bool sameTensor(const torch::Tensor& a, const torch::Tensor& b)
{
    return a.sizes() == b.sizes() && a.dtype() == b.dtype() && torch::equal(a, b);
}

bool sameSplit(const Split& a, const Split& b)
{
    if (!sameTensor(a.inputs, b.inputs) || a.targets.size() != b.targets.size())
        return false;
    for (const auto& [name, values] : a.targets) {
        const auto other = b.targets.find(name);
        if (other == b.targets.end() || !sameTensor(values, other->second))
            return false;
    }
    return true;
}

bool sameDataset(const Dataset& a, const Dataset& b)
{
    return sameSplit(a.train, b.train) && sameSplit(a.validation, b.validation) && sameSplit(a.test, b.test);
}

}  // namespace

class TestData : public QObject {
    Q_OBJECT

private:
    QString path(const QString& name) const { return mDir.filePath(name); }

    // A project file in the temporary folder with one dataset and the given tasks.
    Project makeProject(const std::string& kind, const nlohmann::json& options, const std::vector<TaskSpec>& tasks) const
    {
        return oneDatasetProject(path("p.mtlw"), kind, options, tasks);
    }

    // A CSV dataset: x (numeric), color (text), label (derived from x) and price (= 2 x).
    void writeTabular(const QString& name, int rows) const
    {
        const char* colors[] = {"red", "green", "blue"};
        QByteArray text = "x,color,label,price\n";
        for (int i = 0; i < rows; ++i) {
            text += QByteArray::number(i) + "," + colors[i % 3] + "," + (i < rows / 2 ? "low" : "high") + "," +
                    QByteArray::number(2 * i) + "\n";
        }
        writeFile(path(name), text);
    }


    QTemporaryDir mDir;
    QTemporaryDir mCacheDir;

private slots:
    void initTestCase()
    {
        QVERIFY(mDir.isValid());
        QVERIFY(mCacheDir.isValid());
        qputenv("MTLW_CACHE_DIR", mCacheDir.path().toUtf8());
    }

    void idxRoundTrip_data()
    {
        QTest::addColumn<bool>("compressed");
        QTest::newRow("raw") << false;
        QTest::newRow("gzip") << true;
    }

    void idxRoundTrip()
    {
        QFETCH(bool, compressed);
        QByteArray data;
        for (int i = 0; i < 3 * 2 * 4; ++i)
            data += char(i * 10);
        const QByteArray raw = idxBytes({3, 2, 4}, data);
        const QString file = path(compressed ? "round.idx.gz" : "round.idx");
        writeFile(file, compressed ? gzipBytes(raw) : raw);

        const data::IdxArray array = data::readIdx(str(file));
        QCOMPARE(array.dims, (std::vector<std::int64_t>{3, 2, 4}));
        QCOMPARE(array.data.size(), std::size_t(24));
        for (int i = 0; i < 24; ++i)
            QCOMPARE(int(array.data[std::size_t(i)]), (i * 10) & 0xff);
    }

    void idxErrors_data()
    {
        QTest::addColumn<QString>("fileName");
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("expected");

        const QByteArray shortData = idxBytes({10, 28, 28}, QByteArray(100, '\1'));
        QTest::newRow("truncated raw") << "short-raw.idx" << shortData
                                       << "truncated: expected 7840 data bytes, found 100";
        QTest::newRow("truncated gzip") << "short.idx.gz" << gzipBytes(shortData)
                                        << "truncated: expected 7840 data bytes, found 100";

        const QByteArray full = gzipBytes(idxBytes({4, 28, 28}, noiseBytes(4 * 28 * 28)));
        QTest::newRow("cut gzip stream") << "cut.idx.gz" << full.left(full.size() / 2) << "gzip stream is cut off";

        // The gzip trailer is CRC-32 then length; flipping a CRC bit must fail the data check.
        QByteArray badCrc = full;
        badCrc[badCrc.size() - 8] = char(badCrc[badCrc.size() - 8] ^ 0x01);
        QTest::newRow("gzip crc") << "crc.idx.gz" << badCrc << "corrupt gzip data";

        QByteArray badBlock = full.left(10) + QByteArray(64, char(0xff)) + full.mid(74);
        QTest::newRow("gzip garbage") << "garbage.idx.gz" << badBlock << "corrupt gzip data";

        QTest::newRow("bad magic") << "magic.idx" << QByteArray("PK\x03\x04 not idx") << "bad magic";
        QTest::newRow("float type") << "float.idx" << idxBytes({2}, QByteArray(8, '\0'), 0x0D)
                                    << "element type 0x0D (float32) is not supported";
        QTest::newRow("short header") << "header.idx" << QByteArray(2, '\0') << "truncated: expected a 4-byte IDX header";
        QTest::newRow("short dims") << "dims.idx" << idxBytes({7}, {}).left(6)
                                    << "truncated: expected 4 bytes of dimension sizes, found 2";
        QTest::newRow("extra bytes") << "extra.idx" << idxBytes({2}, QByteArray(5, '\0')) << "unexpected bytes after";
    }

    void idxErrors()
    {
        QFETCH(QString, fileName);
        QFETCH(QByteArray, content);
        QFETCH(QString, expected);
        writeFile(path(fileName), content);

        const QString message = inputErrorOf([&] { data::readIdx(str(path(fileName))); });
        QVERIFY2(message.contains(fileName), qPrintable(message));
        QVERIFY2(message.contains(expected), qPrintable(message));
    }

    void idxMissingFile()
    {
        const QString message = inputErrorOf([&] { data::readIdx(str(path("absent.idx"))); });
        QVERIFY2(message.contains("absent.idx: file not found"), qPrintable(message));
    }

    void csvQuotesAndCrlf()
    {
        const std::string text = "\xEF\xBB\xBFname,\"note, long\",n\r\n"
                                 "a,\"say \"\"hi\"\"\",1\r\n"
                                 "b,\"two\nlines\",2\r\n"
                                 "\"\",,3\r\n"
                                 "\r\n";
        const data::CsvTable table = data::parseCsv(text, "quotes.csv");
        QCOMPARE(table.header, (std::vector<std::string>{"name", "note, long", "n"}));
        QCOMPARE(table.rows.size(), std::size_t(3));
        QCOMPARE(table.rows[0][1], std::string("say \"hi\""));
        QCOMPARE(table.rows[1][1], std::string("two\nlines"));
        QCOMPARE(table.rows[2][0], std::string());
        QCOMPARE(table.rows[2][1], std::string());
        QCOMPARE(table.rows[2][2], std::string("3"));
        QCOMPARE(table.lineNumbers, (std::vector<std::int64_t>{2, 3, 5}));
        QCOMPARE(table.columnIndex("n"), 2);
        QCOMPARE(table.columnIndex("missing"), -1);
    }

    void csvSyntaxErrors_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QString>("expected");
        QTest::newRow("ragged") << QByteArray("a,b,c\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2\n")
                                << "ragged.csv line 7: expected 3 fields as in the header, found 2";
        QTest::newRow("ragged crlf") << QByteArray("a,b\r\n1,2\r\n1,2,3\r\n")
                                     << "ragged.csv line 3: expected 2 fields as in the header, found 3";
        QTest::newRow("unclosed quote") << QByteArray("a,b\n1,\"open\n") << "ragged.csv line 2: quoted field is not closed";
        QTest::newRow("stray quote") << QByteArray("a,b\n1,x\"y\n") << "ragged.csv line 2: double quote inside an unquoted field";
        QTest::newRow("after quote") << QByteArray("a,b\n1,\"x\"y\n") << "ragged.csv line 2: unexpected character 'y'";
        QTest::newRow("duplicate column") << QByteArray("a,a\n1,2\n") << "column name 'a' appears twice";
        QTest::newRow("empty") << QByteArray("\n") << "ragged.csv: the file is empty";
    }

    void csvSyntaxErrors()
    {
        QFETCH(QByteArray, text);
        QFETCH(QString, expected);
        writeFile(path("ragged.csv"), text);
        const QString message = inputErrorOf([&] { data::readCsv(str(path("ragged.csv"))); });
        QVERIFY2(message.contains(expected), qPrintable(message));
    }

    void csvTargets()
    {
        writeTabular("tab.csv", 40);
        const Project project = makeProject(
            "csv", {{"path", "tab.csv"}, {"normalize", false}},
            {dataTask("level", TaskType::Classification, "label"), dataTask("cost", TaskType::Regression, "price")});
        const Dataset dataset = loadDataset(project, project.datasets[0]);

        QCOMPARE(dataset.name, std::string("data"));
        QCOMPARE(dataset.featureNames,
                 (std::vector<std::string>{"x", "color=blue", "color=green", "color=red"}));
        QCOMPARE(dataset.inputShape, (std::vector<std::int64_t>{4}));
        QVERIFY(dataset.targets.at("label").kind == TargetInfo::Kind::Categorical);
        QCOMPARE(dataset.targets.at("label").classNames, (std::vector<std::string>{"high", "low"}));
        QVERIFY(dataset.targets.at("price").kind == TargetInfo::Kind::Numeric);
        QCOMPARE(dataset.train.size(), std::int64_t(32));
        QCOMPARE(dataset.validation.size(), std::int64_t(4));
        QCOMPARE(dataset.test.size(), std::int64_t(4));

        // Features and targets of every row must stay aligned after shuffling.
        std::set<int> seen;
        for (const Split* split : {&dataset.train, &dataset.validation, &dataset.test}) {
            QCOMPARE(split->targets.at("label").scalar_type(), torch::kInt64);
            QCOMPARE(split->targets.at("price").scalar_type(), torch::kFloat32);
            for (std::int64_t i = 0; i < split->size(); ++i) {
                const int x = int(split->inputs[i][0].item<float>());
                seen.insert(x);
                const std::int64_t label = split->targets.at("label")[i].item<std::int64_t>();
                QCOMPARE(label, std::int64_t(x < 20 ? 1 : 0));
                QCOMPARE(split->targets.at("price")[i].item<float>(), float(2 * x));
                const char* colors[] = {"red", "green", "blue"};
                const std::string color = colors[x % 3];
                for (int c = 1; c < 4; ++c) {
                    const float expected = dataset.featureNames[std::size_t(c)] == "color=" + color ? 1.0f : 0.0f;
                    QCOMPARE(split->inputs[i][c].item<float>(), expected);
                }
            }
        }
        QCOMPARE(seen.size(), std::size_t(40));
    }

    void csvNormalize()
    {
        writeTabular("norm.csv", 50);
        const Project project = makeProject("csv", {{"path", "norm.csv"}, {"features", {"x", "color"}}},
                                            {dataTask("cost", TaskType::Regression, "price")});
        const Dataset dataset = loadDataset(project, project.datasets[0]);
        const torch::Tensor x = dataset.train.inputs.select(1, 0);
        QVERIFY2(std::abs(x.mean().item<float>()) < 1e-5f, "train mean of x is not 0");
        QVERIFY2(std::abs(x.std(false).item<float>() - 1.0f) < 1e-4f, "train std of x is not 1");
        const torch::Tensor oneHot = dataset.train.inputs.slice(1, 1, 4);
        QVERIFY(torch::all((oneHot == 0) | (oneHot == 1)).item<bool>());
    }

    void csvSplitsDeterministic()
    {
        writeTabular("split.csv", 60);
        const std::vector<TaskSpec> tasks = {dataTask("cost", TaskType::Regression, "price")};
        const Project first = makeProject("csv", {{"path", "split.csv"}, {"split_seed", 5}}, tasks);
        const Project again = makeProject("csv", {{"path", "split.csv"}, {"split_seed", 5}}, tasks);
        const Project other = makeProject("csv", {{"path", "split.csv"}, {"split_seed", 6}}, tasks);
        const Dataset a = loadDataset(first, first.datasets[0]);
        const Dataset b = loadDataset(again, again.datasets[0]);
        const Dataset c = loadDataset(other, other.datasets[0]);
        QVERIFY(sameDataset(a, b));
        QVERIFY(!sameTensor(a.train.targets.at("price"), c.train.targets.at("price")));
    }

    void csvDatasetErrors_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QString>("target");
        QTest::addColumn<int>("type");
        QTest::addColumn<QString>("expected");
        const int classification = int(TaskType::Classification);
        const int regression = int(TaskType::Regression);
        const int binary = int(TaskType::Binary);
        const QByteArray good = "x,label,price\n1,a,1\n2,b,2\n3,a,3\n4,b,4\n5,a,5\n";

        QTest::newRow("target not a number")
            << QByteArray("x,label,price\n1,a,1\n2,b,2\n3,a,abc\n4,b,4\n") << "price" << regression
            << "bad.csv line 4, column 'price': 'abc' is not a number";
        QTest::newRow("missing target") << QByteArray("x,label,price\n1,a,1\n2,,2\n3,a,3\n") << "label"
                                        << classification << "bad.csv line 3, column 'label': missing value";
        QTest::newRow("missing feature") << QByteArray("x,label,price\n1,a,1\n,b,2\n3,a,3\n") << "label"
                                         << classification << "bad.csv line 3, column 'x': missing value";
        QTest::newRow("infinite feature") << QByteArray("x,label,price\n1,a,1\ninf,b,2\n3,a,3\n") << "label"
                                          << classification << "bad.csv line 3, column 'x': 'inf' is not a finite number";
        QTest::newRow("unknown target") << good << "nope" << classification
                                        << "column 'nope' is not in " ;
        QTest::newRow("binary with three classes")
            << QByteArray("x,label,price\n1,a,1\n2,b,2\n3,c,3\n4,a,4\n5,b,5\n") << "label" << binary
            << "is binary but target 'label' has 3 classes";
    }

    void csvDatasetErrors()
    {
        QFETCH(QByteArray, text);
        QFETCH(QString, target);
        QFETCH(int, type);
        QFETCH(QString, expected);
        writeFile(path("bad.csv"), text);
        const Project project = makeProject("csv", {{"path", "bad.csv"}, {"validation_fraction", 0.0}, {"test_fraction", 0.0}},
                                            {dataTask("t", TaskType(type), str(target))});
        const QString message = inputErrorOf([&] { loadDataset(project, project.datasets[0]); });
        QVERIFY2(message.contains(expected), qPrintable(message));
        if (target == "nope")
            QVERIFY2(message.contains("available columns: x, label, price"), qPrintable(message));
    }

    void csvOptionErrors_data()
    {
        QTest::addColumn<QString>("options");
        QTest::addColumn<QString>("expected");
        QTest::newRow("unknown feature") << R"({"path": "opt.csv", "features": ["x", "size"]})"
                                         << "datasets[0].options.features: column 'size' is not in";
        QTest::newRow("feature is target") << R"({"path": "opt.csv", "features": ["price"]})"
                                           << "column 'price' is a task target";
        QTest::newRow("missing path") << R"({})" << "datasets[0].options.path: missing";
        QTest::newRow("unknown option") << R"({"path": "opt.csv", "shuffle": true})"
                                        << "datasets[0].options.shuffle: unknown option for kind 'csv'";
        QTest::newRow("fractions") << R"({"path": "opt.csv", "validation_fraction": 0.5, "test_fraction": 0.5})"
                                   << "must be below 1";
        QTest::newRow("missing file") << R"({"path": "nowhere.csv"})" << "nowhere.csv: file not found";
    }

    void csvOptionErrors()
    {
        QFETCH(QString, options);
        QFETCH(QString, expected);
        writeTabular("opt.csv", 10);
        const Project project = makeProject("csv", nlohmann::json::parse(str(options)),
                                            {dataTask("cost", TaskType::Regression, "price")});
        const QString message = inputErrorOf([&] { loadDataset(project, project.datasets[0]); });
        QVERIFY2(message.contains(expected), qPrintable(message));
    }

    void unknownKind()
    {
        const Project project = makeProject("parquet", nlohmann::json::object(), {});
        const QString message = inputErrorOf([&] { loadDataset(project, project.datasets[0]); });
        QVERIFY2(message.contains("p.mtlw: datasets[0].kind"), qPrintable(message));
        QVERIFY2(message.contains("'parquet'"), qPrintable(message));
        QVERIFY2(message.contains("multi-fashion, csv"), qPrintable(message));
    }

    void cacheDirectoryFromEnvironment()
    {
        const QString folder = path("cache/nested");
        const QByteArray saved = qgetenv("MTLW_CACHE_DIR");
        qputenv("MTLW_CACHE_DIR", folder.toUtf8());
        const std::string result = cacheDirectory();
        qputenv("MTLW_CACHE_DIR", saved);
        QCOMPARE(QString::fromStdString(result), folder);
        QVERIFY(QFileInfo(folder).isDir());
    }

    void composedCanvases()
    {
        const QString folder = path("synthetic");
        writeSyntheticFashion(folder, 30, 12);
        const Project project = makeProject(
            "multi-fashion", {{"directory", "synthetic"}, {"validation_size", 6}, {"cache", false}, {"seed", 9}},
            {dataTask("l", TaskType::Classification, "left"), dataTask("r", TaskType::Classification, "right")});
        const Dataset dataset = loadDataset(project, project.datasets[0]);
        QCOMPARE(dataset.train.size(), std::int64_t(24));
        QCOMPARE(dataset.validation.size(), std::int64_t(6));
        QCOMPARE(dataset.test.size(), std::int64_t(12));

        std::set<int> trainLeft;
        std::set<int> validationLeft;
        for (const Split* split : {&dataset.train, &dataset.validation, &dataset.test}) {
            const torch::Tensor pixels = (split->inputs * 255.0f).round().to(torch::kInt32);
            std::set<int> leftImages;
            for (std::int64_t n = 0; n < split->size(); ++n) {
                const torch::Tensor image = pixels[n][0];
                const auto canvas = image.accessor<int, 2>();
                int top = 36, leftEdge = 36, bottom = -1, rightEdge = -1;
                for (int y = 0; y < 36; ++y) {
                    for (int x = 0; x < 36; ++x) {
                        if (canvas[y][x] == 0)
                            continue;
                        top = std::min(top, y);
                        leftEdge = std::min(leftEdge, x);
                        bottom = std::max(bottom, y);
                        rightEdge = std::max(rightEdge, x);
                    }
                }
                // The left item's corner is shifted by 0..4 and the right item ends 0..4 before the far edge.
                QVERIFY(top <= 4 && leftEdge <= 4);
                QVERIFY(bottom >= 31 && rightEdge >= 31);
                const int rightTop = bottom - 27;
                const int rightLeft = rightEdge - 27;
                auto inLeft = [&](int y, int x) { return y >= top && y < top + 28 && x >= leftEdge && x < leftEdge + 28; };
                auto inRight = [&](int y, int x) { return y >= rightTop && y <= bottom && x >= rightLeft && x <= rightEdge; };
                const int leftValue = canvas[top][leftEdge];
                const int rightValue = canvas[bottom][rightEdge];
                if (inRight(top, leftEdge))
                    continue;  // both items at (4, 4): the canvas cannot tell them apart
                QVERIFY(leftValue != rightValue);
                for (int y = 0; y < 36; ++y) {
                    for (int x = 0; x < 36; ++x) {
                        int expected = 0;
                        if (inLeft(y, x))
                            expected = leftValue;
                        if (inRight(y, x))
                            expected = std::max(expected, rightValue);
                        QCOMPARE(canvas[y][x], expected);
                    }
                }
                const int leftImage = (leftValue - 10) / 8;
                const int rightImage = (rightValue - 10) / 8;
                QCOMPARE(split->targets.at("left")[n].item<std::int64_t>(), std::int64_t(leftImage % 10));
                QCOMPARE(split->targets.at("right")[n].item<std::int64_t>(), std::int64_t(rightImage % 10));
                QVERIFY2(leftImages.insert(leftImage).second, "a pool image is the left item twice");
                if (split == &dataset.train)
                    trainLeft.insert(leftImage);
                if (split == &dataset.validation)
                    validationLeft.insert(leftImage);
            }
        }
        for (const int image : validationLeft)
            QVERIFY2(!trainLeft.count(image), "a held-out validation image appears in a training canvas");
    }

    void multiFashionTargetErrors()
    {
        writeSyntheticFashion(path("synthetic"), 30, 12);
        const Project project = makeProject("multi-fashion", {{"directory", "synthetic"}, {"validation_size", 6}},
                                            {dataTask("m", TaskType::Classification, "middle")});
        const QString message = inputErrorOf([&] { loadDataset(project, project.datasets[0]); });
        QVERIFY2(message.contains("tasks[0].target: 'middle' is not a target"), qPrintable(message));
        QVERIFY2(message.contains("left, right"), qPrintable(message));

        const Project tooMany = makeProject("multi-fashion", {{"directory", "synthetic"}, {"validation_size", 29}}, {});
        const QString sizeError = inputErrorOf([&] { loadDataset(tooMany, tooMany.datasets[0]); });
        QVERIFY2(sizeError.contains("options.validation_size: 29"), qPrintable(sizeError));

        const Project missing = makeProject("multi-fashion", {{"directory", "nothing-here"}}, {});
        const QString absent = inputErrorOf([&] { loadDataset(missing, missing.datasets[0]); });
        QVERIFY2(absent.contains("train-images-idx3-ubyte.gz"), qPrintable(absent));
        QVERIFY2(absent.contains("install dataset-fashion-mnist"), qPrintable(absent));
    }

    void multiFashionTruncatedSource()
    {
        const QString folder = path("cut-fashion");
        writeSyntheticFashion(folder, 30, 12);
        writeFile(folder + "/train-images-idx3-ubyte", idxBytes({30, 28, 28}, QByteArray(1200, '\1')));
        const Project project = makeProject("multi-fashion", {{"directory", "cut-fashion"}, {"validation_size", 6}}, {});
        const QString message = inputErrorOf([&] { loadDataset(project, project.datasets[0]); });
        QVERIFY2(message.contains("train-images-idx3-ubyte: truncated: expected 23520 data bytes, found 1200"),
                 qPrintable(message));
        QVERIFY2(message.contains("re-install dataset-fashion-mnist or fix the path"), qPrintable(message));
    }

    void realFashionAndCache()
    {
        QVERIFY2(QFileInfo(QString(kFashionDirectory) + "/train-images-idx3-ubyte.gz").exists(),
                 "Fashion-MNIST is missing; install the Debian package dataset-fashion-mnist");
        const nlohmann::json options = {{"train_size", 500}, {"test_size", 200}, {"validation_size", 100}, {"seed", 3}};
        const std::vector<TaskSpec> tasks = {dataTask("l", TaskType::Classification, "left")};
        const Project project = makeProject("multi-fashion", options, tasks);

        QDir cache(mCacheDir.path());
        cache.removeRecursively();
        QDir().mkpath(mCacheDir.path());
        const Dataset first = loadDataset(project, project.datasets[0]);

        const std::pair<const Split*, std::int64_t> expectedSizes[] = {
            {&first.train, 500}, {&first.validation, 100}, {&first.test, 200}};
        for (const auto& [split, size] : expectedSizes) {
            QCOMPARE(split->inputs.sizes().vec(), (std::vector<std::int64_t>{size, 1, 36, 36}));
            QCOMPARE(split->inputs.scalar_type(), torch::kFloat32);
            QVERIFY(split->inputs.min().item<float>() >= 0.0f);
            QVERIFY(split->inputs.max().item<float>() <= 1.0f);
            QVERIFY(split->inputs.max().item<float>() > 0.5f);
            for (const char* name : {"left", "right"}) {
                const torch::Tensor labels = split->targets.at(name);
                QCOMPARE(labels.scalar_type(), torch::kInt64);
                QCOMPARE(labels.size(0), size);
                QVERIFY(labels.min().item<std::int64_t>() >= 0);
                QVERIFY(labels.max().item<std::int64_t>() <= 9);
            }
        }
        QCOMPARE(first.targets.at("left").classNames.size(), std::size_t(10));
        QCOMPARE(first.targets.at("right").classNames[9], std::string("Ankle boot"));

        const QStringList files = cache.entryList({"multi-fashion-*.bin"}, QDir::Files);
        QCOMPARE(files.size(), 1);

        const Dataset cached = loadDataset(project, project.datasets[0]);
        QVERIFY2(sameDataset(first, cached), "the cached load differs from the composed one");

        nlohmann::json uncachedOptions = options;
        uncachedOptions["cache"] = false;
        const Project uncachedProject = makeProject("multi-fashion", uncachedOptions, tasks);
        QVERIFY(sameDataset(first, loadDataset(uncachedProject, uncachedProject.datasets[0])));

        nlohmann::json otherOptions = options;
        otherOptions["seed"] = 4;
        const Project otherProject = makeProject("multi-fashion", otherOptions, tasks);
        const Dataset other = loadDataset(otherProject, otherProject.datasets[0]);
        QVERIFY(!sameTensor(first.train.inputs, other.train.inputs));
        QCOMPARE(cache.entryList({"multi-fashion-*.bin"}, QDir::Files).size(), 2);

        // A damaged cache file is ignored and rewritten.
        const QString cacheFile = cache.filePath(files[0]);
        QFile damaged(cacheFile);
        QVERIFY(damaged.open(QIODevice::ReadWrite));
        damaged.seek(damaged.size() / 2);
        damaged.write("damage");
        damaged.close();
        QVERIFY(sameDataset(first, loadDataset(project, project.datasets[0])));
        QVERIFY(damaged.open(QIODevice::ReadOnly));
        damaged.seek(damaged.size() / 2);
        QVERIFY2(damaged.read(6) != "damage", "the damaged cache file was not rewritten");
        damaged.close();
        QVERIFY(sameDataset(first, loadDataset(project, project.datasets[0])));
    }
};

QTEST_GUILESS_MAIN(TestData)
#include "test_data.moc"
