// Tests for model export (core/export) and `mtlw export`. A run trained on a tiny fixture is
// exported as TorchScript and safetensors, then loaded with torch::jit::load here and with
// PyTorch in /usr/bin/python3 (tests/export_check.py). The outputs must match the engine's.
#include "TestSupport.h"
#include "engine/Trainer.h"
#include "export/ModelExport.h"
#include "store/RunStore.h"

#include <torch/script.h>

#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <spdlog/spdlog.h>

#include <cstring>

using namespace mtlw;

namespace {

const QString kFixtures = QStringLiteral(MTLW_SOURCE_DIR "/tests/fixtures");
const QString kCheckScript = QStringLiteral(MTLW_SOURCE_DIR "/tests/export_check.py");
const QString kMtlw = QStringLiteral(MTLW_BINARY_DIR "/bin/mtlw");
const QString kPython = QStringLiteral("/usr/bin/python3");
constexpr int kWaitMs = 180000;

// A fixture project; "tiny-tabular-moe.mtlw" is tiny-tabular.mtlw with its backbone replaced by a
// sparse mixture of 4 experts, top 1 per task.
Project fixtureProject(const QString& name)
{
    if (name == "tiny-tabular-moe.mtlw") {
        Project project = loadProject((kFixtures + "/tiny-tabular.mtlw").toStdString());
        project.graph.nodes[1].type = "moe";
        project.graph.nodes[1].params = {{"experts", 4}, {"top_k", 1}, {"expert", {{"type", "mlp"}, {"params", {{"hidden", {16}}}}}}};
        return project;
    }
    Project project = loadProject((kFixtures + "/" + name).toStdString());
    if (name == "tiny-fashion.mtlw") {
        project.datasets[0].options["train_size"] = 128;
        project.datasets[0].options["validation_size"] = 32;
        project.datasets[0].options["test_size"] = 32;
        project.training.epochs = 1;
    }
    return project;
}

std::int64_t trainRun(const Project& project, const QString& storePath)
{
    TrainRequest request;
    request.project = project;
    request.storePath = storePath.toStdString();
    Trainer trainer(std::move(request), nullptr, nullptr);
    trainer.prepare();
    const TrainResult result = trainer.run();
    if (result.status != "completed")
        qWarning("training failed: %s", result.error.c_str());
    return result.runId;
}

struct ProcessResult {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

ProcessResult runProgram(const QString& program, const QStringList& arguments)
{
    QProcess process;
    process.start(program, arguments);
    ProcessResult result;
    if (!process.waitForFinished(kWaitMs))
        return result;
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    return result;
}

nlohmann::json tensorJson(const torch::Tensor& tensor)
{
    const torch::Tensor flat = tensor.detach().to(torch::kFloat).contiguous().reshape({-1});
    return {{"shape", tensor.sizes().vec()},
            {"values", std::vector<float>(flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel())}};
}

// The safetensors file read back: tensors by name and the metadata.
struct Safetensors {
    std::map<std::string, torch::Tensor> tensors;
    nlohmann::json metadata;
    std::uint64_t headerSize = 0;
};

Safetensors readSafetensors(const QString& path)
{
    const QByteArray bytes = readBytes(path);
    Safetensors result;
    if (bytes.size() < 8)
        return result;
    for (int i = 7; i >= 0; --i)
        result.headerSize = (result.headerSize << 8) | static_cast<unsigned char>(bytes[i]);
    auto header = nlohmann::json::parse(bytes.mid(8, static_cast<int>(result.headerSize)).toStdString());
    result.metadata = header["__metadata__"];
    header.erase("__metadata__");
    const char* data = bytes.constData() + 8 + result.headerSize;
    for (const auto& [name, entry] : header.items()) {
        const auto offsets = entry["data_offsets"].get<std::vector<std::int64_t>>();
        const auto shape = entry["shape"].get<std::vector<std::int64_t>>();
        const torch::ScalarType type = entry["dtype"] == "I64" ? torch::kLong : torch::kFloat;
        torch::Tensor tensor = torch::empty(shape, type);
        std::memcpy(tensor.data_ptr(), data + offsets[0], static_cast<size_t>(offsets[1] - offsets[0]));
        result.tensors[name] = tensor;
    }
    return result;
}

}  // namespace

class TestExport : public QObject {
    Q_OBJECT

private:
    QTemporaryDir mCacheDir;

private slots:
    void initTestCase()
    {
        QVERIFY(mCacheDir.isValid());
        qputenv("MTLW_CACHE_DIR", mCacheDir.path().toUtf8());
        spdlog::set_level(spdlog::level::warn);
        QVERIFY2(QFileInfo::exists(kPython), "/usr/bin/python3 is missing; install python3-torch");
    }

