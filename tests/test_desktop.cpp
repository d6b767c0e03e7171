// Tests of the desktop application: the document model and its undo commands, the graph
// editor's mouse gestures, the plots and diagnostics views, autosave recovery, the dataset
// view, and real training runs driven through the main window.
#include "Autosave.h"
#include "BlockPalette.h"
#include "ConflictHeatmap.h"
#include "CurvePlot.h"
#include "DatasetView.h"
#include "EngineController.h"
#include "GraphItems.h"
#include "GraphView.h"
#include "MainWindow.h"
#include "ProjectDocument.h"
#include "PropertyEditor.h"
#include "RoutingHeatmap.h"
#include "RunList.h"
#include "RunPlots.h"
#include "StoreLoader.h"
#include "WeightsPlot.h"
#include "data/Dataset.h"
#include "project/Project.h"
#include "store/RunStore.h"

#include <qcustomplot.h>

#include <QApplication>
#include <QComboBox>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFile>
#include <QListWidget>
#include <QMimeData>
#include <QMouseEvent>
#include <QScreen>
#include <QSignalSpy>
#include <QSlider>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QUndoStack>

#include <fstream>

using namespace mtlw;

namespace {

const QString kTinyFashion = QStringLiteral(MTLW_SOURCE_DIR "/tests/fixtures/tiny-fashion.mtlw");

std::string projectJson(const Project& project) {
    return toJson(project).dump(2);
}

// Sends a mouse event to the view's viewport, with `buttons` held during the event.
void sendMouse(GraphView& view, QEvent::Type type, const QPoint& pos, Qt::MouseButton button,
               Qt::MouseButtons buttons) {
    QWidget* viewport = view.viewport();
    QMouseEvent event(type, QPointF(pos), viewport->mapToGlobal(QPointF(pos)), button, buttons, Qt::NoModifier);
    QApplication::sendEvent(viewport, &event);
}

void dragOnViewport(GraphView& view, const QPoint& from, const QPoint& to) {
    sendMouse(view, QEvent::MouseButtonPress, from, Qt::LeftButton, Qt::LeftButton);
    const QPoint middle = (from + to) / 2;
    sendMouse(view, QEvent::MouseMove, middle, Qt::NoButton, Qt::LeftButton);
    sendMouse(view, QEvent::MouseMove, to, Qt::NoButton, Qt::LeftButton);
    sendMouse(view, QEvent::MouseButtonRelease, to, Qt::LeftButton, Qt::NoButton);
}

// A document with the Multi-Fashion graph built through the edit API.
void buildFashionGraph(ProjectDocument& document) {
    document.newProject();
    const QString conv = document.addNode(QStringLiteral("conv"), {200, 0});
    const QString flatten = document.addNode(QStringLiteral("flatten"), {400, 0});
    const QString mlp = document.addNode(QStringLiteral("mlp"), {600, 0});
    const QString left = document.addNode(QStringLiteral("head"), {800, -60});
    const QString right = document.addNode(QStringLiteral("head"), {800, 60});
    document.connectNodes(QStringLiteral("image"), conv);
    document.connectNodes(conv, flatten);
    document.connectNodes(flatten, mlp);
    document.connectNodes(mlp, left);
    document.connectNodes(mlp, right);
}

// Keys of a plot series as drawn, for checking the x axis choice.
std::vector<double> drawnKeys(CurvePlot& plot, const QString& series) {
    std::vector<double> keys;
    for (int i = 0; i < plot.plot()->graphCount(); ++i) {
        QCPGraph* graph = plot.plot()->graph(i);
        if (graph->name() != series) {
            continue;
        }
        for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it) {
            keys.push_back(it->key);
        }
    }
    return keys;
}

GradientStatsRecord statsRecord(std::int64_t runId, std::int64_t step, double cosine) {
    GradientStatsRecord record;
    record.runId = runId;
    record.step = step;
    record.epoch = 1;
    record.wallTime = 0.1 * static_cast<double>(step);
    record.tasks = {"left", "right"};
    record.norms = {1.0, 2.0};
    record.weights = {0.4, 0.6};
    record.cosine = {{1.0, cosine}, {cosine, 1.0}};
    record.magnitudeSimilarity = {{1.0, 0.8}, {0.8, 1.0}};
    record.conflictFraction = cosine < 0.0 ? 1.0 : 0.0;
    return record;
}

}  // namespace

class TestDesktop : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();

    void documentBuildsValidGraph();
    void documentRejectsBadEdges();
    void documentReportsNodeError();
    void paletteExpertBlocksStartValid_data();
    void paletteExpertBlocksStartValid();
    void commandUndoRestores_data();
    void commandUndoRestores();
    void undoRedoRoundTrip();
    void removeKeepsEdgeOrderOnUndo();
    void saveReopenIdentical();
    void dirtyFlagFollowsUndoStack();

    void viewDragMovesNode();
    void viewDragConnectsPorts();
    void viewDeleteRemovesSelection();
    void viewAutoLayoutWithoutPositions();

    void propertyEditIsUndoable();
    void paletteAddsBlocks();
    void windowTrainsTinyProject();
    void controllerPausesResumesStops();

    void curvePlotSmoothing_data();
    void curvePlotSmoothing();
    void curvePlotAxisAndLogScale();
    void conflictHeatmapFollowsSteps();
    void routingHeatmapShowsLayers();
    void routingSnapshotsFromStore();
    void runListLoadsPastRun();
    void autosaveRecoversAfterCrash_data();
    void autosaveRecoversAfterCrash();
    void autosaveRecoversUntitled();
    void autosaveRemovedOnCleanClose();
    void datasetViewShowsSamples_data();
    void datasetViewShowsSamples();
    void trainingKeepsEventLoopResponsive();
    void windowOnRealDisplay();

private:
    /// Writes the tiny fixture with a smaller sample to `name` in the temporary folder.
    QString writeTinyProject(const QString& name, int epochs);

    QTemporaryDir mTemp;
};

QString TestDesktop::writeTinyProject(const QString& name, int epochs) {
    Project project = loadProject(kTinyFashion.toStdString());
    project.datasets.front().options["train_size"] = 256;
    project.datasets.front().options["validation_size"] = 64;
    project.datasets.front().options["test_size"] = 128;
    project.training.epochs = epochs;
    project.training.batchSize = 64;
    project.training.logEverySteps = 1;
    project.training.conflictEverySteps = 1;
    const QString folder = mTemp.filePath(name);
    if (!QDir().mkpath(folder)) {
        return {};
    }
    const QString path = folder + QStringLiteral("/tiny.mtlw");
    saveProject(project, path.toStdString());
    return path;
}

