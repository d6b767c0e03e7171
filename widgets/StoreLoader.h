// Reads run stores on a worker thread and delivers the results on the UI thread, so a large
// store never blocks the event loop. Only the newest request of each kind is delivered.
#pragma once

#include "RunData.h"

#include <QObject>
#include <QString>
#include <QThreadPool>

#include <atomic>
#include <vector>

namespace mtlw {

class StoreLoader : public QObject {
    Q_OBJECT

public:
    explicit StoreLoader(QObject* parent = nullptr);
    /// Waits for a read in progress; reads take milliseconds to a few seconds.
    ~StoreLoader() override;

    /// Lists the runs in `storePath` of projects with the file name of `projectPath`, newest
    /// first. A missing store file yields an empty list and is not created.
    void requestRuns(const QString& storePath, const QString& projectPath);
    /// Reads one run's metrics, gradient statistics and conflict summary.
    void requestRun(const QString& storePath, qint64 runId);
    /// Blocks until every request made so far has been delivered or dropped (for tests).
    void waitForIdle();

Q_SIGNALS:
    void runsLoaded(const QString& storePath, const std::vector<mtlw::RunRecord>& runs);
    void runLoaded(const mtlw::RunData& data);
    /// A read failed; `message` names the store and the error.
    void loadFailed(const QString& message);

private:
    QThreadPool mPool;
    std::atomic<int> mRunsGeneration{0};
    std::atomic<int> mRunGeneration{0};
};

}  // namespace mtlw