    void exportMatchesEngine_data()
    {
        QTest::addColumn<QString>("fixture");
        QTest::newRow("tabular") << "tiny-tabular.mtlw";
        QTest::newRow("fashion") << "tiny-fashion.mtlw";
        // Top-k routing: the trace must not freeze the routing of the trace's input.
        QTest::newRow("sparse moe") << "tiny-tabular-moe.mtlw";
    }

    void exportMatchesEngine()
    {
        QFETCH(QString, fixture);
        QTemporaryDir folder;
        const QString storePath = folder.filePath("runs.sqlite");
        const std::int64_t runId = trainRun(fixtureProject(fixture), storePath);
        QVERIFY(runId > 0);

        const QString modelPath = folder.filePath("out/model.pt");
        const QString weightsPath = folder.filePath("out/model.safetensors");
        for (const auto& [format, path] : {std::pair{QString("torchscript"), modelPath},
                                           std::pair{QString("safetensors"), weightsPath}}) {
            const ProcessResult exported = runProgram(
                kMtlw, {"export", QString::number(runId), "--format", format, "--out", path, "--runs-db", storePath});
            QVERIFY2(exported.exitCode == 0, exported.err.constData());
            QVERIFY(QFileInfo::exists(path));
            QVERIFY(!QFileInfo::exists(path + ".tmp"));
        }

        // The engine's outputs on 5 inputs; the trace used a batch of 2, so a batch size baked
        // into the trace would show here.
        RunStore store(storePath.toStdString());
        RunModel runModel = loadRunModel(store, runId, CheckpointChoice::Best);
        std::vector<std::int64_t> shape = {5};
        shape.insert(shape.end(), runModel.inputShape.begin(), runModel.inputShape.end());
        torch::manual_seed(7);
        const torch::Tensor inputs = torch::rand(shape);
        torch::NoGradGuard noGrad;
        const auto engineOutputs = taskOutputDict(runModel, inputs);

        nlohmann::json expected;
        expected["project_name"] = runModel.project.name;
        expected["input_shape"] = runModel.inputShape;
        expected["inputs"] = tensorJson(inputs)["values"];
        expected["outputs"] = nlohmann::json::object();
        for (const auto& task : runModel.project.tasks)
            expected["outputs"][task.name] = tensorJson(engineOutputs.at(task.name));
        expected["labels"] = runModel.labels;
        const QString expectedPath = folder.filePath("expected.json");
        writeFile(expectedPath, QByteArray::fromStdString(expected.dump()));

        // C++: torch::jit::load reads the module and its extra files.
        torch::jit::ExtraFilesMap extra{{"project.json", ""}, {"labels.json", ""}, {"model.json", ""}};
        torch::jit::Module loaded = torch::jit::load(modelPath.toStdString(), torch::kCPU, extra);
        loaded.eval();
        QCOMPARE(nlohmann::json::parse(extra["project.json"]).at("name").get<std::string>(), runModel.project.name);
        QVERIFY(nlohmann::json::parse(extra["labels.json"]) == nlohmann::json(runModel.labels));
        QCOMPARE(nlohmann::json::parse(extra["model.json"]).at("run_id").get<std::int64_t>(), runId);
        const auto scripted = loaded.forward({inputs}).toGenericDict();
        QCOMPARE(scripted.size(), runModel.project.tasks.size());
        for (const auto& task : runModel.project.tasks) {
            const torch::Tensor output = scripted.at(task.name).toTensor();
            const double difference = (output - engineOutputs.at(task.name)).abs().max().item<double>();
            QVERIFY2(difference <= 1e-5, qPrintable(QString::fromStdString(task.name) + ": " + QString::number(difference)));
        }

        // Python: torch.jit.load, the outputs, the extra files and the safetensors weights.
        const ProcessResult checked = runProgram(kPython, {kCheckScript, modelPath, weightsPath, expectedPath});
        QVERIFY2(checked.exitCode == 0, checked.err.constData());
        QCOMPARE(checked.out.trimmed(), QByteArray("ok"));
    }

