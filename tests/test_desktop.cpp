// Tests of the desktop application: the document model and its undo commands, the graph
// editor's mouse gestures, and a real training run driven through the main window.
#include "BlockPalette.h"
#include "CurvePlot.h"
#include "EngineController.h"
#include "GraphItems.h"
#include "GraphView.h"
#include "MainWindow.h"
#include "ProjectDocument.h"
#include "PropertyEditor.h"
#include "project/Project.h"

#include <QApplication>
#include <QFile>
#include <QMimeData>
#include <QMouseEvent>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
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

}  // namespace

class TestDesktop : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();

    void documentBuildsValidGraph();
    void documentRejectsBadEdges();
    void documentReportsNodeError();
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

    for (const QString task : {QStringLiteral("left"), QStringLiteral("right")}) {
        QVERIFY2(window.stepLossPlot()->pointCount(task) > 0, qPrintable(task));
        for (const char* split : {"train", "validation", "test"}) {
            const QString series = task + QStringLiteral(" ") + QLatin1String(split);
            QCOMPARE(window.epochLossPlot()->pointCount(series), 1);
            QCOMPARE(window.epochMetricPlot()->pointCount(series + QStringLiteral(" accuracy")), 1);
        }
    }
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

QTEST_MAIN(TestDesktop)
#include "test_desktop.moc"
