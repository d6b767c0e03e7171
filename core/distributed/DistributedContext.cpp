#include "distributed/DistributedContext.h"

#include "util/Errors.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
// NOTE: the NCCL path compiles only against a CUDA build of LibTorch (MTLW_WITH_NCCL=ON) and is
// untested here: Debian's LibTorch is CPU-only.
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <map>
#include <thread>

namespace mtlw {

namespace {

std::optional<std::string> environment(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        return std::nullopt;
    }
    return std::string(value);
}

int integerFrom(const std::string& text, const std::string& source, int minimum) {
    std::size_t used = 0;
    int value = 0;
    try {
        value = std::stoi(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || value < minimum) {
        throw InputError(source + " is '" + text + "'; give a whole number of at least " + std::to_string(minimum));
    }
    return value;
}

// A flag value wins; else the environment variable; else `fallback` (nullopt: required).
int resolveInteger(int flag, const char* flagName, const char* variable, int minimum, std::optional<int> fallback) {
    if (flag >= 0) {
        if (flag < minimum) {
            throw InputError(std::string(flagName) + " is " + std::to_string(flag) + "; give at least " +
                             std::to_string(minimum));
        }
        return flag;
    }
    if (const auto value = environment(variable)) {
        return integerFrom(*value, std::string("environment variable ") + variable, minimum);
    }
    if (fallback) {
        return *fallback;
    }
    throw InputError(std::string("multi-process training needs ") + flagName + " or the environment variable " +
                     variable + "; a launcher such as torchrun or `mtlw launch` sets it");
}

}  // namespace

std::string store_keys::failed(int rank) {
    return "failed/" + std::to_string(rank);
}

std::chrono::milliseconds distributedTimeout() {
    if (const auto value = environment("MTLW_DIST_TIMEOUT")) {
        return std::chrono::seconds(integerFrom(*value, "environment variable MTLW_DIST_TIMEOUT", 1));
    }
    return std::chrono::seconds(1800);
}

DistributedOptions resolveDistributedOptions(DistributedOptions flags) {
    DistributedOptions resolved;
    resolved.worldSize = resolveInteger(flags.worldSize, "--world-size", "WORLD_SIZE", 1, 1);
    if (resolved.worldSize == 1) {
        resolved.rank = 0;
        resolved.localRank = 0;
        return resolved;
    }
    resolved.rank = resolveInteger(flags.rank, "--rank", "RANK", 0, std::nullopt);
    if (resolved.rank >= resolved.worldSize) {
        throw InputError("rank " + std::to_string(resolved.rank) + " is not below the world size " +
                         std::to_string(resolved.worldSize) + "; ranks run from 0 to world size - 1");
    }
    resolved.localRank = resolveInteger(flags.localRank, "--local-rank", "LOCAL_RANK", 0, resolved.rank);
    resolved.masterPort = resolveInteger(flags.masterPort, "--master-port", "MASTER_PORT", 1, std::nullopt);
    if (resolved.masterPort > 65535) {
        throw InputError("master port " + std::to_string(resolved.masterPort) + " is above 65535");
    }
    resolved.masterAddress = !flags.masterAddress.empty() ? flags.masterAddress
                                                          : environment("MASTER_ADDR").value_or(std::string());
    if (resolved.masterAddress.empty()) {
        throw InputError("multi-process training needs --master-addr or the environment variable MASTER_ADDR, "
                         "the host that serves the rendezvous store");
    }
    return resolved;
}

struct DistributedContext::Impl {
    c10::intrusive_ptr<c10d::Store> store;
    c10::intrusive_ptr<c10d::ProcessGroup> group;
    bool onCuda = false;
};

DistributedContext::DistributedContext(const DistributedOptions& options, const torch::Device& device)
    : mOptions(options), mImpl(std::make_unique<Impl>()) {
    const bool agentHostsStore = environment("TORCHELASTIC_USE_AGENT_STORE").value_or("") == "True";
    c10d::TCPStoreOptions storeOptions;
    storeOptions.port = static_cast<std::uint16_t>(options.masterPort);
    storeOptions.isServer = options.rank == 0 && !agentHostsStore;
    storeOptions.waitWorkers = false;
    storeOptions.timeout = distributedTimeout();
    spdlog::info("rank {}/{}: joining the rendezvous at {}:{}{}", options.rank, options.worldSize,
                 options.masterAddress, options.masterPort, storeOptions.isServer ? " (hosting it)" : "");
    auto tcpStore = c10::make_intrusive<c10d::TCPStore>(options.masterAddress, storeOptions);
    mImpl->store = c10::make_intrusive<c10d::PrefixStore>(kStorePrefix, tcpStore);

    mImpl->onCuda = device.is_cuda();
#ifdef USE_C10D_NCCL
    if (mImpl->onCuda) {
        auto ncclOptions = c10d::ProcessGroupNCCL::Options::create();
        ncclOptions->timeout = distributedTimeout();
        mImpl->group = c10::make_intrusive<c10d::ProcessGroupNCCL>(
            c10::make_intrusive<c10d::PrefixStore>("nccl/", mImpl->store), options.rank, options.worldSize,
            ncclOptions);
        mBackend = "nccl";
    }
#endif
    if (!mImpl->group) {
        auto glooOptions = c10d::ProcessGroupGloo::Options::create(distributedTimeout());
        // Gloo connects to the other ranks at the address this host's name resolves to; with
        // a loopback master everything stays on 127.0.0.1.
        const bool loopback = options.masterAddress == "127.0.0.1" || options.masterAddress == "localhost";
        if (loopback) {
            glooOptions->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
        } else if (const auto interface = environment("GLOO_SOCKET_IFNAME")) {
            glooOptions->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(*interface));
        } else {
            glooOptions->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
        }
        mImpl->group = c10::make_intrusive<c10d::ProcessGroupGloo>(
            c10::make_intrusive<c10d::PrefixStore>("gloo/", mImpl->store), options.rank, options.worldSize,
            glooOptions);
        mBackend = "gloo";
    }
    spdlog::info("rank {}/{}: process group ready ({})", options.rank, options.worldSize, mBackend);
}

