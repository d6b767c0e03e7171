#include "MainWindow.h"

#include "Autosave.h"
#include "CompareWindow.h"
#include "MergeWindow.h"
#include "BlockPalette.h"
#include "CurvePlot.h"
#include "DatasetView.h"
#include "GraphView.h"
#include "LogView.h"
#include "ProjectDocument.h"
#include "PropertyEditor.h"
#include "RunList.h"
#include "RunPlots.h"
#include "StoreLoader.h"
#include "TrainingPanel.h"
#include "store/RunStore.h"
#include "util/Version.h"

#include <spdlog/spdlog.h>

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QShowEvent>
#include <QStatusBar>
#include <QTabWidget>
#include <QUndoStack>

#include <algorithm>

namespace mtlw {

namespace {

const char* const kRecentFilesKey = "recentFiles";
const char* const kGeometryKey = "mainWindow/geometry";
const char* const kStateKey = "mainWindow/state";
const char* const kFileFilter = QT_TRANSLATE_NOOP("MainWindow", "MTL Workbench projects (*.mtlw);;All files (*)");

QStringList taskNames(const Project& project) {
    QStringList names;
    for (const auto& task : project.tasks) {
        names << QString::fromStdString(task.name);
    }
    return names;
}

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    mDocument = new ProjectDocument(this);
    mController = new EngineController(this);
    mLoader = new StoreLoader(this);
    mAutosave = new Autosave(mDocument, this);
    mGraphView = new GraphView(mDocument, this);
    setCentralWidget(mGraphView);

    createActions();
    createMenus();
    createDocks();

    mValidationLabel = new QLabel(this);
    statusBar()->addPermanentWidget(mValidationLabel, 1);

    connect(mDocument, &ProjectDocument::modifiedChanged, this, &MainWindow::updateTitle);
    connect(mDocument, &ProjectDocument::filePathChanged, this, &MainWindow::updateTitle);
    connect(mDocument, &ProjectDocument::projectReset, this, [this]() {
        updateTitle();
        mTrainingPanel->loadFrom(mDocument->project());
        mDatasetView->setProject(mDocument->project());
        if (!mController->isBusy()) {
            mPlots->startRun(taskNames(mDocument->project()));
        }
        refreshRuns();
    });
    connect(mDocument, &ProjectDocument::validationChanged, this, &MainWindow::updateValidationStatus);
    connect(mGraphView, &GraphView::currentNodeChanged, mPropertyEditor, &PropertyEditor::setNode);
    connect(mPalette, &BlockPalette::blockActivated, this, &MainWindow::addBlockAtCenter);

    connect(mController, &EngineController::stateChanged, this, &MainWindow::updateTrainActions);
    connect(mController, &EngineController::runStarted, mTrainingPanel, &TrainingPanel::showRunStarted);
    connect(mController, &EngineController::progress, mTrainingPanel, &TrainingPanel::showProgress);
    connect(mController, &EngineController::progress, this, &MainWindow::plotProgress);
    connect(mController, &EngineController::epochEnded, this, &MainWindow::plotEpoch);
    connect(mController, &EngineController::finished, mTrainingPanel, &TrainingPanel::showFinished);
    connect(mController, &EngineController::finished, this, &MainWindow::onTrainingFinished);
    connect(mController, &EngineController::runStarted, this, [this](qint64 runId) { mLiveRunId = runId; });

    connect(mLoader, &StoreLoader::runsLoaded, this, &MainWindow::onRunsLoaded);
    connect(mLoader, &StoreLoader::runLoaded, this, &MainWindow::onRunLoaded);
    connect(mLoader, &StoreLoader::loadFailed, this, [this](const QString& message) {
        statusBar()->showMessage(message, 8000);
    });
    connect(mRunList, &RunList::runSelected, this, &MainWindow::onRunSelected);

