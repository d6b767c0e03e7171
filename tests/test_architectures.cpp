// Tests for the task-aware architectures (mmoe, cgc, ple, moe, cross_stitch, lora) and the
// residual and transformer blocks. They cover parameter counts, gate and routing statistics,
// LoRA's frozen base and validation messages. They also cover the synthetic-correlation
// generator and one short training epoch per architecture with its routing records.
#include "TestSupport.h"
#include "engine/TaskEvaluation.h"
#include "engine/Trainer.h"
#include "model/GraphPlan.h"
#include "model/MultiTaskModel.h"
#include "store/RunStore.h"
#include "util/Errors.h"

#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace mtlw;

namespace {

constexpr std::int64_t kFeatures = 10;

// A two-task regression project on a small synthetic-correlation dataset whose graph is
// input "x" -> `body` nodes -> heads "a_head" and "b_head". `bodyNodes` are added after the input,
// `edges` list the body's edges, and `last` is the node both heads read.
nlohmann::json projectJson(const nlohmann::json& bodyNodes, const nlohmann::json& edges, const std::string& last)
{
    nlohmann::json nodes = nlohmann::json::array({{{"id", "x"}, {"type", "input"}}});
    for (const auto& node : bodyNodes)
        nodes.push_back(node);
    nodes.push_back({{"id", "a_head"}, {"type", "head"}, {"params", {{"task", "a"}}}});
    nodes.push_back({{"id", "b_head"}, {"type", "head"}, {"params", {{"task", "b"}}}});
    nlohmann::json allEdges = edges;
    allEdges.push_back({{"from", last}, {"to", "a_head"}});
    allEdges.push_back({{"from", last}, {"to", "b_head"}});
    return {
        {"format", "mtl-workbench-project"},
        {"schema_version", 1},
        {"name", "architectures"},
        {"datasets",
         {{{"name", "synthetic"},
           {"kind", "synthetic-correlation"},
           {"options",
            {{"p", 0.5}, {"dim", kFeatures}, {"train_size", 64}, {"validation_size", 16}, {"test_size", 16}}}}}},
        {"tasks",
         {{{"name", "a"}, {"type", "regression"}, {"dataset", "synthetic"}, {"target", "y1"}},
          {{"name", "b"}, {"type", "regression"}, {"dataset", "synthetic"}, {"target", "y2"}}}},
        {"graph", {{"nodes", nodes}, {"edges", allEdges}}},
        {"training",
         {{"epochs", 1},
          {"batch_size", 16},
          {"device", "cpu"},
          {"seed", 3},
          {"log_every_steps", 2},
          {"conflict_every_steps", 0}}}};
}

// A project whose body is the one node `node` (id "body") fed by the input.
nlohmann::json singleNodeProject(const std::string& type, const nlohmann::json& params)
{
    return projectJson(nlohmann::json::array({{{"id", "body"}, {"type", type}, {"params", params}}}),
                       nlohmann::json::array({{{"from", "x"}, {"to", "body"}}}), "body");
}

Project projectFrom(const nlohmann::json& json)
{
    Project project = parseProject(json, "arch.mtlw");
    project.filePath = "/projects/arch.mtlw";
    return project;
}

BuildContext contextFor(const Project& project, Shape input = {kFeatures})
{
    return BuildContext{project, std::move(input), {{"a", 1}, {"b", 1}}};
}

// The model of `project` on kFeatures inputs.
MultiTaskModel modelFor(const Project& project)
{
    const BuildContext context = contextFor(project);
    return MultiTaskModel(planGraph(context), context);
}

const nlohmann::json kMlpExpert = {{"type", "mlp"}, {"params", {{"hidden", {8}}}}};

// An mlp expert on 10 inputs with 8 units: weights and biases.
constexpr std::int64_t kExpert10 = 10 * 8 + 8;
// A head with no hidden layer on 8 features.
constexpr std::int64_t kHeads8 = 2 * (8 + 1);

// The one layer of `model` with this name; fails the test when absent.
LayerRouting layerNamed(const MultiTaskModel& model, const std::string& name)
{
    for (auto& layer : model->routing()) {
        if (layer.layer == name)
            return layer;
    }
    return {};
}

double correlation(const torch::Tensor& a, const torch::Tensor& b)
{
    const torch::Tensor x = a.to(torch::kDouble) - a.to(torch::kDouble).mean();
    const torch::Tensor y = b.to(torch::kDouble) - b.to(torch::kDouble).mean();
    return ((x * y).sum() / (x.norm() * y.norm())).item<double>();
}

// The first parameter whose name ends with `suffix`.
torch::Tensor parameterNamed(torch::nn::Module& module, const std::string& suffix)
{
    for (const auto& item : module.named_parameters()) {
        const std::string& key = item.key();
        if (key.size() >= suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0)
            return item.value();
    }
    return {};
}

}  // namespace

