#include "store/ProcessOwner.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <fstream>
#include <iterator>
#include <sstream>

namespace mtlw {

namespace {

struct ProcStat {
    char state = '?';
    std::int64_t startTime = 0;
};

// Reads the state (field 3) and start time (field 22) of /proc/<pid>/stat. Field 2 is the
// command name in parentheses and may itself hold spaces or ')', so fields are counted
// from the last ')'.
bool readProcStat(std::int64_t pid, ProcStat& stat) {
    std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
    if (!file)
        return false;
    const std::string content((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    const auto commandEnd = content.rfind(')');
    if (commandEnd == std::string::npos)
        return false;

    std::istringstream fields(content.substr(commandEnd + 1));
    std::string field;
    // Field 3 is the first one after the command name.
    for (int number = 3; number <= 22 && fields >> field; ++number) {
        if (number == 3)
            stat.state = field.empty() ? '?' : field[0];
        if (number == 22) {
            try {
                stat.startTime = std::stoll(field);
            } catch (const std::exception&) {
                return false;
            }
            return true;
        }
    }
    return false;
}

}  // namespace

std::int64_t processStartTime(std::int64_t pid) {
    ProcStat stat;
    return readProcStat(pid, stat) ? stat.startTime : 0;
}

ProcessOwner currentProcessOwner() {
    ProcessOwner owner;
    char hostname[HOST_NAME_MAX + 1] = {};
    if (gethostname(hostname, sizeof hostname - 1) == 0)
        owner.hostname = hostname;
    owner.pid = getpid();
    owner.startTime = processStartTime(owner.pid);
    return owner;
}

bool isOwnerAlive(const ProcessOwner& owner, const std::string& thisHostname) {
    if (owner.hostname != thisHostname)
        return true;
    if (owner.pid <= 0 || owner.pid > INT_MAX)
        return false;

    // Signal 0 only checks that the pid exists; EPERM means it exists under another user.
    if (kill(static_cast<pid_t>(owner.pid), 0) != 0 && errno == ESRCH)
        return false;

    ProcStat stat;
    if (!readProcStat(owner.pid, stat)) {
        // Without /proc the existing pid is all that can be checked. With /proc, the
        // process exited between the two checks.
        return access("/proc/self/stat", R_OK) != 0;
    }
    // A zombie ('Z') or dead ('X') process has stopped but was not yet reaped by its parent.
    if (stat.state == 'Z' || stat.state == 'X')
        return false;
    return owner.startTime == 0 || stat.startTime == owner.startTime;
}

}  // namespace mtlw