void TestDesktop::initTestCase() {
    QVERIFY(mTemp.isValid());
    // Keep the Multi-Fashion cache and the window's settings out of the user's folders.
    qputenv("MTLW_CACHE_DIR", mTemp.filePath(QStringLiteral("cache")).toUtf8());
    qputenv("XDG_CONFIG_HOME", mTemp.filePath(QStringLiteral("config")).toUtf8());
    qputenv("XDG_DATA_HOME", mTemp.filePath(QStringLiteral("data")).toUtf8());
    QCoreApplication::setOrganizationName(QStringLiteral("mtl-workbench-test"));
    QCoreApplication::setApplicationName(QStringLiteral("test_desktop"));
}

void TestDesktop::documentBuildsValidGraph() {
    ProjectDocument document;
    buildFashionGraph(document);

    const Project& project = document.project();
    QCOMPARE(project.graph.nodes.size(), size_t(6));
    QCOMPARE(project.graph.edges.size(), size_t(5));
    QVERIFY(project.findNode("conv1") != nullptr);
    QCOMPARE(project.findNode("head1")->params.value("task", std::string()), std::string("left"));
    QCOMPARE(project.findNode("head2")->params.value("task", std::string()), std::string("right"));
    QVERIFY2(document.isValid(), qPrintable(document.graphError()));
    QVERIFY(document.nodeErrors().empty());
}

void TestDesktop::documentRejectsBadEdges() {
    ProjectDocument document;
    buildFashionGraph(document);
    const int commands = document.undoStack()->count();

    QVERIFY(!document.connectNodes(QStringLiteral("conv1"), QStringLiteral("conv1")));
    QVERIFY(!document.connectNodes(QStringLiteral("image"), QStringLiteral("conv1")));
    QVERIFY(!document.connectNodes(QStringLiteral("conv1"), QStringLiteral("image")));
    QVERIFY(!document.connectNodes(QStringLiteral("nowhere"), QStringLiteral("conv1")));
    QVERIFY(!document.disconnectNodes(QStringLiteral("conv1"), QStringLiteral("head1")));
    QCOMPARE(document.undoStack()->count(), commands);
}

void TestDesktop::documentReportsNodeError() {
    ProjectDocument document;
    buildFashionGraph(document);

    QVERIFY(document.setNodeParam(QStringLiteral("conv1"), QStringLiteral("kernel_size"), 99));
    QVERIFY(!document.isValid());
    QCOMPARE(document.nodeErrors().count("conv1"), size_t(1));

    document.undoStack()->undo();
    QVERIFY(document.isValid());

    QVERIFY(document.disconnectNodes(QStringLiteral("mlp1"), QStringLiteral("head2")));
    QCOMPARE(document.nodeErrors().count("head2"), size_t(1));
    QVERIFY(document.graphError().isEmpty());
}

void TestDesktop::paletteExpertBlocksStartValid_data() {
    QTest::addColumn<QString>("type");
    for (const char* type : {"mmoe", "moe", "cross_stitch", "lora"}) {
        QTest::newRow(type) << QString::fromLatin1(type);
    }
}

void TestDesktop::paletteExpertBlocksStartValid() {
    // A block dropped from the palette between the shared layer and the heads validates as is.
    QFETCH(QString, type);
    ProjectDocument document;
    buildFashionGraph(document);
    QVERIFY(document.isValid());
    const QString block = document.addNode(type, {700, 0});
    QVERIFY(document.disconnectNodes(QStringLiteral("mlp1"), QStringLiteral("head1")));
    QVERIFY(document.disconnectNodes(QStringLiteral("mlp1"), QStringLiteral("head2")));
    QVERIFY(document.connectNodes(QStringLiteral("mlp1"), block));
    QVERIFY(document.connectNodes(block, QStringLiteral("head1")));
    QVERIFY(document.connectNodes(block, QStringLiteral("head2")));
    QVERIFY2(document.nodeErrors().count(block.toStdString()) == 0,
             document.nodeErrors().count(block.toStdString()) ? document.nodeErrors().at(block.toStdString()).c_str() : "");
    QVERIFY2(document.isValid(), qPrintable(document.graphError()));
}

void TestDesktop::commandUndoRestores_data() {
    QTest::addColumn<QString>("edit");
    QTest::newRow("move") << "move";
    QTest::newRow("add") << "add";
    QTest::newRow("remove") << "remove";
    QTest::newRow("connect") << "connect";
    QTest::newRow("disconnect") << "disconnect";
    QTest::newRow("set param") << "set param";
    QTest::newRow("remove param") << "remove param";
}

void TestDesktop::commandUndoRestores() {
    QFETCH(QString, edit);
    ProjectDocument document;
    buildFashionGraph(document);
    const std::string before = projectJson(document.project());

    bool pushed = false;
    if (edit == "move") {
        pushed = document.moveNodes({{"conv1", QPointF(10, 20)}});
    } else if (edit == "add") {
        pushed = !document.addNode(QStringLiteral("mlp"), {0, 300}).isEmpty();
    } else if (edit == "remove") {
        pushed = document.removeNodes({QStringLiteral("flatten1"), QStringLiteral("head2")});
    } else if (edit == "connect") {
        pushed = document.connectNodes(QStringLiteral("conv1"), QStringLiteral("head2"));
    } else if (edit == "disconnect") {
        pushed = document.disconnectNodes(QStringLiteral("conv1"), QStringLiteral("flatten1"));
    } else if (edit == "set param") {
        pushed = document.setNodeParam(QStringLiteral("mlp1"), QStringLiteral("hidden"), nlohmann::json{64, 32});
    } else if (edit == "remove param") {
        pushed = document.setNodeParam(QStringLiteral("conv1"), QStringLiteral("pool"), nlohmann::json());
    }
    QVERIFY(pushed);
    const std::string after = projectJson(document.project());
    QVERIFY(after != before);

    document.undoStack()->undo();
    QCOMPARE(projectJson(document.project()), before);
    document.undoStack()->redo();
    QCOMPARE(projectJson(document.project()), after);
}

