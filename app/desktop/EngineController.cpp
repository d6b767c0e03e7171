#include "EngineController.h"

#include <spdlog/spdlog.h>

namespace mtlw {

EngineController::EngineController(QObject* parent) : QObject(parent) {
    qRegisterMetaType<mtlw::EngineEvent>();
    mTimer.setInterval(kPollIntervalMs);
    connect(&mTimer, &QTimer::timeout, this, &EngineController::poll);
}

EngineController::~EngineController() {
    mTimer.stop();
    if (mEngine.isRunning()) {
        spdlog::info("cancelling the run in progress before closing");
        mEngine.cancel();
    }
    mEngine.wait();
}

void EngineController::start(TrainRequest request) {
    if (isBusy()) {
        throw std::logic_error("a run is already in progress; stop it before starting another");
    }
    mEpochs = request.project.training.epochs;
    mFinishing = false;
    mLastResult = TrainResult{};
    mEngine.start(std::move(request));
    setState(State::Running);
    mTimer.start();
}

void EngineController::pause() {
    if (mState == State::Running) {
        mEngine.pause();
    }
}

void EngineController::resume() {
    if (mState == State::Paused) {
        mEngine.resume();
    }
}

void EngineController::stop() {
    if (isBusy()) {
        mEngine.cancel();
    }
}

void EngineController::poll() {
    while (auto event = mEngine.events().tryPop()) {
        dispatch(*event);
    }
    // wait() joins the worker thread. It is called only after the thread has finished, so the UI
    // thread never waits for training.
    if (mFinishing && !mEngine.isRunning()) {
        mTimer.stop();
        mLastResult = mEngine.wait();
        mFinishing = false;
        setState(State::Idle);
        Q_EMIT finished(QString::fromStdString(mLastResult.status), QString::fromStdString(mLastResult.error));
    }
}

void EngineController::dispatch(const EngineEvent& event) {
    switch (event.type) {
    case EngineEvent::Type::RunStarted:
        Q_EMIT runStarted(event.runId);
        break;
    case EngineEvent::Type::Progress:
        Q_EMIT progress(event);
        break;
    case EngineEvent::Type::EpochEnded:
        Q_EMIT epochEnded(event);
        break;
    case EngineEvent::Type::Paused:
        setState(State::Paused);
        break;
    case EngineEvent::Type::Resumed:
        setState(State::Running);
        break;
    case EngineEvent::Type::Finished:
        mFinishing = true;
        break;
    }
}

void EngineController::setState(State state) {
    if (state == mState) {
        return;
    }
    mState = state;
    Q_EMIT stateChanged(state);
}

}  // namespace mtlw
