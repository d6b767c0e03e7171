#include "distributed/RendezvousHost.h"

#include "distributed/DistributedContext.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <cstdlib>
#include <thread>

namespace mtlw {

struct RendezvousHost::Impl {
    c10::intrusive_ptr<c10d::TCPStore> server;
    c10::intrusive_ptr<c10d::Store> store;
};

RendezvousHost::RendezvousHost(int port) : mImpl(std::make_unique<Impl>()) {
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(port);
    options.isServer = true;
    options.waitWorkers = false;
    options.timeout = distributedTimeout();
    mImpl->server = c10::make_intrusive<c10d::TCPStore>("127.0.0.1", options);
    mImpl->store = c10::make_intrusive<c10d::PrefixStore>(kStorePrefix, mImpl->server);
}

RendezvousHost::~RendezvousHost() = default;

int RendezvousHost::port() const {
    return mImpl->server->getPort();
}

void RendezvousHost::reportFailure(int rank, const std::string& message) {
    const std::string key = store_keys::failed(rank);
    if (!mImpl->store->check({key})) {
        mImpl->store->set(key, std::vector<std::uint8_t>(message.begin(), message.end()));
    }
}

std::optional<std::string> RendezvousHost::value(const std::string& key) {
    if (!mImpl->store->check({key})) {
        return std::nullopt;
    }
    const std::vector<std::uint8_t> bytes = mImpl->store->get(key);
    return std::string(bytes.begin(), bytes.end());
}

int threadsPerLocalWorker() {
    const char* text = std::getenv("LOCAL_WORLD_SIZE");
    const int workers = text != nullptr ? std::atoi(text) : 0;
    if (workers <= 0) {
        return 0;
    }
    const int cores = static_cast<int>(std::thread::hardware_concurrency());
    return std::max(1, cores / workers);
}

}  // namespace mtlw
