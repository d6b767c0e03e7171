// Runs a Trainer on a worker thread. Front ends read its events and control it from their own thread.
#pragma once

#include "engine/Events.h"
#include "engine/Trainer.h"
#include "engine/TrainingControl.h"

#include <memory>
#include <thread>

namespace mtlw {

class Engine {
public:
    Engine() = default;
    /// Cancels a run still in progress and waits for its thread.
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    /// Starts training on a new thread. Preparation (data, model) also runs there; its
    /// errors arrive as a Finished event with status "rejected". Throws std::logic_error
    /// if a run is already in progress.
    void start(TrainRequest request);

    void pause() { mControl->requestPause(); }
    void resume() { mControl->requestResume(); }
    void cancel() { mControl->requestCancel(); }

    bool isRunning() const;
    EventQueue& events() { return mEvents; }

    /// Waits for the worker thread and returns its result.
    TrainResult wait();

private:
    EventQueue mEvents;
    std::unique_ptr<TrainingControl> mControl = std::make_unique<TrainingControl>();
    std::thread mWorker;
    std::shared_ptr<std::atomic<bool>> mDone = std::make_shared<std::atomic<bool>>(true);
    TrainResult mResult;
};

}  // namespace mtlw
