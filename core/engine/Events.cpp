#include "engine/Events.h"

namespace mtlw {

void EventQueue::push(EngineEvent event) {
    {
        std::lock_guard lock(mMutex);
        mEvents.push_back(std::move(event));
    }
    mReady.notify_one();
}

std::optional<EngineEvent> EventQueue::tryPop() {
    std::lock_guard lock(mMutex);
    if (mEvents.empty()) {
        return std::nullopt;
    }
    EngineEvent event = std::move(mEvents.front());
    mEvents.pop_front();
    return event;
}

std::optional<EngineEvent> EventQueue::waitPop(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mMutex);
    if (!mReady.wait_for(lock, timeout, [this] { return !mEvents.empty(); })) {
        return std::nullopt;
    }
    EngineEvent event = std::move(mEvents.front());
    mEvents.pop_front();
    return event;
}

}  // namespace mtlw