    void safetensorsLayout()
    {
        QTemporaryDir folder;
        const QString storePath = folder.filePath("runs.sqlite");
        const std::int64_t runId = trainRun(fixtureProject("tiny-tabular.mtlw"), storePath);
        RunStore store(storePath.toStdString());
        const RunModel runModel = loadRunModel(store, runId, CheckpointChoice::Best);
        const QString path = folder.filePath("weights.safetensors");
        exportSafetensors(runModel, path.toStdString());

        const Safetensors file = readSafetensors(path);
        QCOMPARE(file.headerSize % 8, std::uint64_t(0));
        const auto tensors = exportedTensors(runModel.model);
        QCOMPARE(file.tensors.size(), tensors.size());
        for (const auto& [name, tensor] : tensors) {
            QVERIFY2(file.tensors.count(name) == 1, name.c_str());
            QVERIFY2(torch::equal(file.tensors.at(name), tensor), name.c_str());
        }
        QCOMPARE(file.metadata.at("format").get<std::string>(), std::string("pt"));
        QCOMPARE(file.metadata.at("project.json").get<std::string>(), runModel.run.projectJson);
        const auto model = nlohmann::json::parse(file.metadata.at("model.json").get<std::string>());
        QCOMPARE(model.at("feature_names").size(), runModel.featureNames.size());
        QVERIFY(!runModel.featureNames.empty());
    }

    void checkpointBestAndLatest()
    {
        QTemporaryDir folder;
        const QString storePath = folder.filePath("runs.sqlite");
        const std::int64_t runId = trainRun(fixtureProject("tiny-tabular.mtlw"), storePath);
        RunStore store(storePath.toStdString());
        const auto best = store.bestCheckpoint(runId);
        QVERIFY(best.has_value());

        QCOMPARE(loadRunModel(store, runId, CheckpointChoice::Latest).checkpoint.epoch, 3);
        QCOMPARE(loadRunModel(store, runId, CheckpointChoice::Best).checkpoint.epoch, best->epoch);

        const QString path = folder.filePath("latest.pt");
        const ProcessResult exported = runProgram(kMtlw, {"export", QString::number(runId), "--format", "torchscript",
                                                          "--checkpoint", "latest", "--out", path, "--runs-db", storePath});
        QVERIFY2(exported.exitCode == 0, exported.err.constData());
        torch::jit::ExtraFilesMap extra{{"model.json", ""}};
        torch::jit::load(path.toStdString(), torch::kCPU, extra);
        QCOMPARE(nlohmann::json::parse(extra["model.json"]).at("checkpoint_epoch").get<int>(), 3);
    }

    void invalidRequests_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown run") << QStringList{"export", "99", "--format", "torchscript", "--out", "x.pt"}
                                     << "run 99 not found";
        QTest::newRow("format") << QStringList{"export", "1", "--format", "onnx", "--out", "x.onnx"}
                                << "invalid export format 'onnx'";
        QTest::newRow("checkpoint") << QStringList{"export", "1", "--format", "safetensors", "--checkpoint", "first",
                                                   "--out", "x.safetensors"}
                                    << "invalid checkpoint 'first'";
        QTest::newRow("no checkpoint") << QStringList{"export", "1", "--format", "torchscript", "--out", "x.pt"}
                                       << "has no checkpoint yet";
    }

    void invalidRequests()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, message);
        QTemporaryDir folder;
        const QString storePath = folder.filePath("runs.sqlite");
        {
            // Run 1 exists but never finished an epoch, so it has no checkpoint.
            RunStore store(storePath.toStdString());
            NewRun run;
            run.projectPath = (kFixtures + "/tiny-tabular.mtlw").toStdString();
            run.projectName = "Tiny tabular";
            run.projectJson = readBytes(kFixtures + "/tiny-tabular.mtlw").toStdString();
            run.method = "ew";
            store.finishRun(store.createRun(run), run_status::kFailed, nlohmann::json::object(), "stopped");
        }
        QProcess process;
        process.setWorkingDirectory(folder.path());
        process.start(kMtlw, arguments + QStringList{"--runs-db", storePath});
        QVERIFY(process.waitForFinished(kWaitMs));
        const QByteArray err = process.readAllStandardError();
        QCOMPARE(process.exitCode(), 2);
        QVERIFY2(err.contains(message.toUtf8()), err.constData());
        QVERIFY(QDir(folder.path()).entryList({"x.*"}, QDir::Files).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestExport)
#include "test_export.moc"
