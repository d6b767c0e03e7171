// The main window of mtl-workbench: the graph editor in the centre, docks around it for the
// block palette, node properties, training, plots and log, and the menus that drive them.
#pragma once

#include "EngineController.h"

#include <QMainWindow>
#include <QStringList>

class QAction;
class QLabel;
class QMenu;

namespace mtlw {

class BlockPalette;
class CurvePlot;
class GraphView;
class LogView;
class ProjectDocument;
class PropertyEditor;
class TrainingPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    /// Recent files kept in the File menu.
    static constexpr int kMaxRecentFiles = 8;

    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    /// Opens a project; on error shows a message box unless `quiet`, and returns false.
    bool openProject(const QString& path, bool quiet = false);
    /// Saves to `path`; on error shows a message box and returns false.
    bool saveProjectAs(const QString& path);

    ProjectDocument* document() const { return mDocument; }
    GraphView* graphView() const { return mGraphView; }
    EngineController* engineController() const { return mController; }
    TrainingPanel* trainingPanel() const { return mTrainingPanel; }
    CurvePlot* stepLossPlot() const { return mStepLossPlot; }
    CurvePlot* epochLossPlot() const { return mEpochLossPlot; }
    CurvePlot* epochMetricPlot() const { return mEpochMetricPlot; }
    LogView* logView() const { return mLogView; }

public Q_SLOTS:
    /// Starts a run of the document's project with the training panel's settings. Returns false
    /// (and reports why in the status bar and a message box) when the project cannot be trained.
    bool startTraining();

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void createActions();
    void createMenus();
    void createDocks();
    void readSettings();
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

    ProjectDocument* mDocument;
    GraphView* mGraphView;
    BlockPalette* mPalette;
    PropertyEditor* mPropertyEditor;
    TrainingPanel* mTrainingPanel;
    CurvePlot* mStepLossPlot;
    CurvePlot* mEpochLossPlot;
    CurvePlot* mEpochMetricPlot;
    LogView* mLogView;
    EngineController* mController;
    QLabel* mValidationLabel;

    /// Task names of the run being plotted, in project order; they pick the series colours.
    QStringList mRunTasks;

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
};

}  // namespace mtlw
