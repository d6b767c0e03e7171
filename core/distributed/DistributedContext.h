// Multi-process training over PyTorch's c10d: rendezvous through a TCPStore, collectives through
// Gloo (CPU) or NCCL (CUDA builds). One DistributedContext per worker process.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace c10d {
class Work;
}

namespace mtlw {

/// Rendezvous settings. Unset fields (empty, -1) come from the torchrun-style environment:
/// MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE, LOCAL_RANK.
struct DistributedOptions {
    std::string masterAddress;
    int masterPort = -1;
    int rank = -1;
    int worldSize = -1;
    int localRank = -1;
};

/// Fills the unset fields of `flags` from the environment and checks them. World size 1 (or no
/// WORLD_SIZE at all) means single-process training. Throws InputError naming the flag or
/// variable for a missing or bad value.
DistributedOptions resolveDistributedOptions(DistributedOptions flags);

/// Keys shared by the workers and `mtlw launch` in the TCPStore (below the "mtlw/" prefix).
namespace store_keys {
/// "failed/<rank>": why that rank stopped.
std::string failed(int rank);
inline constexpr const char* kRunId = "run_id";
inline constexpr const char* kCheckpoint = "resume_checkpoint";
/// Rank 0's run store file, for `mtlw launch` to close the run when rank 0 itself dies.
inline constexpr const char* kStorePath = "store_path";
}  // namespace store_keys

/// Prefix of every key this program sets in the TCPStore.
inline constexpr const char* kStorePrefix = "mtlw/";

/// Seconds a collective or a store read may wait before it fails: MTLW_DIST_TIMEOUT, else 1800.
std::chrono::milliseconds distributedTimeout();

class DistributedContext {
public:
    /// Joins the process group described by `options` (already resolved, world size > 1):
    /// rank 0 hosts the TCPStore unless TORCHELASTIC_USE_AGENT_STORE=True says a launcher hosts
    /// it. `device` picks the backend: NCCL for CUDA when built with it, Gloo otherwise.
    DistributedContext(const DistributedOptions& options, const torch::Device& device);
    ~DistributedContext();
    DistributedContext(const DistributedContext&) = delete;
    DistributedContext& operator=(const DistributedContext&) = delete;

    int rank() const { return mOptions.rank; }
    int worldSize() const { return mOptions.worldSize; }
    int localRank() const { return mOptions.localRank; }
    bool isLeader() const { return mOptions.rank == 0; }
    /// "gloo" or "nccl".
    const std::string& backend() const { return mBackend; }

    /// Replaces every tensor with the sum over ranks of `weight * tensor`, in one flat
    /// all-reduce per dtype. With weight = local samples / global samples this is the
    /// sample-weighted mean, exact for any per-sample mean.
    void allReduceWeighted(const std::vector<torch::Tensor>& tensors, double weight);
    /// Copies rank 0's values into every tensor, in place.
    void broadcastFromLeader(const std::vector<torch::Tensor>& tensors);
    void barrier();

    /// Key-value exchange through the TCPStore. get() waits for the key up to distributedTimeout().
    void set(const std::string& key, const std::string& value);
    std::string get(const std::string& key);
    /// Waits for `key`; nullopt when rank `failureRank` reports a failure first or the wait times out.
    std::optional<std::string> waitForKey(const std::string& key, int failureRank);
    /// Sends bytes from rank 0 to all ranks: rank 0 passes them, the others receive them.
    std::string shareFromLeader(const std::string& key, const std::string& leaderValue);

    /// Records why this rank stops, for rank 0 and `mtlw launch` to read.
    void reportFailure(const std::string& message);
    /// True once a collective has thrown, typically because another rank went away.
    bool collectiveFailed() const { return mCollectiveFailed; }
    /// The first "rank R failed: ..." message another rank (or the launcher) has written,
    /// polling for up to `wait`.
    std::optional<std::string> otherRankFailure(std::chrono::milliseconds wait);

private:
    struct Impl;
    DistributedOptions mOptions;
    std::string mBackend;
    bool mCollectiveFailed = false;
    std::unique_ptr<Impl> mImpl;
    /// Waits for a collective, noting a failure before rethrowing it.
    void finish(const c10::intrusive_ptr<c10d::Work>& work);
};

/// The samples rank `rank` trains on in global batch `batch` of an epoch: global batch b covers
/// order[b*W*B, (b+1)*W*B) and rank r takes its r-th slice of B. In the last, partial global batch
/// the remaining samples are split as evenly as possible; it is dropped when it has fewer
/// samples than ranks.
struct ShardSlice {
    std::int64_t begin = 0;
    std::int64_t end = 0;
    /// Samples in the whole global batch, over all ranks.
    std::int64_t globalSize = 0;
};
std::int64_t globalBatchCount(std::int64_t samples, std::int64_t batchSize, int worldSize);
ShardSlice shardOfBatch(std::int64_t samples, std::int64_t batchSize, int worldSize, int rank, std::int64_t batch);

}  // namespace mtlw
