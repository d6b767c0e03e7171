// Engine events and the thread-safe queue that carries them from the worker thread to a front end.
#pragma once

#include "store/RunStore.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace mtlw {

struct EngineEvent {
    enum class Type {
        /// The run has an id and training starts (or resumes).
        RunStarted,
        /// A batch finished; sent at most every progress interval.
        Progress,
        /// An epoch finished; `metrics` holds its per-task rows.
        EpochEnded,
        /// The run ended; `status` is completed, failed or cancelled.
        Finished,
        /// Paused or resumed between batches.
        Paused,
        Resumed,
    };

    EngineEvent() = default;
    /// An event of `eventType` with every other field at its default.
    EngineEvent(Type eventType) : type(eventType) {}

    Type type = Type::Progress;
    std::int64_t runId = 0;
    int epoch = 0;
    int epochs = 0;
    std::int64_t step = 0;
    std::int64_t batchInEpoch = 0;
    std::int64_t batchesPerEpoch = 0;
    double elapsedSeconds = 0.0;
    /// Latest training loss per task (Progress).
    std::map<std::string, double> taskLosses;
    /// Epoch rows (EpochEnded) or the step rows logged since the last event (Progress).
    std::vector<MetricRow> metrics;
    std::string status;
    std::string message;
    nlohmann::json summary;
};

// Many producers, one consumer. A front end polls with tryPop or waits with waitPop.
class EventQueue {
public:
    void push(EngineEvent event);
    std::optional<EngineEvent> tryPop();
    /// Waits up to `timeout` for an event.
    std::optional<EngineEvent> waitPop(std::chrono::milliseconds timeout);

private:
    std::mutex mMutex;
    std::condition_variable mReady;
    std::deque<EngineEvent> mEvents;
};

}  // namespace mtlw