DistributedContext::~DistributedContext() = default;

void DistributedContext::allReduceWeighted(const std::vector<torch::Tensor>& tensors, double weight) {
    // One flat buffer per dtype keeps this to one collective for the usual all-float case.
    std::map<c10::ScalarType, std::vector<torch::Tensor>> byType;
    for (const auto& tensor : tensors) {
        if (tensor.defined() && tensor.numel() > 0) {
            byType[tensor.scalar_type()].push_back(tensor);
        }
    }
    torch::NoGradGuard noGrad;
    for (auto& [type, group] : byType) {
        std::vector<torch::Tensor> flat;
        for (const auto& tensor : group) {
            flat.push_back(tensor.reshape(-1));
        }
        torch::Tensor buffer = torch::cat(flat) * weight;
        const torch::Device original = buffer.device();
        if (!mImpl->onCuda || mBackend == "gloo") {
            buffer = buffer.to(torch::kCPU);
        }
        std::vector<at::Tensor> inputs{buffer};
        finish(mImpl->group->allreduce(inputs));
        buffer = inputs[0].to(original);
        std::int64_t offset = 0;
        for (const auto& tensor : group) {
            const std::int64_t count = tensor.numel();
            tensor.copy_(buffer.slice(0, offset, offset + count).view_as(tensor));
            offset += count;
        }
    }
}

void DistributedContext::broadcastFromLeader(const std::vector<torch::Tensor>& tensors) {
    torch::NoGradGuard noGrad;
    for (const auto& tensor : tensors) {
        if (!tensor.defined() || tensor.numel() == 0) {
            continue;
        }
        torch::Tensor buffer = tensor.detach().contiguous();
        if (!mImpl->onCuda || mBackend == "gloo") {
            buffer = buffer.to(torch::kCPU).clone();
        }
        std::vector<at::Tensor> inputs{buffer};
        finish(mImpl->group->broadcast(inputs));
        tensor.copy_(inputs[0]);
    }
}

void DistributedContext::barrier() {
    finish(mImpl->group->barrier());
}

void DistributedContext::finish(const c10::intrusive_ptr<c10d::Work>& work) {
    try {
        work->wait(distributedTimeout());
    } catch (...) {
        mCollectiveFailed = true;
        throw;
    }
}

std::optional<std::string> DistributedContext::waitForKey(const std::string& key, int failureRank) {
    const auto deadline = std::chrono::steady_clock::now() + distributedTimeout();
    while (std::chrono::steady_clock::now() < deadline) {
        if (mImpl->store->check({key})) {
            return get(key);
        }
        if (mImpl->store->check({store_keys::failed(failureRank)})) {
            return std::nullopt;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return std::nullopt;
}

void DistributedContext::set(const std::string& key, const std::string& value) {
    mImpl->store->set(key, std::vector<std::uint8_t>(value.begin(), value.end()));
}

std::string DistributedContext::get(const std::string& key) {
    const std::vector<std::uint8_t> bytes = mImpl->store->get(key);
    return std::string(bytes.begin(), bytes.end());
}

std::string DistributedContext::shareFromLeader(const std::string& key, const std::string& leaderValue) {
    if (isLeader()) {
        set(key, leaderValue);
        return leaderValue;
    }
    return get(key);
}

void DistributedContext::reportFailure(const std::string& message) {
    try {
        if (!mImpl->store->check({store_keys::failed(rank())})) {
            set(store_keys::failed(rank()), message);
        }
    } catch (const std::exception& error) {
        // The store's host may be the process that failed.
        spdlog::warn("rank {}: could not report the failure: {}", rank(), error.what());
    }
}

std::optional<std::string> DistributedContext::otherRankFailure(std::chrono::milliseconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (true) {
        try {
            for (int other = 0; other < worldSize(); ++other) {
                if (other != rank() && mImpl->store->check({store_keys::failed(other)})) {
                    return "rank " + std::to_string(other) + " failed: " + get(store_keys::failed(other));
                }
            }
        } catch (const std::exception& error) {
            spdlog::warn("rank {}: could not read failures from the store: {}", rank(), error.what());
            return std::nullopt;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return std::nullopt;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

std::int64_t globalBatchCount(std::int64_t samples, std::int64_t batchSize, int worldSize) {
    const std::int64_t global = batchSize * worldSize;
    const std::int64_t full = samples / global;
    return samples - full * global >= worldSize ? full + 1 : full;
}

ShardSlice shardOfBatch(std::int64_t samples, std::int64_t batchSize, int worldSize, int rank, std::int64_t batch) {
    const std::int64_t global = batchSize * worldSize;
    const std::int64_t start = batch * global;
    ShardSlice slice;
    if (start + global <= samples) {
        slice.begin = start + rank * batchSize;
        slice.end = slice.begin + batchSize;
        slice.globalSize = global;
        return slice;
    }
    const std::int64_t remaining = samples - start;
    const std::int64_t share = remaining / worldSize;
    const std::int64_t extra = remaining % worldSize;
    slice.begin = start + rank * share + std::min<std::int64_t>(rank, extra);
    slice.end = slice.begin + share + (rank < extra ? 1 : 0);
    slice.globalSize = remaining;
    return slice;
}

}  // namespace mtlw
