// The runs of the open project, newest first: id, method, status, start time and the best
// epoch's test results. Picking a run requests its curves and diagnostics from the store loader.
#pragma once

#include "store/RunStore.h"

#include <QTreeWidget>

#include <vector>

namespace mtlw {

class RunList : public QTreeWidget {
    Q_OBJECT

public:
    explicit RunList(QWidget* parent = nullptr);

    /// Replaces the rows and keeps the selected run selected when it is still listed.
    void setRuns(const std::vector<RunRecord>& runs);
    /// Selects a run and emits runSelected; false when it is not listed.
    bool selectRun(qint64 runId);
    /// The selected run, or 0 when none is.
    qint64 selectedRunId() const;
    int runCount() const { return topLevelItemCount(); }

    /// Test results of a summary, e.g. "left 74.9% · right 74.5%"; empty without results.
    static QString resultText(const nlohmann::json& summary);

Q_SIGNALS:
    void runSelected(qint64 runId);
};

}  // namespace mtlw