    mTrainingPanel->loadFrom(mDocument->project());
    mDatasetView->setProject(mDocument->project());
    mPlots->startRun(taskNames(mDocument->project()));
    updateTitle();
    updateValidationStatus();
    updateTrainActions();
    updateRecentMenu();
    readSettings();
}

MainWindow::~MainWindow() {
    // Stop the worker thread before the log view detaches its sink from the logger.
    delete mController;
    mController = nullptr;
}

void MainWindow::createActions() {
    mNewAction = new QAction(tr("&New"), this);
    mNewAction->setShortcut(QKeySequence::New);
    connect(mNewAction, &QAction::triggered, this, &MainWindow::newProject);

    mOpenAction = new QAction(tr("&Open…"), this);
    mOpenAction->setShortcut(QKeySequence::Open);
    connect(mOpenAction, &QAction::triggered, this, &MainWindow::open);

    mSaveAction = new QAction(tr("&Save"), this);
    mSaveAction->setShortcut(QKeySequence::Save);
    connect(mSaveAction, &QAction::triggered, this, &MainWindow::save);

    mSaveAsAction = new QAction(tr("Save &As…"), this);
    mSaveAsAction->setShortcut(QKeySequence::SaveAs);
    connect(mSaveAsAction, &QAction::triggered, this, &MainWindow::saveAs);

    mQuitAction = new QAction(tr("&Quit"), this);
    mQuitAction->setShortcut(QKeySequence::Quit);
    mQuitAction->setMenuRole(QAction::QuitRole);
    connect(mQuitAction, &QAction::triggered, this, &QWidget::close);

    mUndoAction = mDocument->undoStack()->createUndoAction(this, tr("&Undo"));
    mUndoAction->setShortcut(QKeySequence::Undo);
    mRedoAction = mDocument->undoStack()->createRedoAction(this, tr("&Redo"));
    mRedoAction->setShortcut(QKeySequence::Redo);

    mDeleteAction = new QAction(tr("&Delete"), this);
    mDeleteAction->setShortcuts({QKeySequence::Delete, QKeySequence(Qt::Key_Backspace)});
    mDeleteAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    mGraphView->addAction(mDeleteAction);
    connect(mDeleteAction, &QAction::triggered, mGraphView, &GraphView::deleteSelection);

    mSelectAllAction = new QAction(tr("Select &All"), this);
    mSelectAllAction->setShortcut(QKeySequence::SelectAll);
    mSelectAllAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    mGraphView->addAction(mSelectAllAction);
    connect(mSelectAllAction, &QAction::triggered, mGraphView, &GraphView::selectAll);

    mFitAction = new QAction(tr("&Fit to View"), this);
    mFitAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
    connect(mFitAction, &QAction::triggered, mGraphView, &GraphView::fitToView);
    mZoomInAction = new QAction(tr("Zoom &In"), this);
    mZoomInAction->setShortcut(QKeySequence::ZoomIn);
    connect(mZoomInAction, &QAction::triggered, mGraphView, &GraphView::zoomIn);
    mZoomOutAction = new QAction(tr("Zoom &Out"), this);
    mZoomOutAction->setShortcut(QKeySequence::ZoomOut);
    connect(mZoomOutAction, &QAction::triggered, mGraphView, &GraphView::zoomOut);
    mAutoLayoutAction = new QAction(tr("Auto &Layout"), this);
    mAutoLayoutAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_L));
    connect(mAutoLayoutAction, &QAction::triggered, this, [this]() {
        mDocument->applyAutoLayout();
        mGraphView->fitToView();
    });

    mStartAction = new QAction(tr("&Start"), this);
    mStartAction->setShortcut(QKeySequence(Qt::Key_F5));
    connect(mStartAction, &QAction::triggered, this, &MainWindow::startTraining);
    mPauseAction = new QAction(tr("&Pause"), this);
    connect(mPauseAction, &QAction::triggered, mController, &EngineController::pause);
    mResumeAction = new QAction(tr("&Resume"), this);
    connect(mResumeAction, &QAction::triggered, mController, &EngineController::resume);
    mStopAction = new QAction(tr("S&top"), this);
    mStopAction->setShortcut(QKeySequence(Qt::SHIFT | Qt::Key_F5));
    connect(mStopAction, &QAction::triggered, mController, &EngineController::stop);

    mCompareAction = new QAction(tr("&Compare Runs…"), this);
    mCompareAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R));
    mCompareAction->setStatusTip(tr("Open the run browser: compare curves, final metrics and hyperparameters of runs"));
    connect(mCompareAction, &QAction::triggered, this, &MainWindow::openCompareWindow);
    mMergeAction = new QAction(tr("&Merge Models…"), this);
    mMergeAction->setStatusTip(tr("Merge fine-tuned single-task runs into one model with coefficient sliders"));
    connect(mMergeAction, &QAction::triggered, this, &MainWindow::openMergeWindow);

    mAboutAction = new QAction(tr("&About MTL Workbench"), this);
    mAboutAction->setMenuRole(QAction::AboutRole);
    connect(mAboutAction, &QAction::triggered, this, [this]() {
        QMessageBox::about(this, tr("About MTL Workbench"),
                           tr("<h3>MTL Workbench</h3>"
                              "<p>Build, train and inspect multi-task learning models.</p>"
                              "<p>Version %1</p>")
                               .arg(QString::fromStdString(mtlw::codeVersion())));
    });
}