void TestDesktop::undoRedoRoundTrip() {
    ProjectDocument document;
    const std::string empty = projectJson(document.project());
    buildFashionGraph(document);
    document.setNodeParam(QStringLiteral("conv1"), QStringLiteral("out_channels"), 8);
    document.moveNodes({{"mlp1", QPointF(640, 30)}, {"flatten1", QPointF(420, 10)}});
    document.removeNodes({QStringLiteral("head2")});
    const std::string built = projectJson(document.project());

    QUndoStack* stack = document.undoStack();
    while (stack->canUndo()) {
        stack->undo();
    }
    QCOMPARE(projectJson(document.project()), empty);
    while (stack->canRedo()) {
        stack->redo();
    }
    QCOMPARE(projectJson(document.project()), built);
}

void TestDesktop::removeKeepsEdgeOrderOnUndo() {
    ProjectDocument document;
    document.open(kTinyFashion);
    const std::string before = projectJson(document.project());

    QVERIFY(document.removeNodes({QStringLiteral("shared_fc")}));
    QCOMPARE(document.project().graph.edges.size(), size_t(3));
    QVERIFY(document.project().findNode("shared_fc") == nullptr);

    document.undoStack()->undo();
    QCOMPARE(projectJson(document.project()), before);
}

void TestDesktop::saveReopenIdentical() {
    ProjectDocument document;
    document.open(kTinyFashion);
    document.setNodeParam(QStringLiteral("shared_fc"), QStringLiteral("dropout"), 0.25);
    document.moveNodes({{"conv1", QPointF(250, -40)}});
    const QString path = mTemp.filePath(QStringLiteral("saved.mtlw"));
    document.saveAs(path);
    QCOMPARE(document.filePath(), path);
    QVERIFY(!document.isModified());

    ProjectDocument reopened;
    reopened.open(path);
    QCOMPARE(projectJson(reopened.project()), projectJson(document.project()));
    QVERIFY(reopened.project().findNode("conv1")->position.has_value());
}

void TestDesktop::dirtyFlagFollowsUndoStack() {
    ProjectDocument document;
    QSignalSpy modified(&document, &ProjectDocument::modifiedChanged);
    QVERIFY(!document.isModified());

    document.addNode(QStringLiteral("flatten"), {100, 0});
    QVERIFY(document.isModified());
    document.undoStack()->undo();
    QVERIFY(!document.isModified());
    QCOMPARE(modified.count(), 2);
}

void TestDesktop::viewDragMovesNode() {
    ProjectDocument document;
    document.open(kTinyFashion);
    GraphView view(&document);
    view.resize(900, 600);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.fitToView();

    NodeItem* item = view.nodeItem(QStringLiteral("conv2"));
    QVERIFY(item != nullptr);
    const QPointF before = item->pos();
    // Grab the node in its body, below the header, away from both ports.
    const QPoint start = view.mapFromScene(before + QPointF(0, 14));
    dragOnViewport(view, start, start + QPoint(60, 80));

    const NodeSpec* node = document.project().findNode("conv2");
    QVERIFY(node->position.has_value());
    const QPointF after(node->position->x, node->position->y);
    QVERIFY(after.x() > before.x() + 10);
    QVERIFY(after.y() > before.y() + 10);
    QCOMPARE(item->pos(), after);
    QCOMPARE(document.undoStack()->count(), 1);

    document.undoStack()->undo();
    QCOMPARE(item->pos(), before);
    QVERIFY(!document.project().findNode("conv2")->position.has_value());
}

void TestDesktop::viewDragConnectsPorts() {
    ProjectDocument document;
    buildFashionGraph(document);
    QVERIFY(document.disconnectNodes(QStringLiteral("mlp1"), QStringLiteral("head2")));
    GraphView view(&document);
    view.resize(1000, 600);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.fitToView();

    const QPoint from = view.mapFromScene(view.nodeItem(QStringLiteral("mlp1"))->outputPortScenePos());
    const QPoint to = view.mapFromScene(view.nodeItem(QStringLiteral("head2"))->pos());
    dragOnViewport(view, from, to);

    QVERIFY(document.edgeIndex("mlp1", "head2").has_value());
    QVERIFY(document.isValid());
    // The drag started on a port, so no node moved.
    QVERIFY(document.project().findNode("mlp1")->position.has_value());
    QCOMPARE(document.project().findNode("mlp1")->position->x, 600.0);
}

void TestDesktop::viewDeleteRemovesSelection() {
    ProjectDocument document;
    buildFashionGraph(document);
    GraphView view(&document);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));

    view.selectNode(QStringLiteral("flatten1"));
    QTest::keyClick(&view, Qt::Key_Delete);
    QVERIFY(document.project().findNode("flatten1") == nullptr);
    QVERIFY(view.nodeItem(QStringLiteral("flatten1")) == nullptr);
    QCOMPARE(document.project().graph.edges.size(), size_t(3));

    document.undoStack()->undo();
    QVERIFY(view.nodeItem(QStringLiteral("flatten1")) != nullptr);
    QCOMPARE(document.project().graph.edges.size(), size_t(5));
}

void TestDesktop::viewAutoLayoutWithoutPositions() {
    ProjectDocument document;
    document.open(kTinyFashion);
    GraphView view(&document);

    // The fixture has no positions: depth decides x, so data flows left to right.
    const double image = view.nodeItem(QStringLiteral("image"))->pos().x();
    const double conv1 = view.nodeItem(QStringLiteral("conv1"))->pos().x();
    const double left = view.nodeItem(QStringLiteral("left_head"))->pos().x();
    const double right = view.nodeItem(QStringLiteral("right_head"))->pos().x();
    QVERIFY(image < conv1);
    QVERIFY(conv1 < left);
    QCOMPARE(left, right);
    QVERIFY(view.nodeItem(QStringLiteral("left_head"))->pos().y() !=
            view.nodeItem(QStringLiteral("right_head"))->pos().y());

    QVERIFY(document.applyAutoLayout());
    QVERIFY(document.project().findNode("left_head")->position.has_value());
    QCOMPARE(document.project().findNode("left_head")->position->x, left);
}

