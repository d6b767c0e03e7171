// Tests for the graph planner and the model builder: shapes and parameter counts of the
// multi-fashion graph, and the messages for invalid graphs.
#include "TestSupport.h"
#include "model/GraphPlan.h"
#include "model/MultiTaskModel.h"
#include "project/AtomicFile.h"
#include "util/Errors.h"

#include <QTest>

#include <functional>

using namespace mtlw;

namespace {

const std::string kExampleProject = MTLW_SOURCE_DIR "/projects/multi-fashion.mtlw";

// Parameter counts of the multi-fashion graph on a [1, 36, 36] input: weights plus biases.
// conv1: 10 filters of 1x5x5. conv2: 20 filters of 10x5x5. The 36x36 canvas shrinks to 32, 16
// (pool), 12 and 6 (pool), so shared_fc reads 20 * 6 * 6 = 720 features.
constexpr std::int64_t kConv1Parameters = 10 * 1 * 5 * 5 + 10;
constexpr std::int64_t kConv2Parameters = 20 * 10 * 5 * 5 + 20;
constexpr std::int64_t kSharedFcParameters = 720 * 128 + 128;
constexpr std::int64_t kHeadParameters = 128 * 10 + 10;

nlohmann::json exampleJson()
{
    return nlohmann::json::parse(readFile(kExampleProject));
}

// A project parsed from JSON, named as if loaded from "graph.mtlw" so messages name that file.
Project projectFrom(const nlohmann::json& json)
{
    Project project = parseProject(json, "graph.mtlw");
    project.filePath = "/projects/graph.mtlw";
    return project;
}

BuildContext fashionContext(const Project& project)
{
    return BuildContext{project, {1, 36, 36}, {{"left", 10}, {"right", 10}}};
}

std::int64_t countOf(const std::vector<torch::Tensor>& parameters)
{
    std::int64_t count = 0;
    for (const auto& parameter : parameters)
        count += parameter.numel();
    return count;
}

const PlannedNode* plannedNode(const GraphPlan& plan, const std::string& id)
{
    for (const auto& planned : plan.nodes) {
        if (planned.node->id == id)
            return &planned;
    }
    return nullptr;
}

}  // namespace