void MainWindow::createMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(mNewAction);
    file->addAction(mOpenAction);
    mRecentMenu = file->addMenu(tr("Open &Recent"));
    file->addSeparator();
    file->addAction(mSaveAction);
    file->addAction(mSaveAsAction);
    file->addSeparator();
    file->addAction(mQuitAction);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    edit->addAction(mUndoAction);
    edit->addAction(mRedoAction);
    edit->addSeparator();
    edit->addAction(mDeleteAction);
    edit->addAction(mSelectAllAction);

    mViewMenu = menuBar()->addMenu(tr("&View"));
    mViewMenu->addAction(mFitAction);
    mViewMenu->addAction(mZoomInAction);
    mViewMenu->addAction(mZoomOutAction);
    mViewMenu->addAction(mAutoLayoutAction);
    mViewMenu->addSeparator();

    QMenu* train = menuBar()->addMenu(tr("&Train"));
    train->addAction(mStartAction);
    train->addAction(mPauseAction);
    train->addAction(mResumeAction);
    train->addAction(mStopAction);

    QMenu* runs = menuBar()->addMenu(tr("&Runs"));
    runs->addAction(mCompareAction);
    runs->addAction(mMergeAction);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(mAboutAction);
}

void MainWindow::createDocks() {
    setDockOptions(AnimatedDocks | AllowTabbedDocks);
    setCorner(Qt::BottomLeftCorner, Qt::LeftDockWidgetArea);
    setCorner(Qt::BottomRightCorner, Qt::RightDockWidgetArea);

    const auto addDock = [this](const QString& title, const QString& name, QWidget* widget,
                                Qt::DockWidgetArea area) {
        auto* dock = new QDockWidget(title, this);
        dock->setObjectName(name);
        dock->setWidget(widget);
        addDockWidget(area, dock);
        mViewMenu->addAction(dock->toggleViewAction());
        return dock;
    };

    mPalette = new BlockPalette(this);
    addDock(tr("Blocks"), QStringLiteral("blocksDock"), mPalette, Qt::LeftDockWidgetArea);

    mPropertyEditor = new PropertyEditor(mDocument, this);
    addDock(tr("Properties"), QStringLiteral("propertiesDock"), mPropertyEditor, Qt::RightDockWidgetArea);

    mTrainingPanel = new TrainingPanel(this);
    mTrainingPanel->setActions(mStartAction, mPauseAction, mResumeAction, mStopAction);
    addDock(tr("Training"), QStringLiteral("trainingDock"), mTrainingPanel, Qt::RightDockWidgetArea);

    mRunList = new RunList(this);
    addDock(tr("Runs"), QStringLiteral("runsDock"), mRunList, Qt::LeftDockWidgetArea);

    mPlots = new RunPlots(this);
    QDockWidget* plotsDock = addDock(tr("Plots"), QStringLiteral("plotsDock"), mPlots, Qt::BottomDockWidgetArea);

    mLogView = new LogView(this);
    mLogView->attachToDefaultLogger();
    QDockWidget* logDock = addDock(tr("Log"), QStringLiteral("logDock"), mLogView, Qt::BottomDockWidgetArea);
    splitDockWidget(plotsDock, logDock, Qt::Horizontal);

    mDatasetView = new DatasetView(this);
    QDockWidget* datasetDock =
        addDock(tr("Dataset"), QStringLiteral("datasetDock"), mDatasetView, Qt::BottomDockWidgetArea);
    tabifyDockWidget(logDock, datasetDock);
    logDock->raise();

    // Below these widths the palette's descriptions and the run list's columns are unreadable.
    mPalette->setMinimumWidth(200);
    mRunList->setMinimumWidth(200);
    mTrainingPanel->setMinimumWidth(280);
}

