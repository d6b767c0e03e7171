// Pause, resume and cancel requests from any thread, honoured by the trainer between batches.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>

namespace mtlw {

class TrainingControl {
public:
    void requestPause();
    void requestResume();
    void requestCancel();

    bool cancelRequested() const { return mCancel.load(); }
    bool pauseRequested() const { return mPause.load(); }

    /// Blocks while paused; returns false if a cancel arrived.
    bool waitWhilePaused();

private:
    std::atomic<bool> mCancel{false};
    std::atomic<bool> mPause{false};
    std::mutex mMutex;
    std::condition_variable mChanged;
};

}  // namespace mtlw
