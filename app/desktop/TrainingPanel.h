// Run settings (method and its params, device, epochs, batch size), run controls and progress.
// The settings override the project's training section for the next run; they do not edit
// the document.
#pragma once

#include "project/Project.h"

#include <QWidget>

#include <map>

class QAction;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QLabel;
class QProgressBar;
class QSpinBox;

namespace mtlw {

struct EngineEvent;

class TrainingPanel : public QWidget {
    Q_OBJECT

public:
    explicit TrainingPanel(QWidget* parent = nullptr);

    /// Shows these actions as the panel's buttons.
    void setActions(QAction* start, QAction* pause, QAction* resume, QAction* stop);
    /// Takes the settings from a project's training section.
    void loadFrom(const Project& project);
    /// Writes the settings into a project's training section.
    void applyTo(Project& project) const;

    QComboBox* methodCombo() const { return mMethod; }
    /// Sets the epochs of the next run.
    void setEpochs(int epochs);

public Q_SLOTS:
    void showRunStarted(qint64 runId);
    void showProgress(const mtlw::EngineEvent& event);
    void showFinished(const QString& status, const QString& message);

private:
    void rebuildMethodParams();

    QComboBox* mMethod;
    QLabel* mMethodSummary;
    QFormLayout* mParamsForm;
    QWidget* mParamsBox;
    std::map<std::string, QDoubleSpinBox*> mParams;
    /// Param values of the loaded project, applied when its method is selected.
    nlohmann::json mProjectParams = nlohmann::json::object();
    QComboBox* mDevice;
    QSpinBox* mEpochs;
    QSpinBox* mBatchSize;
    QWidget* mButtons;
    QProgressBar* mProgress;
    QLabel* mStatus;

    double mFirstDone = -1.0;
    double mFirstSeconds = 0.0;
};

}  // namespace mtlw