void TestDesktop::propertyEditIsUndoable() {
    ProjectDocument document;
    document.open(kTinyFashion);
    PropertyEditor editor(&document);
    editor.setNode(QStringLiteral("shared_fc"));
    QTableWidget* table = editor.table();
    QCOMPARE(table->rowCount(), 1);
    QCOMPARE(table->item(0, 0)->text(), QStringLiteral("hidden"));
    QCOMPARE(table->item(0, 1)->text(), QStringLiteral("[128]"));

    table->item(0, 1)->setText(QStringLiteral("[64, 32]"));
    QVERIFY(document.project().findNode("shared_fc")->params["hidden"] == nlohmann::json({64, 32}));
    QCOMPARE(document.undoStack()->count(), 1);
    QTRY_COMPARE(table->item(0, 1)->text(), QStringLiteral("[64,32]"));

    document.undoStack()->undo();
    QVERIFY(document.project().findNode("shared_fc")->params["hidden"] == nlohmann::json({128}));
    QTRY_COMPARE(table->item(0, 1)->text(), QStringLiteral("[128]"));

    // An emptied value removes the param.
    table->item(0, 1)->setText(QString());
    QVERIFY(!document.project().findNode("shared_fc")->params.contains("hidden"));
    QTRY_COMPARE(table->rowCount(), 0);
    QCOMPARE(document.nodeErrors().count("shared_fc"), size_t(1));
    document.undoStack()->undo();
    QVERIFY(document.isValid());

    // Two heads for one task: planning reaches right_head second and marks it.
    QVERIFY(document.setNodeParam(QStringLiteral("left_head"), QStringLiteral("task"), "right"));
    QCOMPARE(document.nodeErrors().count("right_head"), size_t(1));
}