void MainWindow::applyDefaultDockSizes() {
    const auto dock = [this](const char* name) { return findChild<QDockWidget*>(QLatin1String(name)); };
    // Sizes for the window's current size: the left column gets a fifth of the width, the
    // right column a quarter, the plots two fifths of the height.
    const int width = this->width();
    const int height = this->height();
    resizeDocks({dock("blocksDock"), dock("propertiesDock")}, {std::max(220, width / 5), std::max(300, width / 4)},
                Qt::Horizontal);
    resizeDocks({dock("blocksDock"), dock("runsDock")}, {height / 2, height / 3}, Qt::Vertical);
    resizeDocks({dock("propertiesDock"), dock("trainingDock")}, {height / 4, height / 2}, Qt::Vertical);
    resizeDocks({dock("plotsDock"), dock("logDock")}, {width / 2, width * 2 / 5}, Qt::Horizontal);
    resizeDocks({dock("plotsDock")}, {height * 2 / 5}, Qt::Vertical);
}

void MainWindow::showEvent(QShowEvent* event) {
    QMainWindow::showEvent(event);
    if (mDefaultDockSizesPending) {
        // Dock sizes need the window's final size, which a window first has when shown.
        mDefaultDockSizesPending = false;
        applyDefaultDockSizes();
    }
}

void MainWindow::readSettings() {
    QSettings settings;
    const QByteArray geometry = settings.value(kGeometryKey).toByteArray();
    if (geometry.isEmpty() || !restoreGeometry(geometry)) {
        resize(1500, 940);
    }
    mDefaultDockSizesPending = !restoreState(settings.value(kStateKey).toByteArray());
}

void MainWindow::writeSettings() {
    QSettings settings;
    settings.setValue(kGeometryKey, saveGeometry());
    settings.setValue(kStateKey, saveState());
}

bool MainWindow::openProject(const QString& requestedPath, bool quiet) {
    // Runs record the project path, so an absolute one finds them again from any folder.
    const QString path = QFileInfo(requestedPath).absoluteFilePath();
    try {
        mDocument->open(path);
    } catch (const std::exception& error) {
        spdlog::error("failed to open {}: {}", path.toStdString(), error.what());
        if (!quiet) {
            showError(tr("Open Project"), QString::fromUtf8(error.what()));
        }
        return false;
    }
    spdlog::info("opened project {}", path.toStdString());
    addRecentFile(mDocument->filePath());
    statusBar()->showMessage(tr("Opened %1").arg(path), 4000);
    const QString autosavePath = Autosave::pathFor(path);
    if (QFileInfo::exists(autosavePath)) {
        offerRecovery(autosavePath, path);
    }
    return true;
}

bool MainWindow::recoverUntitled() {
    const QStringList files = Autosave::orphanedUntitledFiles();
    if (files.isEmpty()) {
        return false;
    }
    return offerRecovery(files.front(), QString());
}

