#include "engine/Engine.h"

#include "util/Errors.h"

namespace mtlw {

Engine::~Engine() {
    if (mWorker.joinable()) {
        mControl->requestCancel();
        mWorker.join();
    }
}

void Engine::start(TrainRequest request) {
    if (isRunning()) {
        throw std::logic_error("a run is already in progress; wait for it or cancel it first");
    }
    if (mWorker.joinable()) {
        mWorker.join();
    }
    mControl = std::make_unique<TrainingControl>();
    mDone->store(false);
    mWorker = std::thread([this, request = std::move(request)]() mutable {
        Trainer trainer(std::move(request), &mEvents, mControl.get());
        TrainResult result;
        try {
            trainer.prepare();
            result = trainer.run();
        } catch (const InputError& error) {
            result.status = "rejected";
            result.error = error.what();
            result.inputError = true;
        } catch (const std::exception& error) {
            spdlog::error("training could not start: {}", error.what());
            result.status = "rejected";
            result.error = error.what();
        }
        if (result.status == "rejected") {
            EngineEvent event{EngineEvent::Type::Finished};
            event.status = result.status;
            event.message = result.error;
            mEvents.push(std::move(event));
        }
        mResult = std::move(result);
        mDone->store(true);
    });
}

bool Engine::isRunning() const {
    return !mDone->load();
}

TrainResult Engine::wait() {
    if (mWorker.joinable()) {
        mWorker.join();
    }
    return mResult;
}

}  // namespace mtlw