void TestDesktop::paletteAddsBlocks() {
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto* palette = window.findChild<BlockPalette*>();
    QVERIFY(palette != nullptr);
    QListWidgetItem* conv = nullptr;
    for (int row = 0; row < palette->count(); ++row) {
        if (palette->item(row)->data(Qt::UserRole).toString() == QStringLiteral("conv")) {
            conv = palette->item(row);
        }
    }
    QVERIFY(conv != nullptr);

    // Double-click adds the block in the middle of the view and selects it.
    Q_EMIT palette->itemDoubleClicked(conv);
    QVERIFY(window.document()->project().findNode("conv1") != nullptr);
    QCOMPARE(window.graphView()->selectedNodeIds(), QStringList{QStringLiteral("conv1")});

    // A drop adds the block where it lands.
    GraphView* view = window.graphView();
    QMimeData data;
    data.setData(GraphView::kBlockMimeType, QByteArrayLiteral("mlp"));
    const QPoint dropAt(view->viewport()->width() / 4, view->viewport()->height() / 4);
    // QApplication delivers a drop to the widget that accepted the drag's enter event.
    QDragEnterEvent enter(dropAt, Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(view->viewport(), &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(dropAt), Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(view->viewport(), &drop);
    QVERIFY(drop.isAccepted());
    const NodeSpec* mlp = window.document()->project().findNode("mlp1");
    QVERIFY(mlp != nullptr);
    QVERIFY(mlp->position.has_value());
    const QPointF expected = view->mapToScene(dropAt);
    QCOMPARE(mlp->position->x, expected.x());
    QCOMPARE(mlp->position->y, expected.y());
    QCOMPARE(window.document()->undoStack()->count(), 2);
}

void TestDesktop::windowTrainsTinyProject() {
    const QString path = writeTinyProject(QStringLiteral("train"), 1);
    QVERIFY(!path.isEmpty());

    MainWindow window;
    QVERIFY(window.openProject(path, true));
    QVERIFY(window.startTraining());
    QVERIFY(window.engineController()->isBusy());
    QTRY_VERIFY_WITH_TIMEOUT(!window.engineController()->isBusy(), 600000);

    const TrainResult& result = window.engineController()->lastResult();
    QVERIFY2(result.status == "completed", result.error.c_str());
    QVERIFY(result.runId > 0);
    QVERIFY(QFile::exists(mTemp.filePath(QStringLiteral("train/tiny.runs.sqlite"))));

    for (const QString& task : {QStringLiteral("left"), QStringLiteral("right")}) {
        QVERIFY2(window.stepLossPlot()->pointCount(task) > 0, qPrintable(task));
        for (const char* split : {"train", "validation", "test"}) {
            const QString series = task + QStringLiteral(" ") + QLatin1String(split);
            QCOMPARE(window.epochLossPlot()->pointCount(series), 1);
            QCOMPARE(window.epochMetricPlot()->pointCount(series + QStringLiteral(" accuracy")), 1);
        }
    }

    // After the run, the run list shows it and the plots are redrawn from the store.
    QTRY_COMPARE_WITH_TIMEOUT(window.runList()->runCount(), 1, 60000);
    QTRY_COMPARE_WITH_TIMEOUT(window.runList()->selectedRunId(), qint64(result.runId), 60000);
    window.storeLoader()->waitForIdle();
    RunStore store(mTemp.filePath(QStringLiteral("train/tiny.runs.sqlite")).toStdString());
    const auto stats = store.gradientStats(result.runId);
    QCOMPARE(stats.size(), size_t(4));
    RunPlots* plots = window.runPlots();
    QCOMPARE(qint64(plots->runId()), qint64(result.runId));
    QCOMPARE(plots->conflictHeatmap()->recordCount(), 4);
    QCOMPARE(plots->conflictHeatmap()->cellValue(0, 1), stats.back().cosine[0][1]);
    QCOMPARE(plots->conflictFrequencyPlot()->pointCount(RunPlots::pairName(QStringLiteral("left"), QStringLiteral("right"))), 4);
    QVERIFY(plots->conflictHeatmap()->summaryText().contains(QStringLiteral("left × right")));
    const auto weights = store.metrics(result.runId, {std::string("train"), std::string("left"), std::string("weight")});
    QCOMPARE(weights.size(), size_t(4));
    QCOMPARE(plots->weightsPlot()->pointCount(QStringLiteral("left")), 4);
    QCOMPARE(plots->weightsPlot()->points(QStringLiteral("left")).front().value, weights.front().value);
}

void TestDesktop::controllerPausesResumesStops() {
    // Enough epochs that the run is still going when the test stops it.
    const QString path = writeTinyProject(QStringLiteral("control"), 500);
    QVERIFY(!path.isEmpty());
    TrainRequest request;
    request.project = loadProject(path.toStdString());
    request.progressIntervalMs = 0;

    EngineController controller;
    QSignalSpy progress(&controller, &EngineController::progress);
    QSignalSpy finished(&controller, &EngineController::finished);
    controller.start(std::move(request));
    QCOMPARE(controller.state(), EngineController::State::Running);
    QVERIFY_THROWS_EXCEPTION(std::logic_error, controller.start(TrainRequest{}));

    QTRY_VERIFY_WITH_TIMEOUT(progress.count() > 0, 120000);
    controller.pause();
    QTRY_COMPARE_WITH_TIMEOUT(controller.state(), EngineController::State::Paused, 60000);
    // No batch runs while paused, so no progress arrives.
    const auto pausedProgress = progress.count();
    QTest::qWait(300);
    QCOMPARE(progress.count(), pausedProgress);

    controller.resume();
    QTRY_COMPARE_WITH_TIMEOUT(controller.state(), EngineController::State::Running, 60000);
    QTRY_VERIFY_WITH_TIMEOUT(progress.count() > pausedProgress, 60000);

    controller.stop();
    QTRY_COMPARE_WITH_TIMEOUT(controller.state(), EngineController::State::Idle, 120000);
    QCOMPARE(finished.count(), 1);
    QCOMPARE(finished.front().front().toString(), QStringLiteral("cancelled"));
    QCOMPARE(controller.lastResult().status, std::string("cancelled"));
}

void TestDesktop::curvePlotSmoothing_data() {
    QTest::addColumn<double>("weight");
    QTest::addColumn<QVector<double>>("expected");
    // EMA with bias correction over the values 3, 6, 3.
    QTest::newRow("off") << 0.0 << QVector<double>{3.0, 6.0, 3.0};
    QTest::newRow("half") << 0.5 << QVector<double>{3.0, 5.0, 27.0 / 7.0};
}

void TestDesktop::curvePlotSmoothing() {
    QFETCH(double, weight);
    QFETCH(QVector<double>, expected);
    CurvePlot plot(QStringLiteral("Step"), QStringLiteral("Loss"));
    for (int i = 0; i < 3; ++i) {
        plot.appendPoint(QStringLiteral("left"), CurvePoint{double(i + 1), 0.5 * (i + 1), 2.0 * (i + 1), i == 1 ? 6.0 : 3.0},
                         Qt::blue);
    }
    plot.setSmoothing(weight);

    const std::vector<double> drawn = plot.drawnValues(QStringLiteral("left"));
    QCOMPARE(drawn.size(), size_t(3));
    for (int i = 0; i < 3; ++i) {
        QVERIFY2(std::abs(drawn[static_cast<size_t>(i)] - expected[i]) < 1e-12, qPrintable(QString::number(i)));
    }
    // The stored values stay raw whatever the smoothing.
    QCOMPARE(plot.points(QStringLiteral("left"))[1].value, 6.0);

    // A non-finite value passes through and does not disturb the average.
    const std::vector<double> withNan = CurvePlot::smoothed({3.0, std::nan(""), 6.0}, 0.5);
    QVERIFY(std::isnan(withNan[1]));
    QCOMPARE(withNan[2], 5.0);
}

void TestDesktop::curvePlotAxisAndLogScale() {
    CurvePlot plot(QStringLiteral("Step"), QStringLiteral("Loss"));
    plot.appendPoints(QStringLiteral("left"), {{10, 0.5, 1.5, 2.0}, {20, 1.0, 3.0, 1.0}}, Qt::red);
    QCOMPARE(drawnKeys(plot, QStringLiteral("left")), (std::vector<double>{10, 20}));

    plot.setXAxis(CurvePlot::XAxis::Epoch);
    QCOMPARE(drawnKeys(plot, QStringLiteral("left")), (std::vector<double>{0.5, 1.0}));
    QCOMPARE(plot.plot()->xAxis->label(), QStringLiteral("Epoch"));
    plot.setXAxis(CurvePlot::XAxis::WallTime);
    QCOMPARE(drawnKeys(plot, QStringLiteral("left")), (std::vector<double>{1.5, 3.0}));

    plot.setLogScale(true);
    QCOMPARE(plot.plot()->yAxis->scaleType(), QCPAxis::stLogarithmic);
    plot.setLogScale(false);
    QCOMPARE(plot.plot()->yAxis->scaleType(), QCPAxis::stLinear);

    plot.clear();
    QCOMPARE(plot.pointCount(QStringLiteral("left")), 0);
    QVERIFY(plot.seriesNames().isEmpty());
}

void TestDesktop::conflictHeatmapFollowsSteps() {
    ConflictHeatmap heatmap;
    QCOMPARE(heatmap.currentIndex(), -1);
    heatmap.setRecords({statsRecord(1, 5, 0.25), statsRecord(1, 10, -0.5)});
    QCOMPARE(heatmap.recordCount(), 2);
    QCOMPARE(heatmap.currentStep(), qint64(10));
    QCOMPARE(heatmap.tasks(), (QStringList{QStringLiteral("left"), QStringLiteral("right")}));
    QCOMPARE(heatmap.cellValue(0, 1), -0.5);
    QCOMPARE(heatmap.cellValue(1, 1), 1.0);

    heatmap.stepSlider()->setValue(0);
    QCOMPARE(heatmap.currentStep(), qint64(5));
    QCOMPARE(heatmap.cellValue(1, 0), 0.25);

    // Away from the latest step, new records do not move the slider.
    heatmap.setRecords({statsRecord(1, 5, 0.25), statsRecord(1, 10, -0.5), statsRecord(1, 15, 0.75)});
    QCOMPARE(heatmap.currentStep(), qint64(5));
    // On the latest step, the slider follows new records.
    heatmap.setCurrentIndex(2);
    heatmap.setRecords({statsRecord(1, 5, 0.25), statsRecord(1, 10, -0.5), statsRecord(1, 15, 0.75),
                        statsRecord(1, 20, -0.125)});
    QCOMPARE(heatmap.currentStep(), qint64(20));
    QCOMPARE(heatmap.cellValue(0, 1), -0.125);

    heatmap.setSummary({{"left", "right", 0.1, 0.9, 0.5, 4}});
    QVERIFY(heatmap.summaryText().contains(QStringLiteral("negative in 50.0% of 4 steps")));
}

void TestDesktop::routingHeatmapShowsLayers() {
    RoutingHeatmap heatmap;
    QVERIFY(heatmap.layers().isEmpty());
    QCOMPARE(heatmap.stepCount(), 0);

    const auto snapshot = [](std::int64_t step, const std::string& layer, double leftShare) {
        RoutingSnapshot routing;
        routing.step = step;
        routing.epoch = 1;
        routing.layer = layer;
        routing.tasks = {"left", "right"};
        routing.experts = {"e0", "e1", "e2"};
        routing.gateMean = {{leftShare, 1.0 - leftShare, 0.0}, {0.2, 0.3, 0.5}};
        routing.topKFraction = {{1.0, 0.0, 0.0}, {0.0, 0.25, 0.75}};
        return routing;
    };
    heatmap.setSnapshots({snapshot(20, "moe1", 0.9), snapshot(10, "moe1", 0.6), snapshot(10, "moe2", 0.1)});
    QCOMPARE(heatmap.layers(), (QStringList{QStringLiteral("moe1"), QStringLiteral("moe2")}));
    QCOMPARE(heatmap.currentLayer(), QStringLiteral("moe1"));
    QCOMPARE(heatmap.stepCount(), 2);
    // The latest step shows first; snapshots are ordered by step whatever their input order.
    QCOMPARE(heatmap.cellValue(0, 0), 0.9);
    heatmap.setCurrentIndex(0);
    QCOMPARE(heatmap.cellValue(0, 0), 0.6);
    QCOMPARE(heatmap.cellValue(1, 2), 0.5);

    heatmap.setShowTopK(true);
    QCOMPARE(heatmap.cellValue(1, 2), 0.75);
    heatmap.setShowTopK(false);

    heatmap.setCurrentLayer(QStringLiteral("moe2"));
    QCOMPARE(heatmap.stepCount(), 1);
    QCOMPARE(heatmap.cellValue(0, 0), 0.1);
}

void TestDesktop::routingSnapshotsFromStore() {
    const auto record = [](std::int64_t step, const std::string& layer, const std::string& task, double first) {
        RoutingStatsRecord routing;
        routing.runId = 1;
        routing.step = step;
        routing.epoch = 1;
        routing.layer = layer;
        routing.task = task;
        routing.topK = 2;
        routing.experts = {"e0", "e1"};
        routing.gateMean = {first, 1.0 - first};
        routing.topKFraction = {1.0, 1.0};
        return routing;
    };
    const auto snapshots = routingSnapshotsOf(
        {record(5, "moe", "left", 0.3), record(5, "moe", "right", 0.6), record(10, "moe", "left", 0.4)});
    QCOMPARE(snapshots.size(), size_t(2));
    QCOMPARE(snapshots[0].tasks, (std::vector<std::string>{"left", "right"}));
    QCOMPARE(snapshots[0].gateMean[1][0], 0.6);
    QCOMPARE(snapshots[0].topK, std::int64_t(2));
    QCOMPARE(snapshots[1].step, std::int64_t(10));
    QCOMPARE(snapshots[1].tasks.size(), size_t(1));
}

void TestDesktop::runListLoadsPastRun() {
    const QString folder = mTemp.filePath(QStringLiteral("past"));
    QVERIFY(QDir().mkpath(folder));
    Project project = loadProject(kTinyFashion.toStdString());
    const QString path = folder + QStringLiteral("/past.mtlw");
    saveProject(project, path.toStdString());

    // A run written straight into the store: two epochs of two steps each.
    std::int64_t runId = 0;
    {
        RunStore store(RunStore::defaultPathFor(path.toStdString()));
        NewRun run;
        run.projectPath = path.toStdString();
        run.projectName = project.name;
        run.projectJson = toJson(project).dump();
        run.method = "dwa";
        runId = store.createRun(run);
        std::vector<MetricRow> rows;
        for (std::int64_t step = 1; step <= 4; ++step) {
            const int epoch = step <= 2 ? 1 : 2;
            rows.push_back({runId, step, epoch, "train", "left", "step_loss", 2.0 / step, 0.5 * step});
            rows.push_back({runId, step, epoch, "train", "right", "step_loss", 3.0 / step, 0.5 * step});
            rows.push_back({runId, step, epoch, "train", "left", "weight", 0.5 + 0.1 * step, 0.5 * step});
            rows.push_back({runId, step, epoch, "train", "right", "weight", 1.5 - 0.1 * step, 0.5 * step});
        }
        for (int epoch = 1; epoch <= 2; ++epoch) {
            for (const char* split : {"train", "validation"}) {
                rows.push_back({runId, epoch * 2, epoch, split, "left", "loss", 1.0 / epoch, 1.0 * epoch});
                rows.push_back({runId, epoch * 2, epoch, split, "left", "accuracy", 0.4 * epoch, 1.0 * epoch});
            }
        }
        store.appendMetrics(rows);
        store.appendGradientStats({statsRecord(runId, 1, 0.5), statsRecord(runId, 2, -0.25), statsRecord(runId, 3, -0.5),
                                   statsRecord(runId, 4, 0.125)});
        for (const std::string task : {"left", "right"}) {
            RoutingStatsRecord routing;
            routing.runId = runId;
            routing.step = 4;
            routing.epoch = 2;
            routing.layer = "moe";
            routing.task = task;
            routing.experts = {"e0", "e1"};
            routing.gateMean = {task == "left" ? 0.7 : 0.2, task == "left" ? 0.3 : 0.8};
            routing.topKFraction = {task == "left" ? 1.0 : 0.0, task == "left" ? 0.0 : 1.0};
            store.appendRoutingStats({routing});
        }
        store.finishRun(runId, run_status::kCompleted, {{"tasks", {{"left", {{"accuracy", 0.8}}}}}});
    }

    MainWindow window;
    QSignalSpy shown(&window, &MainWindow::runShown);
    QVERIFY(window.openProject(path, true));
    QTRY_COMPARE_WITH_TIMEOUT(window.runList()->runCount(), 1, 30000);
    QCOMPARE(window.runList()->topLevelItem(0)->text(1), QStringLiteral("dwa"));
    QCOMPARE(window.runList()->topLevelItem(0)->text(4), QStringLiteral("left 80.0%"));

    QVERIFY(window.runList()->selectRun(runId));
    QTRY_COMPARE_WITH_TIMEOUT(shown.count(), 1, 30000);
    QCOMPARE(shown.front().front().toLongLong(), qint64(runId));

    RunPlots* plots = window.runPlots();
    QCOMPARE(plots->stepLossPlot()->pointCount(QStringLiteral("left")), 4);
    QCOMPARE(plots->stepLossPlot()->points(QStringLiteral("right"))[1].value, 1.5);
    // Two steps per epoch, taken from the epoch rows: step 3 is 1.5 epochs in.
    QCOMPARE(plots->stepLossPlot()->points(QStringLiteral("left"))[2].epoch, 1.5);
    QCOMPARE(plots->epochLossPlot()->pointCount(QStringLiteral("left validation")), 2);
    QCOMPARE(plots->epochMetricPlot()->points(QStringLiteral("left train accuracy"))[1].value, 0.8);
    QCOMPARE(plots->weightsPlot()->pointCount(QStringLiteral("right")), 4);
    QCOMPARE(plots->weightsPlot()->points(QStringLiteral("left"))[3].value, 0.9);

    QCOMPARE(plots->conflictHeatmap()->recordCount(), 4);
    QCOMPARE(plots->conflictHeatmap()->cellValue(0, 1), 0.125);
    QVERIFY(plots->conflictHeatmap()->summaryText().contains(QStringLiteral("negative in 50.0% of 4 steps")));
    // Running share of negative cosines: 0, 1/2, 2/3, 2/4.
    const auto frequency =
        plots->conflictFrequencyPlot()->points(RunPlots::pairName(QStringLiteral("left"), QStringLiteral("right")));
    QCOMPARE(frequency.size(), size_t(4));
    QCOMPARE(frequency[0].value, 0.0);
    QCOMPARE(frequency[1].value, 0.5);
    QCOMPARE(frequency[2].value, 2.0 / 3.0);
    QCOMPARE(frequency[3].value, 0.5);

    QCOMPARE(plots->routingHeatmap()->layers(), QStringList{QStringLiteral("moe")});
    QCOMPARE(plots->routingHeatmap()->cellValue(1, 1), 0.8);
}

void TestDesktop::autosaveRecoversAfterCrash_data() {
    QTest::addColumn<bool>("recover");
    QTest::newRow("recover") << true;
    QTest::newRow("decline") << false;
}

void TestDesktop::autosaveRecoversAfterCrash() {
    QFETCH(bool, recover);
    const QString folder = mTemp.filePath(recover ? QStringLiteral("crash-recover") : QStringLiteral("crash-decline"));
    QVERIFY(QDir().mkpath(folder));
    const QString path = folder + QStringLiteral("/crash.mtlw");
    QVERIFY(QFile::copy(kTinyFashion, path));
    const QString autosavePath = Autosave::pathFor(path);

    // A session edits the project, autosaves, and dies without closing its window.
    std::string edited;
    {
        auto window = std::make_unique<MainWindow>();
        QVERIFY(window->openProject(path, true));
        window->autosave()->setIntervalMs(20);
        QVERIFY(!window->document()->addNode(QStringLiteral("flatten"), {50, 50}).isEmpty());
        edited = projectJson(window->document()->project());
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(autosavePath), 10000);
        QCOMPARE(window->autosave()->currentPath(), autosavePath);
    }
    QVERIFY(QFile::exists(autosavePath));

    // The next session opens the project and is offered the autosave.
    MainWindow window;
    QStringList offered;
    window.setRecoveryPrompt([&](const QString& autosave, const QString& project) {
        offered << autosave << project;
        return recover;
    });
    QVERIFY(window.openProject(path, true));
    QCOMPARE(offered, (QStringList{autosavePath, QFileInfo(path).absoluteFilePath()}));
    QCOMPARE(window.document()->filePath(), QFileInfo(path).absoluteFilePath());
    if (!recover) {
        QVERIFY(!QFile::exists(autosavePath));
        QVERIFY(!window.document()->isModified());
        QVERIFY(window.document()->project().findNode("flatten1") == nullptr);
        return;
    }
    QVERIFY(window.document()->isModified());
    QVERIFY(window.document()->project().findNode("flatten1") != nullptr);
    QCOMPARE(projectJson(window.document()->project()), edited);

    // Saving writes the recovered project and removes the autosave.
    QVERIFY(window.saveProjectAs(path));
    QVERIFY(!QFile::exists(autosavePath));
    QVERIFY(!window.document()->isModified());
    QVERIFY(loadProject(path.toStdString()).findNode("flatten1") != nullptr);
}

void TestDesktop::autosaveRecoversUntitled() {
    // A file named after a process that does not exist, as a crashed session leaves it.
    ProjectDocument document;
    buildFashionGraph(document);
    const QString folder = Autosave::untitledFolder();
    QVERIFY(QDir().mkpath(folder));
    const QString orphan = folder + QStringLiteral("/untitled-999999999-1.mtlw.autosave");
    Project project = document.project();
    saveProject(project, orphan.toStdString());
    QVERIFY(Autosave::orphanedUntitledFiles().contains(orphan));

    MainWindow window;
    // This session's own file is not an orphan.
    window.autosave()->setIntervalMs(20);
    QVERIFY(!window.document()->addNode(QStringLiteral("mlp"), {0, 100}).isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(window.autosave()->currentPath()), 10000);
    QCOMPARE(Autosave::orphanedUntitledFiles(), QStringList{orphan});

    window.setRecoveryPrompt([](const QString&, const QString& projectPath) { return projectPath.isEmpty(); });
    QVERIFY(window.recoverUntitled());
    QVERIFY(window.document()->filePath().isEmpty());
    QVERIFY(window.document()->isModified());
    QVERIFY(window.document()->project().findNode("head2") != nullptr);
    // The next autosave moves the recovered content to this session's file.
    QTRY_VERIFY_WITH_TIMEOUT(!QFile::exists(orphan), 10000);
    QVERIFY(Autosave::orphanedUntitledFiles().isEmpty());
    window.autosave()->discard();
    QVERIFY(!QFile::exists(window.autosave()->currentPath()));
}

void TestDesktop::autosaveRemovedOnCleanClose() {
    const QString folder = mTemp.filePath(QStringLiteral("clean-close"));
    QVERIFY(QDir().mkpath(folder));
    const QString path = folder + QStringLiteral("/close.mtlw");
    QVERIFY(QFile::copy(kTinyFashion, path));

    MainWindow window;
    QVERIFY(window.openProject(path, true));
    window.autosave()->setIntervalMs(20);
    window.document()->addNode(QStringLiteral("flatten"), {50, 50});
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(Autosave::pathFor(path)), 10000);

    // Undoing back to the saved state removes the autosave at the next tick.
    window.document()->undoStack()->undo();
    QTRY_VERIFY_WITH_TIMEOUT(!QFile::exists(Autosave::pathFor(path)), 10000);

    window.document()->addNode(QStringLiteral("flatten"), {50, 50});
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(Autosave::pathFor(path)), 10000);
    window.document()->undoStack()->setClean();
    QVERIFY(window.close());
    QVERIFY(!QFile::exists(Autosave::pathFor(path)));
}

