#include "project/AtomicFile.h"

#include "util/Errors.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mtlw {

namespace {

[[noreturn]] void failWithErrno(const std::string& action, const std::string& path) {
    throw InputError(path + ": " + action + " failed: " + std::strerror(errno));
}

}  // namespace

void writeFileAtomically(const std::string& path, const std::string& contents) {
    const std::filesystem::path target(path);
    const std::filesystem::path folder = target.has_parent_path() ? target.parent_path() : ".";
    std::string temporary = (folder / ("." + target.filename().string() + ".tmp-XXXXXX")).string();

    const int fd = ::mkstemp(temporary.data());
    if (fd < 0) {
        failWithErrno("creating a temporary file in " + folder.string(), path);
    }
    size_t written = 0;
    while (written < contents.size()) {
        const ssize_t count = ::write(fd, contents.data() + written, contents.size() - written);
        if (count < 0) {
            if (errno == EINTR) {
                continue;
            }
            const int error = errno;
            ::close(fd);
            ::unlink(temporary.c_str());
            errno = error;
            failWithErrno("writing", path);
        }
        written += static_cast<size_t>(count);
    }
    ::fchmod(fd, 0644);
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        const int error = errno;
        ::unlink(temporary.c_str());
        errno = error;
        failWithErrno("flushing", path);
    }
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
        const int error = errno;
        ::unlink(temporary.c_str());
        errno = error;
        failWithErrno("replacing", path);
    }
    const int folderFd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY);
    if (folderFd >= 0) {
        ::fsync(folderFd);
        ::close(folderFd);
    }
}

std::string readFile(const std::string& path) {
    std::ifstream stream(path, std::ios::binary);
    if (!stream) {
        if (!std::filesystem::exists(path)) {
            throw InputError(path + ": file not found");
        }
        throw InputError(path + ": cannot be read: " + std::strerror(errno));
    }
    std::ostringstream buffer;
    buffer << stream.rdbuf();
    return buffer.str();
}

}  // namespace mtlw
