#include "engine/TrainingControl.h"

namespace mtlw {

void TrainingControl::requestPause() {
    std::lock_guard lock(mMutex);
    mPause = true;
}

void TrainingControl::requestResume() {
    {
        std::lock_guard lock(mMutex);
        mPause = false;
    }
    mChanged.notify_all();
}

void TrainingControl::requestCancel() {
    {
        std::lock_guard lock(mMutex);
        mCancel = true;
    }
    mChanged.notify_all();
}

bool TrainingControl::waitWhilePaused() {
    std::unique_lock lock(mMutex);
    mChanged.wait(lock, [this] { return !mPause.load() || mCancel.load(); });
    return !mCancel.load();
}

}  // namespace mtlw