class TestModel : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        torch::manual_seed(0);
    }

    void multiFashionShapes()
    {
        const Project project = loadProject(kExampleProject);
        const GraphPlan plan = planGraph(fashionContext(project));

        QCOMPARE(plan.nodes.size(), std::size_t(7));
        QCOMPARE(plan.nodes.front().node->id, std::string("image"));
        const std::pair<const char*, Shape> expected[] = {
            {"image", {1, 36, 36}}, {"conv1", {10, 16, 16}}, {"conv2", {20, 6, 6}}, {"flatten", {720}},
            {"shared_fc", {128}},   {"left_head", {10}},     {"right_head", {10}}};
        for (const auto& [id, shape] : expected) {
            const PlannedNode* planned = plannedNode(plan, id);
            QVERIFY2(planned != nullptr, id);
            QCOMPARE(planned->outputShape, shape);
        }
        QCOMPARE(plan.headOfTask.size(), std::size_t(2));
        QCOMPARE(plan.nodes[plan.headOfTask[0]].node->id, std::string("left_head"));
        QCOMPARE(plan.nodes[plan.headOfTask[1]].node->id, std::string("right_head"));
    }

    void multiFashionForward()
    {
        const Project project = loadProject(kExampleProject);
        const BuildContext context = fashionContext(project);
        MultiTaskModel model(planGraph(context), context);

        const ModelOutput output = model->forward(torch::rand({5, 1, 36, 36}));
        QCOMPARE(output.taskOutputs.size(), std::size_t(2));
        for (const auto& taskOutput : output.taskOutputs) {
            QCOMPARE(taskOutput.sizes().vec(), (std::vector<std::int64_t>{5, 10}));
            QVERIFY(torch::isfinite(taskOutput).all().item<bool>());
        }
        // The heads have their own weights, so the two tasks see different logits.
        QVERIFY(!torch::allclose(output.taskOutputs[0], output.taskOutputs[1]));
    }

    void multiFashionParameters()
    {
        const Project project = loadProject(kExampleProject);
        const BuildContext context = fashionContext(project);
        MultiTaskModel model(planGraph(context), context);

        const std::int64_t shared = kConv1Parameters + kConv2Parameters + kSharedFcParameters;
        QCOMPARE(model->parameterCount(), shared + 2 * kHeadParameters);
        QCOMPARE(model->parameterCount(), std::int64_t(100148));
        QCOMPARE(countOf(model->sharedParameters()), shared);
        QCOMPARE(countOf(model->headParameters(0)), kHeadParameters);
        QCOMPARE(countOf(model->headParameters(1)), kHeadParameters);
        QVERIFY(!model->headParameters(0)[0].is_same(model->headParameters(1)[0]));
        QCOMPARE(model->nodeIds().front(), std::string("image"));
    }

    void mlpGraphWithHiddenHead()
    {
        const Project project = loadProject(MTLW_SOURCE_DIR "/tests/fixtures/tiny-tabular.mtlw");
        // Five inputs: three numeric columns and the one-hot "shape" column's two values.
        const BuildContext context{project, {5}, {{"label", 3}, {"size", 1}}};
        const GraphPlan plan = planGraph(context);
        MultiTaskModel model(plan, context);

        const ModelOutput output = model->forward(torch::rand({4, 5}));
        QCOMPARE(output.taskOutputs[0].sizes().vec(), (std::vector<std::int64_t>{4, 3}));
        QCOMPARE(output.taskOutputs[1].sizes().vec(), (std::vector<std::int64_t>{4, 1}));
        QCOMPARE(countOf(model->sharedParameters()), std::int64_t((5 * 16 + 16) + (16 * 16 + 16)));
        QCOMPARE(countOf(model->headParameters(0)), std::int64_t(16 * 3 + 3));
        QCOMPARE(countOf(model->headParameters(1)), std::int64_t((16 * 8 + 8) + (8 * 1 + 1)));
    }

    void dottedNodeId()
    {
        nlohmann::json json = exampleJson();
        json["graph"]["nodes"][4]["id"] = "shared.fc";
        json["graph"]["edges"][3]["to"] = "shared.fc";
        json["graph"]["edges"][4]["from"] = "shared.fc";
        json["graph"]["edges"][5]["from"] = "shared.fc";
        const Project project = projectFrom(json);
        const BuildContext context = fashionContext(project);
        MultiTaskModel model(planGraph(context), context);
        QCOMPARE(model->parameterCount(), std::int64_t(100148));
        QCOMPARE(model->nodeIds()[4], std::string("shared.fc"));
    }

    // Each row changes the example project with a JSON Patch (RFC 6902). Planning the graph must
    // then fail with a message that contains every expected part.
    void graphErrors_data()
    {
        QTest::addColumn<QByteArray>("patch");
        QTest::addColumn<QStringList>("expected");

        QTest::newRow("head not connected")
            << QByteArray(R"([{"op": "remove", "path": "/graph/edges/5"}])")
            << QStringList{"graph.mtlw: node 'right_head' (head): the head is not connected to any backbone",
                           "add an edge from a backbone node to 'right_head'"};
        QTest::newRow("cycle")
            << QByteArray(R"([
                {"op": "add", "path": "/graph/nodes/-", "value": {"id": "loop_a", "type": "mlp", "params": {"hidden": [4]}}},
                {"op": "add", "path": "/graph/nodes/-", "value": {"id": "loop_b", "type": "mlp", "params": {"hidden": [4]}}},
                {"op": "add", "path": "/graph/edges/-", "value": {"from": "loop_a", "to": "loop_b"}},
                {"op": "add", "path": "/graph/edges/-", "value": {"from": "loop_b", "to": "loop_a"}}])")
            << QStringList{"graph.mtlw: the graph has a cycle through nodes 'loop_a', 'loop_b'"};
        QTest::newRow("mlp fed by conv")
            << QByteArray(R"([
                {"op": "remove", "path": "/graph/edges/3"},
                {"op": "replace", "path": "/graph/edges/2/to", "value": "shared_fc"},
                {"op": "remove", "path": "/graph/nodes/3"}])")
            << QStringList{"graph.mtlw: node 'shared_fc' (mlp): expects a 1-D input [features], got [20, 6, 6]",
                           "insert a flatten node", "node 'conv2' outputs [20, 6, 6]"};
        QTest::newRow("conv fed by flatten")
            << QByteArray(R"([
                {"op": "replace", "path": "/graph/edges/0/to", "value": "flatten"},
                {"op": "replace", "path": "/graph/edges/2", "value": {"from": "flatten", "to": "conv1"}},
                {"op": "replace", "path": "/graph/edges/3", "value": {"from": "conv1", "to": "conv2"}},
                {"op": "replace", "path": "/graph/edges/1", "value": {"from": "conv2", "to": "shared_fc"}}])")
            << QStringList{"node 'conv1' (conv): expects a 3-D input [channels, height, width], got [1296]",
                           "node 'flatten' outputs [1296]"};
        QTest::newRow("unknown block type")
            << QByteArray(R"([{"op": "replace", "path": "/graph/nodes/1/type", "value": "conv3d"}])")
            << QStringList{"graph.mtlw: node 'conv1' (conv3d): unknown block type 'conv3d'",
                           "known types: input, conv, flatten, mlp, head"};
        QTest::newRow("task with no head")
            << QByteArray(R"([{"op": "remove", "path": "/graph/edges/5"}, {"op": "remove", "path": "/graph/nodes/6"}])")
            << QStringList{"graph.mtlw: task 'right' has no head",
                           "add a node of type 'head' with params.task = \"right\""};
        QTest::newRow("two heads for one task")
            << QByteArray(R"([{"op": "replace", "path": "/graph/nodes/6/params/task", "value": "left"}])")
            << QStringList{"graph.mtlw: node 'right_head' (head): task 'left' already has head 'left_head'"};
        QTest::newRow("head of unknown task")
            << QByteArray(R"([{"op": "replace", "path": "/graph/nodes/6/params/task", "value": "middle"}])")
            << QStringList{"node 'right_head' (head): params.task names task 'middle', which the project does not define"};
        QTest::newRow("head without task")
            << QByteArray(R"([{"op": "remove", "path": "/graph/nodes/6/params/task"}])")
            << QStringList{"node 'right_head' (head): params.task is missing"};
        QTest::newRow("two input nodes")
            << QByteArray(R"([{"op": "add", "path": "/graph/nodes/-", "value": {"id": "image2", "type": "input"}}])")
            << QStringList{"graph.mtlw: node 'image2' (input): the graph already has an input node 'image'"};
        QTest::newRow("no input node")
            << QByteArray(R"([{"op": "replace", "path": "/graph/nodes/0/type", "value": "flatten"}])")
            << QStringList{"graph.mtlw: the graph has no input node; add a node of type 'input'"};
        QTest::newRow("two inputs into mlp")
            << QByteArray(R"([{"op": "add", "path": "/graph/edges/-", "value": {"from": "image", "to": "shared_fc"}}])")
            << QStringList{"node 'shared_fc' (mlp): takes 1 input(s) but 2 edge(s) lead into it"};
        QTest::newRow("kernel larger than input")
            << QByteArray(R"([{"op": "replace", "path": "/graph/nodes/2/params/kernel_size", "value": 20}])")
            << QStringList{"graph.mtlw: node 'conv2' (conv): kernel_size 20 is larger than its input [10, 16, 16]"};
        QTest::newRow("pool larger than output")
            << QByteArray(R"([{"op": "replace", "path": "/graph/nodes/2/params/pool", "value": 16}])")
            << QStringList{"node 'conv2' (conv): pool 16 is larger than the convolution output [20, 12, 12]"};
        QTest::newRow("zero out channels")
            << QByteArray(R"([{"op": "replace", "path": "/graph/nodes/1/params/out_channels", "value": 0}])")
            << QStringList{"graph.mtlw: node 'conv1' params.out_channels must be an integer of at least 1, got 0"};
        QTest::newRow("empty hidden")
            << QByteArray(R"([{"op": "replace", "path": "/graph/nodes/4/params/hidden", "value": []}])")
            << QStringList{"node 'shared_fc' params.hidden is empty"};
        QTest::newRow("bad dropout")
            << QByteArray(R"([{"op": "add", "path": "/graph/nodes/4/params/dropout", "value": 1.5}])")
            << QStringList{"node 'shared_fc' params.dropout must be a number between 0 and 0.99, got 1.5"};
    }

    void graphErrors()
    {
        QFETCH(QByteArray, patch);
        QFETCH(QStringList, expected);

        const Project project = projectFrom(exampleJson().patch(nlohmann::json::parse(patch.toStdString())));
        const QString message = inputErrorOf([&] { planGraph(fashionContext(project)); });
        QVERIFY2(!message.isEmpty(), "planGraph accepted the graph");
        for (const QString& part : expected)
            QVERIFY2(message.contains(part), qPrintable("expected '" + part + "' in: " + message));
    }
};

QTEST_GUILESS_MAIN(TestModel)
#include "test_model.moc"