bool MainWindow::offerRecovery(const QString& autosavePath, const QString& projectPath) {
    bool recover = false;
    if (mRecoveryPrompt) {
        recover = mRecoveryPrompt(autosavePath, projectPath);
    } else {
        const QString time = QFileInfo(autosavePath).lastModified().toString(QStringLiteral("yyyy-MM-dd HH:mm"));
        const QString name = projectPath.isEmpty() ? tr("an untitled project") : QFileInfo(projectPath).fileName();
        recover = QMessageBox::question(this, tr("Recover Unsaved Changes"),
                                        tr("MTL Workbench did not close normally while %1 had unsaved changes. "
                                           "An autosave from %2 exists.\n\nRecover it? The recovered project stays "
                                           "unsaved until you save it.")
                                            .arg(name, time),
                                        QMessageBox::Yes | QMessageBox::Discard, QMessageBox::Yes) ==
                  QMessageBox::Yes;
    }
    if (!recover) {
        spdlog::info("discarded the autosave file {}", autosavePath.toStdString());
        QFile::remove(autosavePath);
        return false;
    }
    try {
        Project project = loadProject(autosavePath.toStdString());
        // Relative dataset paths resolve from the project's folder, which also contains its autosave.
        project.filePath = projectPath.toStdString();
        mDocument->recover(std::move(project));
    } catch (const std::exception& error) {
        spdlog::error("could not recover {}: {}", autosavePath.toStdString(), error.what());
        showError(tr("Recover Unsaved Changes"), QString::fromUtf8(error.what()));
        return false;
    }
    // The old side file is replaced by the next autosave and removed on save.
    mAutosave->adopt(autosavePath);
    spdlog::info("recovered unsaved changes from {}", autosavePath.toStdString());
    statusBar()->showMessage(tr("Recovered unsaved changes from %1").arg(autosavePath), 8000);
    return true;
}

bool MainWindow::showPlotTab(const QString& title) {
    for (int i = 0; i < mPlots->count(); ++i) {
        if (mPlots->tabText(i) == title) {
            mPlots->setCurrentIndex(i);
            return true;
        }
    }
    return false;
}

CurvePlot* MainWindow::stepLossPlot() const {
    return mPlots->stepLossPlot();
}

CurvePlot* MainWindow::epochLossPlot() const {
    return mPlots->epochLossPlot();
}

CurvePlot* MainWindow::epochMetricPlot() const {
    return mPlots->epochMetricPlot();
}

QString MainWindow::runStorePath() const {
    if (mDocument->filePath().isEmpty()) {
        return {};
    }
    return QString::fromStdString(RunStore::defaultPathFor(mDocument->filePath().toStdString()));
}

CompareWindow* MainWindow::openCompareWindow() {
    const QString store = runStorePath();
    if (store.isEmpty() || !QFileInfo::exists(store)) {
        QMessageBox::information(this, tr("Compare Runs"),
                                 store.isEmpty() ? tr("Save the project and train it first: an untitled project has no runs.")
                                                 : tr("This project has no runs yet (%1 does not exist). Train it first.")
                                                       .arg(QDir::toNativeSeparators(store)));
        return nullptr;
    }
    auto* window = new CompareWindow(store, {}, this);
    window->setWindowFlag(Qt::Window);
    window->setAttribute(Qt::WA_DeleteOnClose);
    window->show();
    return window;
}

MergeWindow* MainWindow::openMergeWindow() {
    const QString store = runStorePath();
    if (store.isEmpty() || !QFileInfo::exists(store)) {
        QMessageBox::information(this, tr("Merge Models"),
                                 store.isEmpty() ? tr("Save the project and train it first: an untitled project has no runs.")
                                                 : tr("This project has no runs yet (%1 does not exist). Train a base and "
                                                      "one fine-tuned run per task first.")
                                                       .arg(QDir::toNativeSeparators(store)));
        return nullptr;
    }
    auto* window = new MergeWindow(store, mDocument->filePath(), this);
    window->setWindowFlag(Qt::Window);
    window->setAttribute(Qt::WA_DeleteOnClose);
    window->show();
    return window;
}

bool MainWindow::saveProjectAs(const QString& path) {
    try {
        mDocument->saveAs(path);
    } catch (const std::exception& error) {
        spdlog::error("failed to save {}: {}", path.toStdString(), error.what());
        showError(tr("Save Project"), QString::fromUtf8(error.what()));
        return false;
    }
    mAutosave->discard();
    addRecentFile(mDocument->filePath());
    statusBar()->showMessage(tr("Saved %1").arg(path), 4000);
    refreshRuns();
    return true;
}

void MainWindow::newProject() {
    if (maybeSave()) {
        mDocument->newProject();
    }
}

