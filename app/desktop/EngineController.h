// Owns the training engine for the desktop application. The engine trains on its own worker
// thread; a timer on the UI thread drains its event queue and re-emits each event as a signal.
#pragma once

#include "engine/Engine.h"

#include <QMetaType>
#include <QObject>
#include <QTimer>

Q_DECLARE_METATYPE(mtlw::EngineEvent)

namespace mtlw {

class EngineController : public QObject {
    Q_OBJECT

public:
    enum class State { Idle, Running, Paused };
    Q_ENUM(State)

    /// How often the UI thread drains the engine's events.
    static constexpr int kPollIntervalMs = 50;

    explicit EngineController(QObject* parent = nullptr);
    /// Cancels a run in progress and waits for the worker thread.
    ~EngineController() override;

    State state() const { return mState; }
    bool isBusy() const { return mState != State::Idle; }
    /// Epochs of the run in progress or the last run, from its request.
    int epochs() const { return mEpochs; }
    /// Result of the last finished run.
    const TrainResult& lastResult() const { return mLastResult; }

    /// Starts a run. Throws std::logic_error while a run is in progress; errors of the run
    /// itself (invalid project, missing data) arrive as finished() with status "rejected".
    void start(TrainRequest request);

public Q_SLOTS:
    void pause();
    void resume();
    /// Requests cancellation; the run ends at the next batch boundary and emits finished().
    void stop();

Q_SIGNALS:
    void stateChanged(mtlw::EngineController::State state);
    void runStarted(qint64 runId);
    void progress(const mtlw::EngineEvent& event);
    void epochEnded(const mtlw::EngineEvent& event);
    /// status: completed, failed, cancelled or rejected; message: the error, if any.
    void finished(const QString& status, const QString& message);

private:
    void poll();
    void dispatch(const EngineEvent& event);
    void setState(State state);

    Engine mEngine;
    QTimer mTimer;
    State mState = State::Idle;
    int mEpochs = 0;
    /// Set once the Finished event arrived; the worker thread may still be unwinding.
    bool mFinishing = false;
    TrainResult mLastResult;
};

}  // namespace mtlw
