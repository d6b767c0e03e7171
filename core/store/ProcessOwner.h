// The process that owns a running run, and whether that process still exists.
#pragma once

#include <cstdint>
#include <string>

namespace mtlw {

struct ProcessOwner {
    std::string hostname;
    std::int64_t pid = 0;
    /// Field 22 of /proc/<pid>/stat: clock ticks from boot to the process start. Together
    /// with the pid it identifies a process even after the pid is reused. 0 when unknown.
    std::int64_t startTime = 0;
};

/// The owner record for the calling process.
ProcessOwner currentProcessOwner();

/// The start time of pid from /proc/<pid>/stat, or 0 when it cannot be read.
std::int64_t processStartTime(std::int64_t pid);

/// Returns false when owner ran on this host and its process has exited, is a zombie, or
/// the pid now belongs to a process with another start time. Returns true for owners on
/// other hosts, since their processes cannot be checked from here.
bool isOwnerAlive(const ProcessOwner& owner, const std::string& thisHostname);

}  // namespace mtlw
