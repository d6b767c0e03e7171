// The TCPStore that `mtlw launch` hosts for its workers, so it outlives any one of them and the
// launcher can report a worker that dies without a word.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace mtlw {

class RendezvousHost {
public:
    /// Listens on 127.0.0.1:`port`; port 0 picks a free one.
    explicit RendezvousHost(int port);
    ~RendezvousHost();
    RendezvousHost(const RendezvousHost&) = delete;
    RendezvousHost& operator=(const RendezvousHost&) = delete;

    int port() const;
    /// Writes "failed/<rank>" unless that rank already wrote its own reason.
    void reportFailure(int rank, const std::string& message);
    /// The value of a key below the "mtlw/" prefix, if set.
    std::optional<std::string> value(const std::string& key);

private:
    struct Impl;
    std::unique_ptr<Impl> mImpl;
};

/// Intra-op threads for one of several workers on this machine: the cores divided by
/// LOCAL_WORLD_SIZE (at least 1); 0 when LOCAL_WORLD_SIZE is not set.
int threadsPerLocalWorker();

}  // namespace mtlw