void TestDesktop::datasetViewShowsSamples_data() {
    QTest::addColumn<QString>("project");
    QTest::addColumn<bool>("images");
    QTest::newRow("multi-fashion") << kTinyFashion << true;
    QTest::newRow("csv") << QStringLiteral(MTLW_SOURCE_DIR "/tests/fixtures/tiny-tabular.mtlw") << false;
}

void TestDesktop::datasetViewShowsSamples() {
    QFETCH(QString, project);
    QFETCH(bool, images);
    const Project loaded = loadProject(project.toStdString());
    const Dataset dataset = loadDataset(loaded, loaded.datasets.front());

    DatasetView view;
    QSignalSpy done(&view, &DatasetView::loaded);
    view.setProject(loaded);
    // Hidden, the view does not load.
    QTest::qWait(50);
    QCOMPARE(done.count(), 0);
    QVERIFY(!view.isLoading());

    view.resize(700, 500);
    view.show();
    QVERIFY(view.isLoading());
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 60000);
    QVERIFY2(view.statusText().contains(QStringLiteral("train")), qPrintable(view.statusText()));
    const int trainShown = static_cast<int>(std::min<std::int64_t>(dataset.train.size(), DatasetView::kMaxSamples));
    QCOMPARE(view.sampleCount(), trainShown);

    if (images) {
        QCOMPARE(view.imageList()->iconSize(), QSize(72, 72));
        const auto& classes = dataset.targets.at("left").classNames;
        const std::int64_t label = dataset.train.targets.at("left")[0].item<std::int64_t>();
        QVERIFY2(view.captionAt(0).startsWith(QStringLiteral("left: ") +
                                              QString::fromStdString(classes[static_cast<size_t>(label)]) +
                                              QStringLiteral("\nright: ")),
                 qPrintable(view.captionAt(0)));
    } else {
        QCOMPARE(view.table()->columnCount(),
                 static_cast<int>(dataset.featureNames.size() + dataset.targets.size()));
        QCOMPARE(view.table()->horizontalHeaderItem(0)->text(), QString::fromStdString(dataset.featureNames.front()));
        const auto& classes = dataset.targets.at("label").classNames;
        const std::int64_t label = dataset.train.targets.at("label")[0].item<std::int64_t>();
        const int labelColumn = static_cast<int>(dataset.featureNames.size());
        QCOMPARE(view.table()->item(0, labelColumn)->text(), QString::fromStdString(classes[static_cast<size_t>(label)]));
    }

    view.splitCombo()->setCurrentIndex(2);
    QCOMPARE(view.sampleCount(), static_cast<int>(std::min<std::int64_t>(dataset.test.size(), DatasetView::kMaxSamples)));
}