void MainWindow::open() {
    if (!maybeSave()) {
        return;
    }
    const QString start = mDocument->filePath().isEmpty() ? QString() : QFileInfo(mDocument->filePath()).path();
    const QString path = QFileDialog::getOpenFileName(this, tr("Open Project"), start, tr(kFileFilter));
    if (!path.isEmpty()) {
        openProject(path);
    }
}

bool MainWindow::save() {
    if (mDocument->filePath().isEmpty()) {
        return saveAs();
    }
    return saveProjectAs(mDocument->filePath());
}

bool MainWindow::saveAs() {
    QString path = QFileDialog::getSaveFileName(this, tr("Save Project As"), mDocument->filePath(), tr(kFileFilter));
    if (path.isEmpty()) {
        return false;
    }
    if (QFileInfo(path).suffix().isEmpty()) {
        path += QStringLiteral(".mtlw");
    }
    return saveProjectAs(path);
}

bool MainWindow::maybeSave() {
    if (!mDocument->isModified()) {
        mAutosave->discard();
        return true;
    }
    const auto answer = QMessageBox::warning(
        this, tr("Unsaved Changes"), tr("%1 has unsaved changes. Save them?").arg(mDocument->displayName()),
        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    if (answer == QMessageBox::Save) {
        return save();
    }
    if (answer == QMessageBox::Discard) {
        mAutosave->discard();
        return true;
    }
    return false;
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (mController->isBusy()) {
        const auto answer = QMessageBox::question(this, tr("Training in Progress"),
                                                  tr("A run is in progress. Cancel it and quit?"));
        if (answer != QMessageBox::Yes) {
            event->ignore();
            return;
        }
    }
    if (!maybeSave()) {
        event->ignore();
        return;
    }
    writeSettings();
    mAutosave->discard();
    event->accept();
}

void MainWindow::addRecentFile(const QString& path) {
    QSettings settings;
    QStringList files = settings.value(kRecentFilesKey).toStringList();
    const QString absolute = QFileInfo(path).absoluteFilePath();
    files.removeAll(absolute);
    files.prepend(absolute);
    while (files.size() > kMaxRecentFiles) {
        files.removeLast();
    }
    settings.setValue(kRecentFilesKey, files);
    updateRecentMenu();
}

void MainWindow::updateRecentMenu() {
    mRecentMenu->clear();
    const QStringList files = QSettings().value(kRecentFilesKey).toStringList();
    for (const QString& path : files) {
        QAction* action = mRecentMenu->addAction(QFileInfo(path).fileName());
        action->setToolTip(path);
        connect(action, &QAction::triggered, this, [this, path]() {
            if (maybeSave()) {
                openProject(path);
            }
        });
    }
    mRecentMenu->setEnabled(!files.isEmpty());
}

void MainWindow::updateTitle() {
    const QString file = mDocument->filePath().isEmpty() ? tr("not saved") : QFileInfo(mDocument->filePath()).fileName();
    setWindowTitle(tr("%1 (%2)[*] — MTL Workbench").arg(mDocument->displayName(), file));
    setWindowModified(mDocument->isModified());
}

void MainWindow::updateValidationStatus() {
    if (mDocument->isValid()) {
        mValidationLabel->setText(tr("Graph valid: %1 nodes, %2 edges")
                                      .arg(mDocument->project().graph.nodes.size())
                                      .arg(mDocument->project().graph.edges.size()));
        mValidationLabel->setStyleSheet(QStringLiteral("color: #2e7d32;"));
        return;
    }
    QString message = mDocument->graphError();
    if (message.isEmpty() && !mDocument->nodeErrors().empty()) {
        message = QString::fromStdString(mDocument->nodeErrors().begin()->second);
    }
    mValidationLabel->setText(message);
    mValidationLabel->setStyleSheet(QStringLiteral("color: #c62828;"));
}

void MainWindow::updateTrainActions() {
    const auto state = mController->state();
    mStartAction->setEnabled(state == EngineController::State::Idle);
    mPauseAction->setEnabled(state == EngineController::State::Running);
    mResumeAction->setEnabled(state == EngineController::State::Paused);
    mStopAction->setEnabled(state != EngineController::State::Idle);
}

void MainWindow::addBlockAtCenter(const QString& type) {
    const QString id = mDocument->addNode(type, mGraphView->visibleCenter());
    if (!id.isEmpty()) {
        mGraphView->selectNode(id);
    }
}

void MainWindow::showError(const QString& title, const QString& message) {
    statusBar()->showMessage(message, 8000);
    QMessageBox::warning(this, title, message);
}

bool MainWindow::startTraining() {
    if (mController->isBusy()) {
        return false;
    }
    if (mDocument->filePath().isEmpty()) {
        QMessageBox::information(this, tr("Start Training"),
                                 tr("Save the project first: its runs are stored next to the project file."));
        if (!saveAs()) {
            return false;
        }
    }
    if (!mDocument->isValid()) {
        QString message = mDocument->graphError();
        if (message.isEmpty()) {
            message = QString::fromStdString(mDocument->nodeErrors().begin()->second);
        }
        showError(tr("Start Training"), tr("The graph is not valid: %1").arg(message));
        return false;
    }

    TrainRequest request;
    request.project = mDocument->project();
    mTrainingPanel->applyTo(request.project);
    request.storePath = RunStore::defaultPathFor(request.project.filePath);

    mPlots->startRun(taskNames(request.project));
    mLiveStorePath = QString::fromStdString(request.storePath);
    mLiveRunId = 0;

    spdlog::info("starting training of {} with method {} on {}, runs stored in {}", request.project.name,
                 request.project.training.method.name, request.project.training.device, request.storePath);
    mController->start(std::move(request));
    return true;
}

bool MainWindow::plotsFollowLiveRun() const {
    return mPlots->runId() == 0 || mPlots->runId() == mLiveRunId;
}

void MainWindow::plotProgress(const EngineEvent& event) {
    if (plotsFollowLiveRun()) {
        mPlots->addProgress(event);
    }
}

void MainWindow::plotEpoch(const EngineEvent& event) {
    if (!plotsFollowLiveRun()) {
        return;
    }
    mPlots->addEpochRows(event.metrics);
    // The trainer writes an epoch's gradient statistics to the store with its metric rows.
    mLoader->requestRun(mLiveStorePath, event.runId);
}

void MainWindow::onTrainingFinished(const QString& status, const QString& message) {
    statusBar()->showMessage(message.isEmpty() ? tr("Training %1").arg(status)
                                               : tr("Training %1: %2").arg(status, message),
                             10000);
    if (status == QLatin1String("rejected") || status == QLatin1String("failed")) {
        spdlog::error("training {}: {}", status.toStdString(), message.toStdString());
    }
    if (mLiveRunId > 0 && plotsFollowLiveRun()) {
        mSelectAfterRefresh = mLiveRunId;
    }
    refreshRuns();
}

void MainWindow::refreshRuns() {
    const QString store = runStorePath();
    if (store.isEmpty()) {
        mRunList->setRuns({});
        return;
    }
    mLoader->requestRuns(store, mDocument->filePath());
}

void MainWindow::onRunsLoaded(const QString& storePath, const std::vector<RunRecord>& runs) {
    if (storePath != runStorePath()) {
        return;
    }
    mRunList->setRuns(runs);
    if (mSelectAfterRefresh > 0) {
        mRunList->selectRun(mSelectAfterRefresh);
        mSelectAfterRefresh = 0;
    }
    Q_EMIT runsRefreshed();
}

void MainWindow::onRunSelected(qint64 runId) {
    if (mController->isBusy() && runId == mLiveRunId) {
        // Back to the run in progress: its curves continue from the store's rows.
        mPlots->startRun(taskNames(mDocument->project()));
    }
    mLoader->requestRun(runStorePath(), runId);
}

void MainWindow::onRunLoaded(const RunData& data) {
    const bool live = mController->isBusy() && data.run.id == mLiveRunId;
    if (live && mPlots->runId() == mLiveRunId) {
        // Curves of the run in progress come from the engine; the store adds the diagnostics.
        mPlots->setGradientStats(data.gradientStats);
        mPlots->setConflictSummary(data.conflicts);
        mPlots->setRouting(data.routing);
        return;
    }
    mPlots->showRun(data);
    Q_EMIT runShown(data.run.id);
}

}  // namespace mtlw
