#include "engine/Threads.h"

#include <torch/torch.h>

#include <spdlog/spdlog.h>

#include <thread>

#include <dlfcn.h>

namespace mtlw {

int configureTrainingThreads() {
    const unsigned cores = std::thread::hardware_concurrency();
    const int threads = cores > 0 ? static_cast<int>(cores) : 1;
    torch::set_num_threads(threads);

    // OpenBLAS is found at run time, so the engine works with any BLAS the system selects.
    using SetThreads = void (*)(int);
    if (auto* setBlasThreads = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
        setBlasThreads(1);
        spdlog::debug("training on {} intra-op threads, OpenBLAS limited to 1 thread per call", threads);
    } else {
        spdlog::debug("training on {} intra-op threads", threads);
    }
    return threads;
}

}  // namespace mtlw