void TestDesktop::trainingKeepsEventLoopResponsive() {
    const QString path = writeTinyProject(QStringLiteral("responsive"), 3);
    QVERIFY(!path.isEmpty());

    MainWindow window;
    window.resize(1400, 900);
    QVERIFY(window.openProject(path, true));
    // The dataset view loads at the same time, off the UI thread.
    auto* datasetDock = window.findChild<QDockWidget*>(QStringLiteral("datasetDock"));
    QVERIFY(datasetDock != nullptr);
    datasetDock->show();
    datasetDock->raise();
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    // A 10 ms timer: a gap between its ticks much longer than that is time the UI thread
    // spent on something else than events.
    QElapsedTimer clock;
    qint64 last = -1;
    qint64 maxGap = 0;
    int ticks = 0;
    QTimer probe;
    probe.setInterval(10);
    probe.setTimerType(Qt::PreciseTimer);
    connect(&probe, &QTimer::timeout, this, [&]() {
        const qint64 now = clock.elapsed();
        if (last >= 0) {
            maxGap = std::max(maxGap, now - last);
        }
        last = now;
        ++ticks;
    });
    clock.start();
    probe.start();

    QVERIFY(window.startTraining());
    QTRY_VERIFY_WITH_TIMEOUT(!window.engineController()->isBusy(), 600000);
    QTRY_COMPARE_WITH_TIMEOUT(window.runList()->runCount(), 1, 60000);
    QTRY_COMPARE_WITH_TIMEOUT(qint64(window.runPlots()->runId()), qint64(window.engineController()->lastResult().runId),
                              60000);
    QTRY_VERIFY_WITH_TIMEOUT(!window.datasetView()->isLoading(), 60000);
    probe.stop();

    QCOMPARE(window.engineController()->lastResult().status, std::string("completed"));
    QCOMPARE(window.runPlots()->conflictHeatmap()->recordCount(), 12);
    qInfo("event loop: %d ticks in %lld ms, max gap between 10 ms ticks %lld ms", ticks,
          static_cast<long long>(clock.elapsed()), static_cast<long long>(maxGap));
    QVERIFY2(maxGap < 50, qPrintable(QStringLiteral("max gap %1 ms").arg(maxGap)));
}