class TestArchitectures : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        torch::manual_seed(0);
        torch::set_num_threads(1);
    }

    void parameterCounts_data()
    {
        QTest::addColumn<QByteArray>("type");
        QTest::addColumn<QByteArray>("params");
        QTest::addColumn<qint64>("total");
        QTest::addColumn<qint64>("trainable");

        const auto row = [](const char* name, const char* type, const nlohmann::json& params, qint64 total,
                            qint64 trainable) {
            QTest::newRow(name) << QByteArray(type) << QByteArray::fromStdString(params.dump()) << total << trainable;
        };
        // Hard sharing: one mlp of 8 units.
        row("hard sharing", "mlp", {{"hidden", {8}}}, kExpert10 + kHeads8, kExpert10 + kHeads8);
        // 3 experts, and per task a gate of 10 x 3 weights and 3 biases.
        const qint64 mmoe = 3 * kExpert10 + 2 * (10 * 3 + 3) + kHeads8;
        row("mmoe", "mmoe", {{"experts", 3}, {"expert", kMlpExpert}}, mmoe, mmoe);
        // One expert per task and 2 shared ones; each task gate mixes 3 experts.
        const qint64 cgc = 4 * kExpert10 + 2 * (10 * 3 + 3) + kHeads8;
        row("cgc", "cgc", {{"task_experts", 1}, {"shared_experts", 2}, {"expert", kMlpExpert}}, cgc, cgc);
        // The shared gate mixes all 4 experts.
        const qint64 cgcShared = cgc + (10 * 4 + 4);
        row("cgc shared output", "cgc",
            {{"task_experts", 1}, {"shared_experts", 2}, {"shared_output", true}, {"expert", kMlpExpert}}, cgcShared,
            cgcShared);
        // Level 1 on 10 inputs with a shared gate over 3 experts; level 2 on 8 inputs without.
        const qint64 ple = (3 * kExpert10 + 2 * (10 * 2 + 2) + (10 * 3 + 3)) + (3 * (8 * 8 + 8) + 2 * (8 * 2 + 2)) + kHeads8;
        row("ple", "ple", {{"levels", 2}, {"task_experts", 1}, {"shared_experts", 1}, {"expert", kMlpExpert}}, ple,
            ple);
        // 4 experts and one router of 10 x 4 weights and 4 biases per task.
        const qint64 moe = 4 * kExpert10 + 2 * (10 * 4 + 4) + kHeads8;
        row("moe per-task routers", "moe", {{"experts", 4}, {"top_k", 2}, {"expert", kMlpExpert}}, moe, moe);
        // One router on 10 features plus a task embedding of 3.
        const qint64 shared = 4 * kExpert10 + 2 * 3 + (13 * 4 + 4) + kHeads8;
        row("moe shared router", "moe",
            {{"experts", 4}, {"top_k", 2}, {"router", "shared"}, {"task_embedding", 3}, {"expert", kMlpExpert}},
            shared, shared);
        // Two columns of 10 -> 8 -> 4 layers and a 2 x 2 unit after each layer; heads on 4 features.
        const qint64 stitch = 2 * kExpert10 + 2 * (8 * 4 + 4) + 2 * 4 + 2 * (4 + 1);
        row("cross-stitch", "cross_stitch", {{"hidden", {8, 4}}}, stitch, stitch);
        // A frozen 10 -> 8 base; a shared and two task adapters of rank 2: A [2, 10], B [8, 2].
        const qint64 loraAdapters = 3 * (2 * 10 + 8 * 2);
        row("lora", "lora", {{"width", 8}, {"rank", 2}}, kExpert10 + loraAdapters + kHeads8, loraAdapters + kHeads8);
        // 10 -> 4 -> 10 inside the residual branch; heads on 10 features.
        const qint64 residual = (10 * 4 + 4) + (4 * 10 + 10) + 2 * (10 + 1);
        row("residual", "residual", {{"hidden", 4}}, residual, residual);
    }

    void parameterCounts()
    {
        QFETCH(QByteArray, type);
        QFETCH(QByteArray, params);
        QFETCH(qint64, total);
        QFETCH(qint64, trainable);

        const Project project = projectFrom(singleNodeProject(type.toStdString(), nlohmann::json::parse(params.toStdString())));
        MultiTaskModel model = modelFor(project);
        QCOMPARE(qint64(model->parameterCount()), total);
        QCOMPARE(qint64(model->trainableParameterCount()), trainable);

        const ModelOutput output = model->forward(torch::randn({5, kFeatures}));
        QCOMPARE(output.taskOutputs.size(), std::size_t(2));
        for (const auto& taskOutput : output.taskOutputs)
            QCOMPARE(taskOutput.sizes().vec(), (std::vector<std::int64_t>{5, 1}));
    }

    void activeParameters_data()
    {
        QTest::addColumn<QByteArray>("type");
        QTest::addColumn<QByteArray>("params");
        QTest::addColumn<qint64>("active");

        // Each task's path ends in its head of 8 + 1 parameters.
        const auto row = [](const char* name, const char* type, const nlohmann::json& params, qint64 active) {
            QTest::newRow(name) << QByteArray(type) << QByteArray::fromStdString(params.dump()) << active;
        };
        row("hard sharing", "mlp", {{"hidden", {8}}}, kExpert10 + 9);
        // Dense gates use all 3 experts and the task's gate.
        row("mmoe", "mmoe", {{"experts", 3}, {"expert", kMlpExpert}}, 3 * kExpert10 + (10 * 3 + 3) + 9);
        // The task's own expert, 2 shared ones and its gate.
        row("cgc", "cgc", {{"task_experts", 1}, {"shared_experts", 2}, {"expert", kMlpExpert}},
            3 * kExpert10 + (10 * 3 + 3) + 9);
        // All of level 1 feeds level 2's shared expert; level 2 contributes the task's path.
        row("ple", "ple", {{"levels", 2}, {"task_experts", 1}, {"shared_experts", 1}, {"expert", kMlpExpert}},
            (3 * kExpert10 + 2 * (10 * 2 + 2) + (10 * 3 + 3)) + (2 * (8 * 8 + 8) + (8 * 2 + 2)) + 9);
        // The task's router and 2 of 4 experts.
        row("moe", "moe", {{"experts", 4}, {"top_k", 2}, {"expert", kMlpExpert}}, (10 * 4 + 4) + 2 * kExpert10 + 9);
        // The frozen base, the shared adapter and the task's adapter.
        row("lora", "lora", {{"width", 8}, {"rank", 2}}, kExpert10 + 2 * (2 * 10 + 8 * 2) + 9);
    }

    void activeParameters()
    {
        QFETCH(QByteArray, type);
        QFETCH(QByteArray, params);
        QFETCH(qint64, active);

        const Project project = projectFrom(singleNodeProject(type.toStdString(), nlohmann::json::parse(params.toStdString())));
        MultiTaskModel model = modelFor(project);
        QCOMPARE(qint64(model->activeParameterCount(0)), active);
        QCOMPARE(qint64(model->activeParameterCount(1)), active);
        QVERIFY(model->activeParameterCount(0) <= model->parameterCount());
    }

    void evalOneTask()
    {
        QTemporaryDir dir;
        const std::string storePath = dir.filePath("runs.sqlite").toStdString();
        TrainRequest request;
        request.project = projectFrom(singleNodeProject("moe", {{"experts", 4}, {"top_k", 1}, {"expert", kMlpExpert}}));
        request.storePath = storePath;
        Trainer trainer(std::move(request), nullptr, nullptr);
        trainer.prepare();
        const TrainResult result = trainer.run();
        QCOMPARE(result.status, std::string("completed"));

        const TaskEvaluation evaluation = evaluateRunTask(storePath, result.runId, "b", "test");
        QCOMPARE(evaluation.task, std::string("b"));
        QCOMPARE(evaluation.epoch, 1);
        QCOMPARE(evaluation.samples, std::int64_t(16));
        QCOMPARE(evaluation.activeParameters, std::int64_t((10 * 4 + 4) + kExpert10 + 9));
        QCOMPARE(evaluation.totalParameters, std::int64_t(4 * kExpert10 + 2 * (10 * 4 + 4) + kHeads8));
        // The run's recorded test metrics of task b come from the same checkpoint.
        QVERIFY(std::abs(evaluation.metrics.at("mae") - result.summary["tasks"]["b"]["mae"].get<double>()) < 1e-5);

        const QString message = inputErrorOf([&] { evaluateRunTask(storePath, result.runId, "c", "test"); });
        QVERIFY2(message.contains("has no task 'c'; its tasks are a, b"), qPrintable(message));
    }

    void exampleProjects()
    {
        // The CNN stem outputs 720 features; 4 experts of 64 units, a gate of 4 per task, and a
        // head of 10 classes per task.
        const Project fashion = loadProject(MTLW_SOURCE_DIR "/projects/multi-fashion-mmoe.mtlw");
        const BuildContext fashionContext{fashion, {1, 36, 36}, {{"left", 10}, {"right", 10}}};
        MultiTaskModel fashionModel(planGraph(fashionContext), fashionContext);
        const std::int64_t stem = (10 * 1 * 5 * 5 + 10) + (20 * 10 * 5 * 5 + 20);
        QCOMPARE(fashionModel->parameterCount(),
                 stem + 4 * (720 * 64 + 64) + 2 * (720 * 4 + 4) + 2 * (64 * 10 + 10));

        for (const char* file : {"/projects/synthetic-correlation.mtlw", "/projects/tabular-csv.mtlw"}) {
            const Project project = loadProject(std::string(MTLW_SOURCE_DIR) + file);
            const Dataset dataset = loadDataset(project, project.datasets.front());
            BuildContext context{project, dataset.inputShape, {}};
            for (const auto& task : project.tasks) {
                const TargetInfo& target = dataset.targets.at(task.target);
                context.taskOutputSizes[task.name] =
                    target.kind == TargetInfo::Kind::Categorical && task.type == TaskType::Classification
                        ? static_cast<std::int64_t>(target.classNames.size())
                        : 1;
            }
            MultiTaskModel model(planGraph(context), context);
            const ModelOutput output = model->forward(dataset.train.inputs.slice(0, 0, 4));
            QCOMPARE(output.taskOutputs.size(), project.tasks.size());
            QVERIFY2(!model->routing().empty(), file);
        }
    }

    void transformerParameters()
    {
        // Tokens of 4 dimensions: attention in-projection 3 x (4 x 4 + 4), out-projection 4 x 4 + 4,
        // feed-forward 4 -> 8 -> 4, two layer norms of 4 + 4; heads on 3 x 4 flattened features.
        nlohmann::json json = projectJson(
            nlohmann::json::array({{{"id", "body"}, {"type", "transformer"}, {"params", {{"heads", 2}, {"feedforward", 8}}}},
                                   {{"id", "flat"}, {"type", "flatten"}}}),
            nlohmann::json::array({{{"from", "x"}, {"to", "body"}}, {{"from", "body"}, {"to", "flat"}}}), "flat");
        const Project project = projectFrom(json);
        const BuildContext context = contextFor(project, {3, 4});
        const GraphPlan plan = planGraph(context);
        MultiTaskModel model(plan, context);
        const std::int64_t layer = 3 * (4 * 4 + 4) + (4 * 4 + 4) + (4 * 8 + 8) + (8 * 4 + 4) + 2 * (4 + 4);
        QCOMPARE(model->parameterCount(), layer + 2 * (12 + 1));
        QCOMPARE(model->forward(torch::randn({2, 3, 4})).taskOutputs[0].sizes().vec(),
                 (std::vector<std::int64_t>{2, 1}));
    }

    void gatesSumToOne_data()
    {
        QTest::addColumn<QByteArray>("type");
        QTest::addColumn<QByteArray>("params");
        QTest::addColumn<QString>("layer");
        QTest::addColumn<qint64>("topK");
        QTest::addColumn<int>("rows");

        QTest::newRow("mmoe") << QByteArray("mmoe") << QByteArray(R"({"experts": 3})") << "body" << qint64(1) << 2;
        QTest::newRow("cgc shared output")
            << QByteArray("cgc") << QByteArray(R"({"task_experts": 2, "shared_experts": 1, "shared_output": true})")
            << "body" << qint64(1) << 3;
        QTest::newRow("ple level 1") << QByteArray("ple") << QByteArray(R"({"levels": 2})") << "body/level1"
                                     << qint64(1) << 3;
        QTest::newRow("ple level 2") << QByteArray("ple") << QByteArray(R"({"levels": 2})") << "body/level2"
                                     << qint64(1) << 2;
        QTest::newRow("moe top 2") << QByteArray("moe") << QByteArray(R"({"experts": 5, "top_k": 2})") << "body"
                                   << qint64(2) << 2;
        QTest::newRow("moe shared router")
            << QByteArray("moe") << QByteArray(R"({"experts": 4, "top_k": 3, "router": "shared"})") << "body"
            << qint64(3) << 2;
    }

    void gatesSumToOne()
    {
        QFETCH(QByteArray, type);
        QFETCH(QByteArray, params);
        QFETCH(QString, layer);
        QFETCH(qint64, topK);
        QFETCH(int, rows);

        const Project project = projectFrom(singleNodeProject(type.toStdString(), nlohmann::json::parse(params.toStdString())));
        MultiTaskModel model = modelFor(project);
        model->forward(torch::randn({32, kFeatures}));

        const LayerRouting routing = layerNamed(model, layer.toStdString());
        QVERIFY2(routing.gateMean.defined(), qPrintable("no routing layer " + layer));
        QCOMPARE(routing.topK, topK);
        QCOMPARE(routing.gateMean.size(0), std::int64_t(rows));
        QCOMPARE(std::int64_t(routing.rows.size()), std::int64_t(rows));
        QCOMPARE(std::int64_t(routing.experts.size()), routing.gateMean.size(1));
        for (std::int64_t r = 0; r < rows; ++r) {
            QVERIFY(std::abs(routing.gateMean[r].sum().item<double>() - 1.0) < 1e-6);
            QVERIFY(std::abs(routing.topKFraction[r].sum().item<double>() - static_cast<double>(topK)) < 1e-6);
            QVERIFY(routing.gateMean[r].min().item<double>() >= 0.0);
            QVERIFY(std::isfinite(routing.balanceLoss[r].item<double>()));
        }
    }

    void cgcGateCoversOwnAndShared()
    {
        const Project project =
            projectFrom(singleNodeProject("cgc", {{"task_experts", 2}, {"shared_experts", 1}, {"shared_output", true}}));
        MultiTaskModel model = modelFor(project);
        model->forward(torch::randn({16, kFeatures}));
        const LayerRouting routing = layerNamed(model, "body");

        QCOMPARE(routing.experts, (std::vector<std::string>{"a.0", "a.1", "b.0", "b.1", "shared.0"}));
        QCOMPARE(routing.rows, (std::vector<std::string>{"a", "b", "shared"}));
        // Task a's gate never weighs task b's experts, and the other way round.
        QCOMPARE(routing.gateMean[0][2].item<double>(), 0.0);
        QCOMPARE(routing.gateMean[0][3].item<double>(), 0.0);
        QCOMPARE(routing.gateMean[1][0].item<double>(), 0.0);
        QCOMPARE(routing.gateMean[1][1].item<double>(), 0.0);
        QVERIFY(routing.gateMean[0][4].item<double>() > 0.0);
        QVERIFY(routing.gateMean[2].min().item<double>() > 0.0);
    }

    void topKRoutesExactlyK_data()
    {
        QTest::addColumn<qint64>("experts");
        QTest::addColumn<qint64>("topK");
        QTest::newRow("1 of 4") << qint64(4) << qint64(1);
        QTest::newRow("2 of 4") << qint64(4) << qint64(2);
        QTest::newRow("4 of 4") << qint64(4) << qint64(4);
        QTest::newRow("3 of 7") << qint64(7) << qint64(3);
    }

    void topKRoutesExactlyK()
    {
        QFETCH(qint64, experts);
        QFETCH(qint64, topK);

        const Project project = projectFrom(singleNodeProject("moe", {{"experts", experts}, {"top_k", topK}}));
        MultiTaskModel model = modelFor(project);
        // With one sample per batch each top-k share is 0 or 1, so it lists the chosen experts.
        for (int sample = 0; sample < 8; ++sample) {
            model->forward(torch::randn({1, kFeatures}));
            const LayerRouting routing = layerNamed(model, "body");
            for (std::int64_t r = 0; r < 2; ++r) {
                const torch::Tensor chosen = routing.topKFraction[r];
                QCOMPARE(chosen.eq(1.0).sum().item<std::int64_t>(), std::int64_t(topK));
                QCOMPARE(chosen.eq(0.0).sum().item<std::int64_t>(), std::int64_t(experts - topK));
                // The chosen experts are the ones with the largest gate probabilities.
                const double smallestChosen = routing.gateMean[r].masked_select(chosen.eq(1.0)).min().item<double>();
                if (topK < experts) {
                    const double largestOther = routing.gateMean[r].masked_select(chosen.eq(0.0)).max().item<double>();
                    QVERIFY(smallestChosen >= largestOther);
                }
            }
        }
    }

    void taskPathMatchesFullForward_data()
    {
        QTest::addColumn<QByteArray>("project");
        const auto row = [](const char* name, const nlohmann::json& project) {
            QTest::newRow(name) << QByteArray::fromStdString(project.dump());
        };
        row("hard sharing", singleNodeProject("mlp", {{"hidden", {8}}}));
        row("mmoe", singleNodeProject("mmoe", {{"experts", 3}, {"expert", kMlpExpert}}));
        row("cgc shared output",
            singleNodeProject("cgc", {{"task_experts", 1}, {"shared_experts", 2}, {"shared_output", true},
                                      {"expert", kMlpExpert}}));
        row("ple", singleNodeProject("ple", {{"levels", 2}, {"task_experts", 2}, {"shared_experts", 1},
                                             {"expert", kMlpExpert}}));
        row("moe per-task routers", singleNodeProject("moe", {{"experts", 4}, {"top_k", 2}, {"expert", kMlpExpert}}));
        row("moe shared router", singleNodeProject("moe", {{"experts", 5}, {"top_k", 1}, {"router", "shared"},
                                                           {"expert", kMlpExpert}}));
        row("cross-stitch", singleNodeProject("cross_stitch", {{"hidden", {8, 4}}}));
        row("lora", singleNodeProject("lora", {{"width", 8}, {"rank", 2}}));
        // A moe on per-task input, and an mlp applied to the moe's task slots before the heads.
        row("mmoe, moe, mlp",
            projectJson(nlohmann::json::array({{{"id", "gates"}, {"type", "mmoe"}, {"params", {{"experts", 2}}}},
                                               {{"id", "sparse"},
                                                {"type", "moe"},
                                                {"params", {{"experts", 3}, {"top_k", 1}, {"expert", kMlpExpert}}}},
                                               {{"id", "top"}, {"type", "mlp"}, {"params", {{"hidden", {6}}}}}}),
                        nlohmann::json::array({{{"from", "x"}, {"to", "gates"}},
                                               {{"from", "gates"}, {"to", "sparse"}},
                                               {{"from", "sparse"}, {"to", "top"}}}),
                        "top"));
    }

    void taskPathMatchesFullForward()
    {
        QFETCH(QByteArray, project);
        const Project parsed = projectFrom(nlohmann::json::parse(project.toStdString()));
        MultiTaskModel model = modelFor(parsed);
        model->eval();
        torch::NoGradGuard noGrad;
        const torch::Tensor input = torch::randn({32, kFeatures});
        const ModelOutput full = model->forward(input);
        for (size_t task = 0; task < 2; ++task) {
            const torch::Tensor alone = model->forwardTask(input, task);
            QCOMPARE(alone.sizes().vec(), full.taskOutputs[task].sizes().vec());
            const double difference = (alone - full.taskOutputs[task]).abs().max().item<double>();
            QVERIFY2(difference < 1e-6, qPrintable(QString("task %1 differs by %2").arg(task).arg(difference)));
        }
    }

    void sparseMoeBatchEqualsSamplesAlone()
    {
        // Each expert runs on the samples routed to it and its outputs go back to those rows, so
        // a batch gives each sample the output it gets alone.
        const Project project = projectFrom(singleNodeProject(
            "moe", {{"experts", 4}, {"top_k", 2}, {"router", "shared"}, {"expert", kMlpExpert}}));
        MultiTaskModel model = modelFor(project);
        model->eval();
        torch::NoGradGuard noGrad;
        const torch::Tensor input = torch::randn({24, kFeatures});
        const ModelOutput batch = model->forward(input);
        for (std::int64_t sample = 0; sample < input.size(0); ++sample) {
            const ModelOutput alone = model->forward(input.slice(0, sample, sample + 1));
            for (size_t task = 0; task < 2; ++task) {
                const double difference =
                    (alone.taskOutputs[task][0] - batch.taskOutputs[task][sample]).abs().max().item<double>();
                QVERIFY2(difference < 1e-5, qPrintable(QString("sample %1, task %2").arg(sample).arg(task)));
            }
        }
    }

    void sparseMoeRunsOnlyRoutedExperts()
    {
        // One sample and top_k 1 with per-task routers: at most two experts (one per task) run.
        // An expert that did not run has no gradient at all, where a dense mixture would give
        // it a zero one.
        const Project project = projectFrom(singleNodeProject("moe", {{"experts", 6}, {"top_k", 1}, {"expert", kMlpExpert}}));
        MultiTaskModel model = modelFor(project);
        const ModelOutput output = model->forward(torch::randn({1, kFeatures}));
        (output.taskOutputs[0].sum() + output.taskOutputs[1].sum()).backward();
        int ran = 0;
        for (int e = 0; e < 6; ++e) {
            const torch::Tensor weight = parameterNamed(*model, "expert" + std::to_string(e) + ".linear0.weight");
            QVERIFY2(weight.defined(), "expert weight not found");
            ran += weight.grad().defined() ? 1 : 0;
        }
        QVERIFY2(ran >= 1 && ran <= 2, qPrintable(QString::number(ran)));
    }

    void auxiliaryLossInTrainingOnly()
    {
        const Project project =
            projectFrom(singleNodeProject("moe", {{"experts", 4}, {"top_k", 1}, {"balance_weight", 0.5}, {"mi_weight", 0.1}}));
        MultiTaskModel model = modelFor(project);

        model->train();
        model->forward(torch::randn({16, kFeatures}));
        const torch::Tensor loss = model->auxiliaryLoss();
        QVERIFY(loss.defined());
        QVERIFY(loss.requires_grad());
        QVERIFY(std::isfinite(loss.item<double>()));

        model->eval();
        model->forward(torch::randn({16, kFeatures}));
        QVERIFY(!model->auxiliaryLoss().defined());
    }

    void balanceAndInformationValues()
    {
        // Equal importance on every expert gives cv² 0; all mass on one of 4 experts gives 3.
        const torch::Tensor allowed = torch::ones({2, 4});
        const torch::Tensor values = torch::tensor({{1.0, 1.0, 1.0, 1.0}, {4.0, 0.0, 0.0, 0.0}});
        const torch::Tensor cv = squaredCoefficientOfVariation(values, allowed);
        QVERIFY(std::abs(cv[0].item<double>()) < 1e-9);
        QVERIFY(std::abs(cv[1].item<double>() - 3.0) < 1e-6);

        // Two tasks on disjoint experts share log 2 nats of information; identical gates share none.
        const torch::Tensor disjoint = torch::tensor({{{1.0, 0.0}}, {{0.0, 1.0}}});
        QVERIFY(std::abs(taskExpertMutualInformation(disjoint).item<double>() - std::log(2.0)) < 1e-6);
        const torch::Tensor same = torch::tensor({{{0.5, 0.5}}, {{0.5, 0.5}}});
        QVERIFY(std::abs(taskExpertMutualInformation(same).item<double>()) < 1e-6);
    }

    void validationMessages_data()
    {
        QTest::addColumn<QByteArray>("project");
        QTest::addColumn<QStringList>("expected");

        const auto add = [](const char* name, const nlohmann::json& json, const QStringList& expected) {
            QTest::newRow(name) << QByteArray::fromStdString(json.dump()) << expected;
        };
        add("zero experts", singleNodeProject("mmoe", {{"experts", 0}}),
            {"arch.mtlw: node 'body' params.experts must be an integer of at least 1, got 0",
             "an expert group needs at least one expert"});
        add("experts missing", singleNodeProject("moe", nlohmann::json::object()),
            {"node 'body' params.experts is missing"});
        add("top k above experts", singleNodeProject("moe", {{"experts", 3}, {"top_k", 4}}),
            {"node 'body' params.top_k is 4 but the layer has only 3 experts", "use a top_k of at most 3"});
        add("lora rank above width", singleNodeProject("lora", {{"width", 6}, {"rank", 8}}),
            {"node 'body' params.rank is 8, larger than the layer (10 inputs, width 6)", "at most 6"});
        add("cgc without experts", singleNodeProject("cgc", {{"task_experts", 0}, {"shared_experts", 0}}),
            {"node 'body' (cgc): task_experts and shared_experts are both 0"});
        add("unknown router", singleNodeProject("moe", {{"experts", 2}, {"router", "global"}}),
            {"params.router must be per_task or shared, got 'global'"});
        add("head as expert", singleNodeProject("mmoe", {{"experts", 2}, {"expert", {{"type", "head"}}}}),
            {"node 'body' params.expert.type 'head' cannot be an expert"});
        add("expert param invalid",
            singleNodeProject("mmoe", {{"experts", 2}, {"expert", {{"type", "mlp"}, {"params", {{"hidden", nlohmann::json::array()}}}}}}),
            {"node 'body.expert' params.hidden is empty"});
        // An mmoe reads one plain value; here it reads the per-task output of another mmoe.
        add("per-task into mmoe",
            projectJson(nlohmann::json::array({{{"id", "first"}, {"type", "mmoe"}, {"params", {{"experts", 2}}}},
                                               {{"id", "second"}, {"type", "mmoe"}, {"params", {{"experts", 2}}}}}),
                        nlohmann::json::array({{{"from", "x"}, {"to", "first"}}, {{"from", "first"}, {"to", "second"}}}),
                        "second"),
            {"node 'second' (mmoe): its input is a per-task value (2 task slots of [64])",
             "node 'first' outputs 2 task slots of [64]"});
        // A cgc level reads the tasks' slots and a shared slot: 3 for 2 tasks.
        add("cgc after cgc without shared output",
            projectJson(nlohmann::json::array({{{"id", "first"}, {"type", "cgc"}, {"params", nlohmann::json::object()}},
                                               {{"id", "second"}, {"type", "cgc"}, {"params", nlohmann::json::object()}}}),
                        nlohmann::json::array({{{"from", "x"}, {"to", "first"}}, {{"from", "first"}, {"to", "second"}}}),
                        "second"),
            {"node 'second' (cgc): its input has 2 task slots", "set shared_output to true"});
        // A head expects [features]; a transformer keeps [tokens, dim].
        add("head fed 2-D",
            singleNodeProject("transformer", {{"heads", 1}}),
            {"node 'a_head' (head): expects a 1-D input [features], got [5, 2]", "node 'body' outputs [5, 2]"});
        add("transformer heads", singleNodeProject("transformer", {{"heads", 3}}),
            {"params.heads is 3, which does not divide the token dimension 2"});
        add("transformer on features", singleNodeProject("transformer", nlohmann::json::object()),
            {"node 'body' (transformer): expects a 2-D input [tokens, dim]"});
    }

    void validationMessages()
    {
        QFETCH(QByteArray, project);
        QFETCH(QStringList, expected);

        const Project parsed = projectFrom(nlohmann::json::parse(project.toStdString()));
        // The transformer rows plan on [5, 2] tokens; the rest on 10 features.
        const bool tokens = QString(QTest::currentDataTag()).startsWith("head fed") ||
                            QString(QTest::currentDataTag()) == "transformer heads";
        const BuildContext context = contextFor(parsed, tokens ? Shape{5, 2} : Shape{kFeatures});
        const QString message = inputErrorOf([&] { planGraph(context); });
        QVERIFY2(!message.isEmpty(), "planGraph accepted the graph");
        for (const QString& part : expected)
            QVERIFY2(message.contains(part), qPrintable("expected '" + part + "' in: " + message));
    }

    void headTypeMismatch()
    {
        nlohmann::json json = singleNodeProject("mmoe", {{"experts", 2}});
        json["tasks"][0]["type"] = "classification";
        QTemporaryDir dir;
        TrainRequest request;
        request.project = projectFrom(json);
        request.storePath = dir.filePath("runs.sqlite").toStdString();
        Trainer trainer(std::move(request), nullptr, nullptr);
        const QString message = inputErrorOf([&] { trainer.prepare(); });
        QVERIFY2(message.contains("task 'a' is a classification task but target 'y1' is numeric; use type regression"),
                 qPrintable(message));
    }

    void syntheticCorrelation_data()
    {
        QTest::addColumn<double>("p");
        QTest::addColumn<double>("minimum");
        QTest::addColumn<double>("maximum");
        // Label correlation rises with the weights' cosine p, but the sum of sinusoids, whose
        // variance exceeds the linear term's, pulls it below p (0.26 for p 0.5 with seed 7).
        QTest::newRow("p 1") << 1.0 << 0.99 << 1.0;
        QTest::newRow("p 0.5") << 0.5 << 0.1 << 0.5;
        QTest::newRow("p 0") << 0.0 << -0.15 << 0.15;
    }

    void syntheticCorrelation()
    {
        QFETCH(double, p);
        QFETCH(double, minimum);
        QFETCH(double, maximum);

        nlohmann::json json = singleNodeProject("mlp", {{"hidden", {4}}});
        json["datasets"][0]["options"] = {{"p", p}, {"dim", 20}, {"train_size", 4000}, {"validation_size", 0},
                                          {"test_size", 10}, {"seed", 7}};
        const Project project = projectFrom(json);
        const Dataset first = loadDataset(project, project.datasets[0]);
        const Dataset second = loadDataset(project, project.datasets[0]);

        QCOMPARE(first.inputShape, (std::vector<std::int64_t>{20}));
        QCOMPARE(first.train.size(), std::int64_t(4000));
        QCOMPARE(first.validation.size(), std::int64_t(0));
        QVERIFY(torch::equal(first.train.inputs, second.train.inputs));
        QVERIFY(torch::equal(first.train.targets.at("y2"), second.train.targets.at("y2")));
        QVERIFY(torch::equal(first.test.targets.at("y1"), second.test.targets.at("y1")));

        const double r = correlation(first.train.targets.at("y1"), first.train.targets.at("y2"));
        QVERIFY2(r >= minimum && r <= maximum, qPrintable(QString("label correlation %1").arg(r)));
        // Inputs are standard normal.
        QVERIFY(std::abs(first.train.inputs.mean().item<double>()) < 0.02);
        QVERIFY(std::abs(first.train.inputs.std().item<double>() - 1.0) < 0.02);
    }

    void syntheticOptionErrors()
    {
        nlohmann::json json = singleNodeProject("mlp", {{"hidden", {4}}});
        json["datasets"][0]["options"] = {{"p", 1.5}};
        const Project project = projectFrom(json);
        QString message = inputErrorOf([&] { loadDataset(project, project.datasets[0]); });
        QVERIFY2(message.contains("datasets[0].options.p: expected a task correlation in [-1, 1]"), qPrintable(message));

        json["datasets"][0]["options"] = {{"correlation", 0.5}};
        const Project unknown = projectFrom(json);
        message = inputErrorOf([&] { loadDataset(unknown, unknown.datasets[0]); });
        QVERIFY2(message.contains("correlation"), qPrintable(message));
    }

    void loraLeavesBaseUnchanged()
    {
        QTemporaryDir dir;
        TrainRequest request;
        request.project = projectFrom(singleNodeProject("lora", {{"width", 8}, {"rank", 2}}));
        request.project.training.optimizer.learningRate = 0.01;
        request.storePath = dir.filePath("runs.sqlite").toStdString();
        Trainer trainer(std::move(request), nullptr, nullptr);
        trainer.prepare();

        torch::nn::Module& model = *trainer.model();
        const torch::Tensor baseWeight = parameterNamed(model, "base.weight").clone();
        const torch::Tensor baseBias = parameterNamed(model, "base.bias").clone();
        const torch::Tensor sharedUp = parameterNamed(model, "up_shared").clone();
        const torch::Tensor taskUp = parameterNamed(model, "up_task0").clone();
        QVERIFY(baseWeight.defined() && sharedUp.defined() && taskUp.defined());

        const TrainResult result = trainer.run();
        QCOMPARE(result.status, std::string("completed"));
        QVERIFY(torch::equal(parameterNamed(model, "base.weight"), baseWeight));
        QVERIFY(torch::equal(parameterNamed(model, "base.bias"), baseBias));
        QVERIFY(!torch::equal(parameterNamed(model, "up_shared"), sharedUp));
        QVERIFY(!torch::equal(parameterNamed(model, "up_task0"), taskUp));
    }

    void trainsOneEpoch_data()
    {
        QTest::addColumn<QByteArray>("type");
        QTest::addColumn<QByteArray>("params");
        QTest::addColumn<QString>("method");
        QTest::addColumn<QStringList>("layers");

        QTest::newRow("hard sharing") << QByteArray("mlp") << QByteArray(R"({"hidden": [8]})") << "ew" << QStringList{};
        QTest::newRow("mmoe") << QByteArray("mmoe") << QByteArray(R"({"experts": 3, "balance_weight": 0.1})") << "ew"
                              << QStringList{"body"};
        QTest::newRow("cgc") << QByteArray("cgc") << QByteArray(R"({"task_experts": 1, "shared_experts": 2})") << "uw"
                             << QStringList{"body"};
        QTest::newRow("ple") << QByteArray("ple") << QByteArray(R"({"levels": 2})") << "ew"
                             << QStringList{"body/level1", "body/level2"};
        QTest::newRow("moe") << QByteArray("moe") << QByteArray(R"({"experts": 4, "top_k": 2, "mi_weight": 0.1})")
                             << "pcgrad" << QStringList{"body"};
        QTest::newRow("moe shared router") << QByteArray("moe")
                                           << QByteArray(R"({"experts": 3, "router": "shared"})") << "mgda"
                                           << QStringList{"body"};
        QTest::newRow("cross-stitch") << QByteArray("cross_stitch") << QByteArray(R"({"hidden": [8, 8]})") << "ew"
                                      << QStringList{};
        QTest::newRow("lora") << QByteArray("lora") << QByteArray(R"({"width": 8, "rank": 2})") << "cagrad"
                              << QStringList{};
        QTest::newRow("residual") << QByteArray("residual") << QByteArray(R"({"layer_norm": true})") << "ew"
                                  << QStringList{};
    }

    void trainsOneEpoch()
    {
        QFETCH(QByteArray, type);
        QFETCH(QByteArray, params);
        QFETCH(QString, method);
        QFETCH(QStringList, layers);

        QTemporaryDir dir;
        const std::string storePath = dir.filePath("runs.sqlite").toStdString();
        TrainRequest request;
        request.project = projectFrom(singleNodeProject(type.toStdString(), nlohmann::json::parse(params.toStdString())));
        request.project.training.method.name = method.toStdString();
        request.storePath = storePath;
        Trainer trainer(std::move(request), nullptr, nullptr);
        trainer.prepare();
        const TrainResult result = trainer.run();
        QVERIFY2(result.status == "completed", result.error.c_str());

        // 64 samples in batches of 16 are 4 steps; steps 2 and 4 are logged.
        const RunStore store(storePath);
        const auto records = store.routingStats(result.runId);
        QStringList recorded;
        for (const auto& record : records) {
            if (!recorded.contains(QString::fromStdString(record.layer)))
                recorded << QString::fromStdString(record.layer);
        }
        QCOMPARE(recorded, layers);
        std::set<std::int64_t> steps;
        for (const auto& record : records) {
            steps.insert(record.step);
            QCOMPARE(record.epoch, 1);
            QCOMPARE(record.gateMean.size(), record.experts.size());
        }
        if (!layers.isEmpty())
            QCOMPARE(steps, (std::set<std::int64_t>{2, 4}));
    }

    void routingStatisticsAddUp()
    {
        QTemporaryDir dir;
        const std::string storePath = dir.filePath("runs.sqlite").toStdString();
        TrainRequest request;
        request.project = projectFrom(singleNodeProject("moe", {{"experts", 4}, {"top_k", 2}}));
        request.project.training.logEverySteps = 1;
        request.storePath = storePath;
        Trainer trainer(std::move(request), nullptr, nullptr);
        trainer.prepare();
        const TrainResult result = trainer.run();
        QCOMPARE(result.status, std::string("completed"));

        const RunStore store(storePath);
        const auto records = store.routingStats(result.runId);
        // 4 logged steps, each with one record per task.
        QCOMPARE(records.size(), std::size_t(8));
        std::map<std::string, double> gateTotals;
        for (const auto& record : records) {
            QCOMPARE(record.topK, std::int64_t(2));
            QCOMPARE(record.experts.size(), std::size_t(4));
            double gate = 0.0;
            double chosen = 0.0;
            for (size_t e = 0; e < record.experts.size(); ++e) {
                gate += record.gateMean[e];
                chosen += record.topKFraction[e];
                gateTotals[record.task + "/" + record.experts[e]] += record.gateMean[e];
            }
            QVERIFY(std::abs(gate - 1.0) < 1e-6);
            QVERIFY(std::abs(chosen - 2.0) < 1e-6);
            QVERIFY(record.balanceLoss >= 0.0);
        }

        // The per-run utilisation is the mean of the logged steps.
        const auto utilisation = store.routingUtilisation(result.runId);
        QCOMPARE(utilisation.size(), std::size_t(8));
        for (const auto& row : utilisation) {
            QCOMPARE(row.steps, std::int64_t(4));
            QVERIFY(std::abs(row.meanGate - gateTotals.at(row.task + "/" + row.expert) / 4.0) < 1e-9);
        }
        QCOMPARE(utilisation.front().task, std::string("a"));
        QCOMPARE(utilisation.front().expert, std::string("0"));

        // The auxiliary (load-balancing) loss is logged as a run-level training metric.
        MetricFilter filter;
        filter.name = "auxiliary_loss";
        QCOMPARE(store.metrics(result.runId, filter).size(), std::size_t(4));
    }
};

QTEST_GUILESS_MAIN(TestArchitectures)
#include "test_architectures.moc"
