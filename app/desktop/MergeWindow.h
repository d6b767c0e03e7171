// The Merge view: a base checkpoint and one fine-tuned single-task run per task, merged by task
// arithmetic (base + Σ c_k τ_k) with one coefficient slider per task. Moving a slider re-evaluates
// the merged model on the first validation samples on a worker thread and shows its metrics next
// to each fine-tuned model's own.
#pragma once

#include "merging/MergeSession.h"

#include <QMainWindow>
#include <QString>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <vector>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSlider;
class QSpinBox;
class QTableWidget;
class QTimer;

namespace mtlw {

class MergeWindow : public QMainWindow {
    Q_OBJECT

public:
    /// Coefficient range and slider step.
    static constexpr double kMaxCoefficient = 1.5;
    static constexpr double kCoefficientStep = 0.05;
    static constexpr double kDefaultCoefficient = 0.5;
    /// Wait after the last slider move before evaluating, so a drag evaluates once it pauses.
    static constexpr int kDebounceMs = 150;

    /// Lists the runs of `storePath` for the tasks of the project at `projectPath`.
    MergeWindow(const QString& storePath, const QString& projectPath, QWidget* parent = nullptr);
    /// Waits for a running load or evaluation to finish.
    ~MergeWindow() override;

    std::vector<std::string> tasks() const { return mTasks; }

    /// Uses a checkpoint file as the base.
    void setBaseCheckpoint(const QString& path);
    /// Uses a run's best checkpoint as the base; false when the store lists no such run.
    bool setBaseRun(std::int64_t runId);
    /// Picks the fine-tuned run of `task`; false when the task's list has no such run.
    bool setModelRun(const std::string& task, std::int64_t runId);
    void setSamples(int samples);
    /// Loads the data and checkpoints on a worker thread; the sliders enable when it is done.
    void load();
    /// Moves the task's slider to the nearest step; an evaluation follows after the debounce.
    void setCoefficient(const std::string& task, double value);
    /// The coefficients the sliders show, in the order of tasks().
    std::vector<double> coefficients() const;

    bool isLoaded() const { return mSession != nullptr; }
    /// True while a load or evaluation runs or one waits for its debounce.
    bool isBusy() const;
    /// Number of evaluations shown since the window opened.
    int evaluationCount() const { return mEvaluationCount; }
    /// The merged model's metrics now shown, and the coefficients behind them.
    const TaskMetrics& mergedMetrics() const { return mMerged; }
    const std::vector<double>& shownCoefficients() const { return mShownCoefficients; }
    const TaskMetrics& individualMetrics() const { return mIndividual; }
    /// The last error, or "" when the last load or evaluation succeeded.
    QString errorText() const;
    QString statusText() const;
    QTableWidget* resultsTable() const { return mResults; }

private:
    struct TaskRow {
        std::string task;
        QComboBox* run = nullptr;
        QSlider* slider = nullptr;
        QLabel* value = nullptr;
    };

    /// Result of a worker job, delivered to the UI thread.
    struct JobResult {
        std::shared_ptr<MergeSession> session;
        TaskMetrics merged;
        TaskMetrics individual;
        std::vector<double> coefficients;
        std::int64_t samples = 0;
        double seconds = 0.0;
        QString error;
    };

    void buildUi();
    void fillRunCombos();
    void browseBase();
    MergeSetup buildSetup() const;
    void scheduleEvaluation();
    void startEvaluation();
    /// Runs `job` on the worker thread and hands its result to finishJob on the UI thread.
    void startJob(std::function<JobResult()> job);
    void finishJob(const JobResult& result);
    void showResults();
    void showError(const QString& message);
    void setSlidersEnabled(bool enabled);

    QString mStorePath;
    QString mProjectPath;
    std::vector<std::string> mTasks;
    std::vector<TaskRow> mRows;

    QComboBox* mBaseRun = nullptr;
    QLineEdit* mBasePath = nullptr;
    QSpinBox* mSamples = nullptr;
    QPushButton* mLoadButton = nullptr;
    QTableWidget* mResults = nullptr;
    QLabel* mStatus = nullptr;
    QLabel* mError = nullptr;
    QTimer* mDebounce = nullptr;

    /// Used only by the one running job, or by the UI thread while no job runs.
    std::shared_ptr<MergeSession> mSession;
    std::thread mWorker;
    bool mJobRunning = false;
    /// A slider moved while a job ran; the latest coefficients are evaluated when it ends.
    bool mEvaluationPending = false;
    int mEvaluationCount = 0;
    TaskMetrics mMerged;
    TaskMetrics mIndividual;
    std::int64_t mIndividualSamples = -1;
    std::vector<double> mShownCoefficients;
};

}  // namespace mtlw