void TestDesktop::windowOnRealDisplay() {
    if (QGuiApplication::platformName() != QLatin1String("xcb")) {
        QSKIP("needs an X server; ctest runs this case as test_desktop_xvfb under xvfb-run");
    }
    const QString path = writeTinyProject(QStringLiteral("display"), 1);
    MainWindow window;
    QVERIFY(window.openProject(path, true));
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(window.windowHandle()->isExposed());

    // Docks and plots are real native-window children: each has a size on the screen.
    for (const char* name : {"blocksDock", "runsDock", "propertiesDock", "trainingDock", "plotsDock", "logDock"}) {
        auto* dock = window.findChild<QDockWidget*>(QLatin1String(name));
        QVERIFY2(dock != nullptr, name);
        QVERIFY2(dock->isVisible(), name);
        const QString size = QStringLiteral("%1: %2x%3").arg(QLatin1String(name)).arg(dock->width()).arg(dock->height());
        QVERIFY2(dock->width() > 100, qPrintable(size));
        QVERIFY2(dock->height() > 60, qPrintable(size));
    }

    // What the X server shows of the window is drawn content, not one flat colour.
    QTest::qWait(200);
    const QImage shot = window.screen()->grabWindow(window.winId()).toImage();
    QVERIFY(!shot.isNull());
    QCOMPARE(shot.size(), window.size() * window.devicePixelRatio());
    QSet<QRgb> colours;
    for (int y = 0; y < shot.height(); y += 7) {
        for (int x = 0; x < shot.width(); x += 7) {
            colours.insert(shot.pixel(x, y));
        }
    }
    QVERIFY2(colours.size() > 20, qPrintable(QString::number(colours.size())));

    // A run through the real window fills the plots.
    QVERIFY(window.startTraining());
    QTRY_VERIFY_WITH_TIMEOUT(!window.engineController()->isBusy(), 600000);
    QCOMPARE(window.engineController()->lastResult().status, std::string("completed"));
    QVERIFY(window.stepLossPlot()->pointCount(QStringLiteral("left")) > 0);
}

QTEST_MAIN(TestDesktop)
#include "test_desktop.moc"
