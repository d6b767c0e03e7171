// The main window of mtl-workbench: the graph editor in the centre, docks around it for the
// block palette, past runs, node properties, training, plots, dataset samples and log, and
// the menus that drive them.
#pragma once

#include "EngineController.h"

#include "RunData.h"

#include <QMainWindow>
#include <QStringList>

#include <functional>
#include <vector>

class QAction;
class QLabel;
class QMenu;

namespace mtlw {

class CompareWindow;
class MergeWindow;

class Autosave;
class BlockPalette;
class CurvePlot;
class DatasetView;
class GraphView;
class LogView;
class ProjectDocument;
class PropertyEditor;
class RunList;
class RunPlots;
class StoreLoader;
class TrainingPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    /// Recent files kept in the File menu.
    static constexpr int kMaxRecentFiles = 8;

    /// Asks whether to recover an autosave file left by a session that did not close
    /// normally; `projectPath` is empty for an untitled project. Returns true to recover.
    using RecoveryPrompt = std::function<bool(const QString& autosavePath, const QString& projectPath)>;

    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    /// Opens a project; on error shows a message box unless `quiet`, and returns false.
    /// When the project has an autosave file, offers to recover it first.
    bool openProject(const QString& path, bool quiet = false);
    /// Offers to recover the newest untitled autosave file of a session that did not close
    /// normally. Returns true when a file was recovered.
    bool recoverUntitled();
    /// Replaces the question box of the recovery offer, e.g. with a fixed reply in tests.
    void setRecoveryPrompt(RecoveryPrompt prompt) { mRecoveryPrompt = std::move(prompt); }
    /// Shows the plot tab with this title, e.g. "Conflicts"; false when there is none.
    bool showPlotTab(const QString& title);
    /// Saves to `path`; on error shows a message box and returns false.
    bool saveProjectAs(const QString& path);
    /// Opens the run browser on the project's run store, or explains in a message box why it cannot
    /// (untitled project, no runs yet) and returns null. The window stays open beside this one.
    CompareWindow* openCompareWindow();
    /// Opens the Merge view on the project's run store, or explains in a message box why it cannot and
    /// returns null.
    MergeWindow* openMergeWindow();

    ProjectDocument* document() const { return mDocument; }
    GraphView* graphView() const { return mGraphView; }
    EngineController* engineController() const { return mController; }
    TrainingPanel* trainingPanel() const { return mTrainingPanel; }
    CurvePlot* stepLossPlot() const;
    CurvePlot* epochLossPlot() const;
    CurvePlot* epochMetricPlot() const;
    RunPlots* runPlots() const { return mPlots; }
    RunList* runList() const { return mRunList; }
    DatasetView* datasetView() const { return mDatasetView; }
    StoreLoader* storeLoader() const { return mLoader; }
    Autosave* autosave() const { return mAutosave; }
    LogView* logView() const { return mLogView; }
    /// The run store of the open project; empty for an untitled one.
    QString runStorePath() const;

public Q_SLOTS:
    /// Starts a run of the document's project with the training panel's settings. Returns false
    /// (and reports why in the status bar and a message box) when the project cannot be trained.
    bool startTraining();
    /// Re-reads the open project's runs from its store, off the UI thread.
    void refreshRuns();

Q_SIGNALS:
    /// The run list was refreshed from the store.
    void runsRefreshed();
    /// A run read from the store is shown in the plots.
    void runShown(qint64 runId);

protected:
    void closeEvent(QCloseEvent* event) override;
    void showEvent(QShowEvent* event) override;

private:
    void createActions();
    void createMenus();
    void createDocks();
    void readSettings();
    /// Sizes the docks for the current window size; used when no saved layout exists.
    void applyDefaultDockSizes();
    void writeSettings();

    void newProject();
    void open();
    bool save();
    bool saveAs();
    /// Asks whether to save unsaved changes; false when the user cancels.
    bool maybeSave();
    void addRecentFile(const QString& path);
    void updateRecentMenu();
    void updateTitle();
    void updateValidationStatus();
    void updateTrainActions();
    void addBlockAtCenter(const QString& type);
    void showError(const QString& title, const QString& message);

    void plotProgress(const EngineEvent& event);
    void plotEpoch(const EngineEvent& event);
    void onTrainingFinished(const QString& status, const QString& message);
    void onRunsLoaded(const QString& storePath, const std::vector<RunRecord>& runs);
    void onRunSelected(qint64 runId);
    void onRunLoaded(const RunData& data);
    /// True while the plots follow the run in progress rather than a run picked from the list.
    bool plotsFollowLiveRun() const;
    /// Offers an autosave file for recovery; loads it into the document when accepted,
    /// removes it when declined.
    bool offerRecovery(const QString& autosavePath, const QString& projectPath);

    ProjectDocument* mDocument;
    GraphView* mGraphView;
    BlockPalette* mPalette;
    PropertyEditor* mPropertyEditor;
    TrainingPanel* mTrainingPanel;
    RunPlots* mPlots;
    RunList* mRunList;
    DatasetView* mDatasetView;
    LogView* mLogView;
    EngineController* mController;
    StoreLoader* mLoader;
    Autosave* mAutosave;
    QLabel* mValidationLabel;
    RecoveryPrompt mRecoveryPrompt;
    /// Set when no saved dock layout was restored, until the first show applies the defaults.
    bool mDefaultDockSizesPending = false;

    /// Store and id of the run in progress or the last run started here.
    QString mLiveStorePath;
    qint64 mLiveRunId = 0;
    /// Run to select when the next run list arrives, e.g. the run that just finished.
    qint64 mSelectAfterRefresh = 0;

    QMenu* mRecentMenu = nullptr;
    QMenu* mViewMenu = nullptr;
    QAction* mNewAction = nullptr;
    QAction* mOpenAction = nullptr;
    QAction* mSaveAction = nullptr;
    QAction* mSaveAsAction = nullptr;
    QAction* mQuitAction = nullptr;
    QAction* mUndoAction = nullptr;
    QAction* mRedoAction = nullptr;
    QAction* mDeleteAction = nullptr;
    QAction* mSelectAllAction = nullptr;
    QAction* mFitAction = nullptr;
    QAction* mZoomInAction = nullptr;
    QAction* mZoomOutAction = nullptr;
    QAction* mAutoLayoutAction = nullptr;
    QAction* mStartAction = nullptr;
    QAction* mPauseAction = nullptr;
    QAction* mResumeAction = nullptr;
    QAction* mStopAction = nullptr;
    QAction* mAboutAction = nullptr;
    QAction* mCompareAction = nullptr;
    QAction* mMergeAction = nullptr;
};

}  // namespace mtlw
